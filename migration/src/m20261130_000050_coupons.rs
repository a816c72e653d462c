//! Partner merchants' coupons: what onboarding needs of merchants and stores (kind, contact,
//! commission, address, city), coupon templates with their stock, members' coupons, the
//! per-member claim counters, single-use redemption codes, redemptions, and the settlement
//! (lines, per-merchant monthly statements with running totals, closed months).
//!
//! Every balance here is guarded in the database as well as in the code: a template's
//! `remaining` stock and a member's `remaining` claims never go below zero (CHECK), a coupon is
//! redeemed at most once (unique `coupon_redemptions.coupon_id`), a redemption request is
//! answered once per merchant (unique `(merchant_id, request_id)`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Id,
    Kind,
    ContactName,
    ContactPhone,
    CommissionBps,
    RedemptionBlocked,
}

#[derive(DeriveIden)]
enum MerchantStores {
    Table,
    Address,
    City,
}

#[derive(DeriveIden)]
enum CouponTemplates {
    Table,
    Id,
    MerchantId,
    Title,
    Description,
    Kind,
    AmountFen,
    ThresholdFen,
    PercentOff,
    MaxOffFen,
    ValidityType,
    ValidFrom,
    ValidTo,
    ValidDays,
    TotalStock,
    Remaining,
    PerMemberLimit,
    ClaimFrom,
    ClaimTo,
    AgeMinDays,
    AgeMaxDays,
    Cities,
    PointsCost,
    Status,
    RejectReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CouponMemberClaims {
    Table,
    Id,
    TemplateId,
    MemberId,
    Remaining,
}

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
    TemplateId,
    MerchantId,
    MemberId,
    ClaimKey,
    Status,
    ValidFrom,
    ValidUntil,
    PointsSpent,
    ClaimedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum CouponCodes {
    Table,
    Id,
    CouponId,
    CodeHash,
    Status,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CouponRedemptions {
    Table,
    Id,
    CouponId,
    MerchantId,
    StoreId,
    StaffId,
    RequestId,
    OrderAmountFen,
    FaceValueFen,
    RedeemedAt,
}

#[derive(DeriveIden)]
enum SettlementStatements {
    Table,
    Id,
    MerchantId,
    Month,
    Status,
    Lines,
    FaceValueFen,
    CommissionFen,
    ClosedAt,
    ClosedBy,
}

#[derive(DeriveIden)]
enum SettlementLines {
    Table,
    Id,
    MerchantId,
    StoreId,
    TemplateId,
    RedemptionId,
    Month,
    Kind,
    FaceValueFen,
    CommissionFen,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SettlementMonths {
    Table,
    Month,
    ClosedAt,
    ClosedBy,
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            string_len(Merchants::Kind, 16).default("other").to_owned(),
            string_len(Merchants::ContactName, 64)
                .default("")
                .to_owned(),
            string_len(Merchants::ContactPhone, 32)
                .default("")
                .to_owned(),
            integer(Merchants::CommissionBps).default(0).to_owned(),
            boolean(Merchants::RedemptionBlocked)
                .default(false)
                .to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Merchants::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            string_len(MerchantStores::Address, 128)
                .default("")
                .to_owned(),
            string_len(MerchantStores::City, 32).default("").to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(MerchantStores::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CouponTemplates::Table)
                    .col(pk_auto(CouponTemplates::Id))
                    // NULL: the platform's own shop.
                    .col(integer_null(CouponTemplates::MerchantId))
                    .col(string_len(CouponTemplates::Title, 64))
                    .col(text(CouponTemplates::Description))
                    .col(string_len(CouponTemplates::Kind, 16))
                    .col(big_integer_null(CouponTemplates::AmountFen))
                    .col(big_integer(CouponTemplates::ThresholdFen).default(0))
                    .col(integer_null(CouponTemplates::PercentOff))
                    .col(big_integer_null(CouponTemplates::MaxOffFen))
                    .col(string_len(CouponTemplates::ValidityType, 16))
                    .col(date_null(CouponTemplates::ValidFrom))
                    .col(date_null(CouponTemplates::ValidTo))
                    .col(integer_null(CouponTemplates::ValidDays))
                    .col(integer(CouponTemplates::TotalStock))
                    .col(
                        integer(CouponTemplates::Remaining)
                            .check(Expr::col(CouponTemplates::Remaining).gte(0)),
                    )
                    .col(integer(CouponTemplates::PerMemberLimit))
                    .col(timestamp_with_time_zone(CouponTemplates::ClaimFrom))
                    .col(timestamp_with_time_zone(CouponTemplates::ClaimTo))
                    .col(integer_null(CouponTemplates::AgeMinDays))
                    .col(integer_null(CouponTemplates::AgeMaxDays))
                    // A JSON array of city names; NULL: every city.
                    .col(text_null(CouponTemplates::Cities))
                    .col(integer(CouponTemplates::PointsCost).default(0))
                    .col(string_len(CouponTemplates::Status, 16))
                    .col(string_len_null(CouponTemplates::RejectReason, 200))
                    .col(string_len(CouponTemplates::CreatedBy, 32))
                    .col(timestamp_with_time_zone(CouponTemplates::CreatedAt))
                    .col(timestamp_with_time_zone(CouponTemplates::UpdatedAt))
                    .check(
                        Expr::col(CouponTemplates::Remaining)
                            .lte(Expr::col(CouponTemplates::TotalStock)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponTemplates::Table, CouponTemplates::MerchantId)
                            .to(Merchants::Table, Merchants::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_coupon_templates_status",
            CouponTemplates::Table,
            vec![
                CouponTemplates::Status.into_iden(),
                CouponTemplates::MerchantId.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponMemberClaims::Table)
                    .col(pk_auto(CouponMemberClaims::Id))
                    .col(integer(CouponMemberClaims::TemplateId))
                    .col(integer(CouponMemberClaims::MemberId))
                    .col(
                        integer(CouponMemberClaims::Remaining)
                            .check(Expr::col(CouponMemberClaims::Remaining).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_coupon_member_claims_template_member",
            CouponMemberClaims::Table,
            vec![
                CouponMemberClaims::TemplateId.into_iden(),
                CouponMemberClaims::MemberId.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Coupons::Table)
                    .col(big_integer(Coupons::Id).auto_increment().primary_key())
                    .col(integer(Coupons::TemplateId))
                    .col(integer_null(Coupons::MerchantId))
                    // NULL once the member erased their account (the amounts stay).
                    .col(integer_null(Coupons::MemberId))
                    // The claim's request_id, or `grant:<key>` for a grant.
                    .col(string_len(Coupons::ClaimKey, 96))
                    .col(string_len(Coupons::Status, 16))
                    .col(timestamp_with_time_zone(Coupons::ValidFrom))
                    .col(timestamp_with_time_zone(Coupons::ValidUntil))
                    .col(integer(Coupons::PointsSpent).default(0))
                    .col(timestamp_with_time_zone(Coupons::ClaimedAt))
                    .col(timestamp_with_time_zone_null(Coupons::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Coupons::Table, Coupons::TemplateId)
                            .to(CouponTemplates::Table, CouponTemplates::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_coupons_member_claim_key",
            Coupons::Table,
            vec![Coupons::MemberId.into_iden(), Coupons::ClaimKey.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_coupons_template",
            Coupons::Table,
            vec![
                Coupons::TemplateId.into_iden(),
                Coupons::ClaimedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_coupons_status_valid_until",
            Coupons::Table,
            vec![Coupons::Status.into_iden(), Coupons::ValidUntil.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponCodes::Table)
                    .col(big_integer(CouponCodes::Id).auto_increment().primary_key())
                    .col(big_integer(CouponCodes::CouponId))
                    // SHA-256 of the code, hex: the code itself is never stored.
                    .col(string_len_uniq(CouponCodes::CodeHash, 64))
                    .col(string_len(CouponCodes::Status, 16))
                    .col(timestamp_with_time_zone(CouponCodes::ExpiresAt))
                    .col(timestamp_with_time_zone(CouponCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponCodes::Table, CouponCodes::CouponId)
                            .to(Coupons::Table, Coupons::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_coupon_codes_coupon_status",
            CouponCodes::Table,
            vec![
                CouponCodes::CouponId.into_iden(),
                CouponCodes::Status.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponRedemptions::Table)
                    .col(
                        big_integer(CouponRedemptions::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(CouponRedemptions::CouponId))
                    .col(integer(CouponRedemptions::MerchantId))
                    .col(integer_null(CouponRedemptions::StoreId))
                    .col(integer(CouponRedemptions::StaffId))
                    .col(string_len(CouponRedemptions::RequestId, 64))
                    .col(big_integer(CouponRedemptions::OrderAmountFen))
                    .col(big_integer(CouponRedemptions::FaceValueFen))
                    .col(timestamp_with_time_zone(CouponRedemptions::RedeemedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CouponRedemptions::Table, CouponRedemptions::CouponId)
                            .to(Coupons::Table, Coupons::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_coupon_redemptions_coupon",
            CouponRedemptions::Table,
            vec![CouponRedemptions::CouponId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_coupon_redemptions_merchant_request",
            CouponRedemptions::Table,
            vec![
                CouponRedemptions::MerchantId.into_iden(),
                CouponRedemptions::RequestId.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SettlementMonths::Table)
                    .col(string_len(SettlementMonths::Month, 7).primary_key())
                    .col(timestamp_with_time_zone(SettlementMonths::ClosedAt))
                    .col(integer(SettlementMonths::ClosedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SettlementStatements::Table)
                    .col(pk_auto(SettlementStatements::Id))
                    .col(integer(SettlementStatements::MerchantId))
                    .col(string_len(SettlementStatements::Month, 7))
                    .col(string_len(SettlementStatements::Status, 16))
                    .col(integer(SettlementStatements::Lines).default(0))
                    .col(big_integer(SettlementStatements::FaceValueFen).default(0))
                    .col(big_integer(SettlementStatements::CommissionFen).default(0))
                    .col(timestamp_with_time_zone_null(
                        SettlementStatements::ClosedAt,
                    ))
                    .col(integer_null(SettlementStatements::ClosedBy))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_settlement_statements_merchant_month",
            SettlementStatements::Table,
            vec![
                SettlementStatements::MerchantId.into_iden(),
                SettlementStatements::Month.into_iden(),
            ],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SettlementLines::Table)
                    .col(
                        big_integer(SettlementLines::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(integer(SettlementLines::MerchantId))
                    .col(integer_null(SettlementLines::StoreId))
                    .col(integer_null(SettlementLines::TemplateId))
                    .col(big_integer_null(SettlementLines::RedemptionId))
                    .col(string_len(SettlementLines::Month, 7))
                    .col(string_len(SettlementLines::Kind, 16))
                    .col(big_integer(SettlementLines::FaceValueFen))
                    .col(big_integer(SettlementLines::CommissionFen))
                    .col(string_len_null(SettlementLines::Note, 200))
                    .col(timestamp_with_time_zone(SettlementLines::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_settlement_lines_merchant_month",
            SettlementLines::Table,
            vec![
                SettlementLines::MerchantId.into_iden(),
                SettlementLines::Month.into_iden(),
            ],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SettlementLines::Table.into_iden(),
            SettlementStatements::Table.into_iden(),
            SettlementMonths::Table.into_iden(),
            CouponRedemptions::Table.into_iden(),
            CouponCodes::Table.into_iden(),
            Coupons::Table.into_iden(),
            CouponMemberClaims::Table.into_iden(),
            CouponTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for (table, column) in [
            (
                MerchantStores::Table.into_iden(),
                MerchantStores::City.into_iden(),
            ),
            (
                MerchantStores::Table.into_iden(),
                MerchantStores::Address.into_iden(),
            ),
            (
                Merchants::Table.into_iden(),
                Merchants::RedemptionBlocked.into_iden(),
            ),
            (
                Merchants::Table.into_iden(),
                Merchants::CommissionBps.into_iden(),
            ),
            (
                Merchants::Table.into_iden(),
                Merchants::ContactPhone.into_iden(),
            ),
            (
                Merchants::Table.into_iden(),
                Merchants::ContactName.into_iden(),
            ),
            (Merchants::Table.into_iden(), Merchants::Kind.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
