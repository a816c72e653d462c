use chrono::NaiveDate;

use super::Reason;

/// What a member's action or an event can be refused with. [`PointsError::code`] is stable.
/// `InsufficientPoints` and `AlreadyCheckedIn` are conflicts (409), `BaseMismatch` is a fault in
/// the calling code, the rest are bad input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("{needed} points needed, {available} available")]
    InsufficientPoints { needed: i64, available: i64 },
    #[error("an amount of points must be positive (got {amount})")]
    InvalidAmount { amount: i64 },
    #[error("a paid amount cannot be negative (got {fen} fen)")]
    InvalidPaidAmount { fen: i64 },
    #[error("already checked in on {day}")]
    AlreadyCheckedIn { day: NaiveDate },
    #[error("earning for `{reason}` is switched off")]
    EarningDisabled { reason: Reason },
    #[error("the event for `{reason}` does not carry what its award is computed from")]
    BaseMismatch { reason: Reason },
    #[error("a reference is 1-64 characters without control characters")]
    InvalidReference,
    #[error("a date is too far in the future to compute with")]
    DateOutOfRange,
}

impl PointsError {
    pub fn code(&self) -> &'static str {
        match self {
            PointsError::InsufficientPoints { .. } => "insufficient_points",
            PointsError::InvalidAmount { .. } => "invalid_points_amount",
            PointsError::InvalidPaidAmount { .. } => "invalid_paid_amount",
            PointsError::AlreadyCheckedIn { .. } => "already_checked_in",
            PointsError::EarningDisabled { .. } => "earning_disabled",
            PointsError::BaseMismatch { .. } => "base_mismatch",
            PointsError::InvalidReference => "invalid_reference",
            PointsError::DateOutOfRange => "date_out_of_range",
        }
    }
}

/// What is wrong with operator-edited data: earning rules, the level table, a campaign, the
/// expiry setting. All are bad input (400/422); the message names the offending item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    // ---- earning rules
    #[error("unknown earning reason `{reason}`")]
    UnknownReason { reason: String },
    #[error("`{reason}` has more than one rule")]
    DuplicateReason { reason: Reason },
    #[error("`{reason}` has no rule; every reason needs one (switch it off with enabled: false)")]
    MissingReason { reason: Reason },
    #[error("`{reason}` needs a `{expected}` award")]
    AwardKindMismatch {
        reason: Reason,
        expected: &'static str,
    },
    #[error("`{reason}`: {field} cannot be negative")]
    NegativeAward { reason: Reason, field: &'static str },
    #[error("`{reason}`: {field} {cap} is below a single award of {award}")]
    CapBelowAward {
        reason: Reason,
        field: &'static str,
        cap: i64,
        award: i64,
    },
    #[error("the check-in ladder needs 1 to {max} days (got {days})")]
    InvalidStreakLadder { days: usize, max: usize },
    #[error("the check-in ladder decreases at day {day}: breaking a streak would pay more")]
    StreakLadderDecreasing { day: usize },
    // ---- levels
    #[error("the level table is empty")]
    EmptyLevelTable,
    #[error("the first level must start at growth 0 (starts at {threshold})")]
    FirstThresholdNotZero { threshold: i64 },
    #[error("level `{level}`: its threshold {threshold} is not above the previous level's")]
    ThresholdsNotAscending { level: String, threshold: i64 },
    #[error("level id `{level}` is used twice")]
    DuplicateLevelId { level: String },
    #[error("level id `{level}` is not 1-64 of a-z, 0-9, '_' or '-'")]
    InvalidLevelId { level: String },
    #[error("level `{level}`: the name must be 1-64 characters without control characters")]
    InvalidLevelName { level: String },
    #[error("level `{level}`: its points multiplier is below the previous level's")]
    MultiplierDecreasing { level: String },
    #[error("level `{level}`: coupon template `{template}` is not 1-64 of a-z, 0-9, '_' or '-'")]
    InvalidCouponTemplate { level: String, template: String },
    // ---- campaigns
    #[error("campaign slug `{slug}` is not 1-64 of a-z, 0-9, '_' or '-'")]
    InvalidCampaignSlug { slug: String },
    #[error("campaign `{slug}`: the name must be 1-64 characters without control characters")]
    InvalidCampaignName { slug: String },
    #[error("campaign `{slug}`: it ends on {ends_on}, before it starts on {starts_on}")]
    CampaignDatesReversed {
        slug: String,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    #[error("campaign `{slug}`: day of month {day} is not 1-31")]
    InvalidDayOfMonth { slug: String, day: u8 },
    #[error("campaign `{slug}`: `{field}` names nothing; use \"any\" or name at least one")]
    EmptyScope { slug: String, field: &'static str },
    #[error("campaign `{slug}`: no level `{level}` in the level table")]
    UnknownLevel { slug: String, level: String },
    // ---- shared
    #[error("{what}: multiplier {value} is outside {min}..={max} basis points")]
    MultiplierOutOfRange {
        what: String,
        value: u32,
        min: u32,
        max: u32,
    },
    #[error("points expiry must be 1 to {max} months (got {months})")]
    InvalidExpiryMonths { months: u32, max: u32 },
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::UnknownReason { .. } => "unknown_reason",
            ConfigError::DuplicateReason { .. } => "duplicate_reason",
            ConfigError::MissingReason { .. } => "missing_reason",
            ConfigError::AwardKindMismatch { .. } => "award_kind_mismatch",
            ConfigError::NegativeAward { .. } => "negative_award",
            ConfigError::CapBelowAward { .. } => "cap_below_award",
            ConfigError::InvalidStreakLadder { .. } => "invalid_streak_ladder",
            ConfigError::StreakLadderDecreasing { .. } => "streak_ladder_decreasing",
            ConfigError::EmptyLevelTable => "empty_level_table",
            ConfigError::FirstThresholdNotZero { .. } => "first_threshold_not_zero",
            ConfigError::ThresholdsNotAscending { .. } => "thresholds_not_ascending",
            ConfigError::DuplicateLevelId { .. } => "duplicate_level_id",
            ConfigError::InvalidLevelId { .. } => "invalid_level_id",
            ConfigError::InvalidLevelName { .. } => "invalid_level_name",
            ConfigError::MultiplierDecreasing { .. } => "multiplier_decreasing",
            ConfigError::InvalidCouponTemplate { .. } => "invalid_coupon_template",
            ConfigError::InvalidCampaignSlug { .. } => "invalid_campaign_slug",
            ConfigError::InvalidCampaignName { .. } => "invalid_campaign_name",
            ConfigError::CampaignDatesReversed { .. } => "campaign_dates_reversed",
            ConfigError::InvalidDayOfMonth { .. } => "invalid_day_of_month",
            ConfigError::EmptyScope { .. } => "empty_scope",
            ConfigError::UnknownLevel { .. } => "unknown_level",
            ConfigError::MultiplierOutOfRange { .. } => "multiplier_out_of_range",
            ConfigError::InvalidExpiryMonths { .. } => "invalid_expiry_months",
        }
    }
}
