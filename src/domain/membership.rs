//! The paid membership's rules: plans and benefits as data, period arithmetic in Asia/Shanghai
//! calendar days, the upgrade conversion and refunds. Pure: no database, no clock.
//!
//! - A period bought on Shanghai date D for m months covers D through `D + m months` (chrono's
//!   month arithmetic: Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year), and ends at the
//!   end of that Shanghai day (00:00 the next day, +08:00).
//! - Periods stack: buying while active starts the new period on the last covered day of the
//!   latest period and adds the months to it (Feb 28 + 1 month = Mar 28).
//! - Upgrade (a higher tier while a lower one is active): the unused value of the lower tier's
//!   periods converts into days of the new tier:
//!   `unused_fen = Σ paid_fen × remaining_secs / period_secs` (over the lower-tier periods,
//!   remaining from now), `bonus_days = floor(unused_fen × 30 / new_plan_monthly_fen)`, where
//!   `new_plan_monthly_fen = price_fen / months`. The lower-tier periods end now; the new period
//!   starts today and ends `months` later plus `bonus_days`.
//! - Refunds: a full refund within 7 days of the period's start, before the period began or
//!   while it is in its first 7 days, removes the period; any other refund shortens it pro rata:
//!   `new_end = start + (end − start) × (paid − refunded) / paid`.

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::time::{shanghai, shanghai_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Basic,
    Advanced,
    Premium,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Basic, Tier::Advanced, Tier::Premium];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Basic => "basic",
            Tier::Advanced => "advanced",
            Tier::Premium => "premium",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A benefit a tier brings; the coupon pack and the points multiplier are wired by their
/// features (see `service::commerce::membership::benefits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Benefit {
    /// Every reminder, self-paid vaccines included.
    SelfPaidVaccineReminders,
    PremiumArticles,
    /// A coupon template's pack granted on each month's anniversary, once.
    MonthlyCouponPack {
        pack: &'static str,
    },
    /// Points earned are multiplied (×2 = 200 percent).
    PointsMultiplier {
        percent: u32,
    },
    MemberDayOffers,
    PriorityExpertAnswers,
}

pub fn benefits(tier: Tier) -> Vec<Benefit> {
    let mut out = vec![Benefit::SelfPaidVaccineReminders];
    if tier >= Tier::Advanced {
        out.push(Benefit::PremiumArticles);
        out.push(Benefit::MonthlyCouponPack {
            pack: "member_monthly",
        });
    }
    if tier >= Tier::Premium {
        out.push(Benefit::PointsMultiplier { percent: 200 });
        out.push(Benefit::MemberDayOffers);
        out.push(Benefit::PriorityExpertAnswers);
    }
    out
}

/// The points multiplier `tier`'s benefits give, in percent (100 = ×1).
pub fn points_multiplier_percent(tier: Tier) -> u32 {
    benefits(tier)
        .into_iter()
        .find_map(|b| match b {
            Benefit::PointsMultiplier { percent } => Some(percent),
            _ => None,
        })
        .unwrap_or(100)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: &'static str,
    pub tier: Tier,
    pub months: u32,
    pub price_fen: i64,
}

/// 5 / 15 / 30 yuan a month; 3 months at 10 % off, 12 months at 20 % off.
pub const PLANS: &[Plan] = &[
    Plan {
        id: "basic_1m",
        tier: Tier::Basic,
        months: 1,
        price_fen: 500,
    },
    Plan {
        id: "basic_3m",
        tier: Tier::Basic,
        months: 3,
        price_fen: 1350,
    },
    Plan {
        id: "basic_12m",
        tier: Tier::Basic,
        months: 12,
        price_fen: 4800,
    },
    Plan {
        id: "advanced_1m",
        tier: Tier::Advanced,
        months: 1,
        price_fen: 1500,
    },
    Plan {
        id: "advanced_3m",
        tier: Tier::Advanced,
        months: 3,
        price_fen: 4050,
    },
    Plan {
        id: "advanced_12m",
        tier: Tier::Advanced,
        months: 12,
        price_fen: 14400,
    },
    Plan {
        id: "premium_1m",
        tier: Tier::Premium,
        months: 1,
        price_fen: 3000,
    },
    Plan {
        id: "premium_3m",
        tier: Tier::Premium,
        months: 3,
        price_fen: 8100,
    },
    Plan {
        id: "premium_12m",
        tier: Tier::Premium,
        months: 12,
        price_fen: 28800,
    },
];

pub fn plan(id: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.id == id)
}

/// 00:00 in Asia/Shanghai of the day after `date`: when a period covering `date` ends.
pub fn end_of_shanghai_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date);
    next.and_time(NaiveTime::MIN)
        .and_local_timezone(shanghai())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| unreachable!("a fixed offset has no gaps"))
}

/// The last Shanghai day a period ending at `ends_at` covers.
pub fn last_day(ends_at: DateTime<Utc>) -> NaiveDate {
    shanghai_date(ends_at - Duration::seconds(1))
}

/// The end of a new period of `months`: from today (`now`), or stacked on `current_end` when a
/// period is still running.
pub fn period_end(
    now: DateTime<Utc>,
    current_end: Option<DateTime<Utc>>,
    months: u32,
) -> DateTime<Utc> {
    let from = match current_end {
        Some(end) if end > now => last_day(end),
        _ => shanghai_date(now),
    };
    let last = from
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    end_of_shanghai_day(last)
}

/// How many monthly coupon packs a period has earned by `today`: one on its first day and one
/// on each monthly anniversary before its last day (Jan 31 → Feb 28 → Mar 31, chrono's month
/// arithmetic from the first day): a 3-month period earns 3. A period cut short earns none past
/// its new end.
pub fn coupon_packs_due(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, today: NaiveDate) -> u32 {
    let first = shanghai_date(starts_at);
    let last = last_day(ends_at);
    let mut due = 0;
    while let Some(anniversary) = first.checked_add_months(Months::new(due)) {
        // The anniversary on the last day starts the month the period does not cover.
        if anniversary > today || anniversary >= last {
            break;
        }
        due += 1;
    }
    due
}

/// The unused value (fen) of a period at `now`.
pub fn unused_fen(
    paid_fen: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> i64 {
    let total = (ends_at - starts_at).num_seconds();
    if total <= 0 || now >= ends_at {
        return 0;
    }
    let remaining = (ends_at - now.max(starts_at)).num_seconds();
    ((i128::from(paid_fen) * i128::from(remaining)) / i128::from(total)) as i64
}

/// Days of the new plan that `unused_fen` buys: `floor(unused × 30 / monthly price)`.
pub fn upgrade_bonus_days(unused_fen: i64, plan: &Plan) -> i64 {
    let months = i64::from(plan.months.max(1));
    if plan.price_fen <= 0 || unused_fen <= 0 {
        return 0;
    }
    (i128::from(unused_fen) * 30 * i128::from(months) / i128::from(plan.price_fen)) as i64
}

/// What a refund does to the period it paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundEffect {
    Remove,
    EndAt(DateTime<Utc>),
}

pub fn refund_effect(
    paid_fen: i64,
    refunded_fen: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    purchased_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> RefundEffect {
    let full = refunded_fen >= paid_fen;
    let early = now - purchased_at <= Duration::days(7);
    let unused = now <= starts_at + Duration::days(7);
    if full && early && unused {
        return RefundEffect::Remove;
    }
    if paid_fen <= 0 {
        return RefundEffect::EndAt(ends_at);
    }
    let kept = (paid_fen - refunded_fen.min(paid_fen)).max(0);
    let span = (ends_at - starts_at).num_seconds();
    let secs = (i128::from(span) * i128::from(kept) / i128::from(paid_fen)) as i64;
    RefundEffect::EndAt(starts_at + Duration::seconds(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn default_plans_are_5_15_30_a_month_with_discounts() {
        for (tier, monthly) in [
            (Tier::Basic, 500),
            (Tier::Advanced, 1500),
            (Tier::Premium, 3000),
        ] {
            let of = |m| {
                PLANS
                    .iter()
                    .find(|p| p.tier == tier && p.months == m)
                    .unwrap()
            };
            assert_eq!(of(1).price_fen, monthly);
            assert!(of(3).price_fen < 3 * monthly);
            assert!(of(12).price_fen < 12 * monthly);
            assert!(of(12).price_fen / 12 < of(3).price_fen / 3);
        }
        assert!(benefits(Tier::Premium).contains(&Benefit::PointsMultiplier { percent: 200 }));
        assert!(!benefits(Tier::Basic).contains(&Benefit::PremiumArticles));
    }

    #[test]
    fn jan_31_plus_one_month_ends_after_feb_28_shanghai() {
        // 2027-01-31 10:00 Shanghai.
        let now = at("2027-01-31T02:00:00Z");
        let end = period_end(now, None, 1);
        assert_eq!(end, at("2027-02-28T16:00:00Z")); // 2027-03-01 00:00 +08:00
        assert_eq!(last_day(end), "2027-02-28".parse::<NaiveDate>().unwrap());
        // Leap year.
        assert_eq!(
            last_day(period_end(at("2028-01-31T02:00:00Z"), None, 1)).to_string(),
            "2028-02-29"
        );
        // Late evening UTC is already the next Shanghai day.
        assert_eq!(
            last_day(period_end(at("2027-01-30T17:00:00Z"), None, 1)).to_string(),
            "2027-02-28"
        );
        // Stacking on a running period adds to its last day.
        let stacked = period_end(now, Some(end), 1);
        assert_eq!(last_day(stacked).to_string(), "2027-03-28");
        // A period that has ended does not stack.
        let later = at("2027-04-10T02:00:00Z");
        assert_eq!(
            last_day(period_end(later, Some(end), 12)).to_string(),
            "2028-04-10"
        );
    }

    #[test]
    fn upgrade_converts_unused_value_into_days() {
        let start = at("2027-01-01T00:00:00Z");
        let end = start + Duration::days(30);
        let half = start + Duration::days(15);
        let unused = unused_fen(500, start, end, half);
        assert_eq!(unused, 250);
        let premium = plan("premium_1m").unwrap();
        // 250 fen of basic at 3000 fen / 30 days of premium = 2.5 days → 2.
        assert_eq!(upgrade_bonus_days(unused, premium), 2);
        let advanced = plan("advanced_3m").unwrap();
        // 4050 / 3 = 1350 a month: 250 × 30 / 1350 = 5.55 → 5.
        assert_eq!(upgrade_bonus_days(unused, advanced), 5);
        assert_eq!(unused_fen(500, start, end, end), 0);
        assert_eq!(unused_fen(500, start, end, start - Duration::days(3)), 500);
    }

    #[test]
    fn refunds_remove_early_unused_periods_and_shorten_others() {
        let bought = at("2027-01-01T00:00:00Z");
        let end = bought + Duration::days(30);
        assert_eq!(
            refund_effect(500, 500, bought, end, bought, bought + Duration::days(6)),
            RefundEffect::Remove
        );
        assert_eq!(
            refund_effect(500, 500, bought, end, bought, bought + Duration::days(8)),
            RefundEffect::EndAt(bought)
        );
        assert_eq!(
            refund_effect(500, 250, bought, end, bought, bought + Duration::days(1)),
            RefundEffect::EndAt(bought + Duration::days(15))
        );
    }

    #[test]
    fn a_period_earns_a_coupon_pack_on_its_first_day_and_each_anniversary_it_covers() {
        let start = end_of_shanghai_day(d("2026-01-30"));
        let end = period_end(start, None, 3);
        assert_eq!(last_day(end), d("2026-04-30"));
        let due = |today: &str| coupon_packs_due(start, end, d(today));
        assert_eq!(due("2026-01-30"), 0);
        assert_eq!(due("2026-01-31"), 1);
        assert_eq!(due("2026-02-27"), 1);
        // Jan 31 + 1 month is the last day of February.
        assert_eq!(due("2026-02-28"), 2);
        assert_eq!(due("2026-03-31"), 3);
        assert_eq!(due("2026-04-30"), 3);
        assert_eq!(due("2027-01-01"), 3);
        // Cut short on Mar 10: the March pack is never due.
        let cut = end_of_shanghai_day(d("2026-03-10"));
        assert_eq!(coupon_packs_due(start, cut, d("2026-04-30")), 2);
    }
}
