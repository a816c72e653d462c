use chrono::NaiveDate;

use super::*;

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn lot(id: i64, remaining: i64, expires_on: &str) -> Lot {
    Lot {
        id,
        remaining,
        expires_on: d(expires_on),
    }
}

/// An every-day campaign for every reason and member, from 2026-01-01 on.
pub(super) fn campaign(slug: &str, multiplier: u32) -> Campaign {
    Campaign {
        slug: slug.to_string(),
        name: format!("{slug} campaign"),
        multiplier_bp: multiplier,
        starts_on: d("2026-01-01"),
        ends_on: None,
        days: CampaignDays::EveryDay,
        reasons: Scope::Any,
        levels: Scope::Any,
        tiers: Scope::Any,
    }
}

/// The default first level with another points multiplier.
pub(super) fn level_with(multiplier: u32) -> Level {
    let mut level = LevelTable::default().levels()[0].clone();
    level.privileges.points_multiplier_bp = multiplier;
    level
}

/// Applies spends and expiries the way the service's guarded updates will.
pub(super) fn take(lots: &mut [Lot], lot_id: i64, points: i64) {
    let lot = lots.iter_mut().find(|lot| lot.id == lot_id).unwrap();
    assert!(lot.remaining >= points, "lot {lot_id} overdrawn");
    lot.remaining -= points;
}

mod lots {
    use super::*;

    #[test]
    fn a_lot_expires_at_the_end_of_the_month_twelve_months_after_it_was_earned() {
        for (earned, months, expires) in [
            ("2025-01-15", 12, "2026-01-31"),
            ("2025-01-01", 12, "2026-01-31"),
            ("2025-01-31", 12, "2026-01-31"),
            ("2024-02-29", 12, "2025-02-28"),
            ("2023-02-10", 12, "2024-02-29"),
            ("2025-12-31", 12, "2026-12-31"),
            ("2025-11-30", 3, "2026-02-28"),
            ("2025-01-31", 1, "2025-02-28"),
            ("2025-01-20", 0, "2025-01-31"),
        ] {
            assert_eq!(
                lot_expires_on(d(earned), months),
                Ok(d(expires)),
                "{earned} + {months}"
            );
        }
        assert_eq!(DEFAULT_EXPIRY_MONTHS, 12);
        assert_eq!(
            lot_expires_on(NaiveDate::MAX, 12),
            Err(PointsError::DateOutOfRange)
        );
        assert_eq!(
            lot_expires_on(d("2025-01-01"), u32::MAX),
            Err(PointsError::DateOutOfRange)
        );
    }

    #[test]
    fn the_expiry_setting_takes_one_to_a_hundred_and_twenty_months() {
        assert_eq!(validate_expiry_months(1), Ok(1));
        assert_eq!(validate_expiry_months(12), Ok(12));
        assert_eq!(validate_expiry_months(120), Ok(120));
        for bad in [0, 121, u32::MAX] {
            assert_eq!(
                validate_expiry_months(bad).unwrap_err().code(),
                "invalid_expiry_months"
            );
        }
    }

    #[test]
    fn a_spend_takes_the_earliest_expiring_lots_first_then_the_lowest_id() {
        let lots = [
            lot(4, 30, "2026-03-31"),
            lot(3, 10, "2026-01-31"),
            lot(1, 20, "2026-02-28"),
            lot(2, 20, "2026-02-28"),
        ];
        let uses = plan_spend(&lots, 45, d("2026-01-10")).unwrap();
        assert_eq!(
            uses,
            vec![
                LotUse {
                    lot_id: 3,
                    points: 10
                },
                LotUse {
                    lot_id: 1,
                    points: 20
                },
                LotUse {
                    lot_id: 2,
                    points: 15
                },
            ]
        );
        let all = plan_spend(&lots, 80, d("2026-01-10")).unwrap();
        assert_eq!(all.iter().map(|u| u.points).sum::<i64>(), 80);
        assert_eq!(all.last().unwrap().lot_id, 4);
    }

    #[test]
    fn a_spend_over_the_spendable_points_is_refused_and_takes_nothing() {
        let lots = [lot(1, 10, "2026-01-31"), lot(2, 5, "2026-02-28")];
        let refused = plan_spend(&lots, 16, d("2026-01-10")).unwrap_err();
        assert_eq!(
            refused,
            PointsError::InsufficientPoints {
                needed: 16,
                available: 15
            }
        );
        assert_eq!(refused.code(), "insufficient_points");
        assert_eq!(
            plan_spend(&[], 1, d("2026-01-10")).unwrap_err().code(),
            "insufficient_points"
        );
    }

    #[test]
    fn expired_lots_are_not_spendable_but_a_lot_is_spendable_on_its_last_day() {
        let lots = [
            lot(1, 100, "2026-01-31"),
            lot(2, 7, "2026-02-28"),
            lot(3, 0, "2026-03-31"),
        ];
        assert_eq!(spendable(&lots, d("2026-01-31")), 107);
        assert_eq!(
            plan_spend(&lots, 100, d("2026-01-31")).unwrap(),
            vec![LotUse {
                lot_id: 1,
                points: 100
            }]
        );
        assert_eq!(spendable(&lots, d("2026-02-01")), 7);
        assert_eq!(
            plan_spend(&lots, 8, d("2026-02-01")),
            Err(PointsError::InsufficientPoints {
                needed: 8,
                available: 7
            })
        );
        assert_eq!(
            plan_spend(&lots, 7, d("2026-02-01")).unwrap(),
            vec![LotUse {
                lot_id: 2,
                points: 7
            }]
        );
    }

    #[test]
    fn a_spend_must_be_positive() {
        let lots = [lot(1, 10, "2026-01-31")];
        for amount in [0, -5] {
            let refused = plan_spend(&lots, amount, d("2026-01-10")).unwrap_err();
            assert_eq!(refused, PointsError::InvalidAmount { amount });
            assert_eq!(refused.code(), "invalid_points_amount");
        }
    }

    #[test]
    fn expiry_lists_the_remainders_of_lots_past_their_last_day_once() {
        let mut lots = vec![
            lot(5, 40, "2026-02-28"),
            lot(2, 0, "2025-12-31"),
            lot(3, 25, "2026-01-31"),
            lot(9, 60, "2026-03-31"),
        ];
        assert!(expired_remainders(&lots, d("2026-01-31")).is_empty());
        let expired = expired_remainders(&lots, d("2026-03-01"));
        assert_eq!(
            expired,
            vec![
                LotExpiry {
                    lot_id: 3,
                    points: 25,
                    expires_on: d("2026-01-31")
                },
                LotExpiry {
                    lot_id: 5,
                    points: 40,
                    expires_on: d("2026-02-28")
                },
            ]
        );
        assert_eq!(expired[0].idempotency_key(), "expire:3");
        for e in &expired {
            take(&mut lots, e.lot_id, e.points);
        }
        assert!(expired_remainders(&lots, d("2026-03-01")).is_empty());
        assert_eq!(spendable(&lots, d("2026-03-01")), 60);
    }

    #[test]
    fn what_expires_in_the_next_days_is_summed_per_date() {
        let lots = [
            lot(1, 10, "2026-01-31"),
            lot(2, 15, "2026-01-31"),
            lot(3, 0, "2026-01-31"),
            lot(4, 20, "2026-02-28"),
            lot(5, 99, "2026-03-31"),
            lot(6, 50, "2026-01-09"),
        ];
        let today = d("2026-01-29");
        assert_eq!(
            expiring_within(&lots, today, 30),
            vec![
                ExpiringPoints {
                    points: 25,
                    expires_on: d("2026-01-31")
                },
                ExpiringPoints {
                    points: 20,
                    expires_on: d("2026-02-28")
                },
            ]
        );
        // Both ends of the window count: today and today + days.
        assert_eq!(expiring_within(&lots, d("2026-01-31"), 0).len(), 1);
        assert_eq!(expiring_within(&lots, d("2026-01-30"), 29).len(), 2);
        assert_eq!(expiring_within(&lots, d("2026-01-30"), 28).len(), 1);
        assert!(expiring_within(&lots, NaiveDate::MAX, 30).is_empty());
    }

    /// The issue's scenario: lots earned in different months, spends in between, the expiry job
    /// run on chosen dates.
    #[test]
    fn lots_from_different_months_spent_in_between_then_expired_on_chosen_dates() {
        let months = DEFAULT_EXPIRY_MONTHS;
        let mut lots = vec![
            Lot {
                id: 1,
                remaining: 100,
                expires_on: lot_expires_on(d("2025-01-10"), months).unwrap(),
            },
            Lot {
                id: 2,
                remaining: 50,
                expires_on: lot_expires_on(d("2025-02-20"), months).unwrap(),
            },
        ];
        let mut balance = 150;
        for u in plan_spend(&lots, 120, d("2025-03-01")).unwrap() {
            take(&mut lots, u.lot_id, u.points);
            balance -= u.points;
        }
        assert_eq!((lots[0].remaining, lots[1].remaining), (0, 30));
        lots.push(Lot {
            id: 3,
            remaining: 40,
            expires_on: lot_expires_on(d("2025-03-15"), months).unwrap(),
        });
        balance += 40;

        // The job on 2026-01-31 finds nothing (lot 1 is spent, lot 2 lives through February).
        assert!(expired_remainders(&lots, d("2026-01-31")).is_empty());
        // 2026-03-01: lot 2 expired with 30 left; lot 3 still has March.
        let first = expired_remainders(&lots, d("2026-03-01"));
        assert_eq!(
            first,
            vec![LotExpiry {
                lot_id: 2,
                points: 30,
                expires_on: d("2026-02-28")
            }]
        );
        for e in &first {
            take(&mut lots, e.lot_id, e.points);
            balance -= e.points;
        }
        assert!(expired_remainders(&lots, d("2026-03-01")).is_empty());
        assert_eq!(balance, 40);
        assert_eq!(
            expiring_within(&lots, d("2026-03-05"), 30),
            vec![ExpiringPoints {
                points: 40,
                expires_on: d("2026-03-31")
            }]
        );
        for u in plan_spend(&lots, 15, d("2026-03-31")).unwrap() {
            take(&mut lots, u.lot_id, u.points);
            balance -= u.points;
        }
        let last = expired_remainders(&lots, d("2026-04-02"));
        assert_eq!(last.len(), 1);
        assert_eq!((last[0].lot_id, last[0].points), (3, 25));
        balance -= last[0].points;
        assert_eq!(balance, 0);
    }
}

mod check_ins {
    use super::*;

    const LADDER: [i64; 7] = [5, 5, 10, 10, 15, 15, 30];

    /// Check-ins on the given days, each following the previous: (streak day, points) per day.
    fn calendar(days: &[&str]) -> Vec<(u8, i64)> {
        let mut last = None;
        days.iter()
            .map(|day| {
                let today = d(day);
                let checked = check_in(&LADDER, last, today).unwrap();
                last = Some(LastCheckIn {
                    day: today,
                    streak_day: checked.streak_day,
                });
                (checked.streak_day, checked.points)
            })
            .collect()
    }

    #[test]
    fn the_default_ladder_is_the_check_in_rule() {
        assert_eq!(RuleSet::default().check_in_ladder(), LADDER);
    }

    #[test]
    fn a_seven_day_calendar_with_a_gap_earns_the_exact_points_of_each_day() {
        // Missed 2026-01-04.
        let earned = calendar(&[
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            "2026-01-05",
            "2026-01-06",
            "2026-01-07",
        ]);
        assert_eq!(
            earned,
            vec![(1, 5), (2, 5), (3, 10), (1, 5), (2, 5), (3, 10)]
        );
    }

    #[test]
    fn day_seven_restarts_the_cycle_at_day_one() {
        let days: Vec<String> = (1..=9).map(|n| format!("2026-03-{n:02}")).collect();
        let days: Vec<&str> = days.iter().map(String::as_str).collect();
        assert_eq!(
            calendar(&days),
            vec![
                (1, 5),
                (2, 5),
                (3, 10),
                (4, 10),
                (5, 15),
                (6, 15),
                (7, 30),
                (1, 5),
                (2, 5)
            ]
        );
    }

    #[test]
    fn a_streak_runs_over_month_and_year_ends() {
        assert_eq!(
            calendar(&["2025-12-31", "2026-01-01"]),
            vec![(1, 5), (2, 5)]
        );
        let last = Some(LastCheckIn {
            day: d("2024-02-28"),
            streak_day: 3,
        });
        assert_eq!(
            check_in(&LADDER, last, d("2024-02-29")).unwrap().streak_day,
            4
        );
        assert_eq!(
            check_in(&LADDER, last, d("2024-03-01")).unwrap().streak_day,
            1
        );
    }

    #[test]
    fn a_second_check_in_the_same_day_is_refused() {
        let last = Some(LastCheckIn {
            day: d("2026-01-05"),
            streak_day: 2,
        });
        let refused = check_in(&LADDER, last, d("2026-01-05")).unwrap_err();
        assert_eq!(
            refused,
            PointsError::AlreadyCheckedIn {
                day: d("2026-01-05")
            }
        );
        assert_eq!(refused.code(), "already_checked_in");
        // A stored check-in after "today" (a clock set back) refuses rather than pays again.
        assert_eq!(
            check_in(&LADDER, last, d("2026-01-04")).unwrap_err().code(),
            "already_checked_in"
        );
    }

    #[test]
    fn a_ladder_shortened_below_the_stored_streak_restarts_at_day_one() {
        let last = Some(LastCheckIn {
            day: d("2026-01-05"),
            streak_day: 6,
        });
        assert_eq!(
            check_in(&[1, 2, 3], last, d("2026-01-06")).unwrap(),
            CheckInDay {
                streak_day: 1,
                points: 1
            }
        );
        assert_eq!(
            check_in(&[1, 2, 3], None, d("2026-01-06")).unwrap(),
            CheckInDay {
                streak_day: 1,
                points: 1
            }
        );
    }

    #[test]
    fn the_streak_shown_is_alive_through_the_day_after_the_last_check_in() {
        let last = Some(LastCheckIn {
            day: d("2026-01-05"),
            streak_day: 4,
        });
        assert_eq!(current_streak(last, d("2026-01-05")), 4);
        assert_eq!(current_streak(last, d("2026-01-06")), 4);
        assert_eq!(current_streak(last, d("2026-01-07")), 0);
        assert_eq!(current_streak(None, d("2026-01-07")), 0);
    }
}

mod levels {
    use super::*;

    fn table_json(levels: &str) -> String {
        format!(r#"{{"levels": {levels}}}"#)
    }

    fn level(id: &str, threshold: i64, multiplier: u32) -> Level {
        Level {
            id: id.to_string(),
            name: format!("{id} name"),
            threshold,
            privileges: Privileges {
                points_multiplier_bp: multiplier,
                monthly_coupon: None,
                talent_pool: false,
            },
        }
    }

    #[test]
    fn the_default_table_is_valid_and_starts_with_new_parents() {
        let table = LevelTable::default();
        assert_eq!(LevelTable::new(table.levels().to_vec()), Ok(table.clone()));
        let names: Vec<&str> = table.levels().iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["新手爸妈", "成长爸妈", "资深爸妈", "达人爸妈", "金牌爸妈"]
        );
        let expert = table.get("expert").unwrap();
        assert_eq!(expert.threshold, 5_000);
        assert!(expert.privileges.talent_pool);
        assert!(!table.get("seasoned").unwrap().privileges.talent_pool);
    }

    #[test]
    fn growth_reaches_a_level_at_its_threshold() {
        let table = LevelTable::default();
        for (growth, id) in [
            (-5, "novice"),
            (0, "novice"),
            (199, "novice"),
            (200, "growing"),
            (999, "growing"),
            (1_000, "seasoned"),
            (4_999, "seasoned"),
            (5_000, "expert"),
            (15_000, "master"),
            (i64::MAX, "master"),
        ] {
            assert_eq!(table.level_for(growth).id, id, "growth {growth}");
        }
    }

    #[test]
    fn progress_names_the_next_level_and_the_growth_missing() {
        let table = LevelTable::default();
        let progress = table.progress(150);
        assert_eq!(progress.level.id, "novice");
        let next = progress.next.unwrap();
        assert_eq!((next.level.id.as_str(), next.missing), ("growing", 50));
        let next = table.progress(-10).next.unwrap();
        assert_eq!(next.missing, 200);
        let next = table.progress(1_000).next.unwrap();
        assert_eq!((next.level.id.as_str(), next.missing), ("expert", 4_000));
        assert_eq!(table.progress(20_000).next, None);
    }

    #[test]
    fn an_invalid_level_table_is_refused_with_a_clear_code() {
        let ok = || {
            vec![
                level("a", 0, 10_000),
                level("b", 100, 10_000),
                level("c", 500, 12_000),
            ]
        };
        assert!(LevelTable::new(ok()).is_ok());
        let cases: Vec<(Vec<Level>, &str)> = vec![
            (vec![], "empty_level_table"),
            (
                {
                    let mut l = ok();
                    l[0].threshold = 10;
                    l
                },
                "first_threshold_not_zero",
            ),
            (
                {
                    let mut l = ok();
                    l[2].threshold = 100;
                    l
                },
                "thresholds_not_ascending",
            ),
            (
                {
                    let mut l = ok();
                    l[2].threshold = 50;
                    l
                },
                "thresholds_not_ascending",
            ),
            (
                {
                    let mut l = ok();
                    l[2].id = "a".into();
                    l
                },
                "duplicate_level_id",
            ),
            (
                {
                    let mut l = ok();
                    l[1].id = "Big Level".into();
                    l
                },
                "invalid_level_id",
            ),
            (
                {
                    let mut l = ok();
                    l[1].name = "  ".into();
                    l
                },
                "invalid_level_name",
            ),
            (
                {
                    let mut l = ok();
                    l[0].privileges.points_multiplier_bp = 9_999;
                    l
                },
                "multiplier_out_of_range",
            ),
            (
                {
                    let mut l = ok();
                    l[2].privileges.points_multiplier_bp = 30_001;
                    l
                },
                "multiplier_out_of_range",
            ),
            (
                {
                    let mut l = ok();
                    l[1].privileges.points_multiplier_bp = 13_000;
                    l
                },
                "multiplier_decreasing",
            ),
            (
                {
                    let mut l = ok();
                    l[1].privileges.monthly_coupon = Some("10 yuan off".into());
                    l
                },
                "invalid_coupon_template",
            ),
        ];
        for (levels, code) in cases {
            let error = LevelTable::new(levels.clone()).unwrap_err();
            assert_eq!(error.code(), code, "{levels:?}: {error}");
        }
    }

    #[test]
    fn a_level_table_is_stored_as_json_and_validated_when_read() {
        let table = LevelTable::default();
        let json = serde_json::to_string(&table).unwrap();
        assert!(json.starts_with(r#"{"levels":[{"id":"novice","name":"新手爸妈","threshold":0,"privileges":{"points_multiplier_bp":10000,"monthly_coupon":null,"talent_pool":false}}"#), "{json}");
        assert_eq!(serde_json::from_str::<LevelTable>(&json).unwrap(), table);

        let minimal = table_json(
            r#"[{"id": "only", "name": "新手", "threshold": 0, "privileges": {"points_multiplier_bp": 10000}}]"#,
        );
        let read: LevelTable = serde_json::from_str(&minimal).unwrap();
        assert_eq!(read.levels()[0].privileges.monthly_coupon, None);

        let starts_late = table_json(
            r#"[{"id": "only", "name": "新手", "threshold": 5, "privileges": {"points_multiplier_bp": 10000}}]"#,
        );
        let error = serde_json::from_str::<LevelTable>(&starts_late).unwrap_err();
        assert!(error.to_string().contains("growth 0"), "{error}");
        let typo = table_json(
            r#"[{"id": "only", "name": "新手", "threshold": 0, "privileges": {"points_multiplier": 10000}}]"#,
        );
        assert!(serde_json::from_str::<LevelTable>(&typo).is_err());
    }
}

mod rules {
    use super::*;

    fn default_rule(reason: Reason) -> EarningRule {
        RuleSet::default().rule(reason).clone()
    }

    fn with(reason: Reason, change: impl FnOnce(&mut EarningRule)) -> Vec<EarningRule> {
        let mut rules = RuleSet::default().rules().to_vec();
        let rule = rules.iter_mut().find(|r| r.reason == reason).unwrap();
        change(rule);
        rules
    }

    #[test]
    fn the_default_rules_are_valid_and_cover_every_reason_once() {
        let rules = RuleSet::default();
        assert_eq!(RuleSet::new(rules.rules().to_vec()), Ok(rules.clone()));
        let reasons: Vec<Reason> = rules.rules().iter().map(|r| r.reason).collect();
        assert_eq!(reasons, Reason::ALL);
        assert!(rules.rules().iter().all(|r| r.once_per_reference));
        let closed: Vec<Reason> = rules
            .rules()
            .iter()
            .filter(|r| !r.enabled)
            .map(|r| r.reason)
            .collect();
        assert_eq!(
            closed,
            [Reason::QaAnswerAccepted, Reason::FriendInvitedQualified]
        );
        assert_eq!(rules.rule(Reason::Purchase).award, Award::PerYuan(1));
        assert_eq!(rules.rule(Reason::DoseRecorded).award, Award::Fixed(10));
    }

    #[test]
    fn reasons_read_and_write_as_their_snake_case_names() {
        for reason in Reason::ALL {
            assert_eq!(reason.as_str().parse::<Reason>(), Ok(reason));
            assert_eq!(
                serde_json::to_string(&reason).unwrap(),
                format!("\"{reason}\"")
            );
        }
        let unknown = "daily_login".parse::<Reason>().unwrap_err();
        assert_eq!(unknown.code(), "unknown_reason");
    }

    #[test]
    fn a_rule_set_is_stored_as_json_and_validated_when_read() {
        let rules = RuleSet::default();
        let json = serde_json::to_value(&rules).unwrap();
        assert_eq!(
            json["rules"][0],
            serde_json::json!({
                "reason": "check_in", "award": {"streak": [5, 5, 10, 10, 15, 15, 30]},
                "growth": 1, "daily_cap": null, "daily_growth_cap": null,
                "once_per_reference": true, "enabled": true
            })
        );
        assert_eq!(
            json["rules"][8]["award"],
            serde_json::json!({"per_yuan": 1})
        );
        assert_eq!(
            serde_json::from_value::<RuleSet>(json.clone()).unwrap(),
            rules
        );

        let mut unknown = json.clone();
        unknown["rules"][1]["reason"] = "daily_login".into();
        assert!(serde_json::from_value::<RuleSet>(unknown).is_err());
        let mut typo = json.clone();
        typo["rules"][1]["daily_caps"] = 5.into();
        assert!(serde_json::from_value::<RuleSet>(typo).is_err());
        // A stored set written before a reason existed reads with that reason's default rule;
        // operators writing a set must still name every reason.
        let mut short = json;
        let dropped = short["rules"].as_array_mut().unwrap().remove(8);
        assert_eq!(dropped["reason"], "purchase");
        assert_eq!(
            serde_json::from_value::<RuleSet>(short.clone()).unwrap(),
            rules
        );
        let listed: Vec<EarningRule> = serde_json::from_value(short["rules"].clone()).unwrap();
        let error = RuleSet::new(listed).unwrap_err();
        assert!(
            error.to_string().contains("`purchase` has no rule"),
            "{error}"
        );
    }

    #[test]
    fn an_invalid_rule_set_is_refused_with_a_clear_code() {
        use Reason::*;
        let cases: Vec<(Vec<EarningRule>, &str)> = vec![
            (
                {
                    let mut r = RuleSet::default().rules().to_vec();
                    r.push(default_rule(DoseRecorded));
                    r
                },
                "duplicate_reason",
            ),
            (
                {
                    let mut r = RuleSet::default().rules().to_vec();
                    r.retain(|r| r.reason != StageArticleRead);
                    r
                },
                "missing_reason",
            ),
            (
                with(Purchase, |r| r.award = Award::Fixed(1)),
                "award_kind_mismatch",
            ),
            (
                with(CheckIn, |r| r.award = Award::Fixed(5)),
                "award_kind_mismatch",
            ),
            (
                with(DoseRecorded, |r| r.award = Award::PerYuan(1)),
                "award_kind_mismatch",
            ),
            (
                with(DoseRecorded, |r| r.award = Award::Fixed(-1)),
                "negative_award",
            ),
            (with(DoseRecorded, |r| r.growth = -1), "negative_award"),
            (
                with(Purchase, |r| r.daily_growth_cap = Some(-1)),
                "negative_award",
            ),
            (
                with(CheckIn, |r| r.award = Award::Streak(vec![-1, 5])),
                "negative_award",
            ),
            (
                with(DoseRecorded, |r| r.daily_cap = Some(9)),
                "cap_below_award",
            ),
            (
                with(DoseRecorded, |r| r.daily_growth_cap = Some(4)),
                "cap_below_award",
            ),
            (with(CheckIn, |r| r.daily_cap = Some(29)), "cap_below_award"),
            (
                with(CheckIn, |r| r.award = Award::Streak(vec![])),
                "invalid_streak_ladder",
            ),
            (
                with(CheckIn, |r| r.award = Award::Streak(vec![1; 32])),
                "invalid_streak_ladder",
            ),
            (
                with(CheckIn, |r| r.award = Award::Streak(vec![5, 10, 50, 5])),
                "streak_ladder_decreasing",
            ),
        ];
        for (rules, code) in cases {
            let error = RuleSet::new(rules).unwrap_err();
            assert_eq!(error.code(), code, "{error}");
        }
        // Caps equal to one award, and a flat ladder, are fine.
        assert!(
            RuleSet::new(with(DoseRecorded, |r| {
                r.daily_cap = Some(10);
                r.daily_growth_cap = Some(5);
            }))
            .is_ok()
        );
        assert!(RuleSet::new(with(CheckIn, |r| r.award = Award::Streak(vec![3; 31]))).is_ok());
        let error = RuleSet::new(with(CheckIn, |r| {
            r.award = Award::Streak(vec![5, 10, 50, 5])
        }))
        .unwrap_err();
        assert_eq!(error, ConfigError::StreakLadderDecreasing { day: 4 });
    }

    #[test]
    fn references_make_the_ledger_key_of_a_once_per_reference_credit() {
        assert_eq!(
            idempotency_key(Reason::DoseRecorded, "dose-812").unwrap(),
            "dose_recorded:dose-812"
        );
        assert_eq!(
            idempotency_key(Reason::CheckIn, &d("2026-01-05").to_string()).unwrap(),
            "check_in:2026-01-05"
        );
        for bad in ["", "a\nb", &"x".repeat(65)] {
            assert_eq!(
                idempotency_key(Reason::Purchase, bad).unwrap_err().code(),
                "invalid_reference"
            );
        }
        assert!(idempotency_key(Reason::Purchase, &"订".repeat(64)).is_ok());
    }

    #[test]
    fn the_weekly_reference_is_the_iso_week() {
        assert_eq!(week_reference(d("2026-01-01")), "2026-W01");
        assert_eq!(week_reference(d("2026-01-04")), "2026-W01");
        assert_eq!(week_reference(d("2026-01-05")), "2026-W02");
        assert_eq!(week_reference(d("2027-01-01")), "2026-W53");
        assert_eq!(week_reference(d("2024-12-30")), "2025-W01");
    }
}

mod credits {
    use super::*;

    const MONDAY: &str = "2026-05-18";

    fn novice() -> Level {
        LevelTable::default().levels()[0].clone()
    }

    fn credit(
        reason: Reason,
        base: Base,
        level: &Level,
        campaigns: &[Campaign],
        earned: EarnedToday,
    ) -> Result<Credit, PointsError> {
        let rules = RuleSet::default();
        let earner = Earner { level, tier: None };
        compute_credit(
            rules.rule(reason),
            base,
            &earner,
            d(MONDAY),
            campaigns,
            earned,
        )
    }

    #[test]
    fn a_fixed_award_without_multipliers_is_the_rule() {
        let got = credit(
            Reason::DoseRecorded,
            Base::Event,
            &novice(),
            &[],
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!(
            got,
            Credit {
                points: 10,
                growth: 5,
                base_points: 10,
                level_multiplier_bp: 10_000,
                tier_multiplier_bp: 10_000,
                campaign: None,
                campaign_multiplier_bp: 10_000,
                capped: false,
            }
        );
        assert!(!got.is_empty());
    }

    #[test]
    fn the_level_multiplier_rounds_to_the_nearest_point_and_leaves_growth_alone() {
        let cases = [
            (10_000, 5),
            (10_400, 5),
            (11_000, 6),
            (11_500, 6),
            (30_000, 15),
        ];
        for (multiplier, points) in cases {
            let got = credit(
                Reason::CheckIn,
                Base::StreakDay(1),
                &level_with(multiplier),
                &[],
                EarnedToday::default(),
            )
            .unwrap();
            assert_eq!((got.points, got.growth), (points, 1), "×{multiplier}");
        }
        // Level × campaign: 30 × 1.2 × 2 = 72.
        let got = credit(
            Reason::CheckIn,
            Base::StreakDay(7),
            &level_with(12_000),
            &[campaign("double", 20_000)],
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!((got.points, got.base_points), (72, 30));
        assert_eq!(got.campaign.as_deref(), Some("double"));
    }

    #[test]
    fn the_highest_applying_campaign_wins_and_campaigns_never_stack() {
        let mut only_purchases = campaign("shop-week", 50_000);
        only_purchases.reasons = Scope::Only(vec![Reason::Purchase]);
        let campaigns = [
            campaign("b-double", 20_000),
            campaign("triple", 30_000),
            campaign("a-double", 20_000),
            only_purchases,
        ];
        let got = credit(
            Reason::DoseRecorded,
            Base::Event,
            &novice(),
            &campaigns,
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!(
            (
                got.points,
                got.campaign.as_deref(),
                got.campaign_multiplier_bp
            ),
            (30, Some("triple"), 30_000)
        );
        // Equal multipliers: the smallest slug, whatever the order.
        let got = credit(
            Reason::DoseRecorded,
            Base::Event,
            &novice(),
            &campaigns[..1]
                .iter()
                .chain(&campaigns[2..3])
                .cloned()
                .collect::<Vec<_>>(),
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!(got.campaign.as_deref(), Some("a-double"));
    }

    #[test]
    fn a_campaign_doubles_only_the_reasons_it_names() {
        let mut doses_only = campaign("doses", 20_000);
        doses_only.reasons = Scope::Only(vec![Reason::DoseRecorded]);
        let campaigns = [doses_only];
        let dose = credit(
            Reason::DoseRecorded,
            Base::Event,
            &novice(),
            &campaigns,
            EarnedToday::default(),
        )
        .unwrap();
        let profile = credit(
            Reason::BabyProfileCompleted,
            Base::Event,
            &novice(),
            &campaigns,
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!((dose.points, dose.campaign.as_deref()), (20, Some("doses")));
        assert_eq!((profile.points, profile.campaign), (50, None));
    }

    #[test]
    fn a_multiplier_on_a_capped_reason_respects_the_cap() {
        // stage_article_read: 5 points, cap 5 a day; doubled it would be 10.
        let got = credit(
            Reason::StageArticleRead,
            Base::Event,
            &novice(),
            &[campaign("double", 20_000)],
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!((got.points, got.growth, got.capped), (5, 2, true));
        assert_eq!(got.campaign.as_deref(), Some("double"));

        // dose_recorded: 10 doubled to 20, cap 50: after 40 earned today only 10 are left.
        let earned = EarnedToday {
            points: 40,
            growth: 20,
        };
        let got = credit(
            Reason::DoseRecorded,
            Base::Event,
            &novice(),
            &[campaign("double", 20_000)],
            earned,
        )
        .unwrap();
        assert_eq!((got.points, got.growth, got.capped), (10, 5, true));
        let full = EarnedToday {
            points: 50,
            growth: 25,
        };
        let got = credit(Reason::DoseRecorded, Base::Event, &novice(), &[], full).unwrap();
        assert!(got.is_empty() && got.capped);
        // Earned over a cap an operator lowered since: nothing, never negative.
        let over = EarnedToday {
            points: 80,
            growth: 90,
        };
        let got = credit(Reason::DoseRecorded, Base::Event, &novice(), &[], over).unwrap();
        assert_eq!((got.points, got.growth), (0, 0));
    }

    #[test]
    fn a_purchase_earns_per_whole_yuan_paid() {
        for (fen, points) in [
            (0, 0),
            (99, 0),
            (100, 1),
            (12_345, 123),
            (i64::MAX, i64::MAX / 100),
        ] {
            let got = credit(
                Reason::Purchase,
                Base::PaidFen(fen),
                &novice(),
                &[],
                EarnedToday::default(),
            )
            .unwrap();
            assert_eq!((got.points, got.growth), (points, 10), "{fen} fen");
        }
        let huge = credit(
            Reason::Purchase,
            Base::PaidFen(i64::MAX),
            &level_with(30_000),
            &[campaign("x10", 100_000)],
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!(huge.points, i64::MAX / 100 * 30);
        assert_eq!(multiply(i64::MAX, &[30_000, 100_000]), i64::MAX);
        assert_eq!(multiply(3, &[15_000]), 5);
        assert_eq!(multiply(3, &[14_999]), 4);
        let refused = credit(
            Reason::Purchase,
            Base::PaidFen(-100),
            &novice(),
            &[],
            EarnedToday::default(),
        )
        .unwrap_err();
        assert_eq!(refused.code(), "invalid_paid_amount");
    }

    #[test]
    fn an_event_must_carry_what_its_award_is_computed_from() {
        for (reason, base) in [
            (Reason::Purchase, Base::Event),
            (Reason::DoseRecorded, Base::PaidFen(100)),
            (Reason::CheckIn, Base::Event),
            (Reason::CheckIn, Base::StreakDay(0)),
            (Reason::CheckIn, Base::StreakDay(8)),
        ] {
            let error = credit(reason, base, &novice(), &[], EarnedToday::default()).unwrap_err();
            assert_eq!(error, PointsError::BaseMismatch { reason });
            assert_eq!(error.code(), "base_mismatch");
        }
    }

    #[test]
    fn a_switched_off_rule_earns_nothing() {
        let error = credit(
            Reason::QaAnswerAccepted,
            Base::Event,
            &novice(),
            &[],
            EarnedToday::default(),
        )
        .unwrap_err();
        assert_eq!(error.code(), "earning_disabled");
    }

    #[test]
    fn a_premium_member_earns_double_points_and_the_same_growth_within_the_cap() {
        let rules = RuleSet::default();
        let level = novice();
        let earn = |tier: Option<MembershipTier>, earned: EarnedToday| {
            let mut rule = rules.rule(Reason::DoseRecorded).clone();
            rule.daily_cap = Some(25);
            compute_credit(
                &rule,
                Base::Event,
                &Earner {
                    level: &level,
                    tier,
                },
                d(MONDAY),
                &[],
                earned,
            )
            .unwrap()
        };
        let basic = earn(Some(MembershipTier::Basic), EarnedToday::default());
        let premium = earn(Some(MembershipTier::Premium), EarnedToday::default());
        assert_eq!((basic.points, basic.tier_multiplier_bp), (10, 10_000));
        assert_eq!((premium.points, premium.tier_multiplier_bp), (20, 20_000));
        assert_eq!(premium.growth, basic.growth);
        // 20 already earned today, cap 25: the doubled award is cut to what is left.
        let capped = earn(
            Some(MembershipTier::Premium),
            EarnedToday {
                points: 20,
                growth: 0,
            },
        );
        assert_eq!((capped.points, capped.capped), (5, true));
    }

    #[test]
    fn campaign_multipliers_outside_the_bounds_never_shrink_or_explode_an_award() {
        let got = credit(
            Reason::DoseRecorded,
            Base::Event,
            &level_with(0),
            &[campaign("broken", 5_000)],
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!(got.points, 10);
        let got = credit(
            Reason::Purchase,
            Base::PaidFen(1_000),
            &level_with(u32::MAX),
            &[campaign("huge", u32::MAX)],
            EarnedToday::default(),
        )
        .unwrap();
        assert_eq!(got.points, 10 * 3 * 10);
    }
}

mod campaigns {
    use super::*;

    fn earner(level: &Level, tier: Option<MembershipTier>) -> Earner<'_> {
        Earner { level, tier }
    }

    #[test]
    fn a_date_range_is_on_from_its_first_through_its_last_day() {
        let mut week = campaign("invite-week", 20_000);
        week.starts_on = d("2026-06-01");
        week.ends_on = Some(d("2026-06-07"));
        assert!(!week.is_on(d("2026-05-31")));
        assert!(week.is_on(d("2026-06-01")));
        assert!(week.is_on(d("2026-06-07")));
        assert!(!week.is_on(d("2026-06-08")));
    }

    #[test]
    fn member_day_is_that_day_of_each_month_from_its_start_until_it_ends() {
        let mut member_day = campaign("member-day", 20_000);
        member_day.days = CampaignDays::MonthlyDay(18);
        member_day.starts_on = d("2026-01-10");
        assert!(member_day.is_on(d("2026-01-18")));
        assert!(!member_day.is_on(d("2026-01-17")));
        assert!(!member_day.is_on(d("2026-01-19")));
        assert!(member_day.is_on(d("2031-11-18")));
        member_day.starts_on = d("2026-01-19");
        assert!(!member_day.is_on(d("2026-01-18")));
        member_day.ends_on = Some(d("2026-03-17"));
        assert!(member_day.is_on(d("2026-02-18")));
        assert!(!member_day.is_on(d("2026-03-18")));
    }

    #[test]
    fn a_member_day_past_a_short_months_end_falls_on_its_last_day() {
        let mut last_day = campaign("month-end", 20_000);
        last_day.days = CampaignDays::MonthlyDay(31);
        let on: Vec<NaiveDate> = (0..=400)
            .map(|n| d("2026-01-01") + chrono::Days::new(n))
            .filter(|day| last_day.is_on(*day))
            .collect();
        assert_eq!(on.len(), 13);
        assert_eq!(on[..3], [d("2026-01-31"), d("2026-02-28"), d("2026-03-31")]);
        assert!(on.contains(&d("2026-04-30")));
        last_day.days = CampaignDays::MonthlyDay(29);
        assert!(last_day.is_on(d("2026-02-28")));
        assert!(last_day.is_on(d("2028-02-29")));
        assert!(!last_day.is_on(d("2028-02-28")));
    }

    #[test]
    fn a_campaign_applies_to_the_reasons_levels_and_tiers_it_names() {
        let table = LevelTable::default();
        let novice = table.get("novice").unwrap();
        let expert = table.get("expert").unwrap();
        let day = d("2026-05-18");
        let mut premium_experts = campaign("vip", 20_000);
        premium_experts.reasons = Scope::Only(vec![Reason::CheckIn, Reason::StageArticleRead]);
        premium_experts.levels = Scope::Only(vec!["expert".into(), "master".into()]);
        premium_experts.tiers = Scope::Only(vec![MembershipTier::Premium]);
        let premium_expert = earner(expert, Some(MembershipTier::Premium));
        assert!(premium_experts.applies(Reason::CheckIn, &premium_expert, day));
        assert!(premium_experts.applies(Reason::StageArticleRead, &premium_expert, day));
        assert!(!premium_experts.applies(Reason::Purchase, &premium_expert, day));
        assert!(!premium_experts.applies(
            Reason::CheckIn,
            &earner(novice, Some(MembershipTier::Premium)),
            day
        ));
        assert!(!premium_experts.applies(
            Reason::CheckIn,
            &earner(expert, Some(MembershipTier::Basic)),
            day
        ));
        assert!(!premium_experts.applies(Reason::CheckIn, &earner(expert, None), day));
        assert!(!premium_experts.applies(Reason::CheckIn, &premium_expert, d("2025-12-31")));

        let everyone = campaign("all", 20_000);
        assert!(everyone.applies(Reason::Purchase, &earner(novice, None), day));
        let mut any_paid = campaign("paid", 20_000);
        any_paid.tiers = Scope::Only(vec![
            MembershipTier::Basic,
            MembershipTier::Advanced,
            MembershipTier::Premium,
        ]);
        assert!(!any_paid.applies(Reason::Purchase, &earner(novice, None), day));
        assert!(any_paid.applies(
            Reason::Purchase,
            &earner(novice, Some(MembershipTier::Advanced)),
            day
        ));

        let campaigns = [premium_experts, everyone];
        let best = best_campaign(&campaigns, Reason::Purchase, &premium_expert, day).unwrap();
        assert_eq!(best.slug, "all");
        assert!(
            best_campaign(
                &campaigns,
                Reason::Purchase,
                &premium_expert,
                d("2025-01-01")
            )
            .is_none()
        );
    }

    #[test]
    fn an_invalid_campaign_is_refused_with_a_clear_code() {
        let table = LevelTable::default();
        let ok = || campaign("ok", 20_000);
        assert_eq!(ok().validate(&table), Ok(()));
        let mut bounded = ok();
        bounded.multiplier_bp = 100_000;
        bounded.ends_on = Some(bounded.starts_on);
        bounded.levels = Scope::Only(vec!["expert".into()]);
        bounded.days = CampaignDays::MonthlyDay(31);
        assert_eq!(bounded.validate(&table), Ok(()));

        type Change = Box<dyn Fn(&mut Campaign)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|c| c.slug = "Member Day".into()),
                "invalid_campaign_slug",
            ),
            (Box::new(|c| c.name = "".into()), "invalid_campaign_name"),
            (
                Box::new(|c| c.name = "a\u{7}".into()),
                "invalid_campaign_name",
            ),
            (
                Box::new(|c| c.multiplier_bp = 9_999),
                "multiplier_out_of_range",
            ),
            (
                Box::new(|c| c.multiplier_bp = 100_001),
                "multiplier_out_of_range",
            ),
            (
                Box::new(|c| c.ends_on = c.starts_on.pred_opt()),
                "campaign_dates_reversed",
            ),
            (
                Box::new(|c| c.days = CampaignDays::MonthlyDay(0)),
                "invalid_day_of_month",
            ),
            (
                Box::new(|c| c.days = CampaignDays::MonthlyDay(32)),
                "invalid_day_of_month",
            ),
            (Box::new(|c| c.reasons = Scope::Only(vec![])), "empty_scope"),
            (Box::new(|c| c.levels = Scope::Only(vec![])), "empty_scope"),
            (Box::new(|c| c.tiers = Scope::Only(vec![])), "empty_scope"),
            (
                Box::new(|c| c.levels = Scope::Only(vec!["expert".into(), "vip".into()])),
                "unknown_level",
            ),
        ];
        for (change, code) in cases {
            let mut bad = ok();
            change(&mut bad);
            let error = bad.validate(&table).unwrap_err();
            assert_eq!(error.code(), code, "{bad:?}: {error}");
        }
    }

    #[test]
    fn a_campaign_is_stored_as_json() {
        let json = serde_json::json!({
            "slug": "member-day",
            "name": "会员日双倍积分",
            "multiplier_bp": 20000,
            "starts_on": "2026-01-01",
            "days": {"monthly_day": 18},
            "reasons": "any",
            "levels": "any",
            "tiers": {"only": ["advanced", "premium"]}
        });
        let read: Campaign = serde_json::from_value(json).unwrap();
        assert_eq!(read.days, CampaignDays::MonthlyDay(18));
        assert_eq!(read.ends_on, None);
        assert_eq!(
            read.tiers,
            Scope::Only(vec![MembershipTier::Advanced, MembershipTier::Premium])
        );
        assert_eq!(read.validate(&LevelTable::default()), Ok(()));
        let again: Campaign = serde_json::from_value(serde_json::to_value(&read).unwrap()).unwrap();
        assert_eq!(again, read);
        let week = serde_json::json!({
            "slug": "invite-week", "name": "邀请好友双倍积分周", "multiplier_bp": 20000,
            "starts_on": "2026-06-01", "ends_on": "2026-06-07", "days": "every_day",
            "reasons": {"only": ["friend_invited_qualified"]}, "levels": "any", "tiers": "any"
        });
        let read: Campaign = serde_json::from_value(week).unwrap();
        assert_eq!(
            read.reasons,
            Scope::Only(vec![Reason::FriendInvitedQualified])
        );
    }
}
