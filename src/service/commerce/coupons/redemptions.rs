//! Redemption at a merchant's counter: a preview of the coupon behind a code, then the
//! redemption, exactly once.
//!
//! A code of a coupon of another merchant (or of the platform's shop) answers 404
//! `code_not_found`, like a code that does not exist: it does not exist for this clerk. The
//! redemption is one [`ledger::apply`] inside the transaction that also writes the settlement
//! line and the parent's message: the redemption row is the event (unique by merchant and
//! `request_id`, so a retry answers the same redemption; unique by coupon), the code moves
//! `active → used` only while it has not expired, and the coupon `unused → used` only while it
//! is valid. Of parallel redemptions of one code exactly one passes the guards; the others are
//! told why from the rows as they are after it (409 `already_redeemed`).

use chrono::{DateTime, Utc};
use entity::{
    coupon_codes as codes, coupon_redemptions as redemptions, coupon_templates as templates,
    coupons, members, merchants,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::codes::{code_refusal, find as find_code};
use super::notices;
use super::settlement::{self, NewLine};
use super::state::{ACTIVE, UNUSED, USED};
use super::{checked_request_id, read, template_not_found};
use crate::domain::coupons::{CouponKind, commission, face_value};
use crate::domain::push::QuietHours;
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard};
use crate::service::support::is_unique_violation;

/// Who is at the counter.
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    pub merchant_id: i32,
    pub staff_id: i32,
    /// The clerk's store; None for an owner.
    pub store_id: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The code the parent's QR code carries.
    pub code: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    pub code: String,
    /// The counter's key for this redemption (1-64 characters): the same key again answers the
    /// same redemption.
    #[schema(min_length = 1, max_length = 64)]
    pub request_id: String,
    /// The order's amount in fen (0-10000000000).
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub order_amount_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub coupon_id: i64,
    pub template_id: i32,
    pub title: String,
    pub kind: CouponKind,
    pub amount_fen: Option<i64>,
    pub threshold_fen: i64,
    pub percent_off: Option<i32>,
    pub max_off_fen: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The parent's nickname, masked (`张**`).
    pub member: String,
    pub code_expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RedemptionView {
    pub id: i64,
    pub coupon_id: i64,
    pub template_id: i32,
    pub title: String,
    pub store_id: Option<i32>,
    pub staff_id: i32,
    pub request_id: String,
    pub order_amount_fen: i64,
    /// What the coupon took off the order (or the gift's value).
    pub face_value_fen: i64,
    pub redeemed_at: DateTime<Utc>,
}

fn code_not_found() -> AppError {
    AppError::new(ErrorCode::CodeNotFound, "no such code")
}

fn mask(nickname: Option<&str>) -> String {
    match nickname.and_then(|n| n.chars().next()) {
        Some(first) => format!("{first}**"),
        None => "微信用户".to_owned(),
    }
}

/// The code's coupon and template, if the code is one of this merchant's coupons.
async fn lookup<C: ConnectionTrait>(
    db: &C,
    counter: Counter,
    code: &str,
) -> Result<(codes::Model, coupons::Model, templates::Model), AppError> {
    let code = find_code(db, code).await?.ok_or_else(code_not_found)?;
    let coupon = coupons::Entity::find_by_id(code.coupon_id)
        .one(db)
        .await?
        .ok_or_else(code_not_found)?;
    if coupon.merchant_id != Some(counter.merchant_id) {
        return Err(code_not_found());
    }
    let template = templates::Entity::find_by_id(coupon.template_id)
        .one(db)
        .await?
        .ok_or_else(template_not_found)?;
    Ok((code, coupon, template))
}

/// Why the code cannot be redeemed now, if it cannot.
fn refusal(code: &codes::Model, coupon: &coupons::Model, now: DateTime<Utc>) -> Option<AppError> {
    if coupon.status == USED {
        return Some(AppError::new(
            ErrorCode::AlreadyRedeemed,
            "the coupon was redeemed already",
        ));
    }
    if let Some(refused) = code_refusal(code, now) {
        return Some(refused);
    }
    if now < coupon.valid_from || now >= coupon.valid_until {
        return Some(AppError::new(
            ErrorCode::CouponExpired,
            "the coupon is outside its validity",
        ));
    }
    None
}

async fn blocked<C: ConnectionTrait>(db: &C, merchant_id: i32) -> Result<bool, AppError> {
    Ok(merchants::Entity::find_by_id(merchant_id)
        .one(db)
        .await?
        .is_none_or(|m| m.redemption_blocked))
}

/// The coupon behind a code, for the clerk to check before redeeming; redeems nothing.
pub async fn preview(
    db: &DatabaseConnection,
    counter: Counter,
    request: &PreviewRequest,
    now: DateTime<Utc>,
) -> Result<Preview, AppError> {
    let (code, coupon, template) = lookup(db, counter, &request.code).await?;
    if let Some(refused) = refusal(&code, &coupon, now) {
        return Err(refused);
    }
    let nickname = match coupon.member_id {
        Some(id) => members::Entity::find_by_id(id)
            .one(db)
            .await?
            .and_then(|m| m.nickname),
        None => None,
    };
    Ok(Preview {
        coupon_id: coupon.id,
        template_id: template.id,
        kind: read(&template)?.kind,
        title: template.title,
        amount_fen: template.amount_fen,
        threshold_fen: template.threshold_fen,
        percent_off: template.percent_off,
        max_off_fen: template.max_off_fen,
        valid_from: coupon.valid_from,
        valid_until: coupon.valid_until,
        member: mask(nickname.as_deref()),
        code_expires_at: code.expires_at,
    })
}

async fn view<C: ConnectionTrait>(
    db: &C,
    row: redemptions::Model,
) -> Result<RedemptionView, AppError> {
    let coupon = coupons::Entity::find_by_id(row.coupon_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("redemption without its coupon")))?;
    let template = templates::Entity::find_by_id(coupon.template_id)
        .one(db)
        .await?
        .ok_or_else(template_not_found)?;
    Ok(RedemptionView {
        id: row.id,
        coupon_id: row.coupon_id,
        template_id: template.id,
        title: template.title,
        store_id: row.store_id,
        staff_id: row.staff_id,
        request_id: row.request_id,
        order_amount_fen: row.order_amount_fen,
        face_value_fen: row.face_value_fen,
        redeemed_at: row.redeemed_at,
    })
}

async fn replayed<C: ConnectionTrait>(
    db: &C,
    merchant_id: i32,
    request_id: &str,
) -> Result<Option<RedemptionView>, AppError> {
    match redemptions::Entity::find()
        .filter(redemptions::Column::MerchantId.eq(merchant_id))
        .filter(redemptions::Column::RequestId.eq(request_id))
        .one(db)
        .await?
    {
        Some(row) => Ok(Some(view(db, row).await?)),
        None => Ok(None),
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

/// Redeems the coupon behind `request.code` at `counter`, exactly once. Answers the redemption
/// and whether it is a replay of an earlier request with the same `request_id`.
pub async fn redeem(
    db: &DatabaseConnection,
    counter: Counter,
    request: &RedeemRequest,
    quiet: QuietHours,
    now: DateTime<Utc>,
) -> Result<(RedemptionView, bool), AppError> {
    let request_id = checked_request_id(&request.request_id)?;
    if !(0..=10_000_000_000).contains(&request.order_amount_fen) {
        return Err(AppError::new(
            ErrorCode::InvalidOrderAmount,
            "order_amount_fen must be 0-10000000000 fen",
        ));
    }
    if let Some(done) = replayed(db, counter.merchant_id, &request_id).await? {
        return Ok((done, true));
    }
    let (code, coupon, template) = lookup(db, counter, &request.code).await?;
    if let Some(refused) = refusal(&code, &coupon, now) {
        return Err(refused);
    }
    if blocked(db, counter.merchant_id).await? {
        return Err(AppError::new(
            ErrorCode::RedemptionsBlocked,
            "an operator stopped this merchant's redemptions",
        ));
    }
    let kind = read(&template)?.kind;
    if kind != CouponKind::Gift && request.order_amount_fen < template.threshold_fen {
        return Err(AppError::new(
            ErrorCode::BelowThreshold,
            format!(
                "the order is {} fen; this coupon needs at least {} fen",
                request.order_amount_fen, template.threshold_fen
            ),
        ));
    }
    let face = face_value(
        kind,
        template.amount_fen,
        template.percent_off,
        template.max_off_fen,
        request.order_amount_fen,
    );
    let already = || {
        AppError::new(
            ErrorCode::AlreadyRedeemed,
            "the coupon was redeemed already",
        )
    };
    let entry = Entry::new(redemptions::ActiveModel {
        coupon_id: Set(coupon.id),
        merchant_id: Set(counter.merchant_id),
        store_id: Set(counter.store_id),
        staff_id: Set(counter.staff_id),
        request_id: Set(request_id.clone()),
        order_amount_fen: Set(request.order_amount_fen),
        face_value_fen: Set(face),
        redeemed_at: Set(now),
        ..Default::default()
    })
    .keyed_by([
        redemptions::Column::MerchantId,
        redemptions::Column::RequestId,
    ])
    .guard(Guard::transition(
        codes::Entity::update_many()
            .filter(codes::Column::Id.eq(code.id))
            .filter(codes::Column::ExpiresAt.gt(now)),
        codes::Column::Status,
        ACTIVE,
        USED,
        already(),
    ))
    .guard(Guard::transition(
        coupons::Entity::update_many()
            .col_expr(coupons::Column::UsedAt, Expr::value(Some(now)))
            .filter(coupons::Column::Id.eq(coupon.id))
            .filter(coupons::Column::ValidFrom.lte(now))
            .filter(coupons::Column::ValidUntil.gt(now)),
        coupons::Column::Status,
        UNUSED,
        USED,
        already(),
    ));

    let txn = db.begin().await?;
    let outcome = match ledger::apply(&txn, entry).await {
        Ok(outcome) => outcome,
        Err(e) if e.error_code() == ErrorCode::AlreadyRedeemed || unique_violation(&e) => {
            drop(txn);
            // Someone else's redemption came first (or this request's own, retried): say why
            // from the rows as they are now.
            if let Some(done) = replayed(db, counter.merchant_id, &request_id).await? {
                return Ok((done, true));
            }
            let (code, coupon, _) = lookup(db, counter, &request.code).await?;
            return Err(refusal(&code, &coupon, now).unwrap_or_else(already));
        }
        Err(e) => return Err(e),
    };
    let row = outcome.event().clone();
    if outcome.is_replay() {
        txn.commit().await?;
        return Ok((view(db, row).await?, true));
    }
    let merchant = merchants::Entity::find_by_id(counter.merchant_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("redeeming merchant vanished")))?;
    settlement::write_line(
        &txn,
        NewLine {
            merchant_id: counter.merchant_id,
            store_id: counter.store_id,
            template_id: Some(template.id),
            redemption_id: Some(row.id),
            kind: "redemption",
            face_value_fen: face,
            commission_fen: commission(face, merchant.commission_bps),
            note: None,
        },
        now,
    )
    .await?;
    if let Some(member_id) = coupon.member_id {
        notices::redeemed(
            &txn,
            member_id,
            &coupon,
            &template,
            &merchant.name,
            quiet,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok((view(db, row).await?, false))
}
