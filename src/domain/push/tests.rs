use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};

use super::templates::{TemplateSpec, fill, render};
use super::*;
use crate::domain::schedule::{self, Edition, ScheduleInput};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn schedule_on(birth: &str, as_of: &str) -> Schedule {
    schedule::compute(Edition::current(), &ScheduleInput::new(d(birth), d(as_of))).unwrap()
}

fn kinds(planned: &[Planned]) -> Vec<(String, String, u8)> {
    planned
        .iter()
        .map(|p| {
            (
                p.kind_name.clone(),
                p.vaccine.clone().unwrap_or_default(),
                p.dose.unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn a_dose_is_reminded_n_days_before_on_the_day_and_when_overdue_then_never_again() {
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
        plan(&rules, d(birth), &s, &[], day)
            .into_iter()
            .filter(|p| p.vaccine.as_deref() == Some("HepB") && p.dose == Some(3))
            .map(|p| p.kind_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(on(earliest - Duration::days(3)), ["due_soon"]);
    assert_eq!(on(earliest), ["due_today"]);
    assert!(on(earliest + Duration::days(1)).is_empty());
    assert_eq!(on(cb + Duration::days(7)), ["overdue_7"]);
    assert_eq!(on(cb + Duration::days(30)), ["overdue_30"]);
    assert!(on(cb + Duration::days(31)).is_empty());
    assert!(on(cb + Duration::days(60)).is_empty());
}

#[test]
fn next_push_date_is_the_first_trigger_after_the_day() {
    let rules = Rules::default();
    let s = schedule_on("2026-01-10", "2026-01-10");
    let next = next_push_date(&rules, d("2026-01-10"), &s, &[], d("2026-01-10")).unwrap();
    // Something is planned on `next`, and nothing in between.
    let s_next = schedule_on("2026-01-10", &next.to_string());
    assert!(!plan(&rules, d("2026-01-10"), &s_next, &[], next).is_empty());
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
    let planned: Vec<_> = plan(&rules, birth, &s, &stages, d("2027-01-10"))
        .into_iter()
        .filter(|p| p.kind == Kind::Stage)
        .collect();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].stage_id.as_deref(), Some("b,c"));
    let s0 = schedule_on("2026-01-10", "2026-01-10");
    assert!(
        plan(&rules, birth, &s0, &stages, birth)
            .iter()
            .all(|p| p.kind != Kind::Stage)
    );
    let _ = kinds(&planned);
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
