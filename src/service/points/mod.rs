//! Points and growth over the database: the ledger, lots, check-ins, earning, spending, expiry,
//! the operators' data (earning rules, levels, campaigns) and the member's views. The rules are
//! pure, in `crate::domain::points`.
//!
//! # One account, one ledger, lots
//!
//! - `points_accounts` holds each member's balance and growth; `points_ledger` holds every move
//!   (credit, spend, expire, adjustment) with the balance and growth after it; `points_lots`
//!   holds what is left of each credit and when it expires (a lot's id is its credit row's id).
//!   The ledger's deltas add up to the balance, and the open lots' remainders too
//!   ([`verify::verify`], `babyvax points verify`).
//! - Every move goes through the house's balance rule (`service::ledger::apply`): its
//!   idempotency key (`reason:reference`, `adjustment:<request_id>`, `spend:<purpose>:<ref>`,
//!   `expire:<lot>`) is unique per member; the balance moves by a guarded update that never
//!   takes it below zero, and each lot a spend or expiry takes from by another.
//! - Each move first locks the member's account (a write, so SQLite's write lock is taken
//!   before any read; a row lock on PostgreSQL), then reads what it needs (balance, lots,
//!   today's earnings for the caps, the last check-in): moves of one member are serialised,
//!   so `balance_after` and the caps are exact and parallel requests cannot both pass a check.
//! - Spends and negative adjustments sweep the member's expired lots first (`expire` rows), so
//!   the balance equals what can be spent; then they take the earliest-expiring lots first.
//!   A spend beyond the balance answers 409 `insufficient_points` and writes nothing.
//! - Credits that a cap cuts to nothing still write their (zero) row: the key is claimed, so
//!   an action undone and redone later never earns twice.
//!
//! # Where points are earned
//!
//! Credited where the action happens: `care` credits a completed baby profile (reference: the
//! baby), a recorded dose (reference: `baby:vaccine:dose`, the dose slot, so deleting and
//! recording a dose again earns once) and a record complete before the due date;
//! `care` also credits a stage article read (`GET /api/v1/articles/{id}`; reference: the ISO
//! week, so once a week); `messaging` credits reminders enabled (a subscribe consent's accept;
//! reference: the template). Reasons whose feature is not open (Q&A, invites, purchases) are
//! rules already, credited by [`earn::credit`] when their feature calls it (purchase:
//! [`earn::credit_purchase`]); Q&A and invites are switched off in the default rules.
//!
//! The paid membership tier (`audience::membership::tier_on`) is part of the earner: campaigns
//! can target tiers, and a tier's points multiplier (premium: double points) applies like the
//! level's.
pub mod adjust;
mod book;
pub mod check_in;
pub mod config;
pub mod earn;
pub mod expiry;
pub mod spend;
pub mod verify;
pub mod views;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::domain::points::{
    ConfigError, DEFAULT_EXPIRY_MONTHS, PointsError, validate_expiry_months,
};
use crate::error::{AppError, ErrorCode};

pub use spend::spend;

static EXPIRY_MONTHS: AtomicU32 = AtomicU32::new(DEFAULT_EXPIRY_MONTHS);

/// Sets `BABYVAX_POINTS_EXPIRY_MONTHS` for the process (start-up does, from the settings).
/// It only decides the expiry date of new credits; lots keep the date they were given.
pub fn set_expiry_months(months: u32) -> Result<(), AppError> {
    let months = validate_expiry_months(months).map_err(|e| config_error("points", &e))?;
    EXPIRY_MONTHS.store(months, Ordering::Relaxed);
    Ok(())
}

pub fn expiry_months() -> u32 {
    EXPIRY_MONTHS.load(Ordering::Relaxed)
}

/// A domain refusal as the doors answer it.
pub fn points_error(err: PointsError) -> AppError {
    let code = match &err {
        PointsError::InsufficientPoints { .. } => ErrorCode::InsufficientPoints,
        PointsError::InvalidAmount { .. } => ErrorCode::InvalidPointsAmount,
        PointsError::InvalidPaidAmount { .. } => ErrorCode::InvalidPaidAmount,
        PointsError::AlreadyCheckedIn { .. } => ErrorCode::AlreadyCheckedIn,
        PointsError::EarningDisabled { .. } => ErrorCode::EarningDisabled,
        PointsError::InvalidReference => ErrorCode::InvalidPointsReference,
        PointsError::DateOutOfRange => ErrorCode::DateOutOfRange,
        PointsError::BaseMismatch { .. } => {
            return AppError::Internal(anyhow::anyhow!("points: {err}"));
        }
    };
    AppError::new(code, err.to_string())
}

/// Operator data refused, the message prefixed with the document (`rules`, `levels`,
/// `campaign`) and naming the item and field.
pub fn config_error(document: &str, err: &ConfigError) -> AppError {
    let code = match err {
        ConfigError::UnknownReason { .. } => ErrorCode::UnknownReason,
        ConfigError::DuplicateReason { .. } => ErrorCode::DuplicateReason,
        ConfigError::MissingReason { .. } => ErrorCode::MissingReason,
        ConfigError::AwardKindMismatch { .. } => ErrorCode::AwardKindMismatch,
        ConfigError::NegativeAward { .. } => ErrorCode::NegativeAward,
        ConfigError::CapBelowAward { .. } => ErrorCode::CapBelowAward,
        ConfigError::InvalidStreakLadder { .. } => ErrorCode::InvalidStreakLadder,
        ConfigError::StreakLadderDecreasing { .. } => ErrorCode::StreakLadderDecreasing,
        ConfigError::EmptyLevelTable => ErrorCode::EmptyLevelTable,
        ConfigError::FirstThresholdNotZero { .. } => ErrorCode::FirstThresholdNotZero,
        ConfigError::ThresholdsNotAscending { .. } => ErrorCode::ThresholdsNotAscending,
        ConfigError::DuplicateLevelId { .. } => ErrorCode::DuplicateLevelId,
        ConfigError::InvalidLevelId { .. } => ErrorCode::InvalidLevelId,
        ConfigError::InvalidLevelName { .. } => ErrorCode::InvalidLevelName,
        ConfigError::MultiplierDecreasing { .. } => ErrorCode::MultiplierDecreasing,
        ConfigError::InvalidCouponTemplate { .. } => ErrorCode::InvalidCouponTemplate,
        ConfigError::InvalidCampaignSlug { .. } => ErrorCode::InvalidCampaignSlug,
        ConfigError::InvalidCampaignName { .. } => ErrorCode::InvalidCampaignName,
        ConfigError::CampaignDatesReversed { .. } => ErrorCode::CampaignDatesReversed,
        ConfigError::InvalidDayOfMonth { .. } => ErrorCode::InvalidDayOfMonth,
        ConfigError::EmptyScope { .. } => ErrorCode::EmptyScope,
        ConfigError::UnknownLevel { .. } => ErrorCode::UnknownLevel,
        ConfigError::MultiplierOutOfRange { .. } => ErrorCode::MultiplierOutOfRange,
        ConfigError::InvalidExpiryMonths { .. } => ErrorCode::InvalidExpiryMonths,
    };
    AppError::new(code, format!("{document}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::points::Reason;

    #[test]
    fn domain_codes_are_the_registry_codes() {
        let refusals = [
            PointsError::InsufficientPoints {
                needed: 2,
                available: 1,
            },
            PointsError::InvalidAmount { amount: 0 },
            PointsError::InvalidPaidAmount { fen: -1 },
            PointsError::AlreadyCheckedIn {
                day: chrono::NaiveDate::MIN,
            },
            PointsError::EarningDisabled {
                reason: Reason::CheckIn,
            },
            PointsError::InvalidReference,
            PointsError::DateOutOfRange,
        ];
        for err in refusals {
            assert_eq!(points_error(err.clone()).code(), err.code());
        }
        let configs = [
            ConfigError::UnknownReason { reason: "x".into() },
            ConfigError::EmptyLevelTable,
            ConfigError::InvalidCampaignName { slug: "x".into() },
            ConfigError::InvalidExpiryMonths { months: 0, max: 1 },
            ConfigError::StreakLadderDecreasing { day: 2 },
        ];
        for err in configs {
            assert_eq!(config_error("x", &err).code(), err.code());
        }
    }
}
