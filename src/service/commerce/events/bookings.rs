//! Booking seats, paying for them, releasing unpaid holds and cancelling.

use chrono::{DateTime, Utc};
use entity::{
    event_bookings as bookings_t, event_seat_moves as moves, events as events_t, members,
    merchant_stores, pay_orders, pay_refunds,
};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    BOOKINGS_PAGE, HOLD, PURPOSE, bookable, booking_not_found, booking_state as bs, check_seats,
    free_seats, kind, load_event, own_booking, seat_move, seat_price, status, take_seats, waitlist,
};
use crate::domain::push::QuietHours;
use crate::error::{AppError, ErrorCode};
use crate::service::audience::membership::tier_on;
use crate::service::commerce::checkout;
use crate::service::commerce::payments::{self, Fulfil, NewOrder, RefundRequest};
use crate::service::ledger::{self, Entry, Guard, Outcome};
use crate::service::messaging::outbox::{self, NewMessage};
use crate::service::support::required_text;
use crate::wechat::pay::{PayClient, PayParams};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    /// 1-3 seats (a parent may bring a partner and the baby).
    #[schema(minimum = 1, maximum = 3)]
    pub seats: i32,
    /// The client's id of this booking (1-64 characters): the same id answers the same booking.
    #[schema(min_length = 1, max_length = 64)]
    pub request_id: String,
}

/// A booking as its member and operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingView {
    pub id: i32,
    pub event_id: i32,
    pub event_title: String,
    pub event_kind: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub seats: i32,
    /// `pending_payment`, `confirmed`, `cancelled` or `released` (unpaid in time).
    pub status: String,
    /// For all seats, in fen (0: free).
    pub price_fen: i64,
    pub pay_order_id: Option<i32>,
    /// Until when an unpaid booking holds its seats.
    pub hold_due_at: Option<DateTime<Utc>>,
    pub refund_fen: i64,
    pub cancel_before: DateTime<Utc>,
    /// The venue's address (offline classes).
    pub address: Option<String>,
    /// The live stream (online lectures; confirmed bookings only).
    pub stream_url: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// A new (or replayed) booking, with the `wx.requestPayment` parameters when it must be paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingCreated {
    pub booking: BookingView,
    /// Pass to `wx.requestPayment` as they are; null for a free booking.
    #[schema(value_type = Option<Object>)]
    pub pay_params: Option<PayParams>,
}

pub(crate) async fn address_of<C: ConnectionTrait>(
    db: &C,
    event: &events_t::Model,
) -> Result<Option<String>, AppError> {
    Ok(match event.store_id {
        Some(id) => merchant_stores::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|s| format!("{}{} ({})", s.city, s.address, s.name)),
        None => None,
    })
}

pub(crate) async fn view<C: ConnectionTrait>(
    db: &C,
    b: &bookings_t::Model,
    event: &events_t::Model,
) -> Result<BookingView, AppError> {
    Ok(BookingView {
        id: b.id,
        event_id: event.id,
        event_title: event.title.clone(),
        event_kind: event.kind.clone(),
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        seats: b.seats,
        status: b.status.clone(),
        price_fen: b.price_fen,
        pay_order_id: b.pay_order_id,
        hold_due_at: b.hold_due_at,
        refund_fen: b.refund_fen,
        cancel_before: event.cancel_before,
        address: address_of(db, event).await?,
        stream_url: (b.status == bs::CONFIRMED)
            .then(|| event.stream_url.clone())
            .flatten(),
        checked_in_at: b.checked_in_at,
        created_at: b.created_at,
        cancelled_at: b.cancelled_at,
    })
}

async fn replay(
    db: &DatabaseConnection,
    member_id: i32,
    event_id: i32,
    request_id: &str,
) -> Result<Option<bookings_t::Model>, AppError> {
    Ok(bookings_t::Entity::find()
        .filter(bookings_t::Column::EventId.eq(event_id))
        .filter(bookings_t::Column::MemberId.eq(member_id))
        .filter(bookings_t::Column::RequestId.eq(request_id))
        .one(db)
        .await?)
}

/// The booking row of a new booking, inserted unless the member has a live one (None then).
pub(crate) async fn insert_booking(
    txn: &DatabaseTransaction,
    new: bookings_t::ActiveModel,
) -> Result<Option<i32>, AppError> {
    let inserted = bookings_t::Entity::insert(new)
        .on_conflict(
            OnConflict::columns([
                bookings_t::Column::EventId,
                bookings_t::Column::LiveMemberId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .do_nothing()
        .exec(txn)
        .await?;
    Ok(match inserted {
        sea_orm::TryInsertResult::Inserted(r) => Some(r.last_insert_id),
        _ => None,
    })
}

pub(crate) fn new_booking(
    event: &events_t::Model,
    member_id: i32,
    seats: i32,
    price_fen: i64,
    request_id: &str,
    waitlist_id: Option<i32>,
    now: DateTime<Utc>,
) -> bookings_t::ActiveModel {
    let paid = price_fen > 0;
    bookings_t::ActiveModel {
        event_id: Set(event.id),
        member_id: Set(Some(member_id)),
        live_member_id: Set(Some(member_id)),
        seats: Set(seats),
        status: Set(if paid {
            bs::PENDING_PAYMENT
        } else {
            bs::CONFIRMED
        }
        .to_owned()),
        price_fen: Set(price_fen),
        request_id: Set(request_id.to_owned()),
        pay_order_id: Set(None),
        hold_due_at: Set(paid.then_some(now + HOLD)),
        waitlist_id: Set(waitlist_id),
        confirmed_at: Set((!paid).then_some(now)),
        cancelled_at: Set(None),
        refund_fen: Set(0),
        checked_in_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub(crate) fn already_booked() -> AppError {
    AppError::new(
        ErrorCode::AlreadyBooked,
        "you have a live booking for this event",
    )
}

/// Books `seats` of an event for the member. Free: confirmed at once. Paid: the seats are held
/// for [`HOLD`] and the answer carries the payment parameters.
pub async fn book(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    event_id: i32,
    req: &BookingRequest,
    now: DateTime<Utc>,
) -> Result<BookingCreated, AppError> {
    let seats = check_seats(req.seats)?;
    let request_id = required_text(
        &req.request_id,
        64,
        ErrorCode::InvalidRequestId,
        "request_id",
    )?;
    if let Some(done) = replay(db, member_id, event_id, &request_id).await? {
        return answer(db, pay, done, now).await;
    }
    let event = load_event(db, event_id).await?;
    if event.status == status::DRAFT || event.status == status::PROPOSED {
        return Err(super::event_not_found());
    }
    bookable(&event, now)?;
    let tier = tier_on(db, member_id, now).await?;
    let per_seat = seat_price(&event, tier).ok_or_else(tier_required)?;
    let price_fen = per_seat * i64::from(seats);
    if price_fen > 0 && pay.is_none() {
        return Err(payments::disabled());
    }
    if waitlist::live_entry(db, member_id, event_id)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            ErrorCode::AlreadyBooked,
            "you are on this event's waitlist: your place is offered to you when seats free up",
        ));
    }
    // Visibly full: refused without a transaction (most of a sold-out race). The guarded update
    // below is what decides when it is close.
    if event.seats_taken + seats > event.capacity {
        return Err(super::event_full());
    }
    let txn = db.begin().await?;
    // First statement a write: on SQLite the write lock, so nothing read here goes stale.
    let Some(id) = insert_booking(
        &txn,
        new_booking(&event, member_id, seats, price_fen, &request_id, None, now),
    )
    .await?
    else {
        drop(txn);
        // This very request, retried in parallel, or another live booking.
        if let Some(done) = replay(db, member_id, event_id, &request_id).await? {
            return answer(db, pay, done, now).await;
        }
        return Err(already_booked());
    };
    ledger::apply(
        &txn,
        Entry::new(seat_move(
            event.id,
            Some(id),
            None,
            "booked",
            seats,
            format!("book:{id}"),
            now,
        ))
        .keyed_by([moves::Column::IdemKey])
        .guard(take_seats(event.id, seats, true, now)),
    )
    .await?;
    txn.commit().await?;
    let booking = bookings_t::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(booking_not_found)?;
    answer(db, pay, booking, now).await
}

pub(crate) fn tier_required() -> AppError {
    AppError::new(
        ErrorCode::TierRequired,
        "this event is for members of a tier with a price on it",
    )
}

/// The booking's view and, while it waits for payment, its order's payment parameters
/// (created on the first call; the same order on every retry).
pub(crate) async fn answer(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    booking: bookings_t::Model,
    now: DateTime<Utc>,
) -> Result<BookingCreated, AppError> {
    let event = load_event(db, booking.event_id).await?;
    let mut booking = booking;
    let pay_params = match (
        booking.status.as_str(),
        booking.hold_due_at,
        booking.member_id,
    ) {
        (bs::PENDING_PAYMENT, Some(due), Some(member_id)) if due > now => {
            let pay = pay.ok_or_else(payments::disabled)?;
            let member = members::Entity::find_by_id(member_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::MemberNotFound, "log in again"))?;
            let title: String = event.title.chars().take(40).collect();
            let created = payments::create_order(
                db,
                pay,
                NewOrder {
                    member_id,
                    openid: &member.openid,
                    purpose: PURPOSE,
                    reference: &booking.id.to_string(),
                    amount_fen: booking.price_fen,
                    description: &format!("babyvax 活动 {title}"),
                    request_id: &format!("booking-{}", booking.id),
                    pay_within: due - now,
                },
                now,
            )
            .await?;
            if booking.pay_order_id.is_none() {
                bookings_t::Entity::update_many()
                    .col_expr(
                        bookings_t::Column::PayOrderId,
                        Expr::value(created.order.id),
                    )
                    .filter(bookings_t::Column::Id.eq(booking.id))
                    .exec(db)
                    .await?;
                booking.pay_order_id = Some(created.order.id);
            }
            Some(created.pay_params)
        }
        _ => None,
    };
    Ok(BookingCreated {
        booking: view(db, &booking, &event).await?,
        pay_params,
    })
}

/// The member's bookings, newest first.
pub async fn mine(db: &DatabaseConnection, member_id: i32) -> Result<Vec<BookingView>, AppError> {
    let rows = bookings_t::Entity::find()
        .filter(bookings_t::Column::MemberId.eq(member_id))
        .order_by_desc(bookings_t::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for b in rows {
        let event = load_event(db, b.event_id).await?;
        out.push(view(db, &b, &event).await?);
    }
    Ok(out)
}

/// Booking's side of a payment: a paid booking confirms (once: a guarded transition).
pub struct Fulfilment;

impl Fulfil for Fulfilment {
    fn paid<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(confirm_paid(txn, order, now))
    }

    fn refunded<'a>(
        &'a self,
        _txn: &'a DatabaseTransaction,
        _order: &'a pay_orders::Model,
        _refund: &'a pay_refunds::Model,
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        // The seats were freed when the booking was cancelled; nothing else moves.
        Box::pin(async { Ok(()) })
    }
}

async fn confirm_paid(
    txn: &DatabaseTransaction,
    order: &pay_orders::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let id: i32 = order.reference.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "booking order {} names no booking",
            order.out_trade_no
        ))
    })?;
    let booking = bookings_t::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("paid booking {id} vanished")))?;
    let outcome = ledger::apply(
        txn,
        Entry::new(seat_move(
            booking.event_id,
            Some(id),
            None,
            "confirmed",
            0,
            format!("confirm:{id}"),
            now,
        ))
        .keyed_by([moves::Column::IdemKey])
        .guard(Guard::transition(
            bookings_t::Entity::update_many()
                .col_expr(bookings_t::Column::ConfirmedAt, Expr::value(now))
                .col_expr(
                    bookings_t::Column::HoldDueAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(bookings_t::Column::PayOrderId, Expr::value(order.id))
                .col_expr(bookings_t::Column::UpdatedAt, Expr::value(now))
                .filter(bookings_t::Column::Id.eq(id)),
            bookings_t::Column::Status,
            bs::PENDING_PAYMENT,
            bs::CONFIRMED,
            AppError::new(ErrorCode::BookingNotCancellable, "not awaiting payment"),
        )),
    )
    .await;
    match outcome {
        Ok(_) => Ok(()),
        // Released or cancelled, which closed the order in the same transaction: a payment
        // cannot be applied to a closed order, so this is not reached; keep the payment.
        Err(AppError::Client { .. }) => {
            tracing::error!(
                booking = id,
                "payment for a booking that is not awaiting it"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What one release pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    pub released: u32,
    /// Paid meanwhile: kept.
    pub kept: u32,
    /// Waitlist offers the freed seats made.
    pub offered: u32,
}

/// Releases the seats of paid bookings not paid by their `hold_due_at`, closing each pay order
/// in the same transaction; a booking whose order was paid meanwhile keeps its seats. Freed
/// seats go to the waitlist. Safe with several instances: each release is keyed and guarded.
pub async fn release_due_holds(
    db: &DatabaseConnection,
    quiet: QuietHours,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Released, AppError> {
    let due = bookings_t::Entity::find()
        .filter(bookings_t::Column::Status.eq(bs::PENDING_PAYMENT))
        .filter(bookings_t::Column::HoldDueAt.lte(now))
        .order_by_asc(bookings_t::Column::HoldDueAt)
        .limit(batch)
        .all(db)
        .await?;
    let mut done = Released::default();
    for booking in due {
        let txn = db.begin().await?;
        // The pay order first (payments lock it before the booking too): closed here, or paid
        // meanwhile and the booking keeps its seats.
        if let Some(order_id) = booking.pay_order_id {
            let order = pay_orders::Entity::find_by_id(order_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("booking's order vanished")))?;
            if !payments::close_unpaid(&txn, &order, "seat hold expired", now).await?
                && paid_meanwhile(&txn, order_id).await?
            {
                drop(txn);
                done.kept += 1;
                continue;
            }
        }
        let outcome = ledger::apply(
            &txn,
            Entry::new(seat_move(
                booking.event_id,
                Some(booking.id),
                None,
                "released",
                -booking.seats,
                format!("release:{}", booking.id),
                now,
            ))
            .keyed_by([moves::Column::IdemKey])
            .guard(leave_live(
                booking.id,
                bs::PENDING_PAYMENT,
                bs::RELEASED,
                None,
                now,
            ))
            .guard(free_seats(booking.event_id, booking.seats, now)),
        )
        .await;
        match outcome {
            Ok(Outcome::Applied(_)) => {}
            Ok(Outcome::Replayed(_)) | Err(AppError::Client { .. }) => continue,
            Err(e) => return Err(e),
        }
        if let Some(member_id) = booking.member_id {
            let event = load_event(&txn, booking.event_id).await?;
            outbox::enqueue(
                &txn,
                vec![NewMessage::account_notice(
                    format!("event-released:{}", booking.id),
                    member_id,
                    "活动预约未支付",
                    format!("「{}」的预约未在15分钟内支付，座位已释放", event.title),
                    BOOKINGS_PAGE,
                    quiet,
                    now,
                )],
                now,
            )
            .await?;
        }
        txn.commit().await?;
        done.released += 1;
        done.offered += waitlist::offer_next(db, booking.event_id, quiet, now).await?;
    }
    Ok(done)
}

/// After [`payments::close_unpaid`] refused: the order was paid (not closed by someone else).
async fn paid_meanwhile(txn: &DatabaseTransaction, order_id: i32) -> Result<bool, AppError> {
    Ok(pay_orders::Entity::find_by_id(order_id)
        .one(txn)
        .await?
        .is_some_and(|o| o.state != payments::state::CLOSED))
}

/// A booking leaving its live state `from` for `to` (`live_member_id` cleared, so the member may
/// book again), recording the refund owed.
fn leave_live(id: i32, from: &str, to: &str, refund_fen: Option<i64>, now: DateTime<Utc>) -> Guard {
    let mut update = bookings_t::Entity::update_many()
        .col_expr(
            bookings_t::Column::LiveMemberId,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            bookings_t::Column::HoldDueAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(bookings_t::Column::UpdatedAt, Expr::value(now))
        .filter(bookings_t::Column::Id.eq(id));
    if to == bs::CANCELLED {
        update = update.col_expr(bookings_t::Column::CancelledAt, Expr::value(now));
    }
    if let Some(refund) = refund_fen {
        update = update.col_expr(bookings_t::Column::RefundFen, Expr::value(refund));
    }
    Guard::transition(
        update,
        bookings_t::Column::Status,
        from,
        to,
        AppError::new(
            ErrorCode::BookingNotCancellable,
            "the booking changed meanwhile",
        ),
    )
}

/// Who cancels a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    /// The member: a refund in full before the event's deadline, none after.
    Member,
    /// The event was cancelled: a refund in full.
    EventCancelled,
    /// The member's erasure: no refund (the pay order stays for operators), no message.
    Erasure,
}

/// Cancels a live booking and frees its seats for the waitlist. A paid booking is refunded in
/// full before the event's `cancel_before` (or when the event itself was cancelled), through
/// payments; after it, nothing is refunded. An unpaid one has its pay order closed in the same
/// transaction (paid meanwhile: it is cancelled as a paid booking).
pub async fn cancel(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    booking_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<BookingView, AppError> {
    let booking = own_booking(db, member_id, booking_id).await?;
    cancel_booking(db, pay, booking, CancelledBy::Member, quiet, now).await
}

pub(crate) async fn cancel_booking(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    booking: bookings_t::Model,
    by: CancelledBy,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<BookingView, AppError> {
    let event = load_event(db, booking.event_id).await?;
    let not_cancellable = || {
        AppError::new(
            ErrorCode::BookingNotCancellable,
            "the booking is not live, or the event has started",
        )
    };
    if by != CancelledBy::EventCancelled && now >= event.starts_at {
        return Err(not_cancellable());
    }
    // Twice at most: an unpaid booking whose payment lands meanwhile is cancelled as paid.
    let mut booking = booking;
    for _ in 0..2 {
        let from = booking.status.clone();
        let refund_fen = match from.as_str() {
            bs::PENDING_PAYMENT => 0,
            bs::CONFIRMED
                if booking.price_fen > 0
                    && by != CancelledBy::Erasure
                    && (by == CancelledBy::EventCancelled || now < event.cancel_before) =>
            {
                booking.price_fen
            }
            bs::CONFIRMED => 0,
            _ => return Err(not_cancellable()),
        };
        let txn = db.begin().await?;
        // The pay order first, as payments lock it: an unpaid one is closed, or it was paid
        // meanwhile and the booking is cancelled as a paid one on the next round.
        if from == bs::PENDING_PAYMENT
            && let Some(order_id) = booking.pay_order_id
        {
            let order = pay_orders::Entity::find_by_id(order_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("booking's order vanished")))?;
            if !payments::close_unpaid(&txn, &order, "booking cancelled", now).await?
                && paid_meanwhile(&txn, order_id).await?
            {
                drop(txn);
                booking = bookings_t::Entity::find_by_id(booking.id)
                    .one(db)
                    .await?
                    .ok_or_else(booking_not_found)?;
                continue;
            }
        }
        let outcome = ledger::apply(
            &txn,
            Entry::new(seat_move(
                event.id,
                Some(booking.id),
                None,
                "cancelled",
                -booking.seats,
                format!("cancel:{}", booking.id),
                now,
            ))
            .keyed_by([moves::Column::IdemKey])
            .guard(leave_live(
                booking.id,
                &from,
                bs::CANCELLED,
                Some(refund_fen),
                now,
            ))
            .guard(free_seats(event.id, booking.seats, now)),
        )
        .await;
        match outcome {
            Ok(Outcome::Applied(_)) => {}
            Ok(Outcome::Replayed(_)) | Err(AppError::Client { .. }) => {
                drop(txn);
                booking = bookings_t::Entity::find_by_id(booking.id)
                    .one(db)
                    .await?
                    .ok_or_else(booking_not_found)?;
                if booking.status == bs::CANCELLED {
                    return view(db, &booking, &event).await;
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        if let Some(member_id) = booking.member_id.filter(|_| by != CancelledBy::Erasure) {
            let summary = if refund_fen > 0 {
                format!(
                    "「{}」的预约已取消，{}元将原路退回",
                    event.title,
                    yuan(refund_fen)
                )
            } else if by == CancelledBy::EventCancelled {
                format!("「{}」已取消，您的预约随之取消", event.title)
            } else {
                format!("「{}」的预约已取消", event.title)
            };
            outbox::enqueue(
                &txn,
                vec![NewMessage::account_notice(
                    format!("event-cancelled:{}", booking.id),
                    member_id,
                    "活动预约已取消",
                    summary,
                    BOOKINGS_PAGE,
                    quiet,
                    now,
                )],
                now,
            )
            .await?;
        }
        txn.commit().await?;
        let cancelled = bookings_t::Entity::find_by_id(booking.id)
            .one(db)
            .await?
            .ok_or_else(booking_not_found)?;
        if refund_fen > 0 {
            // A refund WeChat Pay could not take now is asked for again by the job.
            if let Err(e) = refund(db, pay, &cancelled, now).await {
                tracing::warn!(booking = cancelled.id, error = %e, "booking refund not asked yet; the events job retries");
            }
        }
        if event.status == status::PUBLISHED {
            waitlist::offer_next(db, event.id, quiet, now).await?;
        }
        return view(db, &cancelled, &event).await;
    }
    Err(not_cancellable())
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn refund_request_id(booking_id: i32) -> String {
    format!("booking-cancel-{booking_id}")
}

/// Asks payments for a cancelled booking's refund (the same request id every time, so once).
async fn refund(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    booking: &bookings_t::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(order_id) = booking.pay_order_id else {
        return Ok(());
    };
    let request_id = refund_request_id(booking.id);
    checkout::refund(
        db,
        pay,
        order_id,
        RefundRequest {
            by: None,
            amount_fen: booking.refund_fen,
            reason: Some("booking cancelled"),
            request_id: &request_id,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Refunds owed to cancelled bookings that payments has not been asked for yet (WeChat Pay was
/// unreachable when they were cancelled). Answers how many were asked now.
pub async fn retry_refunds(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let owed = bookings_t::Entity::find()
        .filter(bookings_t::Column::Status.eq(bs::CANCELLED))
        .filter(bookings_t::Column::RefundFen.gt(0))
        .filter(bookings_t::Column::PayOrderId.is_not_null())
        .filter(bookings_t::Column::CancelledAt.gte(now - chrono::Duration::days(7)))
        .all(db)
        .await?;
    let mut asked = 0;
    for booking in owed {
        let Some(order_id) = booking.pay_order_id else {
            continue;
        };
        let exists = pay_refunds::Entity::find()
            .filter(pay_refunds::Column::OrderId.eq(order_id))
            .filter(pay_refunds::Column::RequestId.eq(refund_request_id(booking.id)))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        match refund(db, pay, &booking, now).await {
            Ok(()) => asked += 1,
            Err(e) => {
                tracing::warn!(booking = booking.id, error = %e, "booking refund failed; next pass")
            }
        }
    }
    Ok(asked)
}

/// Cancels every live booking of a cancelled event, refunding paid ones in full.
pub async fn cancel_all(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    event_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let live = bookings_t::Entity::find()
        .filter(bookings_t::Column::EventId.eq(event_id))
        .filter(bookings_t::Column::Status.is_in([bs::PENDING_PAYMENT, bs::CONFIRMED]))
        .all(db)
        .await?;
    let mut cancelled = 0;
    for booking in live {
        match cancel_booking(db, pay, booking, CancelledBy::EventCancelled, quiet, now).await {
            Ok(_) => cancelled += 1,
            Err(e) => {
                tracing::warn!(event = event_id, error = %e, "booking of a cancelled event not cancelled; next pass")
            }
        }
    }
    waitlist::close_all(db, event_id, now).await?;
    Ok(cancelled)
}

/// Whether `kind` is an offline class (which has a venue and check-in).
pub(crate) fn is_offline(event: &events_t::Model) -> bool {
    event.kind == kind::OFFLINE_CLASS
}

/// Cancelled events that still have live bookings (a refund or a cancellation that failed on
/// the way): cancelled again. Answers the bookings cancelled.
pub async fn finish_cancellations(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let events: Vec<i32> = bookings_t::Entity::find()
        .select_only()
        .column(bookings_t::Column::EventId)
        .filter(bookings_t::Column::Status.is_in([bs::PENDING_PAYMENT, bs::CONFIRMED]))
        .filter(
            bookings_t::Column::EventId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(events_t::Column::Id)
                    .from(events_t::Entity)
                    .and_where(events_t::Column::Status.eq(status::CANCELLED))
                    .to_owned(),
            ),
        )
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut cancelled = 0;
    for event_id in events {
        cancelled += cancel_all(db, pay, event_id, quiet, now).await?;
    }
    Ok(cancelled)
}
