//! Earning rules as data, and the credit an event earns.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::campaigns::{CAMPAIGN_MULTIPLIER_MAX, CAMPAIGN_MULTIPLIER_MIN};
use super::levels::LEVEL_MULTIPLIER_MAX;
use super::{
    Campaign, ConfigError, Level, MULTIPLIER_ONE, MembershipTier, PointsError, Reason,
    best_campaign, multiply,
};
use crate::domain::membership::points_multiplier_percent;

/// The longest check-in ladder: a month.
pub const MAX_STREAK_DAYS: usize = 31;

/// How a rule's points are computed, before multipliers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Award {
    /// `{"fixed": 10}`: the same points for every event.
    Fixed(i64),
    /// `{"per_yuan": 1}`: points per whole yuan paid (fen / 100, rounded down).
    PerYuan(i64),
    /// `{"streak": [5, 5, 10, ...]}`: points of check-in streak day 1, 2, ...
    Streak(Vec<i64>),
}

impl Award {
    fn kind(&self) -> &'static str {
        match self {
            Award::Fixed(_) => "fixed",
            Award::PerYuan(_) => "per_yuan",
            Award::Streak(_) => "streak",
        }
    }

    /// The largest single award before multipliers (the per-yuan rate for purchases).
    fn largest(&self) -> i64 {
        match self {
            Award::Fixed(points) | Award::PerYuan(points) => *points,
            Award::Streak(ladder) => ladder.iter().copied().max().unwrap_or(0),
        }
    }
}

/// `reason → points, growth, daily caps, once per reference`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarningRule {
    pub reason: Reason,
    pub award: Award,
    /// Growth per event (also per purchase, not per yuan: levels reward engagement, not spend).
    pub growth: i64,
    /// Most points per member per day for this reason, after multipliers.
    #[serde(default)]
    pub daily_cap: Option<i64>,
    /// Most growth per member per day for this reason.
    #[serde(default)]
    pub daily_growth_cap: Option<i64>,
    /// Credited once per reference ([`idempotency_key`]); otherwise once per client request id.
    pub once_per_reference: bool,
    /// A rule switched off earns nothing (features not open yet, or paused by operators).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl EarningRule {
    fn check(&self) -> Result<(), ConfigError> {
        let reason = self.reason;
        let expected = match reason {
            Reason::CheckIn => "streak",
            Reason::Purchase => "per_yuan",
            _ => "fixed",
        };
        if self.award.kind() != expected {
            return Err(ConfigError::AwardKindMismatch { reason, expected });
        }
        if let Award::Streak(ladder) = &self.award {
            if ladder.is_empty() || ladder.len() > MAX_STREAK_DAYS {
                return Err(ConfigError::InvalidStreakLadder {
                    days: ladder.len(),
                    max: MAX_STREAK_DAYS,
                });
            }
            if ladder.iter().any(|&points| points < 0) {
                return Err(ConfigError::NegativeAward {
                    reason,
                    field: "award",
                });
            }
            if let Some(day) = ladder.windows(2).position(|pair| pair[1] < pair[0]) {
                return Err(ConfigError::StreakLadderDecreasing { day: day + 2 });
            }
        }
        let award = self.award.largest();
        let fields = [
            ("award", Some(award)),
            ("growth", Some(self.growth)),
            ("daily_cap", self.daily_cap),
            ("daily_growth_cap", self.daily_growth_cap),
        ];
        if let Some((field, _)) = fields.iter().find(|(_, v)| v.is_some_and(|v| v < 0)) {
            return Err(ConfigError::NegativeAward { reason, field });
        }
        for (field, cap, single) in [
            ("daily_cap", self.daily_cap, award),
            ("daily_growth_cap", self.daily_growth_cap, self.growth),
        ] {
            if let Some(cap) = cap
                && cap < single
            {
                return Err(ConfigError::CapBelowAward {
                    reason,
                    field,
                    cap,
                    award: single,
                });
            }
        }
        Ok(())
    }
}

/// A validated rule set: exactly one rule per [`Reason`], each with the award kind its reason
/// needs (check_in: streak, purchase: per_yuan, others: fixed), nothing negative, caps no lower
/// than a single award, a non-decreasing check-in ladder of 1-31 days. Stored as
/// `{"rules": [...]}` in reason order; deserializing validates too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RuleSetData")]
pub struct RuleSet {
    rules: Vec<EarningRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSetData {
    rules: Vec<EarningRule>,
}

impl TryFrom<RuleSetData> for RuleSet {
    type Error = ConfigError;

    /// A stored rule set written before a reason existed gets that reason's default rule, so
    /// adding a reason never makes the operators' stored rules unreadable.
    fn try_from(data: RuleSetData) -> Result<Self, Self::Error> {
        let mut rules = data.rules;
        for default in RuleSet::default().rules {
            if !rules.iter().any(|r| r.reason == default.reason) {
                rules.push(default);
            }
        }
        RuleSet::new(rules)
    }
}

impl RuleSet {
    /// Validates an operator-edited rule set; the first problem found is the error.
    pub fn new(mut rules: Vec<EarningRule>) -> Result<Self, ConfigError> {
        let mut seen = Vec::with_capacity(rules.len());
        for rule in &rules {
            if seen.contains(&rule.reason) {
                return Err(ConfigError::DuplicateReason {
                    reason: rule.reason,
                });
            }
            seen.push(rule.reason);
            rule.check()?;
        }
        if let Some(&reason) = Reason::ALL.iter().find(|r| !seen.contains(r)) {
            return Err(ConfigError::MissingReason { reason });
        }
        rules.sort_by_key(|rule| rule.reason);
        Ok(RuleSet { rules })
    }

    pub fn rules(&self) -> &[EarningRule] {
        &self.rules
    }

    pub fn rule(&self, reason: Reason) -> &EarningRule {
        self.rules
            .iter()
            .find(|rule| rule.reason == reason)
            .unwrap_or_else(|| unreachable!("a validated rule set has a rule for every reason"))
    }

    /// Points of check-in streak day 1, 2, ... (for [`super::check_in`]).
    pub fn check_in_ladder(&self) -> &[i64] {
        match &self.rule(Reason::CheckIn).award {
            Award::Streak(ladder) => ladder,
            _ => unreachable!("a validated check_in rule has a streak award"),
        }
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        let rule = |reason, award, growth, caps: Option<(i64, i64)>, enabled| EarningRule {
            reason,
            award,
            growth,
            daily_cap: caps.map(|(points, _)| points),
            daily_growth_cap: caps.map(|(_, growth)| growth),
            once_per_reference: true,
            enabled,
        };
        use Award::{Fixed, PerYuan, Streak};
        use Reason::*;
        RuleSet {
            rules: vec![
                rule(
                    CheckIn,
                    Streak(vec![5, 5, 10, 10, 15, 15, 30]),
                    1,
                    None,
                    true,
                ),
                // Twins are the most a family completes in one day.
                rule(BabyProfileCompleted, Fixed(50), 20, Some((100, 40)), true),
                // Back-entering a whole vaccination booklet earns a bounded welcome, not a jackpot.
                rule(DoseRecorded, Fixed(10), 5, Some((50, 25)), true),
                rule(RecordCompleteBeforeDue, Fixed(20), 10, Some((60, 30)), true),
                rule(RemindersEnabled, Fixed(5), 2, Some((10, 4)), true),
                rule(StageArticleRead, Fixed(5), 2, Some((5, 2)), true),
                rule(QaAnswerAccepted, Fixed(20), 10, Some((100, 50)), false),
                rule(
                    FriendInvitedQualified,
                    Fixed(100),
                    50,
                    Some((500, 250)),
                    false,
                ),
                rule(Purchase, PerYuan(1), 10, None, true),
                rule(EventAttended, Fixed(20), 10, Some((60, 30)), true),
            ],
        }
    }
}

/// What an event's award is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Fixed awards.
    Event,
    /// Check-in: the streak day [`super::check_in`] decided.
    StreakDay(u8),
    /// Purchase: the amount paid, in fen.
    PaidFen(i64),
}

/// The member earning: their level (multiplier, and campaigns' level scope) and paid tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earner<'a> {
    pub level: &'a Level,
    pub tier: Option<MembershipTier>,
}

/// What the member already earned today for the reason (Asia/Shanghai day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnedToday {
    pub points: i64,
    pub growth: i64,
}

/// What to credit for one event, with the figures behind it for the ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub points: i64,
    pub growth: i64,
    /// The rule's award before multipliers and caps.
    pub base_points: i64,
    pub level_multiplier_bp: u32,
    /// The paid membership tier's multiplier (premium: double points).
    pub tier_multiplier_bp: u32,
    /// Slug of the campaign that multiplied this credit.
    pub campaign: Option<String>,
    pub campaign_multiplier_bp: u32,
    /// Points or growth were cut by a daily cap.
    pub capped: bool,
}

impl Credit {
    /// Nothing to write (a cap already reached, or a zero award).
    pub fn is_empty(&self) -> bool {
        self.points == 0 && self.growth == 0
    }
}

/// The points and growth an event earns on `day`: the rule's award × the level's multiplier ×
/// the best applying campaign's, rounded to the nearest point, then held to what the daily caps
/// leave after `earned_today`. Growth is never multiplied. Campaigns that do not apply are
/// ignored, so callers may pass all current campaigns.
pub fn compute_credit(
    rule: &EarningRule,
    base: Base,
    earner: &Earner<'_>,
    day: NaiveDate,
    campaigns: &[Campaign],
    earned_today: EarnedToday,
) -> Result<Credit, PointsError> {
    let reason = rule.reason;
    if !rule.enabled {
        return Err(PointsError::EarningDisabled { reason });
    }
    let base_points = match (&rule.award, base) {
        (Award::Fixed(points), Base::Event) => *points,
        (Award::Streak(ladder), Base::StreakDay(day)) => usize::from(day)
            .checked_sub(1)
            .and_then(|index| ladder.get(index))
            .copied()
            .ok_or(PointsError::BaseMismatch { reason })?,
        (Award::PerYuan(per_yuan), Base::PaidFen(fen)) => {
            if fen < 0 {
                return Err(PointsError::InvalidPaidAmount { fen });
            }
            per_yuan.saturating_mul(fen / 100)
        }
        _ => return Err(PointsError::BaseMismatch { reason }),
    };
    // Clamped so that data written around validation can never shrink an award.
    let level_multiplier_bp = earner
        .level
        .privileges
        .points_multiplier_bp
        .clamp(MULTIPLIER_ONE, LEVEL_MULTIPLIER_MAX);
    // The paid tier's benefit (premium: double points), on points like the level's.
    let tier_multiplier_bp = earner.tier.map_or(MULTIPLIER_ONE, |tier| {
        (points_multiplier_percent(tier) * 100).clamp(MULTIPLIER_ONE, LEVEL_MULTIPLIER_MAX)
    });
    let campaign = best_campaign(campaigns, reason, earner, day);
    let campaign_multiplier_bp = campaign.map_or(MULTIPLIER_ONE, |c| {
        c.multiplier_bp
            .clamp(CAMPAIGN_MULTIPLIER_MIN, CAMPAIGN_MULTIPLIER_MAX)
    });
    let multiplied = multiply(
        base_points.max(0),
        &[
            level_multiplier_bp,
            tier_multiplier_bp,
            campaign_multiplier_bp,
        ],
    );
    let growth_award = rule.growth.max(0);
    let points = within_cap(multiplied, rule.daily_cap, earned_today.points);
    let growth = within_cap(growth_award, rule.daily_growth_cap, earned_today.growth);
    Ok(Credit {
        points,
        growth,
        base_points,
        level_multiplier_bp,
        tier_multiplier_bp,
        campaign: campaign.map(|c| c.slug.clone()),
        campaign_multiplier_bp,
        capped: points < multiplied || growth < growth_award,
    })
}

fn within_cap(award: i64, cap: Option<i64>, earned: i64) -> i64 {
    match cap {
        Some(cap) => award.min(cap.saturating_sub(earned.max(0)).max(0)),
        None => award,
    }
}

/// The ledger's idempotency key of a once-per-reference credit: `reason:reference`. The
/// reference is 1-64 characters without control characters.
pub fn idempotency_key(reason: Reason, reference: &str) -> Result<String, PointsError> {
    let length = reference.chars().count();
    if !(1..=64).contains(&length) || reference.chars().any(char::is_control) {
        return Err(PointsError::InvalidReference);
    }
    Ok(format!("{reason}:{reference}"))
}

/// The reference of a weekly reason (the stage article of the week): the ISO week of the
/// Asia/Shanghai day, `2026-W02`.
pub fn week_reference(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}
