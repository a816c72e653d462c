//! Expert lectures and offline classes: `events` (with the seats taken, moved only by guarded
//! updates), `event_bookings` (one live booking per member and event), `event_waitlist` (in
//! order), `event_seat_moves` (the append-only history of seats, keyed by what must happen once),
//! and check-in: `event_check_in_codes` (rotating single-use codes, hashed) and
//! `event_check_ins` (one per booking).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Title,
    Description,
    Kind,
    Speaker,
    StoreId,
    MerchantId,
    StreamUrl,
    StartsAt,
    EndsAt,
    MinAgeDays,
    MaxAgeDays,
    Capacity,
    SeatsTaken,
    PriceFen,
    BasicPriceFen,
    AdvancedPriceFen,
    PremiumPriceFen,
    MembersOnly,
    BookingFrom,
    BookingTo,
    CancelBefore,
    Status,
    ProposedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventBookings {
    Table,
    Id,
    EventId,
    MemberId,
    LiveMemberId,
    Seats,
    Status,
    PriceFen,
    RequestId,
    PayOrderId,
    HoldDueAt,
    WaitlistId,
    ConfirmedAt,
    CancelledAt,
    RefundFen,
    CheckedInAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventWaitlist {
    Table,
    Id,
    EventId,
    MemberId,
    LiveMemberId,
    Seats,
    Status,
    OfferedAt,
    OfferDueAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventSeatMoves {
    Table,
    Id,
    EventId,
    BookingId,
    WaitlistId,
    Kind,
    Seats,
    IdemKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventCheckInCodes {
    Table,
    Id,
    BookingId,
    CodeHash,
    Status,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventCheckIns {
    Table,
    Id,
    BookingId,
    EventId,
    MerchantId,
    StoreId,
    StaffId,
    RequestId,
    CheckedInAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk_auto(Events::Id))
                    .col(string_len(Events::Title, 64))
                    .col(text(Events::Description))
                    .col(string_len(Events::Kind, 16))
                    .col(string_len(Events::Speaker, 64))
                    .col(integer_null(Events::StoreId))
                    .col(integer_null(Events::MerchantId))
                    .col(string_len_null(Events::StreamUrl, 512))
                    .col(timestamp_with_time_zone(Events::StartsAt))
                    .col(timestamp_with_time_zone(Events::EndsAt))
                    .col(integer_null(Events::MinAgeDays))
                    .col(integer_null(Events::MaxAgeDays))
                    .col(integer(Events::Capacity))
                    .col(integer(Events::SeatsTaken).default(0))
                    .col(big_integer(Events::PriceFen))
                    .col(big_integer_null(Events::BasicPriceFen))
                    .col(big_integer_null(Events::AdvancedPriceFen))
                    .col(big_integer_null(Events::PremiumPriceFen))
                    .col(boolean(Events::MembersOnly).default(false))
                    .col(timestamp_with_time_zone(Events::BookingFrom))
                    .col(timestamp_with_time_zone(Events::BookingTo))
                    .col(timestamp_with_time_zone(Events::CancelBefore))
                    .col(string_len(Events::Status, 16))
                    .col(integer_null(Events::ProposedBy))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .col(timestamp_with_time_zone(Events::UpdatedAt))
                    .check(Expr::col(Events::SeatsTaken).gte(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_status_starts")
                    .table(Events::Table)
                    .col(Events::Status)
                    .col(Events::StartsAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventBookings::Table)
                    .col(pk_auto(EventBookings::Id))
                    .col(integer(EventBookings::EventId))
                    .col(integer_null(EventBookings::MemberId))
                    .col(integer_null(EventBookings::LiveMemberId))
                    .col(integer(EventBookings::Seats))
                    .col(string_len(EventBookings::Status, 24))
                    .col(big_integer(EventBookings::PriceFen))
                    .col(string_len(EventBookings::RequestId, 64))
                    .col(integer_null(EventBookings::PayOrderId))
                    .col(timestamp_with_time_zone_null(EventBookings::HoldDueAt))
                    .col(integer_null(EventBookings::WaitlistId))
                    .col(timestamp_with_time_zone_null(EventBookings::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(EventBookings::CancelledAt))
                    .col(big_integer(EventBookings::RefundFen).default(0))
                    .col(timestamp_with_time_zone_null(EventBookings::CheckedInAt))
                    .col(timestamp_with_time_zone(EventBookings::CreatedAt))
                    .col(timestamp_with_time_zone(EventBookings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventBookings::Table, EventBookings::EventId)
                            .to(Events::Table, Events::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One live (pending or confirmed) booking per member and event; NULLs never collide,
        // so a cancelled or released booking leaves room for a new one.
        manager
            .create_index(
                Index::create()
                    .name("ux_event_bookings_live_member")
                    .table(EventBookings::Table)
                    .col(EventBookings::EventId)
                    .col(EventBookings::LiveMemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_bookings_member")
                    .table(EventBookings::Table)
                    .col(EventBookings::MemberId)
                    .col(EventBookings::EventId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_bookings_status_hold")
                    .table(EventBookings::Table)
                    .col(EventBookings::Status)
                    .col(EventBookings::HoldDueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventWaitlist::Table)
                    .col(pk_auto(EventWaitlist::Id))
                    .col(integer(EventWaitlist::EventId))
                    .col(integer_null(EventWaitlist::MemberId))
                    .col(integer_null(EventWaitlist::LiveMemberId))
                    .col(integer(EventWaitlist::Seats))
                    .col(string_len(EventWaitlist::Status, 16))
                    .col(timestamp_with_time_zone_null(EventWaitlist::OfferedAt))
                    .col(timestamp_with_time_zone_null(EventWaitlist::OfferDueAt))
                    .col(timestamp_with_time_zone(EventWaitlist::CreatedAt))
                    .col(timestamp_with_time_zone(EventWaitlist::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventWaitlist::Table, EventWaitlist::EventId)
                            .to(Events::Table, Events::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_event_waitlist_live_member")
                    .table(EventWaitlist::Table)
                    .col(EventWaitlist::EventId)
                    .col(EventWaitlist::LiveMemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_waitlist_event_status")
                    .table(EventWaitlist::Table)
                    .col(EventWaitlist::EventId)
                    .col(EventWaitlist::Status)
                    .col(EventWaitlist::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventSeatMoves::Table)
                    .col(pk_auto(EventSeatMoves::Id))
                    .col(integer(EventSeatMoves::EventId))
                    .col(integer_null(EventSeatMoves::BookingId))
                    .col(integer_null(EventSeatMoves::WaitlistId))
                    .col(string_len(EventSeatMoves::Kind, 24))
                    .col(integer(EventSeatMoves::Seats))
                    .col(string_len(EventSeatMoves::IdemKey, 96))
                    .col(timestamp_with_time_zone(EventSeatMoves::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_event_seat_moves_key")
                    .table(EventSeatMoves::Table)
                    .col(EventSeatMoves::IdemKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventCheckInCodes::Table)
                    .col(pk_auto(EventCheckInCodes::Id))
                    .col(integer(EventCheckInCodes::BookingId))
                    .col(string_len_uniq(EventCheckInCodes::CodeHash, 64))
                    .col(string_len(EventCheckInCodes::Status, 16))
                    .col(timestamp_with_time_zone(EventCheckInCodes::ExpiresAt))
                    .col(timestamp_with_time_zone(EventCheckInCodes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_check_in_codes_booking")
                    .table(EventCheckInCodes::Table)
                    .col(EventCheckInCodes::BookingId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventCheckIns::Table)
                    .col(pk_auto(EventCheckIns::Id))
                    .col(integer_uniq(EventCheckIns::BookingId))
                    .col(integer(EventCheckIns::EventId))
                    .col(integer(EventCheckIns::MerchantId))
                    .col(integer_null(EventCheckIns::StoreId))
                    .col(integer(EventCheckIns::StaffId))
                    .col(string_len(EventCheckIns::RequestId, 64))
                    .col(timestamp_with_time_zone(EventCheckIns::CheckedInAt))
                    .to_owned(),
            )
            .await?;
        // A counter's request_id answers the same check-in.
        manager
            .create_index(
                Index::create()
                    .name("ux_event_check_ins_request")
                    .table(EventCheckIns::Table)
                    .col(EventCheckIns::MerchantId)
                    .col(EventCheckIns::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EventCheckIns::Table.into_iden(),
            EventCheckInCodes::Table.into_iden(),
            EventSeatMoves::Table.into_iden(),
            EventWaitlist::Table.into_iden(),
            EventBookings::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
