//! Redemption codes: what the mini-program's QR code carries. Each is 20 random decimal digits
//! (over 66 bits from the operating system's generator: nothing to guess from a coupon or a
//! time), valid [`CODE_TTL_SECS`] seconds, good for one redemption of its one coupon. Asking for
//! a new code replaces the previous one. Only the code's SHA-256 is stored.

use chrono::{DateTime, Duration, Utc};
use entity::{coupon_codes as codes, coupons};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::state::{ACTIVE, REPLACED, UNUSED, USED};
use crate::domain::coupons::CODE_TTL_SECS;
use crate::error::{AppError, ErrorCode};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RedemptionCode {
    /// 20 digits, for the QR code (and to read out if the scanner fails).
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// 20 decimal digits from 128 random bits.
pub(crate) fn fresh_code() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let n = u128::from_le_bytes(bytes) % 100_000_000_000_000_000_000u128;
    format!("{n:020}")
}

/// What is stored of a code.
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().as_bytes()))
}

pub(crate) fn coupon_not_found() -> AppError {
    AppError::new(ErrorCode::CouponNotFound, "no such coupon of yours")
}

/// A fresh code for the member's unused, valid coupon; the previous code stops working.
pub async fn issue(
    db: &DatabaseConnection,
    member_id: i32,
    coupon_id: i64,
    now: DateTime<Utc>,
) -> Result<RedemptionCode, AppError> {
    let txn = db.begin().await?;
    // First statement: the coupon's row lock (PostgreSQL) or the write lock (SQLite), so two
    // requests for a code of one coupon run one after the other and one code stays active.
    let locked = coupons::Entity::update_many()
        .col_expr(
            coupons::Column::Status,
            Expr::col(coupons::Column::Status).into(),
        )
        .filter(coupons::Column::Id.eq(coupon_id))
        .filter(coupons::Column::MemberId.eq(member_id))
        .exec(&txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(coupon_not_found());
    }
    let coupon = coupons::Entity::find_by_id(coupon_id)
        .one(&txn)
        .await?
        .ok_or_else(coupon_not_found)?;
    if coupon.status != UNUSED {
        return Err(AppError::new(
            ErrorCode::CouponUsed,
            "the coupon was redeemed already",
        ));
    }
    if now < coupon.valid_from || now >= coupon.valid_until {
        return Err(AppError::new(
            ErrorCode::CouponExpired,
            "the coupon is outside its validity",
        ));
    }
    codes::Entity::update_many()
        .col_expr(codes::Column::Status, Expr::value(REPLACED))
        .filter(codes::Column::CouponId.eq(coupon_id))
        .filter(codes::Column::Status.eq(ACTIVE))
        .exec(&txn)
        .await?;
    let code = fresh_code();
    let expires_at = now + Duration::seconds(CODE_TTL_SECS);
    codes::ActiveModel {
        coupon_id: Set(coupon_id),
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

/// The code row a typed or scanned code names, if any.
pub(crate) async fn find<C: sea_orm::ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Option<codes::Model>, AppError> {
    Ok(codes::Entity::find()
        .filter(codes::Column::CodeHash.eq(code_hash(code)))
        .one(db)
        .await?)
}

/// Whether a code row can still be redeemed (before the coupon is looked at).
pub(crate) fn code_refusal(code: &codes::Model, now: DateTime<Utc>) -> Option<AppError> {
    if code.status == USED {
        Some(AppError::new(
            ErrorCode::AlreadyRedeemed,
            "this code was used: the coupon was redeemed already",
        ))
    } else if code.status == REPLACED {
        Some(AppError::new(
            ErrorCode::CodeExpired,
            "a newer code replaced this one: ask the parent to show the current code",
        ))
    } else if now >= code.expires_at {
        Some(AppError::new(
            ErrorCode::CodeExpired,
            "the code is over 60 seconds old: ask the parent to refresh it",
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twenty_digits_and_differ() {
        let a = fresh_code();
        let b = fresh_code();
        assert_eq!(a.len(), 20);
        assert!(a.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(a, b);
        assert_eq!(code_hash(&a).len(), 64);
        assert_ne!(code_hash(&a), code_hash(&b));
    }
}
