//! The push planner on seeded babies: exactly the expected reminders on given dates, doses of
//! one day in one message, done doses never reminded, a recorded dose cancelling or narrowing
//! unsent reminders, every caregiver reminded once, preferences, quiet hours, and a second run
//! of a day planning nothing twice.
//!
//! The baby of these tests is born 2026-01-10 with HepB 1 and BCG at birth: HepB 2 from
//! 2026-02-10, Polio 1 and DTaP 1 from 2026-03-10; HepB 3, Polio 3, DTaP 3, MMR 1, JE-L 1 and
//! MPSV-A 1 complete by 2027-01-09; the first stage after birth ("sitting") starts 2026-05-04.

use babyvax::service::care::doses::{self, DoseInput};
use babyvax::service::messaging::outbox;
use babyvax::service::push::preferences::{self, PreferencesInput};
use sea_orm::EntityTrait;

use crate::push::support::{PushApp, at, d};

fn row(kind: &str, vaccine: &str, dose: i32) -> (String, String, i32) {
    (kind.to_owned(), vaccine.to_owned(), dose)
}

async fn due_today(p: &PushApp) -> entity::push_outbox::Model {
    let rows = p.rows().await;
    rows.into_iter().find(|r| r.kind == "due_today").unwrap()
}

fn reminder(kind: &str, doses: &str) -> (String, String) {
    (kind.to_owned(), doses.to_owned())
}

#[actix_web::test]
async fn the_planner_reminds_n_days_before_on_the_day_when_overdue_and_at_a_new_stage() {
    // The reminders of each dose's own days; the follow-ups of missing doses (off here) are
    // `push::catch_up`'s.
    let p = PushApp::spawn_with(|s| s.push.rules.follow_ups.clear()).await;
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
    // Two doses from the same day: one message naming both.
    p.plan("2026-03-07").await;
    assert_eq!(
        p.reminders_for(member, "2026-03-07").await,
        [reminder("due_soon", "脊灰疫苗第1剂、百白破疫苗第1剂")]
    );
    p.plan("2026-05-04").await;
    let stage: Vec<_> = p
        .rows()
        .await
        .into_iter()
        .filter(|r| r.planned_for == d("2026-05-04") && r.kind == "stage")
        .collect();
    assert_eq!(stage.len(), 1, "{stage:?}");
    assert_eq!(
        stage[0].stage_id.as_deref(),
        Some("motor_sitting_without_support")
    );

    // Complete-by 2027-01-09 for six doses: +7, +30, then never again.
    let six = "乙肝疫苗第3剂、脊灰疫苗第3剂、百白破疫苗第3剂、麻腮风疫苗第1剂、\
               乙脑减毒活疫苗第1剂、A群流脑多糖疫苗第1剂";
    p.plan("2027-01-16").await;
    assert_eq!(
        p.reminders_for(member, "2027-01-16").await,
        [reminder("overdue_7", six)]
    );
    p.plan("2027-02-08").await;
    assert_eq!(
        p.reminders_for(member, "2027-02-08").await,
        [reminder("overdue_30", six)]
    );
    for day in ["2027-03-10", "2027-06-01"] {
        p.plan(day).await;
        let later = p.reminders_for(member, day).await;
        assert!(
            later
                .iter()
                .all(|(_, doses)| !doses.contains("乙肝疫苗第3剂")),
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

/// A baby born 2026-01-10 with HepB 1, BCG (at birth) and HepB 2 recorded, registered on
/// 2026-03-01: nothing missing, Polio 1 and DTaP 1 both from 2026-03-10.
async fn up_to_date_baby(p: &PushApp, member: i32) -> i32 {
    let birth = d("2026-01-10");
    babyvax::cli::seed::baby(
        &p.app.db,
        member,
        "小米",
        birth,
        &[
            ("HepB", 1, birth),
            ("BCG", 1, birth),
            ("HepB", 2, d("2026-02-10")),
        ],
        p.today(),
        p.now(),
    )
    .await
    .unwrap()
}

#[actix_web::test]
async fn doses_due_on_one_day_are_one_message_and_recording_one_narrows_it() {
    let p = PushApp::spawn().await;
    p.set_now("2026-03-01", 10, 0);
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = up_to_date_baby(&p, member).await;

    p.set_now("2026-03-07", 10, 0);
    p.plan("2026-03-07").await;
    assert_eq!(
        p.reminders_for(member, "2026-03-07").await,
        [reminder("due_soon", "脊灰疫苗第1剂、百白破疫苗第1剂")]
    );
    assert_eq!(p.send().await.sent_template, 1);
    let sent = p.fake.sent_messages();
    assert_eq!(sent.len(), 1, "one message for the two doses");
    assert_eq!(
        sent[0].body["data"]["keyword2"]["value"],
        "脊灰疫苗第1剂、百白破疫苗第1剂"
    );
    assert_eq!(
        sent[0].body["data"]["first"]["value"],
        "脊灰疫苗第1剂、百白破疫苗第1剂3天后可以接种了"
    );

    // Planned, not sent yet: recording one of its doses leaves it naming the other ...
    p.set_now("2026-03-10", 8, 0);
    p.plan("2026-03-10").await;
    assert_eq!(
        p.reminders_for(member, "2026-03-10").await,
        [reminder("due_today", "脊灰疫苗第1剂、百白破疫苗第1剂")]
    );
    let polio = DoseInput {
        vaccine: "Polio".into(),
        dose: 1,
        date: d("2026-03-10"),
        clinic: None,
    };
    doses::add_dose(&p.app.db, member, baby, &polio, p.today(), p.now())
        .await
        .unwrap();
    let row = due_today(&p).await;
    assert_eq!(row.status, "pending");
    let fields = crate::push::support::payload(&row);
    assert_eq!(fields["doses"], "百白破疫苗第1剂");
    assert_eq!(fields["kind_text"], "百白破疫苗第1剂从今天起可以接种");
    assert_eq!((row.vaccine.as_deref(), row.dose), (Some("DTaP"), Some(1)));

    // ... and recording the other cancels it.
    let dtap = DoseInput {
        vaccine: "DTaP".into(),
        ..polio
    };
    doses::add_dose(&p.app.db, member, baby, &dtap, p.today(), p.now())
        .await
        .unwrap();
    let row = due_today(&p).await;
    assert_eq!(row.status, "cancelled");
    p.set_now("2026-03-10", 10, 0);
    assert_eq!(p.send().await.sent(), 0);
    p.finish().await;
}

#[actix_web::test]
async fn every_caregiver_gets_the_babys_reminders_once_as_their_preferences_allow() {
    use babyvax::service::care::caregivers;
    let p = PushApp::spawn().await;
    let quiet = p.settings.push.quiet;
    p.set_now("2026-03-01", 10, 0);
    let owner = p.family("mp-owner", Some("oa-owner"), true, 0).await;
    let grandma = p.family("mp-grandma", Some("oa-grandma"), true, 0).await;
    let dad = p.family("mp-dad", Some("oa-dad"), true, 0).await;
    let baby = up_to_date_baby(&p, owner).await;
    for member in [grandma, dad] {
        let invite = caregivers::create_invite(&p.app.db, owner, baby, p.now())
            .await
            .unwrap();
        caregivers::accept_invite(&p.app.db, member, &invite.code, p.now())
            .await
            .unwrap();
    }
    let off = PreferencesInput {
        due_soon: Some(false),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, dad, &off, quiet, p.now())
        .await
        .unwrap();

    p.set_now("2026-03-07", 10, 0);
    let report = p.plan("2026-03-07").await;
    assert_eq!((report.total_planned(), report.suppressed), (3, 1));
    let rows = p.rows().await;
    let of = |m: i32| {
        let mine: Vec<_> = rows.iter().filter(|r| r.member_id == Some(m)).collect();
        assert_eq!(mine.len(), 1, "{m}: {mine:?}");
        (mine[0].status.clone(), mine[0].dedup_key.clone())
    };
    assert_eq!(
        of(owner),
        (
            "pending".into(),
            format!("b{baby}:m{owner}:due_soon:2026-03-10")
        )
    );
    assert_eq!(of(grandma).0, "pending");
    assert_eq!(of(dad).0, "suppressed");
    assert_eq!(p.plan("2026-03-07").await.total_planned(), 0, "each once");
    assert_eq!(p.send().await.sent_template, 2);
    let to = p.recipients();
    assert_eq!(to, ["oa-grandma", "oa-owner"]);

    // A caregiver who leaves gets nothing more, not even what was planned for them.
    p.set_now("2026-03-10", 8, 0);
    p.plan("2026-03-10").await;
    caregivers::remove_caregiver(&p.app.db, grandma, baby, grandma, p.now())
        .await
        .unwrap();
    let left: Vec<_> = p
        .rows()
        .await
        .into_iter()
        .filter(|r| r.member_id == Some(grandma) && r.planned_for == d("2026-03-10"))
        .collect();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, "cancelled");
    p.finish().await;
}

#[actix_web::test]
async fn a_schedule_change_stamps_the_planners_index_with_the_real_time() {
    let p = PushApp::spawn().await;
    p.set_now("2026-03-01", 10, 17);
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = up_to_date_baby(&p, member).await;
    let row = entity::push_schedule::Entity::find_by_id(baby)
        .one(&p.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.updated_at, at("2026-03-01", 10, 17));
    assert_eq!(row.next_push_date, Some(d("2026-03-01")));
    p.finish().await;
}

#[actix_web::test]
async fn a_page_with_a_message_already_in_the_outbox_counts_it_apart_and_keeps_it() {
    // Three babies on one page, each with a catch-up (registration) and a due-soon reminder:
    // one planned as usual, one whose parent switched due-soon reminders off, one whose
    // reminder is in the outbox already (an earlier, crashed run).
    let p = PushApp::spawn_with(|s| s.push.rules.follow_ups.clear()).await;
    let quiet = p.settings.push.quiet;
    let plain = p.family("mp-1", Some("oa-1"), true, 0).await;
    let off = p.family("mp-2", Some("oa-2"), true, 0).await;
    let earlier = p.family("mp-3", Some("oa-3"), true, 0).await;
    p.baby(plain, "宝宝", "2026-01-10").await;
    p.baby(off, "宝宝", "2026-01-10").await;
    let baby = p.baby(earlier, "宝宝", "2026-01-10").await;
    let no_due_soon = PreferencesInput {
        due_soon: Some(false),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, off, &no_due_soon, quiet, p.now())
        .await
        .unwrap();
    let key = format!("b{baby}:m{earlier}:due_soon:2026-03-10");
    let there = outbox::NewMessage {
        dedup_key: key.clone(),
        kind: "due_soon".into(),
        recipient: outbox::Recipient::Member(earlier),
        payload: serde_json::json!({"title": "earlier"}),
        planned_for: d("2026-03-07"),
        not_before: p.now(),
        held: None,
        about: outbox::About::default(),
    };
    assert_eq!(
        outbox::enqueue(&p.app.db, vec![there], p.now())
            .await
            .unwrap(),
        1
    );

    let report = p.plan("2026-03-07").await;
    assert_eq!(report.babies_considered, 3);
    assert_eq!(
        report.planned.into_iter().collect::<Vec<_>>(),
        [("catch_up".to_owned(), 3), ("due_soon".to_owned(), 2)]
    );
    assert_eq!((report.suppressed, report.already_planned), (1, 1));
    let rows = p.rows().await;
    assert_eq!(rows.len(), 6);
    let of = |m: i32| {
        rows.iter()
            .find(|r| r.member_id == Some(m) && r.kind == "due_soon")
            .unwrap()
    };
    assert_eq!(of(plain).status, "pending");
    assert_eq!(of(off).status, "suppressed");
    assert_eq!(
        (of(earlier).dedup_key.as_str(), of(earlier).payload.as_str()),
        (key.as_str(), r#"{"title":"earlier"}"#)
    );
    p.finish().await;
}
