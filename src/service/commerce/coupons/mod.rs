//! Coupons of partner merchants and of the platform's own shop, end to end: templates and their
//! approval ([`templates`]), parents' claims and grants ([`claims`]), 60-second single-use
//! redemption codes ([`codes`]), counter redemption ([`redemptions`]), the settlement
//! ([`settlement`]), merchants' reports ([`reports`]) and the messages to parents ([`notices`]).
//!
//! What must hold under parallel requests is held by the database, through
//! [`crate::service::ledger`]: a claim appends the coupon (unique by member and request id),
//! moves the member's remaining claims and the template's remaining stock down only while they
//! stay at or above zero, in one transaction; a redemption appends the redemption (unique by
//! merchant and request id, and by coupon) and moves the code `active → used` and the coupon
//! `unused → used` with guarded updates. A refused guard writes nothing, and the answer says why
//! from the rows as they are after it.

pub mod claims;
pub mod codes;
pub mod notices;
pub mod redemptions;
pub mod reports;
pub mod settlement;
pub mod templates;

use chrono::{DateTime, Utc};
use entity::coupon_templates;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::coupons::{AgeBand, CouponKind, Field, FieldError, Validity};
use crate::error::{AppError, ErrorCode};

/// Template statuses, as stored.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const PENDING: &str = "pending";
    pub const LIVE: &str = "live";
    pub const PAUSED: &str = "paused";
    pub const ENDED: &str = "ended";
    pub const REJECTED: &str = "rejected";
}

/// A coupon's or a code's statuses, as stored.
pub mod state {
    pub const UNUSED: &str = "unused";
    pub const USED: &str = "used";
    /// A platform coupon held by an unpaid shop order: `unused → locked → used`, or back to
    /// `unused` when the order is cancelled (or refunded).
    pub const LOCKED: &str = "locked";
    pub const ACTIVE: &str = "active";
    pub const REPLACED: &str = "replaced";
}

/// The error code of a template field's broken rule.
pub(crate) fn field_error(e: FieldError) -> AppError {
    let code = match e.field {
        Field::Title => ErrorCode::InvalidTitle,
        Field::Description => ErrorCode::InvalidDescription,
        Field::Kind => ErrorCode::InvalidCouponKind,
        Field::AmountFen => ErrorCode::InvalidAmountFen,
        Field::ThresholdFen => ErrorCode::InvalidThresholdFen,
        Field::PercentOff => ErrorCode::InvalidPercentOff,
        Field::MaxOffFen => ErrorCode::InvalidMaxOffFen,
        Field::Validity => ErrorCode::InvalidValidity,
        Field::TotalStock => ErrorCode::InvalidTotalStock,
        Field::PerMemberLimit => ErrorCode::InvalidPerMemberLimit,
        Field::ClaimWindow => ErrorCode::InvalidClaimWindow,
        Field::AgeBand => ErrorCode::InvalidAgeBand,
        Field::Cities => ErrorCode::InvalidCities,
        Field::PointsCost => ErrorCode::InvalidPointsCost,
    };
    AppError::new(code, e.message)
}

pub(crate) fn template_not_found() -> AppError {
    AppError::new(ErrorCode::TemplateNotFound, "no such coupon template")
}

/// A client's idempotency key: 1-64 characters, no control characters.
pub(crate) fn checked_request_id(request_id: &str) -> Result<String, AppError> {
    let id = request_id.trim();
    if id.is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
        return Err(AppError::new(
            ErrorCode::InvalidRequestId,
            "request_id must be 1-64 characters without control characters",
        ));
    }
    Ok(id.to_owned())
}

fn stored<T>(value: Option<T>, what: &str) -> Result<T, AppError> {
    value.ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored template has a bad {what}")))
}

/// The template's rules as the domain reads them, from its row.
pub(crate) struct Stored {
    pub kind: CouponKind,
    pub validity: Validity,
    pub age_band: Option<AgeBand>,
    pub cities: Option<Vec<String>>,
}

pub(crate) fn read(row: &coupon_templates::Model) -> Result<Stored, AppError> {
    let kind = stored(CouponKind::parse(&row.kind), "kind")?;
    let validity = match row.validity_type.as_str() {
        "fixed" => Validity::Fixed {
            from: stored(row.valid_from, "valid_from")?,
            to: stored(row.valid_to, "valid_to")?,
        },
        _ => Validity::Relative {
            days: i64::from(stored(row.valid_days, "valid_days")?),
        },
    };
    let age_band = match (row.age_min_days, row.age_max_days) {
        (Some(min), Some(max)) => Some(AgeBand {
            min: i64::from(min),
            max: i64::from(max),
        }),
        _ => None,
    };
    let cities = match &row.cities {
        Some(json) => Some(
            serde_json::from_str::<Vec<String>>(json)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("stored cities: {e}")))?,
        ),
        None => None,
    };
    Ok(Stored {
        kind,
        validity,
        age_band,
        cities,
    })
}

/// A coupon template as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: i32,
    /// Null: the platform's own shop.
    pub merchant_id: Option<i32>,
    pub title: String,
    pub description: String,
    pub kind: CouponKind,
    pub amount_fen: Option<i64>,
    pub threshold_fen: i64,
    pub percent_off: Option<i32>,
    pub max_off_fen: Option<i64>,
    pub validity: Validity,
    pub total_stock: i32,
    pub claimed: i32,
    pub remaining: i32,
    pub per_member_limit: i32,
    pub claim_from: DateTime<Utc>,
    pub claim_to: DateTime<Utc>,
    pub baby_age_days: Option<AgeBand>,
    pub cities: Option<Vec<String>>,
    pub points_cost: i32,
    /// `draft`, `pending`, `live`, `paused`, `ended` or `rejected`.
    pub status: String,
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn template_view(row: coupon_templates::Model) -> Result<TemplateView, AppError> {
    let rules = read(&row)?;
    Ok(TemplateView {
        id: row.id,
        merchant_id: row.merchant_id,
        title: row.title,
        description: row.description,
        kind: rules.kind,
        amount_fen: row.amount_fen,
        threshold_fen: row.threshold_fen,
        percent_off: row.percent_off,
        max_off_fen: row.max_off_fen,
        validity: rules.validity,
        total_stock: row.total_stock,
        claimed: row.total_stock - row.remaining,
        remaining: row.remaining,
        per_member_limit: row.per_member_limit,
        claim_from: row.claim_from,
        claim_to: row.claim_to,
        baby_age_days: rules.age_band,
        cities: rules.cities,
        points_cost: row.points_cost,
        status: row.status,
        reject_reason: row.reject_reason,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
