//! What parents see: upcoming events (those for their baby's age first) and one event with the
//! seats left, their price, and their booking or waitlist place.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{babies, baby_caregivers, event_bookings as bookings_t, events as events_t};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::bookings::{BookingView, address_of, view as booking_view};
use super::waitlist::{WaitlistView, live_entry, view as waitlist_view};
use super::{
    AgeDays, TierPrices, booking_state as bs, cancellation_policy, load_event, seat_price, status,
};
use crate::domain::time::shanghai_date;
use crate::error::{AppError, ErrorCode};
use crate::service::audience::membership::tier_on;

/// Events per page.
pub const PAGE: usize = 20;

/// An event as parents see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i32,
    pub title: String,
    pub description: String,
    /// `online_lecture` or `offline_class`.
    pub kind: String,
    pub speaker: String,
    /// The venue (offline classes): city, address and store.
    pub address: Option<String>,
    pub store_id: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub baby_age_days: Option<AgeDays>,
    pub capacity: i32,
    pub seats_left: i32,
    /// The full price of a seat, in fen.
    pub price_fen: i64,
    pub tier_prices: TierPrices,
    /// Only members of a tier with a price may book.
    pub members_only: bool,
    pub booking_from: DateTime<Utc>,
    pub booking_to: DateTime<Utc>,
    pub cancel_before: DateTime<Utc>,
    /// Stated on the event: a full refund before `cancel_before`, none after.
    pub cancellation_policy: String,
    /// `published`, `closed` (booking over), `finished` or `cancelled`.
    pub status: String,
    /// Your price of a seat (your tier's, or the full price); null: for members of a tier only.
    pub my_price_fen: Option<i64>,
    /// One of your babies (or the one asked about) is in the event's age band.
    pub suits_my_baby: bool,
    /// Your live booking, if any (with the stream link once confirmed).
    pub my_booking: Option<BookingView>,
    /// Your waitlist place, if any.
    pub my_waitlist: Option<WaitlistView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// The births to match: the baby asked about (one the member cares for), or all theirs.
async fn births<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: Option<i32>,
) -> Result<Vec<NaiveDate>, AppError> {
    let mut ids: Vec<i32> = baby_caregivers::Entity::find()
        .select_only()
        .column(baby_caregivers::Column::BabyId)
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .into_tuple()
        .all(db)
        .await?;
    if let Some(baby) = baby_id {
        if !ids.contains(&baby) {
            return Err(AppError::new(
                ErrorCode::BabyNotFound,
                "no such baby of yours",
            ));
        }
        ids = vec![baby];
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(babies::Entity::find()
        .select_only()
        .column(babies::Column::BirthDate)
        .filter(babies::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?)
}

fn suits(event: &events_t::Model, births: &[NaiveDate]) -> bool {
    let (Some(min), Some(max)) = (event.min_age_days, event.max_age_days) else {
        return false;
    };
    let day = shanghai_date(event.starts_at);
    births.iter().any(|b| {
        let age = crate::domain::time::age_days(*b, day);
        i64::from(min) <= age && age <= i64::from(max)
    })
}

async fn event_view<C: ConnectionTrait>(
    db: &C,
    event: &events_t::Model,
    member_id: i32,
    births: &[NaiveDate],
    tier: Option<crate::domain::membership::Tier>,
    mine: bool,
) -> Result<EventView, AppError> {
    let (my_booking, my_waitlist) = if mine {
        let booking = bookings_t::Entity::find()
            .filter(bookings_t::Column::EventId.eq(event.id))
            .filter(bookings_t::Column::MemberId.eq(member_id))
            .filter(bookings_t::Column::Status.is_in([bs::PENDING_PAYMENT, bs::CONFIRMED]))
            .one(db)
            .await?;
        let booking = match booking {
            Some(b) => Some(booking_view(db, &b, event).await?),
            None => None,
        };
        let entry = match live_entry(db, member_id, event.id).await? {
            Some(e) => Some(waitlist_view(db, &e).await?),
            None => None,
        };
        (booking, entry)
    } else {
        (None, None)
    };
    Ok(EventView {
        id: event.id,
        title: event.title.clone(),
        description: event.description.clone(),
        kind: event.kind.clone(),
        speaker: event.speaker.clone(),
        address: address_of(db, event).await?,
        store_id: event.store_id,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        baby_age_days: match (event.min_age_days, event.max_age_days) {
            (Some(min), Some(max)) => Some(AgeDays { min, max }),
            _ => None,
        },
        capacity: event.capacity,
        seats_left: (event.capacity - event.seats_taken).max(0),
        price_fen: event.price_fen,
        tier_prices: TierPrices::of(event),
        members_only: event.members_only,
        booking_from: event.booking_from,
        booking_to: event.booking_to,
        cancel_before: event.cancel_before,
        cancellation_policy: cancellation_policy(event),
        status: event.status.clone(),
        my_price_fen: seat_price(event, tier),
        suits_my_baby: suits(event, births),
        my_booking,
        my_waitlist,
    })
}

fn visible(event: &events_t::Model) -> bool {
    event.status != status::DRAFT && event.status != status::PROPOSED
}

/// Upcoming published events (booking open or closed), of `kind` if given: those whose age band
/// holds the baby (`baby_id`, or any of the member's babies) first, then by start.
pub async fn list(
    db: &DatabaseConnection,
    member_id: i32,
    kind: Option<&str>,
    baby_id: Option<i32>,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<EventPage, AppError> {
    if let Some(k) = kind
        && k != super::kind::ONLINE_LECTURE
        && k != super::kind::OFFLINE_CLASS
    {
        return Err(AppError::new(
            ErrorCode::InvalidQuery,
            "kind must be online_lecture or offline_class",
        ));
    }
    let offset: usize = match cursor {
        None => 0,
        Some(c) => c
            .parse()
            .map_err(|_| AppError::new(ErrorCode::InvalidCursor, "cursor is not one we gave"))?,
    };
    let births = births(db, member_id, baby_id).await?;
    let mut query = events_t::Entity::find()
        .filter(events_t::Column::Status.is_in([status::PUBLISHED, status::CLOSED]))
        .filter(events_t::Column::StartsAt.gt(now))
        .order_by_asc(events_t::Column::StartsAt)
        .order_by_asc(events_t::Column::Id)
        .limit(1000);
    if let Some(k) = kind {
        query = query.filter(events_t::Column::Kind.eq(k));
    }
    let mut rows = query.all(db).await?;
    // Stable: within each group the order of start stays.
    rows.sort_by_key(|e| !suits(e, &births));
    let tier = tier_on(db, member_id, now).await?;
    let mut events = Vec::new();
    for event in rows.iter().skip(offset).take(PAGE) {
        events.push(event_view(db, event, member_id, &births, tier, true).await?);
    }
    let next = offset + events.len();
    Ok(EventPage {
        next_cursor: (next < rows.len()).then(|| next.to_string()),
        events,
    })
}

/// One event (not drafts), with the member's price, booking and waitlist place.
pub async fn detail(
    db: &DatabaseConnection,
    member_id: i32,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<EventView, AppError> {
    let event = load_event(db, event_id).await?;
    if !visible(&event) {
        return Err(super::event_not_found());
    }
    let births = births(db, member_id, None).await?;
    let tier = tier_on(db, member_id, now).await?;
    event_view(db, &event, member_id, &births, tier, true).await
}
