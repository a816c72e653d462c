//! The push planner on seeded babies: exactly the expected reminders on given dates, done doses
//! never reminded, a recorded dose cancelling unsent reminders, preferences, quiet hours, and a
//! second run of a day planning nothing twice.
//!
//! The baby of these tests is born 2026-01-10 with HepB 1 and BCG at birth: HepB 2 from
//! 2026-02-10, Polio 1 and DTaP 1 from 2026-03-10; HepB 3, Polio 3, DTaP 3, MMR 1, JE-L 1 and
//! MPSV-A 1 complete by 2027-01-09; the first stage after birth ("sitting") starts 2026-05-04.

use babyvax::service::care::doses::{self, DoseInput};
use babyvax::service::push::preferences::{self, PreferencesInput};

use crate::push::support::{PushApp, at, d};

fn row(kind: &str, vaccine: &str, dose: i32) -> (String, String, i32) {
    (kind.to_owned(), vaccine.to_owned(), dose)
}

#[actix_web::test]
async fn the_planner_reminds_n_days_before_on_the_day_when_overdue_and_at_a_new_stage() {
    let p = PushApp::spawn().await;
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    p.baby(member, "小米", "2026-01-10").await;

    assert_eq!(p.plan("2026-02-06").await.total_planned(), 0);
    p.plan("2026-02-07").await;
    assert_eq!(
        p.planned_on("2026-02-07").await,
        [row("due_soon", "HepB", 2)]
    );
    p.plan("2026-02-10").await;
    assert_eq!(
        p.planned_on("2026-02-10").await,
        [row("due_today", "HepB", 2)]
    );
    p.plan("2026-03-07").await;
    assert_eq!(
        p.planned_on("2026-03-07").await,
        [row("due_soon", "DTaP", 1), row("due_soon", "Polio", 1)]
    );
    p.plan("2026-05-04").await;
    let stage: Vec<_> = p
        .rows()
        .await
        .into_iter()
        .filter(|r| r.planned_for == d("2026-05-04"))
        .collect();
    assert_eq!(stage.len(), 1, "{stage:?}");
    assert_eq!(stage[0].kind, "stage");
    assert_eq!(
        stage[0].stage_id.as_deref(),
        Some("motor_sitting_without_support")
    );

    // Complete-by 2027-01-09: +7, +30, then never again.
    p.plan("2027-01-16").await;
    let overdue7 = p.planned_on("2027-01-16").await;
    assert!(
        overdue7.contains(&row("overdue_7", "HepB", 3)),
        "{overdue7:?}"
    );
    assert!(
        overdue7.iter().all(|(k, _, _)| k == "overdue_7"),
        "{overdue7:?}"
    );
    p.plan("2027-02-08").await;
    let overdue30 = p.planned_on("2027-02-08").await;
    assert!(
        overdue30.contains(&row("overdue_30", "HepB", 3)),
        "{overdue30:?}"
    );
    for day in ["2027-03-10", "2027-06-01"] {
        p.plan(day).await;
        let later = p.planned_on(day).await;
        assert!(
            later
                .iter()
                .all(|(_, v, n)| (v.as_str(), *n) != ("HepB", 3)),
            "{day}: {later:?}"
        );
    }
    // Nothing is planned twice: the same days again add no row.
    let before = p.rows().await.len();
    for day in ["2026-02-07", "2026-02-10", "2027-01-16"] {
        let again = p.plan(day).await;
        assert_eq!(again.total_planned(), 0, "{day}");
    }
    assert_eq!(p.rows().await.len(), before);
    p.finish().await;
}

#[actix_web::test]
async fn a_recorded_dose_cancels_its_unsent_reminders_and_is_never_reminded() {
    let p = PushApp::spawn().await;
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = p.baby(member, "小米", "2026-01-10").await;
    p.set_now("2026-02-07", 10, 0);
    p.plan("2026-02-07").await;
    assert_eq!(p.rows().await[0].status, "pending");

    p.set_now("2026-02-10", 9, 0);
    let dose = DoseInput {
        vaccine: "HepB".into(),
        dose: 2,
        date: d("2026-02-10"),
        clinic: None,
    };
    doses::add_dose(&p.app.db, member, baby, &dose, p.today(), p.now())
        .await
        .expect("dose recorded");
    let rows = p.rows().await;
    assert_eq!(rows[0].status, "cancelled", "{rows:?}");
    p.plan("2026-02-10").await;
    assert!(p.planned_on("2026-02-10").await.is_empty());
    assert_eq!(p.send().await.sent(), 0);
    assert!(p.fake.sent_messages().is_empty());
    p.finish().await;
}

#[actix_web::test]
async fn preferences_switch_kinds_off_stop_everything_and_quiet_hours_wait_for_the_morning() {
    let p = PushApp::spawn().await;
    let quiet = p.settings.push.quiet;
    let kind_off = p.family("mp-1", Some("oa-1"), true, 0).await;
    let stopped = p.family("mp-2", Some("oa-2"), true, 0).await;
    let night = p.family("mp-3", Some("oa-3"), true, 0).await;
    for m in [kind_off, stopped, night] {
        p.baby(m, "宝宝", "2026-01-10").await;
    }
    let off = PreferencesInput {
        due_soon: Some(false),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, kind_off, &off, quiet, p.now())
        .await
        .unwrap();
    let stop = PreferencesInput {
        stop_all: Some(true),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, stopped, &stop, quiet, p.now())
        .await
        .unwrap();
    let late = PreferencesInput {
        quiet_start: Some("21:00".into()),
        quiet_end: Some("08:30".into()),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, night, &late, quiet, p.now())
        .await
        .unwrap();

    // Planned at 22:00: the quiet hours hold the message until 08:30 the next morning.
    p.set_now("2026-02-07", 22, 0);
    let report = p.plan("2026-02-07").await;
    assert_eq!(report.total_planned(), 3);
    assert_eq!(report.suppressed, 2);
    let rows = p.rows().await;
    let by_member = |m: i32| rows.iter().find(|r| r.member_id == Some(m)).unwrap();
    assert_eq!(by_member(kind_off).status, "suppressed");
    assert_eq!(by_member(stopped).status, "suppressed");
    assert_eq!(by_member(night).status, "pending");
    assert_eq!(by_member(night).not_before, at("2026-02-08", 8, 30));

    assert_eq!(p.send().await.sent(), 0, "nothing goes out at night");
    p.set_now("2026-02-08", 8, 31);
    assert_eq!(p.send().await.sent(), 1);

    // The kind switched back on: the next day's due-today reminder goes out; stop-all holds.
    let on = PreferencesInput {
        due_soon: Some(true),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, kind_off, &on, quiet, p.now())
        .await
        .unwrap();
    p.set_now("2026-02-10", 10, 0);
    let report = p.plan("2026-02-10").await;
    assert_eq!(report.total_planned(), 3);
    assert_eq!(report.suppressed, 1);
    assert_eq!(p.send().await.sent(), 2);
    p.finish().await;
}

#[actix_web::test]
async fn quiet_hours_are_checked_again_when_sending() {
    let p = PushApp::spawn().await;
    let quiet = p.settings.push.quiet;
    let member = p.family("mp-q", Some("oa-q"), true, 0).await;
    p.baby(member, "宝宝", "2026-01-10").await;
    p.set_now("2026-02-07", 10, 0);
    assert_eq!(p.plan("2026-02-07").await.total_planned(), 1);

    // Quiet hours set after planning (a retry or a pause could land there just the same).
    let midday = PreferencesInput {
        quiet_start: Some("09:00".into()),
        quiet_end: Some("12:00".into()),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, member, &midday, quiet, p.now())
        .await
        .unwrap();
    assert_eq!(
        p.send().await.sent(),
        0,
        "held by the quiet hours at send time"
    );
    let row = p.rows().await.into_iter().next().unwrap();
    assert_eq!(
        (row.status.as_str(), row.not_before),
        ("pending", at("2026-02-07", 12, 0))
    );
    assert_eq!(
        row.attempts, 0,
        "waiting out quiet hours is not a failed attempt"
    );

    p.set_now("2026-02-07", 12, 1);
    assert_eq!(p.send().await.sent(), 1);
    p.finish().await;
}
