//! Properties over random histories of credits, spends, expiries, check-ins and credits.

use chrono::{Datelike, Days, NaiveDate};
use proptest::prelude::*;

use super::tests::{campaign, d, level_with, take};
use super::*;

#[derive(Debug, Clone)]
enum Op {
    /// Points, and the expiry months in force (the setting can change between credits).
    Credit(i64, u32),
    Spend(i64),
    Expire,
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..500, 1u32..=24).prop_map(|(points, months)| Op::Credit(points, months)),
        (1i64..800).prop_map(Op::Spend),
        Just(Op::Expire),
        (0u64..120).prop_map(Op::Wait),
    ]
}

fn level_table() -> impl Strategy<Value = LevelTable> {
    prop::collection::vec((1i64..2_000, 0u32..3_000), 0..7).prop_map(|steps| {
        let mut levels = vec![(0i64, 10_000u32)];
        for (step, raise) in steps {
            let (threshold, multiplier) = levels[levels.len() - 1];
            levels.push((threshold + step, (multiplier + raise).min(30_000)));
        }
        LevelTable::new(
            levels
                .into_iter()
                .enumerate()
                .map(|(i, (threshold, multiplier))| Level {
                    id: format!("l{i}"),
                    name: format!("level {i}"),
                    threshold,
                    privileges: Privileges {
                        points_multiplier_bp: multiplier,
                        monthly_coupon: None,
                        talent_pool: false,
                    },
                })
                .collect(),
        )
        .unwrap()
    })
}

fn position(table: &LevelTable, level: &Level) -> usize {
    table
        .levels()
        .iter()
        .position(|l| l.id == level.id)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Sum of lot remainders == ledger balance after any history; nothing ever negative; a
    /// refused spend changes nothing; spends follow expiry order; expiry reruns find nothing.
    #[test]
    fn lot_remainders_always_sum_to_the_ledger_balance(
        ops in prop::collection::vec(op(), 0..80),
    ) {
        let mut today = d("2025-01-01");
        let mut lots: Vec<Lot> = Vec::new();
        let mut ledger: Vec<i64> = Vec::new();
        for op in ops {
            match op {
                Op::Credit(points, months) => {
                    let expires_on = lot_expires_on(today, months).unwrap();
                    prop_assert!(expires_on >= today);
                    lots.push(Lot { id: lots.len() as i64 + 1, remaining: points, expires_on });
                    ledger.push(points);
                }
                Op::Spend(amount) => match plan_spend(&lots, amount, today) {
                    Ok(uses) => {
                        let mut open: Vec<&Lot> = lots
                            .iter()
                            .filter(|l| l.remaining > 0 && l.expires_on >= today)
                            .collect();
                        open.sort_by_key(|l| (l.expires_on, l.id));
                        prop_assert_eq!(uses.iter().map(|u| u.points).sum::<i64>(), amount);
                        for (i, lot_use) in uses.iter().enumerate() {
                            prop_assert_eq!(lot_use.lot_id, open[i].id);
                            prop_assert!(lot_use.points > 0);
                            if i + 1 < uses.len() {
                                prop_assert_eq!(lot_use.points, open[i].remaining);
                            } else {
                                prop_assert!(lot_use.points <= open[i].remaining);
                            }
                        }
                        for lot_use in uses {
                            take(&mut lots, lot_use.lot_id, lot_use.points);
                        }
                        ledger.push(-amount);
                    }
                    Err(PointsError::InsufficientPoints { needed, available }) => {
                        prop_assert_eq!(needed, amount);
                        prop_assert_eq!(available, spendable(&lots, today));
                        prop_assert!(available < amount);
                    }
                    Err(other) => prop_assert!(false, "unexpected {other}"),
                },
                Op::Expire => {
                    for expiry in expired_remainders(&lots, today) {
                        prop_assert!(expiry.expires_on < today);
                        take(&mut lots, expiry.lot_id, expiry.points);
                        ledger.push(-expiry.points);
                    }
                    prop_assert!(expired_remainders(&lots, today).is_empty());
                }
                Op::Wait(days) => today = today + Days::new(days),
            }
            let balance: i64 = ledger.iter().sum();
            prop_assert_eq!(lots.iter().map(|l| l.remaining).sum::<i64>(), balance);
            prop_assert!(balance >= 0);
            prop_assert!(lots.iter().all(|l| l.remaining >= 0));
            prop_assert!(spendable(&lots, today) <= balance);
            let soon: i64 = expiring_within(&lots, today, 30).iter().map(|e| e.points).sum();
            prop_assert!(soon <= spendable(&lots, today));
        }
    }

    /// A lot lives through the last day of the month `months` months after it was earned.
    #[test]
    fn a_lot_expires_on_the_last_day_of_the_month_months_later(
        offset in 0u64..40_000,
        months in 0u32..=MAX_EXPIRY_MONTHS,
    ) {
        let earned = d("2000-01-01") + Days::new(offset);
        let expires = lot_expires_on(earned, months).unwrap();
        prop_assert!(expires >= earned);
        prop_assert_eq!(expires.succ_opt().unwrap().day(), 1);
        let month_index = |day: NaiveDate| day.year() * 12 + day.month() as i32;
        prop_assert_eq!(month_index(expires) - month_index(earned), months as i32);
    }

    /// On any calendar, each check-in's streak day is its place in its run of consecutive days,
    /// cycling through the ladder, and pays that ladder day; the same day never pays twice.
    #[test]
    fn check_ins_pay_their_place_in_a_run_of_consecutive_days(
        gaps in prop::collection::vec(prop_oneof![3 => Just(1u64), 1 => 2u64..5], 1..60),
    ) {
        let ladder = RuleSet::default().check_in_ladder().to_vec();
        let mut today = d("2026-01-01");
        let mut last: Option<LastCheckIn> = None;
        let mut run = 0usize;
        for (i, gap) in gaps.into_iter().enumerate() {
            // The gap leads to this check-in (ignored before the first one).
            today = today + Days::new(gap);
            run = if i > 0 && gap == 1 { run + 1 } else { 1 };
            let checked = check_in(&ladder, last, today).unwrap();
            let expected_day = (run - 1) % ladder.len() + 1;
            prop_assert_eq!(usize::from(checked.streak_day), expected_day);
            prop_assert_eq!(checked.points, ladder[expected_day - 1]);
            last = Some(LastCheckIn { day: today, streak_day: checked.streak_day });
            prop_assert_eq!(
                check_in(&ladder, last, today),
                Err(PointsError::AlreadyCheckedIn { day: today })
            );
            prop_assert_eq!(current_streak(last, today), checked.streak_day);
        }
    }

    /// More growth never means a lower level; `missing` more growth reaches exactly the next.
    #[test]
    fn levels_rise_with_growth_and_missing_is_exact(
        table in level_table(),
        a in -100i64..20_000,
        b in -100i64..20_000,
    ) {
        let (low, high) = (a.min(b), a.max(b));
        prop_assert!(position(&table, table.level_for(low)) <= position(&table, table.level_for(high)));
        let progress = table.progress(a);
        prop_assert!(a.max(0) >= progress.level.threshold);
        match progress.next {
            Some(next) => {
                prop_assert!(next.missing > 0);
                prop_assert_eq!(&table.level_for(a.max(0) + next.missing).id, &next.level.id);
                prop_assert_eq!(&table.level_for(a.max(0) + next.missing - 1).id, &progress.level.id);
            }
            None => prop_assert_eq!(position(&table, progress.level), table.levels().len() - 1),
        }
    }

    /// Whatever the multipliers and however many events, a capped reason never earns more than
    /// its caps in a day; without a cap no credit is below the rule's award or above ×30.
    #[test]
    fn a_day_of_credits_never_exceeds_the_caps(
        award in 0i64..1_000,
        growth in 0i64..100,
        cap_extra in prop::option::of((0i64..2_000, 0i64..200)),
        level_bp in 10_000u32..=30_000,
        campaign_bp in prop::option::of(10_000u32..=100_000),
        events in 1usize..30,
    ) {
        let rule = EarningRule {
            reason: Reason::DoseRecorded,
            award: Award::Fixed(award),
            growth,
            daily_cap: cap_extra.map(|(extra, _)| award + extra),
            daily_growth_cap: cap_extra.map(|(_, extra)| growth + extra),
            once_per_reference: true,
            enabled: true,
        };
        let level = level_with(level_bp);
        let earner = Earner { level: &level, tier: None };
        let campaigns: Vec<Campaign> = campaign_bp.map(|bp| campaign("c", bp)).into_iter().collect();
        let mut earned = EarnedToday::default();
        for _ in 0..events {
            let credit = compute_credit(&rule, Base::Event, &earner, d("2026-05-18"), &campaigns, earned).unwrap();
            prop_assert!(credit.points >= 0 && credit.growth >= 0);
            prop_assert!(credit.growth <= growth);
            prop_assert!(credit.points <= award * 30);
            prop_assert_eq!(credit.campaign.is_some(), campaign_bp.is_some());
            if rule.daily_cap.is_none() {
                prop_assert!(credit.points >= award);
                prop_assert!(!credit.capped);
            }
            earned.points += credit.points;
            earned.growth += credit.growth;
        }
        if let (Some(cap), Some(growth_cap)) = (rule.daily_cap, rule.daily_growth_cap) {
            prop_assert!(earned.points <= cap);
            prop_assert!(earned.growth <= growth_cap);
        }
    }
}
