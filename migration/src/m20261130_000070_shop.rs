//! The shop: categories, products and their SKUs (stock per SKU, member price per tier), shop
//! orders with their items and append-only events (the idempotency key of every transition
//! under a unique index), stock events (operators' stock changes), flash sales with each
//! member's purchases (the per-member limit as a guarded counter), and the points mall.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShopCategories {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopProducts {
    Table,
    Id,
    CategoryId,
    Title,
    Description,
    Images,
    AgeMinDays,
    AgeMaxDays,
    Tags,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopSkus {
    Table,
    Id,
    ProductId,
    Spec,
    PriceFen,
    BasicFen,
    AdvancedFen,
    PremiumFen,
    Stock,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopStockEvents {
    Table,
    Id,
    SkuId,
    Delta,
    Reason,
    IdemKey,
    OperatorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopOrders {
    Table,
    Id,
    MemberId,
    RequestId,
    Kind,
    Status,
    RefundFrom,
    GoodsFen,
    CouponId,
    CouponFen,
    Points,
    PointsFen,
    PointsEarned,
    PayableFen,
    PayOrderId,
    FlashSaleId,
    MallItemId,
    GroupId,
    Address,
    TrackingNo,
    RefundReason,
    RefuseReason,
    PayDueAt,
    ConfirmDueAt,
    PaidAt,
    ShippedAt,
    ReceivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopOrderItems {
    Table,
    Id,
    OrderId,
    SkuId,
    ProductId,
    Title,
    Spec,
    Quantity,
    UnitFen,
}

#[derive(DeriveIden)]
enum ShopOrderEvents {
    Table,
    Id,
    OrderId,
    Kind,
    IdemKey,
    FromStatus,
    ToStatus,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopFlashSales {
    Table,
    Id,
    SkuId,
    PriceFen,
    InitialStock,
    Stock,
    PerMemberLimit,
    StartsAt,
    EndsAt,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopFlashPurchases {
    Table,
    FlashSaleId,
    MemberId,
    Quantity,
}

#[derive(DeriveIden)]
enum ShopMallItems {
    Table,
    Id,
    Title,
    Kind,
    Points,
    CashFen,
    Stock,
    CouponTemplateId,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopGroupBuys {
    Table,
    Id,
    SkuId,
    PriceFen,
    GroupSize,
    TimeLimitHours,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopGroups {
    Table,
    Id,
    GroupBuyId,
    LeaderMemberId,
    Status,
    Seats,
    PaidCount,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopGroupMembers {
    Table,
    GroupId,
    MemberId,
    OrderId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShopCategories::Table)
                    .col(pk_auto(ShopCategories::Id))
                    .col(string_len_uniq(ShopCategories::Name, 32))
                    .col(timestamp_with_time_zone(ShopCategories::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopProducts::Table)
                    .col(pk_auto(ShopProducts::Id))
                    .col(integer(ShopProducts::CategoryId))
                    .col(string_len(ShopProducts::Title, 64))
                    .col(text(ShopProducts::Description))
                    .col(text(ShopProducts::Images))
                    .col(integer_null(ShopProducts::AgeMinDays))
                    .col(integer_null(ShopProducts::AgeMaxDays))
                    .col(text(ShopProducts::Tags))
                    .col(string_len(ShopProducts::Status, 16))
                    .col(timestamp_with_time_zone(ShopProducts::CreatedAt))
                    .col(timestamp_with_time_zone(ShopProducts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopProducts::Table, ShopProducts::CategoryId)
                            .to(ShopCategories::Table, ShopCategories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shop_products_status_category")
                    .table(ShopProducts::Table)
                    .col(ShopProducts::Status)
                    .col(ShopProducts::CategoryId)
                    .col(ShopProducts::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopSkus::Table)
                    .col(pk_auto(ShopSkus::Id))
                    .col(integer(ShopSkus::ProductId))
                    .col(text(ShopSkus::Spec))
                    .col(big_integer(ShopSkus::PriceFen))
                    .col(big_integer_null(ShopSkus::BasicFen))
                    .col(big_integer_null(ShopSkus::AdvancedFen))
                    .col(big_integer_null(ShopSkus::PremiumFen))
                    .col(big_integer(ShopSkus::Stock))
                    .col(timestamp_with_time_zone(ShopSkus::CreatedAt))
                    .col(timestamp_with_time_zone(ShopSkus::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopSkus::Table, ShopSkus::ProductId)
                            .to(ShopProducts::Table, ShopProducts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shop_skus_product")
                    .table(ShopSkus::Table)
                    .col(ShopSkus::ProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopStockEvents::Table)
                    .col(pk_auto(ShopStockEvents::Id))
                    .col(integer(ShopStockEvents::SkuId))
                    .col(big_integer(ShopStockEvents::Delta))
                    .col(string_len(ShopStockEvents::Reason, 32))
                    .col(string_len_uniq(ShopStockEvents::IdemKey, 96))
                    .col(integer_null(ShopStockEvents::OperatorId))
                    .col(timestamp_with_time_zone(ShopStockEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopOrders::Table)
                    .col(pk_auto(ShopOrders::Id))
                    .col(integer_null(ShopOrders::MemberId))
                    .col(string_len(ShopOrders::RequestId, 64))
                    .col(string_len(ShopOrders::Kind, 16))
                    .col(string_len(ShopOrders::Status, 24))
                    .col(string_len_null(ShopOrders::RefundFrom, 24))
                    .col(big_integer(ShopOrders::GoodsFen))
                    .col(big_integer_null(ShopOrders::CouponId))
                    .col(big_integer(ShopOrders::CouponFen).default(0))
                    .col(big_integer(ShopOrders::Points).default(0))
                    .col(big_integer(ShopOrders::PointsFen).default(0))
                    .col(big_integer(ShopOrders::PointsEarned).default(0))
                    .col(big_integer(ShopOrders::PayableFen))
                    .col(integer_null(ShopOrders::PayOrderId))
                    .col(integer_null(ShopOrders::FlashSaleId))
                    .col(integer_null(ShopOrders::MallItemId))
                    .col(integer_null(ShopOrders::GroupId))
                    .col(text_null(ShopOrders::Address))
                    .col(string_len_null(ShopOrders::TrackingNo, 64))
                    .col(string_len_null(ShopOrders::RefundReason, 200))
                    .col(string_len_null(ShopOrders::RefuseReason, 200))
                    .col(timestamp_with_time_zone_null(ShopOrders::PayDueAt))
                    .col(timestamp_with_time_zone_null(ShopOrders::ConfirmDueAt))
                    .col(timestamp_with_time_zone_null(ShopOrders::PaidAt))
                    .col(timestamp_with_time_zone_null(ShopOrders::ShippedAt))
                    .col(timestamp_with_time_zone_null(ShopOrders::ReceivedAt))
                    .col(timestamp_with_time_zone(ShopOrders::CreatedAt))
                    .col(timestamp_with_time_zone(ShopOrders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // A member's request_id answers the same order.
        manager
            .create_index(
                Index::create()
                    .name("ux_shop_orders_member_request")
                    .table(ShopOrders::Table)
                    .col(ShopOrders::MemberId)
                    .col(ShopOrders::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_shop_orders_status_pay_due", ShopOrders::PayDueAt),
            (
                "ix_shop_orders_status_confirm_due",
                ShopOrders::ConfirmDueAt,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ShopOrders::Table)
                        .col(ShopOrders::Status)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ShopOrderItems::Table)
                    .col(pk_auto(ShopOrderItems::Id))
                    .col(integer(ShopOrderItems::OrderId))
                    .col(integer_null(ShopOrderItems::SkuId))
                    .col(integer_null(ShopOrderItems::ProductId))
                    .col(string_len(ShopOrderItems::Title, 64))
                    .col(text(ShopOrderItems::Spec))
                    .col(integer(ShopOrderItems::Quantity))
                    .col(big_integer(ShopOrderItems::UnitFen))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopOrderItems::Table, ShopOrderItems::OrderId)
                            .to(ShopOrders::Table, ShopOrders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shop_order_items_order")
                    .table(ShopOrderItems::Table)
                    .col(ShopOrderItems::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopOrderEvents::Table)
                    .col(pk_auto(ShopOrderEvents::Id))
                    .col(integer(ShopOrderEvents::OrderId))
                    .col(string_len(ShopOrderEvents::Kind, 32))
                    .col(string_len_uniq(ShopOrderEvents::IdemKey, 96))
                    .col(string_len_null(ShopOrderEvents::FromStatus, 24))
                    .col(string_len_null(ShopOrderEvents::ToStatus, 24))
                    .col(text_null(ShopOrderEvents::Detail))
                    .col(timestamp_with_time_zone(ShopOrderEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopOrderEvents::Table, ShopOrderEvents::OrderId)
                            .to(ShopOrders::Table, ShopOrders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopFlashSales::Table)
                    .col(pk_auto(ShopFlashSales::Id))
                    .col(integer(ShopFlashSales::SkuId))
                    .col(big_integer(ShopFlashSales::PriceFen))
                    .col(big_integer(ShopFlashSales::InitialStock))
                    .col(big_integer(ShopFlashSales::Stock))
                    .col(integer(ShopFlashSales::PerMemberLimit))
                    .col(timestamp_with_time_zone(ShopFlashSales::StartsAt))
                    .col(timestamp_with_time_zone(ShopFlashSales::EndsAt))
                    .col(string_len(ShopFlashSales::Status, 16))
                    .col(timestamp_with_time_zone(ShopFlashSales::CreatedAt))
                    .col(timestamp_with_time_zone(ShopFlashSales::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopFlashSales::Table, ShopFlashSales::SkuId)
                            .to(ShopSkus::Table, ShopSkus::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopFlashPurchases::Table)
                    .col(integer(ShopFlashPurchases::FlashSaleId))
                    .col(integer(ShopFlashPurchases::MemberId))
                    .col(integer(ShopFlashPurchases::Quantity).default(0))
                    .primary_key(
                        Index::create()
                            .col(ShopFlashPurchases::FlashSaleId)
                            .col(ShopFlashPurchases::MemberId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopMallItems::Table)
                    .col(pk_auto(ShopMallItems::Id))
                    .col(string_len(ShopMallItems::Title, 64))
                    .col(string_len(ShopMallItems::Kind, 16))
                    .col(big_integer(ShopMallItems::Points))
                    .col(big_integer(ShopMallItems::CashFen).default(0))
                    .col(big_integer(ShopMallItems::Stock))
                    .col(integer_null(ShopMallItems::CouponTemplateId))
                    .col(string_len(ShopMallItems::Status, 16))
                    .col(timestamp_with_time_zone(ShopMallItems::CreatedAt))
                    .col(timestamp_with_time_zone(ShopMallItems::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopGroupBuys::Table)
                    .col(pk_auto(ShopGroupBuys::Id))
                    .col(integer(ShopGroupBuys::SkuId))
                    .col(big_integer(ShopGroupBuys::PriceFen))
                    .col(integer(ShopGroupBuys::GroupSize))
                    .col(integer(ShopGroupBuys::TimeLimitHours))
                    .col(timestamp_with_time_zone(ShopGroupBuys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopGroups::Table)
                    .col(pk_auto(ShopGroups::Id))
                    .col(integer(ShopGroups::GroupBuyId))
                    .col(integer_null(ShopGroups::LeaderMemberId))
                    .col(string_len(ShopGroups::Status, 16))
                    .col(integer(ShopGroups::Seats))
                    .col(integer(ShopGroups::PaidCount))
                    .col(timestamp_with_time_zone_null(ShopGroups::ExpiresAt))
                    .col(timestamp_with_time_zone(ShopGroups::CreatedAt))
                    .col(timestamp_with_time_zone(ShopGroups::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // A member is in a group once.
        manager
            .create_table(
                Table::create()
                    .table(ShopGroupMembers::Table)
                    .col(integer(ShopGroupMembers::GroupId))
                    .col(integer(ShopGroupMembers::MemberId))
                    .col(integer(ShopGroupMembers::OrderId))
                    .primary_key(
                        Index::create()
                            .col(ShopGroupMembers::GroupId)
                            .col(ShopGroupMembers::MemberId),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ShopGroupMembers::Table.into_iden(),
            ShopGroups::Table.into_iden(),
            ShopGroupBuys::Table.into_iden(),
            ShopMallItems::Table.into_iden(),
            ShopFlashPurchases::Table.into_iden(),
            ShopFlashSales::Table.into_iden(),
            ShopOrderEvents::Table.into_iden(),
            ShopOrderItems::Table.into_iden(),
            ShopOrders::Table.into_iden(),
            ShopStockEvents::Table.into_iden(),
            ShopSkus::Table.into_iden(),
            ShopProducts::Table.into_iden(),
            ShopCategories::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
