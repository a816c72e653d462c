//! Expert lectures (online, live) and offline classes at partner stores: operators manage them
//! (merchant owners propose classes at their stores), parents book seats, wait in line, cancel,
//! and are checked in at the venue.
//!
//! - **Seats.** `events.seats_taken` counts the seats of live bookings (`pending_payment`,
//!   `confirmed`) and of open waitlist offers. It moves only through [`ledger::apply`]: an
//!   `event_seat_moves` row keyed by what must happen once (`book:<booking>`,
//!   `release:<booking>`, `offer:<entry>` ...) and a guarded update (`seats_taken + n <=
//!   capacity`), so parallel bookings never exceed the capacity.
//! - **Bookings** ([`bookings`]): one live booking per member and event (a unique index on
//!   `live_member_id`), 1-3 seats. A free booking confirms at once; a paid one holds its seats for
//!   [`HOLD`] while the parent pays a `pay_orders` row of purpose [`PURPOSE`], confirmed by the
//!   payment ([`Fulfilment`]) or released by the job at its persisted `hold_due_at`, which closes
//!   the pay order in the same transaction (a payment after that is refunded by payments).
//! - **Waitlist** ([`waitlist`]): in order; freed seats are offered to the head of the line
//!   through the outbox, held for [`OFFER_WINDOW`], then offered to the next.
//! - **Cancellation**: before `cancel_before` a paid booking is refunded in full; after it,
//!   nothing is refunded (the event says so). An operator's cancellation of the event refunds
//!   every paid booking.
//! - **Reminders** ([`reminders`]) the day before and an hour before, through the outbox.
//! - **Check-in** ([`check_in`]): a rotating single-use code (coupons' codes), checked in once by
//!   staff of the event's store; attendance earns points (`event_attended`, a rule as data).

pub mod admin;
pub mod bookings;
pub mod check_in;
pub mod listing;
pub mod privacy;
pub mod reminders;
pub mod waitlist;

use chrono::{DateTime, Duration, Utc};
use entity::{event_bookings as bookings_t, event_seat_moves as moves, events as events_t};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::membership::Tier;
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::Guard;

pub use bookings::Fulfilment;

/// `pay_orders.purpose` of a booking's payment; `reference` is the booking id.
pub const PURPOSE: &str = "event_booking";
/// How long a paid booking holds its seats while the parent pays.
pub const HOLD: Duration = Duration::minutes(15);
/// How long a waitlist offer holds its seats.
pub const OFFER_WINDOW: Duration = Duration::hours(2);
/// Seats one booking may take (a parent, a partner, a baby who needs one).
pub const MAX_SEATS: i32 = 3;

pub mod status {
    pub const PROPOSED: &str = "proposed";
    pub const DRAFT: &str = "draft";
    pub const PUBLISHED: &str = "published";
    pub const CLOSED: &str = "closed";
    pub const FINISHED: &str = "finished";
    pub const CANCELLED: &str = "cancelled";
}

pub mod booking_state {
    pub const PENDING_PAYMENT: &str = "pending_payment";
    pub const CONFIRMED: &str = "confirmed";
    pub const CANCELLED: &str = "cancelled";
    pub const RELEASED: &str = "released";
}

pub mod wait_state {
    pub const WAITING: &str = "waiting";
    pub const OFFERED: &str = "offered";
    pub const ACCEPTED: &str = "accepted";
    pub const EXPIRED: &str = "expired";
    pub const LEFT: &str = "left";
}

pub mod kind {
    pub const ONLINE_LECTURE: &str = "online_lecture";
    pub const OFFLINE_CLASS: &str = "offline_class";
}

/// The baby ages (in days at the event's date) an event suits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeDays {
    pub min: i32,
    pub max: i32,
}

/// A price in fen per seat for members of each tier; null: the full price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierPrices {
    #[serde(default)]
    pub basic: Option<i64>,
    #[serde(default)]
    pub advanced: Option<i64>,
    #[serde(default)]
    pub premium: Option<i64>,
}

impl TierPrices {
    pub fn of(event: &events_t::Model) -> Self {
        TierPrices {
            basic: event.basic_price_fen,
            advanced: event.advanced_price_fen,
            premium: event.premium_price_fen,
        }
    }

    fn get(&self, tier: Tier) -> Option<i64> {
        match tier {
            Tier::Basic => self.basic,
            Tier::Advanced => self.advanced,
            Tier::Premium => self.premium,
        }
    }
}

/// The price of one seat for a member of `tier` (None: no tier): the tier's price where the
/// event has one, the full price otherwise. None when the event is for members of a priced tier
/// only and the member is not one.
pub fn seat_price(event: &events_t::Model, tier: Option<Tier>) -> Option<i64> {
    let tiered = tier.and_then(|t| TierPrices::of(event).get(t));
    match tiered {
        Some(price) => Some(price),
        None if event.members_only => None,
        None => Some(event.price_fen),
    }
}

/// What the event says about cancelling.
pub fn cancellation_policy(event: &events_t::Model) -> String {
    format!(
        "Cancel before {} for a full refund; after it, bookings are not refunded.",
        event
            .cancel_before
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

pub(crate) fn event_not_found() -> AppError {
    AppError::new(ErrorCode::EventNotFound, "no such event")
}

pub(crate) fn event_full() -> AppError {
    AppError::new(
        ErrorCode::EventFull,
        "no seats left for this booking: join the waitlist",
    )
}

pub(crate) fn booking_not_found() -> AppError {
    AppError::new(ErrorCode::BookingNotFound, "no such booking of yours")
}

fn internal(what: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("{what}"))
}

pub(crate) fn check_seats(seats: i32) -> Result<i32, AppError> {
    if (1..=MAX_SEATS).contains(&seats) {
        Ok(seats)
    } else {
        Err(AppError::new(
            ErrorCode::InvalidSeats,
            format!("seats must be 1-{MAX_SEATS}"),
        ))
    }
}

/// A seat move (the ledger event of a change of `seats_taken`).
pub(crate) fn seat_move(
    event_id: i32,
    booking_id: Option<i32>,
    waitlist_id: Option<i32>,
    kind: &str,
    seats: i32,
    key: String,
    now: DateTime<Utc>,
) -> moves::ActiveModel {
    moves::ActiveModel {
        event_id: Set(event_id),
        booking_id: Set(booking_id),
        waitlist_id: Set(waitlist_id),
        kind: Set(kind.to_owned()),
        seats: Set(seats),
        idem_key: Set(key),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Takes `seats` while they fit the capacity; with `queue_first`, only while nobody waits on
/// the waitlist either (a freed seat belongs to the head of the line).
pub(crate) fn take_seats(
    event_id: i32,
    seats: i32,
    queue_first: bool,
    now: DateTime<Utc>,
) -> Guard {
    let moved = Expr::col(events_t::Column::SeatsTaken).add(seats);
    let mut update = events_t::Entity::update_many()
        .col_expr(events_t::Column::SeatsTaken, moved.clone())
        .col_expr(events_t::Column::UpdatedAt, Expr::value(now))
        .filter(events_t::Column::Id.eq(event_id))
        .filter(Expr::expr(moved).lte(Expr::col(events_t::Column::Capacity)));
    if queue_first {
        update = update.filter(Expr::cust_with_values(
            "NOT EXISTS (SELECT 1 FROM event_waitlist w WHERE w.event_id = $1 AND w.status = $2)",
            [
                sea_orm::Value::from(event_id),
                sea_orm::Value::from(wait_state::WAITING),
            ],
        ));
    }
    Guard::new(update, event_full())
}

/// Frees `seats` (never below zero).
pub(crate) fn free_seats(event_id: i32, seats: i32, now: DateTime<Utc>) -> Guard {
    Guard::delta(
        events_t::Entity::update_many()
            .col_expr(events_t::Column::UpdatedAt, Expr::value(now))
            .filter(events_t::Column::Id.eq(event_id)),
        events_t::Column::SeatsTaken,
        -i64::from(seats),
        internal("an event's seats would go below zero"),
    )
}

pub(crate) async fn load_event<C: ConnectionTrait>(
    db: &C,
    event_id: i32,
) -> Result<events_t::Model, AppError> {
    events_t::Entity::find_by_id(event_id)
        .one(db)
        .await?
        .ok_or_else(event_not_found)
}

/// The member's booking; another member's is not found.
pub(crate) async fn own_booking<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    booking_id: i32,
) -> Result<bookings_t::Model, AppError> {
    bookings_t::Entity::find_by_id(booking_id)
        .filter(bookings_t::Column::MemberId.eq(member_id))
        .one(db)
        .await?
        .ok_or_else(booking_not_found)
}

/// The event is open for booking at `now`.
pub(crate) fn bookable(event: &events_t::Model, now: DateTime<Utc>) -> Result<(), AppError> {
    if event.status != status::PUBLISHED || now < event.booking_from || now >= event.booking_to {
        return Err(AppError::new(
            ErrorCode::BookingClosed,
            "the event is not open for booking now",
        ));
    }
    Ok(())
}

/// Where a booking notice opens the mini-program.
pub(crate) const BOOKINGS_PAGE: &str = "pages/events/bookings";
