//! Campaigns: a points multiplier for some days, reasons and members.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    ConfigError, Earner, LevelTable, MULTIPLIER_ONE, MembershipTier, Reason, Scope,
    is_display_name, is_slug,
};

/// A campaign's multiplier: from ×1 to ×10.
pub const CAMPAIGN_MULTIPLIER_MIN: u32 = MULTIPLIER_ONE;
pub const CAMPAIGN_MULTIPLIER_MAX: u32 = 100_000;

/// Which days within `starts_on..=ends_on` a campaign is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignDays {
    /// `"every_day"`: a plain date range ("double points this week").
    EveryDay,
    /// `{"monthly_day": 18}`: that day of each month ("member day"); 29-31 fall on the last day
    /// of shorter months, so every month has its member day.
    MonthlyDay(u8),
}

/// Dates are Asia/Shanghai calendar dates, both ends inclusive; no `ends_on` runs until ended.
/// `levels` and `tiers` must both admit a member (for "these levels or that tier", create two
/// campaigns: the best one applies, they never stack). A member without a paid tier is admitted
/// only by `tiers: "any"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    /// Stable slug, recorded on the ledger rows it multiplied.
    pub slug: String,
    pub name: String,
    /// Basis points: 20 000 = double.
    pub multiplier_bp: u32,
    pub starts_on: NaiveDate,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    pub days: CampaignDays,
    pub reasons: Scope<Reason>,
    /// Level ids of the level table.
    pub levels: Scope<String>,
    pub tiers: Scope<MembershipTier>,
}

impl Campaign {
    /// Checks an operator-written campaign; level ids must exist in `levels`.
    pub fn validate(&self, levels: &LevelTable) -> Result<(), ConfigError> {
        let slug = || self.slug.clone();
        if !is_slug(&self.slug) {
            return Err(ConfigError::InvalidCampaignSlug { slug: slug() });
        }
        if !is_display_name(&self.name) {
            return Err(ConfigError::InvalidCampaignName { slug: slug() });
        }
        if !(CAMPAIGN_MULTIPLIER_MIN..=CAMPAIGN_MULTIPLIER_MAX).contains(&self.multiplier_bp) {
            return Err(ConfigError::MultiplierOutOfRange {
                what: format!("campaign `{}`", self.slug),
                value: self.multiplier_bp,
                min: CAMPAIGN_MULTIPLIER_MIN,
                max: CAMPAIGN_MULTIPLIER_MAX,
            });
        }
        if let Some(ends_on) = self.ends_on
            && ends_on < self.starts_on
        {
            return Err(ConfigError::CampaignDatesReversed {
                slug: slug(),
                starts_on: self.starts_on,
                ends_on,
            });
        }
        if let CampaignDays::MonthlyDay(day) = self.days
            && !(1..=31).contains(&day)
        {
            return Err(ConfigError::InvalidDayOfMonth { slug: slug(), day });
        }
        let empty = |field| ConfigError::EmptyScope {
            slug: slug(),
            field,
        };
        match &self.reasons {
            Scope::Only(reasons) if reasons.is_empty() => return Err(empty("reasons")),
            _ => {}
        }
        match &self.tiers {
            Scope::Only(tiers) if tiers.is_empty() => return Err(empty("tiers")),
            _ => {}
        }
        if let Scope::Only(ids) = &self.levels {
            if ids.is_empty() {
                return Err(empty("levels"));
            }
            if let Some(unknown) = ids.iter().find(|id| levels.get(id).is_none()) {
                return Err(ConfigError::UnknownLevel {
                    slug: slug(),
                    level: unknown.clone(),
                });
            }
        }
        Ok(())
    }

    /// Whether the campaign is on, on `day` (Asia/Shanghai).
    pub fn is_on(&self, day: NaiveDate) -> bool {
        if day < self.starts_on || self.ends_on.is_some_and(|ends_on| day > ends_on) {
            return false;
        }
        match self.days {
            CampaignDays::EveryDay => true,
            CampaignDays::MonthlyDay(wanted) => {
                let wanted = u32::from(wanted);
                day.day() == wanted || (day.day() < wanted && is_last_day_of_month(day))
            }
        }
    }

    /// Whether the campaign multiplies `reason` for this member on `day`.
    pub fn applies(&self, reason: Reason, earner: &Earner<'_>, day: NaiveDate) -> bool {
        self.is_on(day)
            && self.reasons.admits(&reason)
            && self.levels.admits(&earner.level.id)
            && match earner.tier {
                Some(tier) => self.tiers.admits(&tier),
                None => self.tiers == Scope::Any,
            }
    }
}

fn is_last_day_of_month(day: NaiveDate) -> bool {
    day.succ_opt()
        .is_none_or(|next| next.month() != day.month())
}

/// The campaign that multiplies this credit: the highest multiplier among those that apply
/// (ties: the smallest slug, so the choice is stable).
pub fn best_campaign<'a>(
    campaigns: &'a [Campaign],
    reason: Reason,
    earner: &Earner<'_>,
    day: NaiveDate,
) -> Option<&'a Campaign> {
    campaigns
        .iter()
        .filter(|campaign| campaign.applies(reason, earner, day))
        .min_by(|a, b| {
            b.multiplier_bp
                .cmp(&a.multiplier_bp)
                .then_with(|| a.slug.cmp(&b.slug))
        })
}
