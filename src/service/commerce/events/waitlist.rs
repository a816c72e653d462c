//! The waitlist of a full event: members join in order; freed seats are offered to the head of
//! the line (the seats held for [`OFFER_WINDOW`], a message through the outbox), who accepts
//! (a booking: confirmed, or held for payment) or lets the offer expire, and the seats go to
//! the next. Each offer and expiry is one keyed, guarded seat move, so two instances running
//! the job offer a seat once.

use chrono::{DateTime, Utc};
use entity::{event_bookings as bookings_t, event_seat_moves as moves, event_waitlist as wait_t};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::{
    self, BookingCreated, already_booked, insert_booking, new_booking, tier_required,
};
use super::{
    BOOKINGS_PAGE, OFFER_WINDOW, bookable, booking_not_found, check_seats, free_seats, load_event,
    seat_move, seat_price, status, take_seats, wait_state as ws,
};
use crate::domain::push::QuietHours;
use crate::error::{AppError, ErrorCode};
use crate::service::audience::membership::tier_on;
use crate::service::commerce::payments;
use crate::service::ledger::{self, Entry, Guard, Outcome};
use crate::service::messaging::outbox::{self, NewMessage};
use crate::service::support::required_text;
use crate::wechat::pay::PayClient;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistRequest {
    /// 1-3 seats.
    #[schema(minimum = 1, maximum = 3)]
    pub seats: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The client's id of the booking this makes (1-64 characters).
    #[schema(min_length = 1, max_length = 64)]
    pub request_id: String,
}

/// A place on a waitlist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistView {
    pub id: i32,
    pub event_id: i32,
    pub seats: i32,
    /// `waiting`, `offered` (seats held for you until `offer_due_at`), `accepted`, `expired`
    /// or `left`.
    pub status: String,
    /// 1 = next in line (while waiting).
    pub position: Option<u64>,
    pub offer_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn entry_not_found() -> AppError {
    AppError::new(
        ErrorCode::WaitlistEntryNotFound,
        "no such waitlist place of yours",
    )
}

pub(crate) async fn view<C: ConnectionTrait>(
    db: &C,
    entry: &wait_t::Model,
) -> Result<WaitlistView, AppError> {
    let position = if entry.status == ws::WAITING {
        Some(
            wait_t::Entity::find()
                .filter(wait_t::Column::EventId.eq(entry.event_id))
                .filter(wait_t::Column::Status.eq(ws::WAITING))
                .filter(wait_t::Column::Id.lte(entry.id))
                .count(db)
                .await?,
        )
    } else {
        None
    };
    Ok(WaitlistView {
        id: entry.id,
        event_id: entry.event_id,
        seats: entry.seats,
        status: entry.status.clone(),
        position,
        offer_due_at: entry.offer_due_at,
        created_at: entry.created_at,
    })
}

/// Whether a parent refused a booking as full may join the event's waitlist now (the event is
/// open for booking).
pub async fn available(
    db: &DatabaseConnection,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let event = load_event(db, event_id).await?;
    Ok(bookable(&event, now).is_ok())
}

/// The member's live (waiting or offered) place on the event's waitlist.
pub(crate) async fn live_entry<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    event_id: i32,
) -> Result<Option<wait_t::Model>, AppError> {
    Ok(wait_t::Entity::find()
        .filter(wait_t::Column::EventId.eq(event_id))
        .filter(wait_t::Column::LiveMemberId.eq(member_id))
        .one(db)
        .await?)
}

/// Joins the waitlist of a full event (or of one with a line already).
pub async fn join(
    db: &DatabaseConnection,
    member_id: i32,
    event_id: i32,
    req: &WaitlistRequest,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<WaitlistView, AppError> {
    let seats = check_seats(req.seats)?;
    let event = load_event(db, event_id).await?;
    if event.status == status::DRAFT || event.status == status::PROPOSED {
        return Err(super::event_not_found());
    }
    bookable(&event, now)?;
    let tier = tier_on(db, member_id, now).await?;
    seat_price(&event, tier).ok_or_else(tier_required)?;
    if let Some(entry) = live_entry(db, member_id, event_id).await? {
        return view(db, &entry).await;
    }
    let live_booking = bookings_t::Entity::find()
        .filter(bookings_t::Column::EventId.eq(event_id))
        .filter(bookings_t::Column::LiveMemberId.eq(member_id))
        .one(db)
        .await?;
    if live_booking.is_some() {
        return Err(already_booked());
    }
    let waiting = wait_t::Entity::find()
        .filter(wait_t::Column::EventId.eq(event_id))
        .filter(wait_t::Column::Status.eq(ws::WAITING))
        .count(db)
        .await?;
    if waiting == 0 && event.seats_taken + seats <= event.capacity {
        return Err(AppError::new(
            ErrorCode::SeatsAvailable,
            "seats are left: book instead",
        ));
    }
    wait_t::Entity::insert(wait_t::ActiveModel {
        event_id: Set(event_id),
        member_id: Set(Some(member_id)),
        live_member_id: Set(Some(member_id)),
        seats: Set(seats),
        status: Set(ws::WAITING.to_owned()),
        offered_at: Set(None),
        offer_due_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([wait_t::Column::EventId, wait_t::Column::LiveMemberId])
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    // Seats freed just now go to the line, this member included.
    offer_next(db, event_id, quiet, now).await?;
    let entry = live_entry(db, member_id, event_id)
        .await?
        .ok_or_else(entry_not_found)?;
    view(db, &entry).await
}

/// The member's waitlist places, newest first.
pub async fn mine(db: &DatabaseConnection, member_id: i32) -> Result<Vec<WaitlistView>, AppError> {
    let rows = wait_t::Entity::find()
        .filter(wait_t::Column::MemberId.eq(member_id))
        .order_by_desc(wait_t::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(db, &row).await?);
    }
    Ok(out)
}

/// Offers freed seats to the head of the event's line while they fit, each offer once.
/// Answers how many offers were made.
pub async fn offer_next(
    db: &DatabaseConnection,
    event_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let mut offered = 0;
    // Bounded: each round offers to one entry, or stops.
    for _ in 0..100 {
        let event = load_event(db, event_id).await?;
        if event.status != status::PUBLISHED || now >= event.booking_to {
            break;
        }
        let Some(head) = wait_t::Entity::find()
            .filter(wait_t::Column::EventId.eq(event_id))
            .filter(wait_t::Column::Status.eq(ws::WAITING))
            .order_by_asc(wait_t::Column::Id)
            .one(db)
            .await?
        else {
            break;
        };
        if event.seats_taken + head.seats > event.capacity {
            // The head of the line does not fit yet: the order is kept.
            break;
        }
        let due = now + OFFER_WINDOW;
        let txn = db.begin().await?;
        let outcome = ledger::apply(
            &txn,
            Entry::new(seat_move(
                event_id,
                None,
                Some(head.id),
                "offered",
                head.seats,
                format!("offer:{}", head.id),
                now,
            ))
            .keyed_by([moves::Column::IdemKey])
            .guard(Guard::transition(
                wait_t::Entity::update_many()
                    .col_expr(wait_t::Column::OfferedAt, Expr::value(now))
                    .col_expr(wait_t::Column::OfferDueAt, Expr::value(due))
                    .col_expr(wait_t::Column::UpdatedAt, Expr::value(now))
                    .filter(wait_t::Column::Id.eq(head.id)),
                wait_t::Column::Status,
                ws::WAITING,
                ws::OFFERED,
                offer_not_open(),
            ))
            .guard(take_seats(event_id, head.seats, false, now)),
        )
        .await;
        match outcome {
            Ok(Outcome::Applied(_)) => {}
            // Another instance offered it (or the member left): look at the line again.
            Ok(Outcome::Replayed(_)) => continue,
            Err(e) if e.error_code() == ErrorCode::OfferNotOpen => continue,
            // Taken meanwhile.
            Err(e) if e.error_code() == ErrorCode::EventFull => break,
            Err(e) => return Err(e),
        }
        if let Some(member_id) = head.member_id {
            outbox::enqueue(
                &txn,
                vec![NewMessage::account_notice(
                    format!("event-offer:{}", head.id),
                    member_id,
                    "候补到位",
                    format!(
                        "「{}」有{}个座位为您保留2小时，请尽快确认预约",
                        event.title, head.seats
                    ),
                    BOOKINGS_PAGE,
                    quiet,
                    now,
                )],
                now,
            )
            .await?;
        }
        txn.commit().await?;
        offered += 1;
    }
    Ok(offered)
}

fn offer_not_open() -> AppError {
    AppError::new(
        ErrorCode::OfferNotOpen,
        "no open offer on this waitlist place",
    )
}

/// What one expiry pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    pub expired: u32,
    /// Offers to the next in line.
    pub offered: u32,
}

/// Offers not accepted within [`OFFER_WINDOW`] expire: their seats go to the next in line.
pub async fn expire_offers(
    db: &DatabaseConnection,
    quiet: QuietHours,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Expired, AppError> {
    let due = wait_t::Entity::find()
        .filter(wait_t::Column::Status.eq(ws::OFFERED))
        .filter(wait_t::Column::OfferDueAt.lte(now))
        .order_by_asc(wait_t::Column::OfferDueAt)
        .limit(batch)
        .all(db)
        .await?;
    let mut done = Expired::default();
    for entry in due {
        if leave(db, &entry, ws::OFFERED, ws::EXPIRED, "offer_expired", now).await? {
            done.expired += 1;
            done.offered += offer_next(db, entry.event_id, quiet, now).await?;
        }
    }
    Ok(done)
}

/// Moves a live entry to `to` (freeing its seats when it held an offer); false when it had
/// moved already.
async fn leave(
    db: &DatabaseConnection,
    entry: &wait_t::Model,
    from: &str,
    to: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let held = if from == ws::OFFERED { entry.seats } else { 0 };
    let mut e = Entry::new(seat_move(
        entry.event_id,
        None,
        Some(entry.id),
        kind,
        -held,
        format!("{kind}:{}", entry.id),
        now,
    ))
    .keyed_by([moves::Column::IdemKey])
    .guard(Guard::transition(
        wait_t::Entity::update_many()
            .col_expr(
                wait_t::Column::LiveMemberId,
                Expr::value(Option::<i32>::None),
            )
            .col_expr(wait_t::Column::UpdatedAt, Expr::value(now))
            .filter(wait_t::Column::Id.eq(entry.id)),
        wait_t::Column::Status,
        from,
        to,
        offer_not_open(),
    ));
    if held > 0 {
        e = e.guard(free_seats(entry.event_id, held, now));
    }
    match ledger::apply(db, e).await {
        Ok(Outcome::Applied(_)) => Ok(true),
        Ok(Outcome::Replayed(_)) | Err(AppError::Client { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The member leaves the waitlist (an open offer's seats go to the next in line).
pub async fn leave_waitlist(
    db: &DatabaseConnection,
    member_id: i32,
    entry_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<WaitlistView, AppError> {
    let entry = own_entry(db, member_id, entry_id).await?;
    if entry.status == ws::WAITING || entry.status == ws::OFFERED {
        let from = entry.status.clone();
        if leave(db, &entry, &from, ws::LEFT, "left", now).await? && from == ws::OFFERED {
            offer_next(db, entry.event_id, quiet, now).await?;
        }
    }
    let entry = own_entry(db, member_id, entry_id).await?;
    view(db, &entry).await
}

async fn own_entry(
    db: &DatabaseConnection,
    member_id: i32,
    entry_id: i32,
) -> Result<wait_t::Model, AppError> {
    wait_t::Entity::find_by_id(entry_id)
        .filter(wait_t::Column::MemberId.eq(member_id))
        .one(db)
        .await?
        .ok_or_else(entry_not_found)
}

/// Accepts an open offer: the held seats become a booking (confirmed when free, held for
/// payment otherwise).
pub async fn accept(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    entry_id: i32,
    req: &AcceptRequest,
    now: DateTime<Utc>,
) -> Result<BookingCreated, AppError> {
    let request_id = required_text(
        &req.request_id,
        64,
        ErrorCode::InvalidRequestId,
        "request_id",
    )?;
    let entry = own_entry(db, member_id, entry_id).await?;
    if entry.status == ws::ACCEPTED
        && let Some(done) = bookings_t::Entity::find()
            .filter(bookings_t::Column::WaitlistId.eq(entry.id))
            .one(db)
            .await?
    {
        return bookings::answer(db, pay, done, now).await;
    }
    if entry.status != ws::OFFERED || entry.offer_due_at.is_none_or(|due| due <= now) {
        return Err(offer_not_open());
    }
    let event = load_event(db, entry.event_id).await?;
    let tier = tier_on(db, member_id, now).await?;
    let per_seat = seat_price(&event, tier).ok_or_else(tier_required)?;
    let price_fen = per_seat * i64::from(entry.seats);
    if price_fen > 0 && pay.is_none() {
        return Err(payments::disabled());
    }
    let txn = db.begin().await?;
    let Some(id) = insert_booking(
        &txn,
        new_booking(
            &event,
            member_id,
            entry.seats,
            price_fen,
            &request_id,
            Some(entry.id),
            now,
        ),
    )
    .await?
    else {
        return Err(already_booked());
    };
    // The offer's seats become the booking's: no seats move.
    ledger::apply(
        &txn,
        Entry::new(seat_move(
            event.id,
            Some(id),
            Some(entry.id),
            "offer_accepted",
            0,
            format!("accept:{}", entry.id),
            now,
        ))
        .keyed_by([moves::Column::IdemKey])
        .guard(Guard::transition(
            wait_t::Entity::update_many()
                .col_expr(
                    wait_t::Column::LiveMemberId,
                    Expr::value(Option::<i32>::None),
                )
                .col_expr(wait_t::Column::UpdatedAt, Expr::value(now))
                .filter(wait_t::Column::Id.eq(entry.id))
                .filter(wait_t::Column::OfferDueAt.gt(now)),
            wait_t::Column::Status,
            ws::OFFERED,
            ws::ACCEPTED,
            offer_not_open(),
        )),
    )
    .await?;
    txn.commit().await?;
    let booking = bookings_t::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(booking_not_found)?;
    bookings::answer(db, pay, booking, now).await
}

/// A cancelled event's line: every live place ends (no seats to offer).
pub(crate) async fn close_all(
    db: &DatabaseConnection,
    event_id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let live = wait_t::Entity::find()
        .filter(wait_t::Column::EventId.eq(event_id))
        .filter(wait_t::Column::Status.is_in([ws::WAITING, ws::OFFERED]))
        .all(db)
        .await?;
    for entry in live {
        let from = entry.status.clone();
        leave(db, &entry, &from, ws::EXPIRED, "closed", now).await?;
    }
    Ok(())
}

/// Every place on an event's line, in order (for operators).
pub async fn of_event(
    db: &DatabaseConnection,
    event_id: i32,
) -> Result<Vec<wait_t::Model>, AppError> {
    Ok(wait_t::Entity::find()
        .filter(wait_t::Column::EventId.eq(event_id))
        .order_by_asc(wait_t::Column::Id)
        .all(db)
        .await?)
}

/// Offers seats to every published event's line where seats are free (seats freed by a path
/// that did not offer them, such as a join racing a cancellation). Answers the offers made.
pub async fn offer_all(
    db: &DatabaseConnection,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let events: Vec<i32> = wait_t::Entity::find()
        .select_only()
        .column(wait_t::Column::EventId)
        .filter(wait_t::Column::Status.eq(ws::WAITING))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut offered = 0;
    for event_id in events {
        offered += offer_next(db, event_id, quiet, now).await?;
    }
    Ok(offered)
}
