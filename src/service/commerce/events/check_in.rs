//! Check-in at an offline class: the booking shows a rotating single-use code (coupons' codes:
//! 20 random digits, 60 seconds, only the hash stored, a new one replaces the last); staff of the
//! event's store check it in exactly once. A code of another store's event does not exist for
//! the clerk (404, as for coupons). Attendance earns points (`event_attended`).

use chrono::{DateTime, Duration, Utc};
use entity::{
    event_bookings as bookings_t, event_check_in_codes as codes_t, event_check_ins as check_ins,
    events as events_t, members,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::is_offline;
use super::{booking_state as bs, load_event, own_booking};
use crate::domain::coupons::CODE_TTL_SECS;
use crate::domain::points::Reason;
use crate::error::{AppError, ErrorCode};
use crate::service::commerce::coupons::codes::{RedemptionCode, code_hash, fresh_code};
use crate::service::commerce::coupons::redemptions::Counter;
use crate::service::commerce::coupons::state::{ACTIVE, REPLACED, USED};
use crate::service::ledger::{self, Entry, Guard};
use crate::service::points::earn;
use crate::service::support::{is_unique_violation, required_text};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    /// The code the parent's QR code carries.
    pub code: String,
    /// The counter's key for this check-in (1-64 characters): the same key again answers the
    /// same check-in.
    #[schema(min_length = 1, max_length = 64)]
    pub request_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInView {
    pub id: i32,
    pub booking_id: i32,
    pub event_id: i32,
    pub event_title: String,
    pub seats: i32,
    /// The parent's nickname, masked (`张**`).
    pub member: String,
    pub store_id: Option<i32>,
    pub staff_id: i32,
    pub request_id: String,
    pub checked_in_at: DateTime<Utc>,
}

fn no_code() -> AppError {
    AppError::new(
        ErrorCode::NoCheckInCode,
        "only a confirmed booking of an offline class, not checked in and not over, has a check-in code",
    )
}

fn code_not_found() -> AppError {
    AppError::new(ErrorCode::CodeNotFound, "no such code")
}

fn checked_in() -> AppError {
    AppError::new(
        ErrorCode::BookingCheckedIn,
        "this booking was checked in already",
    )
}

/// A fresh check-in code for the member's confirmed booking; the previous code stops working.
pub async fn issue_code(
    db: &DatabaseConnection,
    member_id: i32,
    booking_id: i32,
    now: DateTime<Utc>,
) -> Result<RedemptionCode, AppError> {
    let booking = own_booking(db, member_id, booking_id).await?;
    let event = load_event(db, booking.event_id).await?;
    if booking.status != bs::CONFIRMED
        || booking.checked_in_at.is_some()
        || !is_offline(&event)
        || now >= event.ends_at
    {
        return Err(no_code());
    }
    let txn = db.begin().await?;
    // First statement a write: two requests for a code of one booking run one after the other.
    codes_t::Entity::update_many()
        .col_expr(codes_t::Column::Status, Expr::value(REPLACED))
        .filter(codes_t::Column::BookingId.eq(booking_id))
        .filter(codes_t::Column::Status.eq(ACTIVE))
        .exec(&txn)
        .await?;
    let code = fresh_code();
    let expires_at = now + Duration::seconds(CODE_TTL_SECS);
    codes_t::ActiveModel {
        booking_id: Set(booking_id),
        code_hash: Set(code_hash(&code)),
        status: Set(ACTIVE.to_owned()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(RedemptionCode { code, expires_at })
}

fn mask(nickname: Option<&str>) -> String {
    match nickname.and_then(|n| n.chars().next()) {
        Some(first) => format!("{first}**"),
        None => "微信用户".to_owned(),
    }
}

async fn view<C: ConnectionTrait>(db: &C, row: check_ins::Model) -> Result<CheckInView, AppError> {
    let booking = bookings_t::Entity::find_by_id(row.booking_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("check-in without its booking")))?;
    let event = load_event(db, row.event_id).await?;
    let nickname = match booking.member_id {
        Some(id) => members::Entity::find_by_id(id)
            .one(db)
            .await?
            .and_then(|m| m.nickname),
        None => None,
    };
    Ok(CheckInView {
        id: row.id,
        booking_id: row.booking_id,
        event_id: row.event_id,
        event_title: event.title,
        seats: booking.seats,
        member: mask(nickname.as_deref()),
        store_id: row.store_id,
        staff_id: row.staff_id,
        request_id: row.request_id,
        checked_in_at: row.checked_in_at,
    })
}

async fn replayed<C: ConnectionTrait>(
    db: &C,
    merchant_id: i32,
    request_id: &str,
) -> Result<Option<CheckInView>, AppError> {
    match check_ins::Entity::find()
        .filter(check_ins::Column::MerchantId.eq(merchant_id))
        .filter(check_ins::Column::RequestId.eq(request_id))
        .one(db)
        .await?
    {
        Some(row) => Ok(Some(view(db, row).await?)),
        None => Ok(None),
    }
}

/// The code's booking and event, if the code is one of an event at this counter's store (an
/// owner: any of the merchant's stores).
async fn lookup<C: ConnectionTrait>(
    db: &C,
    counter: Counter,
    code: &str,
) -> Result<(codes_t::Model, bookings_t::Model, events_t::Model), AppError> {
    let row = codes_t::Entity::find()
        .filter(codes_t::Column::CodeHash.eq(code_hash(code)))
        .one(db)
        .await?
        .ok_or_else(code_not_found)?;
    let booking = bookings_t::Entity::find_by_id(row.booking_id)
        .one(db)
        .await?
        .ok_or_else(code_not_found)?;
    let event = load_event(db, booking.event_id)
        .await
        .map_err(|_| code_not_found())?;
    let ours = event.merchant_id == Some(counter.merchant_id)
        && counter.store_id.is_none_or(|s| event.store_id == Some(s));
    if !ours {
        return Err(code_not_found());
    }
    Ok((row, booking, event))
}

fn refusal(
    code: &codes_t::Model,
    booking: &bookings_t::Model,
    now: DateTime<Utc>,
) -> Option<AppError> {
    if booking.checked_in_at.is_some() || code.status == USED {
        Some(checked_in())
    } else if code.status == REPLACED || now >= code.expires_at {
        Some(AppError::new(
            ErrorCode::CodeExpired,
            "the code is over 60 seconds old, or replaced: ask the parent to refresh it",
        ))
    } else if booking.status != bs::CONFIRMED {
        Some(AppError::new(
            ErrorCode::CodeNotFound,
            "the booking behind this code is not confirmed",
        ))
    } else {
        None
    }
}

fn unique_violation(e: &AppError) -> bool {
    match e {
        AppError::Internal(cause) => cause
            .downcast_ref::<DbErr>()
            .is_some_and(is_unique_violation),
        AppError::Client { .. } => false,
    }
}

/// Checks the booking behind `code` in, exactly once; the member earns `event_attended` points
/// in the same transaction. Answers the check-in and whether it replays an earlier request.
pub async fn check_in(
    db: &DatabaseConnection,
    counter: Counter,
    request: &CheckInRequest,
    now: DateTime<Utc>,
) -> Result<(CheckInView, bool), AppError> {
    let request_id = required_text(
        &request.request_id,
        64,
        ErrorCode::InvalidRequestId,
        "request_id",
    )?;
    if let Some(done) = replayed(db, counter.merchant_id, &request_id).await? {
        return Ok((done, true));
    }
    let (code, booking, event) = lookup(db, counter, &request.code).await?;
    if let Some(refused) = refusal(&code, &booking, now) {
        return Err(refused);
    }
    let entry = Entry::new(check_ins::ActiveModel {
        booking_id: Set(booking.id),
        event_id: Set(event.id),
        merchant_id: Set(counter.merchant_id),
        store_id: Set(event.store_id),
        staff_id: Set(counter.staff_id),
        request_id: Set(request_id.clone()),
        checked_in_at: Set(now),
        ..Default::default()
    })
    .keyed_by([check_ins::Column::MerchantId, check_ins::Column::RequestId])
    .guard(Guard::transition(
        codes_t::Entity::update_many()
            .filter(codes_t::Column::Id.eq(code.id))
            .filter(codes_t::Column::ExpiresAt.gt(now)),
        codes_t::Column::Status,
        ACTIVE,
        USED,
        checked_in(),
    ))
    .guard(Guard::new(
        bookings_t::Entity::update_many()
            .col_expr(bookings_t::Column::CheckedInAt, Expr::value(now))
            .col_expr(bookings_t::Column::UpdatedAt, Expr::value(now))
            .filter(bookings_t::Column::Id.eq(booking.id))
            .filter(bookings_t::Column::Status.eq(bs::CONFIRMED))
            .filter(bookings_t::Column::CheckedInAt.is_null()),
        checked_in(),
    ));
    let txn = db.begin().await?;
    let outcome = match ledger::apply(&txn, entry).await {
        Ok(outcome) => outcome,
        Err(e) if e.error_code() == ErrorCode::BookingCheckedIn || unique_violation(&e) => {
            drop(txn);
            if let Some(done) = replayed(db, counter.merchant_id, &request_id).await? {
                return Ok((done, true));
            }
            let (code, booking, _) = lookup(db, counter, &request.code).await?;
            return Err(refusal(&code, &booking, now).unwrap_or_else(checked_in));
        }
        Err(e) => return Err(e),
    };
    let row = outcome.event().clone();
    if outcome.is_replay() {
        txn.commit().await?;
        return Ok((view(db, row).await?, true));
    }
    if let Some(member_id) = booking.member_id {
        earn::reward(
            &txn,
            member_id,
            Reason::EventAttended,
            &booking.id.to_string(),
            now,
        )
        .await;
    }
    txn.commit().await?;
    Ok((view(db, row).await?, false))
}
