//! Operators manage events (validated, audited): create as a draft, edit, publish, cancel (every
//! live booking cancelled, paid ones refunded in full); bookings, waitlist, attendance and
//! no-shows per event, and a CSV export. Merchant owners propose offline classes at their
//! stores; an operator publishes (approves) or cancels (rejects) the proposal.

use chrono::{DateTime, Utc};
use entity::{
    event_bookings as bookings_t, event_waitlist as wait_t, events as events_t, merchant_stores,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::{self as booking_ops, is_offline};
use super::{AgeDays, TierPrices, booking_state as bs, kind, load_event, status, wait_state as ws};
use crate::domain::push::QuietHours;
use crate::error::{AppError, ErrorCode};
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::{optional_text, required_text};
use crate::wechat::pay::PayClient;

/// An event as operators write it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// 1-64 characters.
    pub title: String,
    /// Up to 500 characters.
    #[serde(default)]
    pub description: String,
    /// `online_lecture` or `offline_class`.
    pub kind: String,
    /// The expert (1-64 characters).
    pub speaker: String,
    /// The venue: a merchant's store (offline classes only).
    #[serde(default)]
    pub store_id: Option<i32>,
    /// The live stream, `https://...` (online lectures only).
    #[serde(default)]
    pub stream_url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The baby ages (days, at the event's date) it suits; null: any.
    #[serde(default)]
    pub baby_age_days: Option<AgeDays>,
    /// Seats, 1-10000.
    pub capacity: i32,
    /// The full price of a seat in fen (0: free), up to 10000000.
    pub price_fen: i64,
    /// Per tier, a seat's price in fen (0: free) or null (the full price).
    #[serde(default)]
    pub tier_prices: TierPrices,
    /// Only members of a tier with a price in `tier_prices` may book (others get 403
    /// `tier_required`).
    #[serde(default)]
    pub members_only: bool,
    pub booking_from: DateTime<Utc>,
    pub booking_to: DateTime<Utc>,
    /// Cancelling before this refunds in full; after it, nothing.
    pub cancel_before: DateTime<Utc>,
}

/// An event as operators see it, with its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminEventView {
    pub id: i32,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub speaker: String,
    pub store_id: Option<i32>,
    pub merchant_id: Option<i32>,
    pub stream_url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub baby_age_days: Option<AgeDays>,
    pub capacity: i32,
    /// Seats of live bookings and open waitlist offers.
    pub seats_taken: i32,
    pub price_fen: i64,
    pub tier_prices: TierPrices,
    pub members_only: bool,
    pub booking_from: DateTime<Utc>,
    pub booking_to: DateTime<Utc>,
    pub cancel_before: DateTime<Utc>,
    /// `proposed`, `draft`, `published`, `closed`, `finished` or `cancelled`.
    pub status: String,
    /// The merchant staff member who proposed it.
    pub proposed_by: Option<i32>,
    pub confirmed_bookings: u64,
    pub confirmed_seats: i64,
    pub pending_bookings: u64,
    pub waiting: u64,
    /// Confirmed bookings checked in.
    pub attended: u64,
    /// Confirmed bookings of an offline class that ended without a check-in.
    pub no_shows: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A booking as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminBookingView {
    pub id: i32,
    /// Null after the member's erasure.
    pub member_id: Option<i32>,
    pub seats: i32,
    pub status: String,
    pub price_fen: i64,
    pub refund_fen: i64,
    pub pay_order_id: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub no_show: bool,
}

/// A waitlist place as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminWaitlistView {
    pub id: i32,
    pub member_id: Option<i32>,
    pub seats: i32,
    pub status: String,
    pub offered_at: Option<DateTime<Utc>>,
    pub offer_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventBookings {
    pub bookings: Vec<AdminBookingView>,
    /// In order.
    pub waitlist: Vec<AdminWaitlistView>,
}

fn bad(code: ErrorCode, message: &str) -> AppError {
    AppError::new(code, message)
}

/// A validated input, as the row's columns.
struct Checked {
    title: String,
    description: String,
    kind: String,
    speaker: String,
    store_id: Option<i32>,
    merchant_id: Option<i32>,
    stream_url: Option<String>,
    input: EventInput,
}

async fn check<C: ConnectionTrait>(db: &C, input: &EventInput) -> Result<Checked, AppError> {
    let title = required_text(&input.title, 64, ErrorCode::InvalidTitle, "title")?;
    let description = optional_text(
        Some(&input.description),
        500,
        ErrorCode::InvalidDescription,
        "description",
    )?
    .unwrap_or_default();
    let speaker = required_text(&input.speaker, 64, ErrorCode::InvalidSpeaker, "speaker")?;
    let kind = input.kind.trim();
    if kind != kind::ONLINE_LECTURE && kind != kind::OFFLINE_CLASS {
        return Err(bad(
            ErrorCode::InvalidEventKind,
            "kind must be online_lecture or offline_class",
        ));
    }
    let venue = |m: &str| bad(ErrorCode::InvalidEventVenue, m);
    let stream_url = optional_text(
        input.stream_url.as_deref(),
        512,
        ErrorCode::InvalidEventVenue,
        "stream_url",
    )?;
    let (store_id, merchant_id) = if kind == kind::OFFLINE_CLASS {
        if stream_url.is_some() {
            return Err(venue("an offline class has a store, not a stream_url"));
        }
        let store_id = input
            .store_id
            .ok_or_else(|| venue("an offline class needs store_id"))?;
        let store = merchant_stores::Entity::find_by_id(store_id)
            .one(db)
            .await?
            .ok_or_else(|| venue("store_id names no store"))?;
        (Some(store_id), Some(store.merchant_id))
    } else {
        if input.store_id.is_some() {
            return Err(venue("an online lecture has a stream_url, not a store"));
        }
        match &stream_url {
            Some(url)
                if url.starts_with("https://")
                    && url.len() > "https://".len()
                    && !url.contains(char::is_whitespace) => {}
            _ => return Err(venue("an online lecture needs an https:// stream_url")),
        }
        (None, None)
    };
    let t = input;
    if !(t.booking_from < t.booking_to
        && t.booking_to <= t.starts_at
        && t.starts_at < t.ends_at
        && t.cancel_before <= t.starts_at)
    {
        return Err(bad(
            ErrorCode::InvalidEventTimes,
            "times must be booking_from < booking_to <= starts_at < ends_at, cancel_before <= starts_at",
        ));
    }
    if let Some(band) = t.baby_age_days
        && !(0 <= band.min && band.min <= band.max && band.max <= 6575)
    {
        return Err(bad(
            ErrorCode::InvalidAgeBand,
            "baby_age_days must be 0 <= min <= max <= 6575",
        ));
    }
    if !(1..=10_000).contains(&t.capacity) {
        return Err(bad(ErrorCode::InvalidCapacity, "capacity must be 1-10000"));
    }
    if !(0..=10_000_000).contains(&t.price_fen) {
        return Err(bad(
            ErrorCode::InvalidEventPrice,
            "price_fen must be 0-10000000",
        ));
    }
    let tiers = [
        t.tier_prices.basic,
        t.tier_prices.advanced,
        t.tier_prices.premium,
    ];
    if tiers
        .iter()
        .flatten()
        .any(|p| !(0..=t.price_fen).contains(p))
    {
        return Err(bad(
            ErrorCode::InvalidEventPrice,
            "a tier price must be 0 to price_fen",
        ));
    }
    if t.members_only && tiers.iter().all(Option::is_none) {
        return Err(bad(
            ErrorCode::InvalidEventPrice,
            "a members_only event needs a price for at least one tier",
        ));
    }
    Ok(Checked {
        title,
        description,
        kind: kind.to_owned(),
        speaker,
        store_id,
        merchant_id,
        stream_url,
        input: t.clone(),
    })
}

fn target(id: i32) -> Option<Target> {
    Some(Target {
        kind: "event",
        id: id.to_string(),
    })
}

fn new_row(
    c: Checked,
    status: &str,
    proposed_by: Option<i32>,
    now: DateTime<Utc>,
) -> events_t::ActiveModel {
    let i = c.input;
    events_t::ActiveModel {
        title: Set(c.title),
        description: Set(c.description),
        kind: Set(c.kind),
        speaker: Set(c.speaker),
        store_id: Set(c.store_id),
        merchant_id: Set(c.merchant_id),
        stream_url: Set(c.stream_url),
        starts_at: Set(i.starts_at),
        ends_at: Set(i.ends_at),
        min_age_days: Set(i.baby_age_days.map(|b| b.min)),
        max_age_days: Set(i.baby_age_days.map(|b| b.max)),
        capacity: Set(i.capacity),
        seats_taken: Set(0),
        price_fen: Set(i.price_fen),
        basic_price_fen: Set(i.tier_prices.basic),
        advanced_price_fen: Set(i.tier_prices.advanced),
        premium_price_fen: Set(i.tier_prices.premium),
        members_only: Set(i.members_only),
        booking_from: Set(i.booking_from),
        booking_to: Set(i.booking_to),
        cancel_before: Set(i.cancel_before),
        status: Set(status.to_owned()),
        proposed_by: Set(proposed_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Creates a draft (audited).
pub async fn create(
    db: &DatabaseConnection,
    by: &Actor,
    input: &EventInput,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    let checked = check(db, input).await?;
    let txn = db.begin().await?;
    let row = new_row(checked, status::DRAFT, None, now)
        .insert(&txn)
        .await?;
    audit::record(&txn, by, "event.create", target(row.id), now).await?;
    txn.commit().await?;
    admin_view(db, row, now).await
}

/// A merchant owner's proposal of an offline class at one of their stores (audited); an
/// operator publishes or cancels it.
pub async fn propose(
    db: &DatabaseConnection,
    by: &Actor,
    merchant_id: i32,
    input: &EventInput,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    let checked = check(db, input).await?;
    if checked.kind != kind::OFFLINE_CLASS || checked.merchant_id != Some(merchant_id) {
        return Err(bad(
            ErrorCode::InvalidEventVenue,
            "a merchant proposes offline classes at its own stores",
        ));
    }
    let txn = db.begin().await?;
    let row = new_row(checked, status::PROPOSED, Some(by.id), now)
        .insert(&txn)
        .await?;
    audit::record(&txn, by, "event.propose", target(row.id), now).await?;
    txn.commit().await?;
    admin_view(db, row, now).await
}

/// A merchant's events (its proposals and everything at its stores; a clerk's: at their
/// store), newest first.
pub async fn of_merchant(
    db: &DatabaseConnection,
    merchant_id: i32,
    store_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Vec<AdminEventView>, AppError> {
    let mut query = events_t::Entity::find()
        .filter(events_t::Column::MerchantId.eq(merchant_id))
        .order_by_desc(events_t::Column::Id);
    if let Some(store) = store_id {
        query = query.filter(events_t::Column::StoreId.eq(store));
    }
    let rows = query.all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(admin_view(db, row, now).await?);
    }
    Ok(out)
}

fn state_conflict(message: &str) -> AppError {
    AppError::new(ErrorCode::EventStateConflict, message)
}

/// Edits an event not yet over (audited). The capacity never goes below the seats taken.
pub async fn edit(
    db: &DatabaseConnection,
    by: &Actor,
    event_id: i32,
    input: &EventInput,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    let current = load_event(db, event_id).await?;
    let checked = check(db, input).await?;
    let editable = [
        status::PROPOSED,
        status::DRAFT,
        status::PUBLISHED,
        status::CLOSED,
    ];
    if !editable.contains(&current.status.as_str()) {
        return Err(state_conflict(
            "a finished or cancelled event cannot be edited",
        ));
    }
    let i = &checked.input;
    let txn = db.begin().await?;
    let moved = events_t::Entity::update_many()
        .col_expr(events_t::Column::Title, Expr::value(checked.title.clone()))
        .col_expr(
            events_t::Column::Description,
            Expr::value(checked.description.clone()),
        )
        .col_expr(events_t::Column::Kind, Expr::value(checked.kind.clone()))
        .col_expr(
            events_t::Column::Speaker,
            Expr::value(checked.speaker.clone()),
        )
        .col_expr(events_t::Column::StoreId, Expr::value(checked.store_id))
        .col_expr(
            events_t::Column::MerchantId,
            Expr::value(checked.merchant_id),
        )
        .col_expr(
            events_t::Column::StreamUrl,
            Expr::value(checked.stream_url.clone()),
        )
        .col_expr(events_t::Column::StartsAt, Expr::value(i.starts_at))
        .col_expr(events_t::Column::EndsAt, Expr::value(i.ends_at))
        .col_expr(
            events_t::Column::MinAgeDays,
            Expr::value(i.baby_age_days.map(|b| b.min)),
        )
        .col_expr(
            events_t::Column::MaxAgeDays,
            Expr::value(i.baby_age_days.map(|b| b.max)),
        )
        .col_expr(events_t::Column::Capacity, Expr::value(i.capacity))
        .col_expr(events_t::Column::PriceFen, Expr::value(i.price_fen))
        .col_expr(
            events_t::Column::BasicPriceFen,
            Expr::value(i.tier_prices.basic),
        )
        .col_expr(
            events_t::Column::AdvancedPriceFen,
            Expr::value(i.tier_prices.advanced),
        )
        .col_expr(
            events_t::Column::PremiumPriceFen,
            Expr::value(i.tier_prices.premium),
        )
        .col_expr(events_t::Column::MembersOnly, Expr::value(i.members_only))
        .col_expr(events_t::Column::BookingFrom, Expr::value(i.booking_from))
        .col_expr(events_t::Column::BookingTo, Expr::value(i.booking_to))
        .col_expr(events_t::Column::CancelBefore, Expr::value(i.cancel_before))
        .col_expr(events_t::Column::UpdatedAt, Expr::value(now))
        .filter(events_t::Column::Id.eq(event_id))
        .filter(events_t::Column::Status.is_in(editable))
        .filter(events_t::Column::SeatsTaken.lte(i.capacity))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        drop(txn);
        let now_row = load_event(db, event_id).await?;
        return Err(if now_row.seats_taken > i.capacity {
            AppError::new(
                ErrorCode::CapacityBelowTaken,
                format!("{} seats are taken already", now_row.seats_taken),
            )
        } else {
            state_conflict("a finished or cancelled event cannot be edited")
        });
    }
    audit::record(&txn, by, "event.edit", target(event_id), now).await?;
    txn.commit().await?;
    admin_view(db, load_event(db, event_id).await?, now).await
}

/// Publishes a draft, or approves a merchant's proposal (audited).
pub async fn publish(
    db: &DatabaseConnection,
    by: &Actor,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    transition(
        db,
        by,
        event_id,
        &[status::DRAFT, status::PROPOSED],
        status::PUBLISHED,
        "event.publish",
        now,
    )
    .await?;
    admin_view(db, load_event(db, event_id).await?, now).await
}

async fn transition(
    db: &DatabaseConnection,
    by: &Actor,
    event_id: i32,
    from: &[&str],
    to: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    load_event(db, event_id).await?;
    let txn = db.begin().await?;
    let moved = events_t::Entity::update_many()
        .col_expr(events_t::Column::Status, Expr::value(to))
        .col_expr(events_t::Column::UpdatedAt, Expr::value(now))
        .filter(events_t::Column::Id.eq(event_id))
        .filter(events_t::Column::Status.is_in(from.iter().copied()))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(state_conflict(&format!(
            "only an event that is {} can become {to}",
            from.join(" or ")
        )));
    }
    audit::record(&txn, by, action, target(event_id), now).await?;
    txn.commit().await?;
    Ok(())
}

/// Cancels an event not yet over (audited): every live booking is cancelled and paid ones are
/// refunded in full; the waitlist closes; members are told.
pub async fn cancel(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    by: &Actor,
    event_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    transition(
        db,
        by,
        event_id,
        &[
            status::PROPOSED,
            status::DRAFT,
            status::PUBLISHED,
            status::CLOSED,
        ],
        status::CANCELLED,
        "event.cancel",
        now,
    )
    .await?;
    booking_ops::cancel_all(db, pay, event_id, quiet, now).await?;
    admin_view(db, load_event(db, event_id).await?, now).await
}

/// Every event, soonest first (of `status` if given).
pub async fn list(
    db: &DatabaseConnection,
    status_filter: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<AdminEventView>, AppError> {
    let mut query = events_t::Entity::find()
        .order_by_asc(events_t::Column::StartsAt)
        .order_by_asc(events_t::Column::Id);
    if let Some(s) = status_filter {
        let known = [
            status::PROPOSED,
            status::DRAFT,
            status::PUBLISHED,
            status::CLOSED,
            status::FINISHED,
            status::CANCELLED,
        ];
        if !known.contains(&s) {
            return Err(AppError::new(
                ErrorCode::InvalidQuery,
                "status must be proposed, draft, published, closed, finished or cancelled",
            ));
        }
        query = query.filter(events_t::Column::Status.eq(s));
    }
    let rows = query.all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(admin_view(db, row, now).await?);
    }
    Ok(out)
}

pub async fn get(
    db: &DatabaseConnection,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    admin_view(db, load_event(db, event_id).await?, now).await
}

fn no_show(event: &events_t::Model, b: &bookings_t::Model, now: DateTime<Utc>) -> bool {
    is_offline(event)
        && b.status == bs::CONFIRMED
        && b.checked_in_at.is_none()
        && now >= event.ends_at
}

async fn admin_view(
    db: &DatabaseConnection,
    e: events_t::Model,
    now: DateTime<Utc>,
) -> Result<AdminEventView, AppError> {
    let bookings = bookings_t::Entity::find()
        .filter(bookings_t::Column::EventId.eq(e.id))
        .all(db)
        .await?;
    let waiting = wait_t::Entity::find()
        .filter(wait_t::Column::EventId.eq(e.id))
        .filter(wait_t::Column::Status.eq(ws::WAITING))
        .all(db)
        .await?
        .len() as u64;
    let confirmed: Vec<&bookings_t::Model> = bookings
        .iter()
        .filter(|b| b.status == bs::CONFIRMED)
        .collect();
    Ok(AdminEventView {
        confirmed_bookings: confirmed.len() as u64,
        confirmed_seats: confirmed.iter().map(|b| i64::from(b.seats)).sum(),
        pending_bookings: bookings
            .iter()
            .filter(|b| b.status == bs::PENDING_PAYMENT)
            .count() as u64,
        waiting,
        attended: confirmed
            .iter()
            .filter(|b| b.checked_in_at.is_some())
            .count() as u64,
        no_shows: confirmed.iter().filter(|b| no_show(&e, b, now)).count() as u64,
        id: e.id,
        title: e.title.clone(),
        description: e.description.clone(),
        kind: e.kind.clone(),
        speaker: e.speaker.clone(),
        store_id: e.store_id,
        merchant_id: e.merchant_id,
        stream_url: e.stream_url.clone(),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        baby_age_days: match (e.min_age_days, e.max_age_days) {
            (Some(min), Some(max)) => Some(AgeDays { min, max }),
            _ => None,
        },
        capacity: e.capacity,
        seats_taken: e.seats_taken,
        price_fen: e.price_fen,
        tier_prices: TierPrices::of(&e),
        members_only: e.members_only,
        booking_from: e.booking_from,
        booking_to: e.booking_to,
        cancel_before: e.cancel_before,
        status: e.status.clone(),
        proposed_by: e.proposed_by,
        created_at: e.created_at,
        updated_at: e.updated_at,
    })
}

/// An event's bookings (oldest first) and waitlist (in order).
pub async fn bookings(
    db: &DatabaseConnection,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<EventBookings, AppError> {
    let event = load_event(db, event_id).await?;
    let rows = bookings_t::Entity::find()
        .filter(bookings_t::Column::EventId.eq(event_id))
        .order_by_asc(bookings_t::Column::Id)
        .all(db)
        .await?;
    let waitlist = super::waitlist::of_event(db, event_id).await?;
    Ok(EventBookings {
        bookings: rows
            .iter()
            .map(|b| AdminBookingView {
                id: b.id,
                member_id: b.member_id,
                seats: b.seats,
                status: b.status.clone(),
                price_fen: b.price_fen,
                refund_fen: b.refund_fen,
                pay_order_id: b.pay_order_id,
                created_at: b.created_at,
                confirmed_at: b.confirmed_at,
                cancelled_at: b.cancelled_at,
                checked_in_at: b.checked_in_at,
                no_show: no_show(&event, b, now),
            })
            .collect(),
        waitlist: waitlist
            .into_iter()
            .map(|w| AdminWaitlistView {
                id: w.id,
                member_id: w.member_id,
                seats: w.seats,
                status: w.status,
                offered_at: w.offered_at,
                offer_due_at: w.offer_due_at,
                created_at: w.created_at,
            })
            .collect(),
    })
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The bookings as CSV (one line per booking, then the waitlist), for the venue's list.
pub async fn bookings_csv(
    db: &DatabaseConnection,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let all = bookings(db, event_id, now).await?;
    let mut out = String::from(
        "kind,id,member_id,seats,status,price_fen,refund_fen,created_at,confirmed_at,cancelled_at,checked_in_at,no_show\n",
    );
    for b in &all.bookings {
        out.push_str(&format!(
            "booking,{},{},{},{},{},{},{},{},{},{},{}\n",
            b.id,
            b.member_id.map(|m| m.to_string()).unwrap_or_default(),
            b.seats,
            b.status,
            b.price_fen,
            b.refund_fen,
            time(Some(b.created_at)),
            time(b.confirmed_at),
            time(b.cancelled_at),
            time(b.checked_in_at),
            b.no_show,
        ));
    }
    for w in &all.waitlist {
        out.push_str(&format!(
            "waitlist,{},{},{},{},,,{},,,,\n",
            w.id,
            w.member_id.map(|m| m.to_string()).unwrap_or_default(),
            w.seats,
            w.status,
            time(Some(w.created_at)),
        ));
    }
    Ok(out)
}
