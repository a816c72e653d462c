use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};

use super::templates::{TemplateSpec, fill, render};
use super::texts::{dose_fields, doses_text};
use super::*;
use crate::domain::schedule::{
    self, DoseStatus, Edition, Programme, Schedule, ScheduleInput, Status, VerificationLevel,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn schedule_on(birth: &str, as_of: &str) -> Schedule {
    schedule::compute(Edition::current(), &ScheduleInput::new(d(birth), d(as_of))).unwrap()
}

/// A dose of a made-up schedule.
fn dose(vaccine: &str, n: u8, status: Status, earliest: &str, complete_by: &str) -> DoseStatus {
    let date = |s: &str| (!s.is_empty()).then(|| d(s));
    DoseStatus {
        vaccine: vaccine.into(),
        dose: n,
        status,
        earliest: date(earliest),
        recommended: date(earliest),
        complete_by: date(complete_by),
        reason: None,
        reason_code: None,
        given_on: None,
        not_given_from: None,
        programme: Programme::Nip,
        verification: VerificationLevel::OfficialDerived,
        name_zh: format!("{vaccine}苗"),
    }
}

fn at(as_of: &str, doses: Vec<DoseStatus>) -> Schedule {
    Schedule {
        as_of: d(as_of),
        doses,
    }
}

/// (kind, doses) of a day's messages.
fn kinds(day: &DayPlan) -> Vec<(String, String)> {
    day.messages
        .iter()
        .map(|p| {
            let doses: Vec<DoseRef> = p.doses.iter().map(|d| d.id.clone()).collect();
            (p.kind_name.clone(), DoseRef::join(&doses))
        })
        .collect()
}

fn plan_at(schedule: &Schedule, follow_up: FollowUp) -> DayPlan {
    let rules = Rules::default();
    plan_day(
        &rules,
        d("2026-01-10"),
        schedule,
        &[],
        schedule.as_of,
        follow_up,
    )
}

#[test]
fn a_dose_is_reminded_n_days_before_on_the_day_and_when_overdue() {
    let rules = Rules::default();
    let birth = "2026-01-10";
    let s = schedule_on(birth, "2026-01-10");
    let hepb3 = s
        .doses
        .iter()
        .find(|x| x.vaccine == "HepB" && x.dose == 3)
        .unwrap()
        .clone();
    let earliest = hepb3.earliest.unwrap();
    let cb = hepb3.complete_by.unwrap();
    let on = |day: NaiveDate| {
        let s = schedule::compute(Edition::current(), &ScheduleInput::new(d(birth), day)).unwrap();
        plan_day(&rules, d(birth), &s, &[], day, FollowUp::default())
            .messages
            .into_iter()
            .filter(|p| {
                p.doses
                    .iter()
                    .any(|x| x.id.vaccine == "HepB" && x.id.dose == 3)
            })
            .map(|p| p.kind_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(on(earliest - Duration::days(3)), ["due_soon"]);
    assert_eq!(on(earliest), ["due_today"]);
    assert!(on(earliest + Duration::days(1)).is_empty());
    assert_eq!(on(cb + Duration::days(7)), ["overdue_7"]);
    assert_eq!(on(cb + Duration::days(30)), ["overdue_30"]);
    assert!(on(cb + Duration::days(31)).is_empty());
}

#[test]
fn doses_reminded_on_one_day_with_one_kind_are_one_message() {
    let s = at(
        "2026-03-07",
        vec![
            dose("HepB", 2, Status::Done, "2026-02-10", ""),
            dose("Polio", 1, Status::NotYetDue, "2026-03-10", ""),
            dose("DTaP", 1, Status::NotYetDue, "2026-03-10", ""),
            dose("MMR", 1, Status::NotYetDue, "2026-03-11", ""),
        ],
    );
    let day = plan_at(&s, FollowUp::default());
    assert_eq!(kinds(&day), [("due_soon".into(), "Polio:1,DTaP:1".into())]);
    assert_eq!(
        day.messages[0].dedup_key(4, 9),
        "b4:m9:due_soon:2026-03-10",
        "one key per baby, recipient, kind and date"
    );
    assert_eq!(day.next_push_date, Some(d("2026-03-08")));
}

#[test]
fn a_catch_up_names_every_missing_dose_and_replaces_the_days_own_reminders() {
    // HepB 2 due for a while (its day passed before registration), Polio 1 due today,
    // DTaP 3 overdue, MMR 1 not yet due.
    let s = at(
        "2026-11-29",
        vec![
            dose("HepB", 2, Status::Due, "2026-11-15", ""),
            dose("Polio", 1, Status::Due, "2026-11-29", ""),
            dose("DTaP", 3, Status::Overdue, "2026-04-29", "2026-10-28"),
            dose("MMR", 1, Status::NotYetDue, "2026-12-02", ""),
        ],
    );
    let registered = FollowUp::after_change(d("2026-11-29"));
    let day = plan_at(&s, registered);
    assert_eq!(
        kinds(&day),
        [
            ("catch_up".into(), "HepB:2,Polio:1,DTaP:3".into()),
            ("due_soon".into(), "MMR:1".into()),
        ]
    );
    // The cadence: Polio 1 was due today (weekly), the others count less often.
    assert_eq!(
        day.follow_up,
        FollowUp {
            on: Some(d("2026-12-06")),
            catch_up: false
        }
    );
    assert_eq!(day.next_push_date, Some(d("2026-12-02")), "MMR 1's day");

    // Registered the day the only missing dose comes due: its own reminder says it all.
    let s = at(
        "2026-11-29",
        vec![dose("Polio", 1, Status::Due, "2026-11-29", "")],
    );
    let day = plan_at(&s, registered);
    assert_eq!(kinds(&day), [("due_today".into(), "Polio:1".into())]);

    // Nothing missing: nothing, and no follow-up any more.
    let s = at(
        "2026-11-29",
        vec![dose("Polio", 1, Status::NotYetDue, "2026-12-29", "")],
    );
    let day = plan_at(&s, registered);
    assert!(day.messages.is_empty());
    assert_eq!(day.follow_up, FollowUp::default());
    assert_eq!(day.next_push_date, Some(d("2026-12-26")));
}

#[test]
fn follow_ups_come_weekly_then_monthly_and_stop_at_the_age_limit() {
    let cadence = |doses: Vec<DoseStatus>| {
        let s = at("2026-11-29", doses);
        let due = FollowUp {
            on: Some(d("2026-11-29")),
            catch_up: false,
        };
        let day = plan_at(&s, due);
        (kinds(&day), day.follow_up.on)
    };
    // Due for 27 days: weekly.
    let (planned, next) = cadence(vec![dose("HepB", 2, Status::Due, "2026-11-02", "")]);
    assert_eq!(planned, [("follow_up".into(), "HepB:2".into())]);
    assert_eq!(next, Some(d("2026-12-06")));
    // Due for 28 days: monthly.
    let (_, next) = cadence(vec![dose("HepB", 2, Status::Due, "2026-11-01", "")]);
    assert_eq!(next, Some(d("2026-12-29")));
    // Overdue: monthly.
    let (_, next) = cadence(vec![dose(
        "DTaP",
        3,
        Status::Overdue,
        "2026-04-29",
        "2026-11-20",
    )]);
    assert_eq!(next, Some(d("2026-12-29")));
    // The soonest of the doses counts.
    let (_, next) = cadence(vec![
        dose("DTaP", 3, Status::Overdue, "2026-04-29", "2026-11-20"),
        dose("HepB", 2, Status::Due, "2026-11-20", ""),
    ]);
    assert_eq!(next, Some(d("2026-12-06")));
    // A dose no longer givable on its follow-up day is not followed up.
    let mut limited = dose("MPSV-A", 1, Status::Overdue, "2026-04-29", "2026-10-28");
    limited.not_given_from = Some(d("2026-12-29"));
    let (_, next) = cadence(vec![limited.clone()]);
    assert_eq!(next, None);
    limited.not_given_from = Some(d("2026-12-30"));
    let (_, next) = cadence(vec![limited]);
    assert_eq!(next, Some(d("2026-12-29")));
    // Past the limit the schedule says "not applicable": nothing is named.
    let (planned, next) = cadence(vec![dose("MPSV-A", 1, Status::NotApplicable, "", "")]);
    assert!(planned.is_empty());
    assert_eq!(next, None);
}

#[test]
fn a_follow_up_not_due_yet_waits_and_keeps_its_day() {
    let s = at(
        "2026-12-01",
        vec![dose("HepB", 2, Status::Due, "2026-11-15", "")],
    );
    let waiting = FollowUp {
        on: Some(d("2026-12-06")),
        catch_up: false,
    };
    let day = plan_at(&s, waiting);
    assert!(day.messages.is_empty());
    assert_eq!(day.follow_up, waiting);
    assert_eq!(day.next_push_date, Some(d("2026-12-06")));
}

#[test]
fn follow_up_rules_parse_and_refuse_nonsense() {
    assert_eq!(
        FollowUpRule::parse_list("due:0:7, due:28:30 ,overdue:0:30").unwrap(),
        FollowUpRule::DEFAULTS
    );
    assert!(FollowUpRule::parse_list("").unwrap().is_empty());
    for bad in ["due:0", "late:0:7", "due:x:7", "due:0:0", "due:0:7:1"] {
        assert!(FollowUpRule::parse_list(bad).is_err(), "{bad}");
    }
    // No rule for overdue doses: they are named while something else is followed up, and are
    // never followed up alone.
    let rules = Rules {
        follow_ups: FollowUpRule::parse_list("due:0:7").unwrap(),
        ..Rules::default()
    };
    let s = at(
        "2026-11-29",
        vec![dose("DTaP", 3, Status::Overdue, "2026-04-29", "2026-10-28")],
    );
    let due = FollowUp::after_change(d("2026-11-29"));
    let day = plan_day(&rules, d("2026-01-10"), &s, &[], s.as_of, due);
    assert_eq!(kinds(&day), [("catch_up".into(), "DTaP:3".into())]);
    assert_eq!(day.follow_up.on, None);
}

#[test]
fn next_trigger_is_the_first_reminder_day_after_the_day() {
    let rules = Rules::default();
    let s = schedule_on("2026-01-10", "2026-01-10");
    let next = next_trigger(&rules, d("2026-01-10"), &s, &[], d("2026-01-10")).unwrap();
    // Something is planned on `next`, and nothing in between.
    let s_next = schedule_on("2026-01-10", &next.to_string());
    let day = plan_day(
        &rules,
        d("2026-01-10"),
        &s_next,
        &[],
        next,
        FollowUp::default(),
    );
    assert!(!day.messages.is_empty());
    assert!(next > d("2026-01-10"));
}

#[test]
fn stages_starting_the_same_day_are_one_message_and_birth_stages_are_not_pushed() {
    let rules = Rules::default();
    let birth = d("2026-01-10");
    let st = |id: &str, on: &str| StageStart {
        id: id.into(),
        title: id.to_uppercase(),
        summary: String::new(),
        starts_on: d(on),
    };
    let stages = [
        st("a", "2026-01-10"),
        st("b", "2027-01-10"),
        st("c", "2027-01-10"),
    ];
    let s = schedule_on("2026-01-10", "2027-01-10");
    let day = plan_day(
        &rules,
        birth,
        &s,
        &stages,
        d("2027-01-10"),
        FollowUp::default(),
    );
    let planned: Vec<_> = day
        .messages
        .into_iter()
        .filter(|p| p.kind == Kind::Stage)
        .collect();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].stage_id.as_deref(), Some("b,c"));
    let s0 = schedule_on("2026-01-10", "2026-01-10");
    let day = plan_day(&rules, birth, &s0, &stages, birth, FollowUp::default());
    assert!(day.messages.iter().all(|p| p.kind != Kind::Stage));
}

#[test]
fn catch_up_is_bounded() {
    let rules = Rules::default();
    assert_eq!(
        plan_from(&rules, d("2020-01-01"), d("2026-01-10")),
        d("2026-01-07")
    );
    assert_eq!(
        plan_from(&rules, d("2026-01-09"), d("2026-01-10")),
        d("2026-01-09")
    );
}

#[test]
fn an_unsent_reminder_is_kept_narrowed_or_cancelled_by_a_schedule_change() {
    let refs = |list: &str| DoseRef::parse_list(list).unwrap();
    let due_today = Some(d("2026-03-10"));
    let s = at(
        "2026-03-10",
        vec![
            dose("Polio", 1, Status::Due, "2026-03-10", ""),
            dose("DTaP", 1, Status::Due, "2026-03-10", ""),
        ],
    );
    let both = refs("Polio:1,DTaP:1");
    assert_eq!(
        judge_pending(Kind::DueToday, due_today, &both, &s),
        Verdict::Keep
    );
    // Polio 1 recorded: the reminder names DTaP 1 only.
    let mut recorded = s.clone();
    recorded.doses[0].status = Status::Done;
    match judge_pending(Kind::DueToday, due_today, &both, &recorded) {
        Verdict::Narrow(still) => {
            assert_eq!(still.len(), 1);
            assert_eq!(still[0].id, refs("DTaP:1")[0]);
        }
        other => panic!("{other:?}"),
    }
    // Both recorded, or their date moved: cancelled.
    recorded.doses[1].status = Status::Done;
    assert_eq!(
        judge_pending(Kind::DueToday, due_today, &both, &recorded),
        Verdict::Cancel
    );
    let mut moved = s.clone();
    for x in &mut moved.doses {
        x.earliest = Some(d("2026-03-20"));
        x.status = Status::NotYetDue;
    }
    assert_eq!(
        judge_pending(Kind::DueToday, due_today, &both, &moved),
        Verdict::Cancel
    );
    // A catch-up follows whether its doses are still missing, whatever their dates.
    assert_eq!(
        judge_pending(Kind::CatchUp, Some(d("2026-03-01")), &both, &s),
        Verdict::Keep
    );
    assert_eq!(
        judge_pending(Kind::FollowUp, Some(d("2026-03-01")), &both, &moved),
        Verdict::Cancel
    );
    // An overdue reminder is about the complete-by date.
    let late = at(
        "2026-11-04",
        vec![dose("DTaP", 3, Status::Overdue, "2026-04-29", "2026-10-28")],
    );
    let dtap3 = refs("DTaP:3");
    assert_eq!(
        judge_pending(Kind::Overdue7, Some(d("2026-10-28")), &dtap3, &late),
        Verdict::Keep
    );
    assert_eq!(
        judge_pending(Kind::Overdue7, Some(d("2026-04-29")), &dtap3, &late),
        Verdict::Cancel
    );
    // Stages and campaigns are not about doses.
    assert_eq!(
        judge_pending(Kind::Stage, None, &[], &recorded),
        Verdict::Keep
    );
}

#[test]
fn outbox_statuses_and_dose_lists_round_trip() {
    for status in OutboxStatus::ALL {
        assert_eq!(OutboxStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(OutboxStatus::Pending.as_str(), "pending");
    assert_eq!(OutboxStatus::parse("PENDING"), None);
    let list = DoseRef::parse_list("HepB:2,DTaP-IPV/Hib:1").unwrap();
    assert_eq!(list[1].vaccine, "DTaP-IPV/Hib");
    assert_eq!(DoseRef::join(&list), "HepB:2,DTaP-IPV/Hib:1");
    assert_eq!(DoseRef::parse_list("HepB"), None);
    assert_eq!(DoseRef::parse_list("HepB:x"), None);
}

#[test]
fn reminder_texts_name_the_doses_with_short_names() {
    let named = |vaccine: &str, n: u8, name: &str| NamedDose {
        id: DoseRef {
            vaccine: vaccine.into(),
            dose: n,
        },
        name_zh: name.into(),
    };
    let doses = [
        named("HepB", 2, "乙肝疫苗"),
        named("HepB", 3, "乙肝疫苗"),
        named("Polio", 1, "脊灰疫苗 (IPV + bOPV)"),
        named("P bOPV", 1, "二价脊灰减毒活疫苗（口服）"),
    ];
    assert_eq!(
        doses_text(&doses),
        "乙肝疫苗第2、3剂、脊灰疫苗第1剂、二价脊灰减毒活疫苗第1剂"
    );
    let one = dose_fields(
        Kind::DueSoon,
        &doses[2..3],
        d("2026-03-10"),
        d("2026-03-07"),
    );
    assert_eq!(one.kind_text, "脊灰疫苗第1剂3天后可以接种了");
    // One dose: the fields templates used before grouping keep their meaning.
    assert_eq!(
        (
            one.vaccine_name.as_str(),
            one.dose.as_str(),
            one.vaccine.as_str()
        ),
        ("脊灰疫苗 (IPV + bOPV)", "1", "Polio")
    );
    let two = dose_fields(
        Kind::DueToday,
        &doses[..2],
        d("2026-03-10"),
        d("2026-03-12"),
    );
    assert_eq!(two.kind_text, "乙肝疫苗第2、3剂已经可以接种了");
    assert_eq!(
        (two.vaccine_name.as_str(), two.dose.as_str()),
        ("乙肝疫苗", "2、3")
    );
    assert_eq!(two.dose_count, "2");
    let catch_up = dose_fields(Kind::CatchUp, &doses, d("2026-03-10"), d("2026-03-10"));
    assert!(
        catch_up.kind_text.ends_with("待接种，请尽快安排"),
        "{catch_up:?}"
    );
}

#[test]
fn catch_ups_and_follow_ups_are_held_only_when_both_their_switches_are_off() {
    let mut p = Preferences::defaults(QuietHours::default());
    p.due_today = false;
    assert!(p.allows(Kind::CatchUp) && p.allows(Kind::FollowUp));
    assert!(!p.allows(Kind::DueToday));
    p.overdue = false;
    assert!(!p.allows(Kind::CatchUp) && !p.allows(Kind::FollowUp));
    assert_eq!(parse_kind("catch_up"), Some(Kind::CatchUp));
    assert_eq!(parse_kind("follow_up"), Some(Kind::FollowUp));
    assert_eq!(parse_kind("overdue_14"), Some(Kind::OverdueOther));
}

#[test]
fn quiet_hours_hold_messages_until_the_morning() {
    let q = QuietHours::default();
    let at = |h: u32, m: u32| {
        crate::domain::time::shanghai()
            .with_ymd_and_hms(2026, 3, 1, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(q.not_before(at(10, 0)), at(10, 0));
    assert_eq!(q.not_before(at(7, 59)), at(8, 0));
    assert_eq!(
        q.not_before(at(21, 30)),
        crate::domain::time::shanghai()
            .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    assert_eq!(parse_hhmm("21:00"), Some(1260));
    assert_eq!(parse_hhmm("25:00"), None);
}

#[test]
fn channel_and_backoff_and_reasons() {
    assert_eq!(choose_channel(true, true, true), Channel::Template);
    assert_eq!(choose_channel(false, true, true), Channel::Subscribe);
    assert_eq!(choose_channel(false, true, false), Channel::None);
    let b = backoff(3, Duration::seconds(5), Duration::seconds(300));
    assert_eq!(b, Duration::seconds(20));
    assert_eq!(
        backoff(30, Duration::seconds(5), Duration::seconds(300)),
        Duration::seconds(300)
    );
    assert_eq!(failure_reason(43004), "unfollowed");
    assert_eq!(failure_reason(43101), "refused");
}

#[test]
fn templates_fill_and_cut_subscribe_keywords() {
    let values: BTreeMap<String, String> = [
        (
            "baby_name".to_owned(),
            "小明明明明明明明明明明明明明明明明明明明明明明".to_owned(),
        ),
        ("dose".to_owned(), "2".to_owned()),
    ]
    .into();
    assert_eq!(fill("第{dose}剂{x}{", &values), "第2剂{");
    let spec = TemplateSpec {
        template_id: "t".into(),
        fields: [("thing1".to_owned(), "{baby_name}".to_owned())].into(),
        page: None,
    };
    assert_eq!(render(&spec, &values, true)["thing1"].chars().count(), 20);
    assert!(render(&spec, &values, false)["thing1"].chars().count() > 20);
}
