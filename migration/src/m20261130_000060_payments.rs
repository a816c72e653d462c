//! WeChat Pay and the paid membership: `pay_orders` (one table for everything that is paid), its
//! append-only `pay_order_events` (the idempotency keys of every transition under a unique
//! index), `pay_refunds` (one row per `out_refund_no`), `pay_alarms` (notifications that did not
//! match their order) and `membership_periods`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PayOrders {
    Table,
    Id,
    OutTradeNo,
    Purpose,
    Reference,
    MemberId,
    Openid,
    RequestId,
    Description,
    AmountFen,
    RefundReservedFen,
    RefundedFen,
    State,
    PrepayId,
    TransactionId,
    CloseDueAt,
    PaidAt,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PayOrderEvents {
    Table,
    Id,
    OrderId,
    Kind,
    IdemKey,
    FromState,
    ToState,
    AmountFen,
    TransactionId,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayRefunds {
    Table,
    Id,
    OrderId,
    OutRefundNo,
    RequestId,
    AmountFen,
    Reason,
    Automatic,
    State,
    RefundId,
    CreatedAt,
    UpdatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum PayAlarms {
    Table,
    Id,
    Kind,
    OutTradeNo,
    TransactionId,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MembershipPeriods {
    Table,
    Id,
    MemberId,
    OrderId,
    PlanId,
    Tier,
    StartsAt,
    EndsAt,
    PaidFen,
    State,
    RemindedEarlyAt,
    RemindedLastAt,
    CouponPacksGranted,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PayOrders::Table)
                    .col(pk_auto(PayOrders::Id))
                    .col(string_len_uniq(PayOrders::OutTradeNo, 32))
                    .col(string_len(PayOrders::Purpose, 32))
                    .col(string_len(PayOrders::Reference, 64))
                    .col(integer_null(PayOrders::MemberId))
                    .col(string_len_null(PayOrders::Openid, 128))
                    .col(string_len_null(PayOrders::RequestId, 64))
                    .col(string_len(PayOrders::Description, 127))
                    .col(big_integer(PayOrders::AmountFen))
                    .col(big_integer(PayOrders::RefundReservedFen).default(0))
                    .col(big_integer(PayOrders::RefundedFen).default(0))
                    .col(string_len(PayOrders::State, 24))
                    .col(string_len_null(PayOrders::PrepayId, 64))
                    .col(string_len_null(PayOrders::TransactionId, 32))
                    .col(timestamp_with_time_zone(PayOrders::CloseDueAt))
                    .col(timestamp_with_time_zone_null(PayOrders::PaidAt))
                    .col(timestamp_with_time_zone_null(PayOrders::ClosedAt))
                    .col(timestamp_with_time_zone(PayOrders::CreatedAt))
                    .col(timestamp_with_time_zone(PayOrders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // A member's request_id answers the same order.
        manager
            .create_index(
                Index::create()
                    .name("ux_pay_orders_member_request")
                    .table(PayOrders::Table)
                    .col(PayOrders::MemberId)
                    .col(PayOrders::Purpose)
                    .col(PayOrders::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_pay_orders_state_due")
                    .table(PayOrders::Table)
                    .col(PayOrders::State)
                    .col(PayOrders::CloseDueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PayOrderEvents::Table)
                    .col(pk_auto(PayOrderEvents::Id))
                    .col(integer(PayOrderEvents::OrderId))
                    .col(string_len(PayOrderEvents::Kind, 32))
                    .col(string_len(PayOrderEvents::IdemKey, 96))
                    .col(string_len_null(PayOrderEvents::FromState, 24))
                    .col(string_len_null(PayOrderEvents::ToState, 24))
                    .col(big_integer(PayOrderEvents::AmountFen).default(0))
                    .col(string_len_null(PayOrderEvents::TransactionId, 32))
                    .col(text_null(PayOrderEvents::Detail))
                    .col(timestamp_with_time_zone(PayOrderEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PayOrderEvents::Table, PayOrderEvents::OrderId)
                            .to(PayOrders::Table, PayOrders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_pay_order_events_key")
                    .table(PayOrderEvents::Table)
                    .col(PayOrderEvents::IdemKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PayRefunds::Table)
                    .col(pk_auto(PayRefunds::Id))
                    .col(integer(PayRefunds::OrderId))
                    .col(string_len_uniq(PayRefunds::OutRefundNo, 64))
                    .col(string_len(PayRefunds::RequestId, 64))
                    .col(big_integer(PayRefunds::AmountFen))
                    .col(string_len_null(PayRefunds::Reason, 80))
                    .col(boolean(PayRefunds::Automatic).default(false))
                    .col(string_len(PayRefunds::State, 16))
                    .col(string_len_null(PayRefunds::RefundId, 64))
                    .col(timestamp_with_time_zone(PayRefunds::CreatedAt))
                    .col(timestamp_with_time_zone(PayRefunds::UpdatedAt))
                    .col(timestamp_with_time_zone_null(PayRefunds::SettledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PayRefunds::Table, PayRefunds::OrderId)
                            .to(PayOrders::Table, PayOrders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_pay_refunds_order_request")
                    .table(PayRefunds::Table)
                    .col(PayRefunds::OrderId)
                    .col(PayRefunds::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PayAlarms::Table)
                    .col(pk_auto(PayAlarms::Id))
                    .col(string_len(PayAlarms::Kind, 32))
                    .col(string_len_null(PayAlarms::OutTradeNo, 64))
                    .col(string_len_null(PayAlarms::TransactionId, 64))
                    .col(text(PayAlarms::Detail))
                    .col(timestamp_with_time_zone(PayAlarms::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MembershipPeriods::Table)
                    .col(pk_auto(MembershipPeriods::Id))
                    .col(integer_null(MembershipPeriods::MemberId))
                    .col(integer_null(MembershipPeriods::OrderId))
                    .col(string_len(MembershipPeriods::PlanId, 32))
                    .col(string_len(MembershipPeriods::Tier, 16))
                    .col(timestamp_with_time_zone(MembershipPeriods::StartsAt))
                    .col(timestamp_with_time_zone(MembershipPeriods::EndsAt))
                    .col(big_integer(MembershipPeriods::PaidFen))
                    .col(string_len(MembershipPeriods::State, 16))
                    .col(timestamp_with_time_zone_null(
                        MembershipPeriods::RemindedEarlyAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        MembershipPeriods::RemindedLastAt,
                    ))
                    .col(integer(MembershipPeriods::CouponPacksGranted).default(0))
                    .col(timestamp_with_time_zone(MembershipPeriods::CreatedAt))
                    .col(timestamp_with_time_zone(MembershipPeriods::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // One period per paid order: a repeated notification cannot add a second.
        manager
            .create_index(
                Index::create()
                    .name("ux_membership_periods_order")
                    .table(MembershipPeriods::Table)
                    .col(MembershipPeriods::OrderId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_membership_periods_member")
                    .table(MembershipPeriods::Table)
                    .col(MembershipPeriods::MemberId)
                    .col(MembershipPeriods::EndsAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MembershipPeriods::Table.into_iden(),
            PayAlarms::Table.into_iden(),
            PayRefunds::Table.into_iden(),
            PayOrderEvents::Table.into_iden(),
            PayOrders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
