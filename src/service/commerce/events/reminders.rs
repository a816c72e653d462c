//! The events job's timekeeping: reminders the day before and an hour before (through the
//! outbox, so quiet hours, the member's announcement preference, retries and dedup apply), with
//! the venue's address or the stream link; booking closing at `booking_to`; events finishing at
//! `ends_at`.

use chrono::{DateTime, Duration, Utc};
use entity::{event_bookings as bookings_t, events as events_t};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::bookings::address_of;
use super::{BOOKINGS_PAGE, booking_state as bs, status};
use crate::domain::push::QuietHours;
use crate::domain::time::shanghai;
use crate::error::AppError;
use crate::service::messaging::outbox::{self, NewMessage};

/// Published events whose booking window ended close; events that ended finish. Answers how
/// many events moved.
pub async fn advance(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, AppError> {
    let closed = events_t::Entity::update_many()
        .col_expr(events_t::Column::Status, Expr::value(status::CLOSED))
        .col_expr(events_t::Column::UpdatedAt, Expr::value(now))
        .filter(events_t::Column::Status.eq(status::PUBLISHED))
        .filter(events_t::Column::BookingTo.lte(now))
        .exec(db)
        .await?
        .rows_affected;
    let finished = events_t::Entity::update_many()
        .col_expr(events_t::Column::Status, Expr::value(status::FINISHED))
        .col_expr(events_t::Column::UpdatedAt, Expr::value(now))
        .filter(events_t::Column::Status.is_in([status::PUBLISHED, status::CLOSED]))
        .filter(events_t::Column::EndsAt.lte(now))
        .exec(db)
        .await?
        .rows_affected;
    Ok(closed + finished)
}

/// Queues the reminders due at `now` for confirmed bookings: the day before (24 hours ahead)
/// and one hour before; each once (the dedup key). Answers how many were new.
pub async fn remind(
    db: &DatabaseConnection,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let soon = events_t::Entity::find()
        .filter(events_t::Column::Status.is_in([status::PUBLISHED, status::CLOSED]))
        .filter(events_t::Column::StartsAt.gt(now))
        .filter(events_t::Column::StartsAt.lte(now + Duration::hours(24)))
        .all(db)
        .await?;
    let mut messages = Vec::new();
    for event in soon {
        let booked = bookings_t::Entity::find()
            .filter(bookings_t::Column::EventId.eq(event.id))
            .filter(bookings_t::Column::Status.eq(bs::CONFIRMED))
            .filter(bookings_t::Column::MemberId.is_not_null())
            .all(db)
            .await?;
        if booked.is_empty() {
            continue;
        }
        let hour = event.starts_at - now <= Duration::hours(1);
        let (key, title) = if hour {
            ("event-remind-hour", "活动1小时后开始")
        } else {
            ("event-remind-day", "活动明天开始")
        };
        let at = event
            .starts_at
            .with_timezone(&shanghai())
            .format("%m月%d日 %H:%M");
        let place = match address_of(db, &event).await? {
            Some(address) => format!("地址：{address}"),
            None => format!("直播链接：{}", event.stream_url.clone().unwrap_or_default()),
        };
        for b in booked {
            let Some(member_id) = b.member_id else {
                continue;
            };
            messages.push(NewMessage::account_notice(
                format!("{key}:{}", b.id),
                member_id,
                title,
                format!("「{}」{at}开始，{place}", event.title),
                BOOKINGS_PAGE,
                quiet,
                now,
            ));
        }
    }
    if messages.is_empty() {
        return Ok(0);
    }
    outbox::enqueue(db, messages, now).await
}
