//! A member's bookings and waitlist places in their data export, and erasure: first
//! [`release`] (live bookings of events not yet started are cancelled, their seats freed for the
//! waitlist, without a refund or a message; places on waitlists are left), then, in the
//! erasure's transaction, [`unlink`] (the rows stay for the venues' attendance figures, no longer
//! linked to the member).

use chrono::{DateTime, Utc};
use entity::{event_bookings as bookings_t, event_waitlist as wait_t};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::booking_state as bs;
use super::bookings::{BookingView, CancelledBy, cancel_booking};
use super::wait_state as ws;
use super::waitlist::{WaitlistView, leave_waitlist};
use crate::domain::push::QuietHours;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventsExport {
    /// Your bookings of lectures and classes, newest first.
    pub bookings: Vec<BookingView>,
    /// Your waitlist places, newest first.
    pub waitlist: Vec<WaitlistView>,
}

pub async fn export(db: &DatabaseConnection, member_id: i32) -> Result<EventsExport, AppError> {
    Ok(EventsExport {
        bookings: super::bookings::mine(db, member_id).await?,
        waitlist: super::waitlist::mine(db, member_id).await?,
    })
}

/// Before an erasure: the member's live bookings of events not yet started are cancelled (seats
/// freed, offered to the waitlist) and their waitlist places left. Answers the bookings cancelled.
pub async fn release(
    db: &DatabaseConnection,
    member_id: i32,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut cancelled = 0;
    let live = bookings_t::Entity::find()
        .filter(bookings_t::Column::MemberId.eq(member_id))
        .filter(bookings_t::Column::Status.is_in([bs::PENDING_PAYMENT, bs::CONFIRMED]))
        .all(db)
        .await?;
    for booking in live {
        let event = super::load_event(db, booking.event_id).await?;
        if event.starts_at > now {
            cancel_booking(db, None, booking, CancelledBy::Erasure, quiet, now).await?;
            cancelled += 1;
        }
    }
    let places = wait_t::Entity::find()
        .filter(wait_t::Column::MemberId.eq(member_id))
        .filter(wait_t::Column::Status.is_in([ws::WAITING, ws::OFFERED]))
        .all(db)
        .await?;
    for place in places {
        leave_waitlist(db, member_id, place.id, quiet, now).await?;
    }
    Ok(cancelled)
}

/// In the erasure's transaction: bookings and waitlist places no longer name the member.
/// Answers the rows unlinked.
pub async fn unlink<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<u64, AppError> {
    let bookings = bookings_t::Entity::update_many()
        .col_expr(
            bookings_t::Column::MemberId,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            bookings_t::Column::LiveMemberId,
            Expr::value(Option::<i32>::None),
        )
        .filter(bookings_t::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    let places = wait_t::Entity::update_many()
        .col_expr(wait_t::Column::MemberId, Expr::value(Option::<i32>::None))
        .col_expr(
            wait_t::Column::LiveMemberId,
            Expr::value(Option::<i32>::None),
        )
        .filter(wait_t::Column::MemberId.eq(member_id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(bookings + places)
}
