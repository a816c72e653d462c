//! Catch-up reminders for doses already due or overdue when a baby is registered (or its history
//! changes), and the follow-up cadence for doses still missing: weekly while a dose is due (its
//! first 4 weeks), then monthly, until it is recorded or past its age limit.

use babyvax::service::care::doses::{self, DoseInput};
use entity::push_schedule;
use sea_orm::EntityTrait;

use crate::push::support::{PushApp, d, planned};

const HEPB_2: &str = "乙肝疫苗第2剂";
const POLIO_DTAP_1: &str = "脊灰疫苗第1剂、百白破疫苗第1剂";
const MISSING_3: &str = "乙肝疫苗第2剂、脊灰疫苗第1剂、百白破疫苗第1剂";

async fn record(p: &PushApp, member: i32, baby: i32, vaccine: &str, dose: i32, on: &str) {
    let input = DoseInput {
        vaccine: vaccine.into(),
        dose,
        date: d(on),
        clinic: None,
    };
    doses::add_dose(&p.app.db, member, baby, &input, p.today(), p.now())
        .await
        .expect("dose recorded");
}

/// Born 2026-10-15, registered 2026-11-29 with the birth doses: HepB 2 has been due since
/// 2026-11-15 (it has no complete-by date), Polio 1 and DTaP 1 come due on 2026-12-15.
#[actix_web::test]
async fn a_baby_registered_with_hepb_2_due_gets_a_catch_up_then_follow_ups_until_it_is_recorded() {
    let p = PushApp::spawn().await;
    p.set_now("2026-11-29", 10, 0);
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = p.baby(member, "小米", "2026-10-15").await;

    let got = p.plan_days(member, "2026-11-29", "2026-12-29").await;
    assert_eq!(
        got,
        planned(&[
            ("2026-11-29", "catch_up", HEPB_2),
            // Weekly while HepB 2 is in its first 4 weeks of being due ...
            ("2026-12-06", "follow_up", HEPB_2),
            ("2026-12-12", "due_soon", POLIO_DTAP_1),
            // ... then monthly (next: 2027-01-12) ...
            ("2026-12-13", "follow_up", HEPB_2),
            ("2026-12-15", "due_today", POLIO_DTAP_1),
            // ... and weekly again once newly due doses join it, all in one message.
            ("2026-12-22", "follow_up", MISSING_3),
            ("2026-12-29", "follow_up", MISSING_3),
        ])
    );
    // Each is one message to the parent, with the doses in its template fields.
    let rows = p.rows().await;
    let catch_up = rows.iter().find(|r| r.kind == "catch_up").unwrap();
    assert_eq!(catch_up.status, "pending");
    assert_eq!(
        catch_up.dedup_key,
        format!("b{baby}:m{member}:catch_up:2026-11-29")
    );

    // Planning a day twice plans nothing twice.
    let before = p.rows().await.len();
    for day in ["2026-11-29", "2026-12-22", "2026-12-29"] {
        p.set_now(day, 11, 0);
        assert_eq!(p.plan(day).await.total_planned(), 0, "{day}");
    }
    assert_eq!(p.rows().await.len(), before);

    // The parent records the three doses: the unsent follow-up is cancelled and the follow-ups
    // stop; what remains is the next dose's own reminder.
    p.set_now("2026-12-30", 10, 0);
    for (vaccine, dose) in [("HepB", 2), ("Polio", 1), ("DTaP", 1)] {
        record(&p, member, baby, vaccine, dose, "2026-12-30").await;
    }
    let rows = p.rows().await;
    let last = rows
        .iter()
        .find(|r| r.kind == "follow_up" && r.planned_for == d("2026-12-29"))
        .unwrap();
    assert_eq!(last.status, "cancelled", "{last:?}");
    let later = p.plan_days(member, "2026-12-30", "2027-01-26").await;
    assert_eq!(
        later,
        planned(&[("2027-01-24", "due_soon", "脊灰疫苗第2剂")]),
        "Polio 2 from 2027-01-27, 28 days after Polio 1"
    );
    p.finish().await;
}

/// 13 months old, registered with only the birth doses: 6 doses due and 6 overdue, all of
/// whose own reminder days are long past.
#[actix_web::test]
async fn a_13_month_old_registered_with_only_the_birth_doses_gets_one_catch_up_naming_all_12() {
    let p = PushApp::spawn().await;
    p.set_now("2026-11-29", 10, 0);
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = p.baby(member, "豆豆", "2025-10-29").await;
    let all = "乙肝疫苗第2、3剂、脊灰疫苗第1、2、3剂、百白破疫苗第1、2、3剂、麻腮风疫苗第1剂、\
               乙脑减毒活疫苗第1剂、A群流脑多糖疫苗第1、2剂";

    let got = p.plan_days(member, "2026-11-29", "2026-12-31").await;
    assert_eq!(
        got,
        planned(&[
            ("2026-11-29", "catch_up", all),
            // Every one of them due for more than 4 weeks or overdue: monthly.
            ("2026-12-29", "follow_up", all),
        ])
    );
    let rows = p.rows().await;
    let catch_up = rows.iter().find(|r| r.kind == "catch_up").unwrap();
    let fields = crate::push::support::payload(catch_up);
    assert_eq!(fields["dose_count"], "12");
    assert_eq!(fields["baby_id"], baby.to_string());

    // Sent as one message; the subscribe-message cut would apply to its long text.
    let report = p.send().await;
    assert_eq!(report.sent_template, 2);
    let sent = p.fake.sent_messages();
    assert!(
        sent.iter()
            .any(|m| m.body["data"]["keyword2"]["value"] == all),
        "{sent:?}"
    );

    // The planner's index follows the follow-up days: next 2027-01-28.
    let stored = push_schedule::Entity::find_by_id(baby)
        .one(&p.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.next_push_date, Some(d("2027-01-28")));
    p.finish().await;
}

/// A history change (here: a dose recorded) brings a catch-up on the next planning day for the
/// doses still missing, and the doses recorded are no longer named.
#[actix_web::test]
async fn a_history_change_brings_a_catch_up_for_the_doses_still_missing() {
    let p = PushApp::spawn().await;
    p.set_now("2026-11-29", 10, 0);
    let member = p.family("mp-1", Some("oa-1"), true, 0).await;
    let baby = p.baby(member, "乐乐", "2026-08-15").await;
    let first = p.plan_days(member, "2026-11-29", "2026-11-29").await;
    assert_eq!(
        first,
        planned(&[(
            "2026-11-29",
            "catch_up",
            "乙肝疫苗第2剂、脊灰疫苗第1、2剂、百白破疫苗第1剂"
        )])
    );
    p.set_now("2026-11-30", 9, 0);
    record(&p, member, baby, "HepB", 2, "2026-11-30").await;
    // The unsent catch-up now names only what is still missing.
    let rows = p.rows().await;
    let fields = crate::push::support::payload(&rows[0]);
    assert_eq!(rows[0].status, "pending");
    assert_eq!(fields["doses"], "脊灰疫苗第1、2剂、百白破疫苗第1剂");
    let next = p.plan_days(member, "2026-11-30", "2026-11-30").await;
    assert_eq!(
        next,
        planned(&[(
            "2026-11-30",
            "catch_up",
            "脊灰疫苗第1、2剂、百白破疫苗第1剂"
        )])
    );
    p.finish().await;
}
