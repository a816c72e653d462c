//! Points and growth: the pure rules under the points ledger. No database, no clock; every date
//! is an Asia/Shanghai calendar date passed in by the caller.
//!
//! # Points are a currency kept in lots
//!
//! Every credit is a [`Lot`] that expires at the end of the month `expiry_months` months after the
//! month it was earned ([`lot_expires_on`]; 2025-01-15 with 12 months → 2026-01-31). A lot can be
//! spent up to and including its `expires_on` day; from the next day it is expired.
//! - [`plan_spend`] consumes the earliest-expiring lots first (then the lowest id) and never lets
//!   a spend exceed what is spendable: it answers `insufficient_points` and consumes nothing.
//!   Lots already expired but not yet swept are not spendable, so a service sweeps a member's
//!   [`expired_remainders`] in the same transaction before spending (balance == spendable then).
//! - [`expired_remainders`] lists what the daily job writes as `expire` ledger rows, one per lot,
//!   keyed by [`LotExpiry::idempotency_key`]; once applied, the same call answers nothing.
//! - [`expiring_within`] is the "expires in the next N days" summary, grouped by date.
//!
//! # Growth is not points
//!
//! Growth only increases and is never spent; it picks the member's [`Level`] from a
//! [`LevelTable`] (data: thresholds and [`Privileges`]). Multipliers apply to points, never to
//! growth.
//!
//! # Earning
//!
//! A [`RuleSet`] holds one [`EarningRule`] per [`Reason`]. [`compute_credit`] turns an event into
//! the points and growth to credit: base award (fixed, per streak day, or per yuan paid) × the
//! level multiplier × the best applying [`Campaign`] multiplier, rounded to the nearest point
//! (halves up), then clipped to what is left of the daily cap. The cap is on the multiplied
//! points, so a double-points day never lifts a capped reason over its cap. When several
//! campaigns apply, the highest multiplier wins (ties: the smallest slug); campaigns never stack.
//!
//! Idempotency is the service's unique index; the domain names the key ([`idempotency_key`]):
//! `reason:reference` for a once-per-reference rule (the reference conventions are on each
//! [`Reason`]), the client's request id otherwise.
//!
//! # Check-in
//!
//! [`check_in`] decides today's streak day from the last check-in: the day after yesterday's
//! streak day, day 1 after a missed day, and day 1 again after the last day of the ladder. The
//! ladder must not decrease (otherwise breaking a streak on purpose would pay more).
//!
//! # Money and multipliers
//!
//! Money is fen (`i64`); purchases earn per whole yuan paid (fen / 100, rounded down).
//! Multipliers are basis points: 10 000 = ×1, 20 000 = double.

mod campaigns;
mod checkin;
mod error;
mod levels;
mod lots;
mod rules;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use campaigns::{
    CAMPAIGN_MULTIPLIER_MAX, CAMPAIGN_MULTIPLIER_MIN, Campaign, CampaignDays, best_campaign,
};
pub use checkin::{CheckInDay, LastCheckIn, check_in, current_streak};
pub use error::{ConfigError, PointsError};
pub use levels::{LEVEL_MULTIPLIER_MAX, Level, LevelProgress, LevelTable, NextLevel, Privileges};
pub use lots::{
    DEFAULT_EXPIRY_MONTHS, ExpiringPoints, Lot, LotExpiry, LotUse, MAX_EXPIRY_MONTHS,
    expired_remainders, expiring_within, lot_expires_on, plan_spend, spendable,
    validate_expiry_months,
};
pub use rules::{
    Award, Base, Credit, EarnedToday, Earner, EarningRule, MAX_STREAK_DAYS, RuleSet,
    compute_credit, idempotency_key, week_reference,
};

/// ×1 in basis points.
pub const MULTIPLIER_ONE: u32 = 10_000;

/// Why points or growth are earned. Stored and sent as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Daily check-in; reference: the Shanghai date, `2026-01-05`.
    CheckIn,
    /// The baby's profile filled in; reference: the baby id.
    BabyProfileCompleted,
    /// A dose recorded; reference: `baby:vaccine:dose`, the dose of the baby's schedule, not the
    /// record's id (a dose deleted and recorded again is a new record: it must count once).
    DoseRecorded,
    /// Every dose due so far recorded before the next due date; reference: `baby:vaccine:dose`
    /// of the dose that was due.
    RecordCompleteBeforeDue,
    /// A subscribe-message consent given; reference: the template id (once per template).
    RemindersEnabled,
    /// The stage article of the week read; reference: [`week_reference`] of the reading day.
    StageArticleRead,
    /// An answer accepted in Q&A (content feature, not open yet); reference: the answer id.
    QaAnswerAccepted,
    /// An invited friend's qualifying action (growth feature, not open yet); reference: the
    /// invitee's member id.
    FriendInvitedQualified,
    /// A paid order; reference: the order's `out_trade_no`.
    Purchase,
    /// Checked in at an offline class; reference: the booking id.
    EventAttended,
}

impl Reason {
    pub const ALL: [Reason; 10] = [
        Reason::CheckIn,
        Reason::BabyProfileCompleted,
        Reason::DoseRecorded,
        Reason::RecordCompleteBeforeDue,
        Reason::RemindersEnabled,
        Reason::StageArticleRead,
        Reason::QaAnswerAccepted,
        Reason::FriendInvitedQualified,
        Reason::Purchase,
        Reason::EventAttended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::CheckIn => "check_in",
            Reason::BabyProfileCompleted => "baby_profile_completed",
            Reason::DoseRecorded => "dose_recorded",
            Reason::RecordCompleteBeforeDue => "record_complete_before_due",
            Reason::RemindersEnabled => "reminders_enabled",
            Reason::StageArticleRead => "stage_article_read",
            Reason::QaAnswerAccepted => "qa_answer_accepted",
            Reason::FriendInvitedQualified => "friend_invited_qualified",
            Reason::Purchase => "purchase",
            Reason::EventAttended => "event_attended",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reason {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == s)
            .ok_or_else(|| ConfigError::UnknownReason {
                reason: s.to_string(),
            })
    }
}

/// The paid membership tiers (the membership's own type). A member without a paid membership
/// has none (`Option::None`).
pub use crate::domain::membership::Tier as MembershipTier;

/// Whom or what a campaign is for: `"any"` or `{"only": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope<T> {
    Any,
    Only(Vec<T>),
}

impl<T: PartialEq> Scope<T> {
    pub fn admits(&self, item: &T) -> bool {
        match self {
            Scope::Any => true,
            Scope::Only(items) => items.contains(item),
        }
    }
}

/// `amount × multipliers / 10 000ⁿ`, rounded to the nearest point (halves up), in i128 so no
/// product of stored values can overflow; saturates at `i64::MAX`.
fn multiply(amount: i64, multipliers_bp: &[u32]) -> i64 {
    let mut numerator = i128::from(amount);
    let mut denominator: i128 = 1;
    for &bp in multipliers_bp {
        numerator *= i128::from(bp);
        denominator *= i128::from(MULTIPLIER_ONE);
    }
    let rounded = (numerator * 2 + denominator).div_euclid(denominator * 2);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// Ids operators type (level ids, campaign slugs, coupon template slugs): 1–64 of `a-z 0-9 _ -`.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Display names operators type: 1–64 characters, none of them control characters.
fn is_display_name(s: &str) -> bool {
    let count = s.chars().count();
    (1..=64).contains(&count) && !s.chars().any(char::is_control) && !s.trim().is_empty()
}
