//! Expiry by lots: credits earned in different months expire at the end of the month twelve
//! months on; spends take the earliest-expiring lots first; the job, run on chosen dates,
//! writes one `expire` row per expired remainder, and running it twice changes nothing.

use babyvax::service::points::{self, expiry, verify};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use super::support::{adjust, assert_verified, balance, ledger_rows, move_to, rows_of, summary};
use crate::admin::support::operator;
use crate::mp::support::MpApp;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[actix_web::test]
async fn lots_expire_on_their_own_dates_and_the_job_is_idempotent() {
    let mp = MpApp::spawn().await;
    let mut staff = operator(&mp, "ops", "operator").await;
    let mut member = mp.login("o-saver").await;
    let id = member.id as i32;
    for (day, delta, request) in [
        ("2026-01-15", 100, "jan"), // lot A, last day 2027-01-31
        ("2026-02-10", 50, "feb"),  // lot B, last day 2027-02-28
        ("2026-03-05", 0, ""),      // a spend of 30 from A: 70 left
        ("2026-06-01", 20, "jun"),  // lot C, last day 2027-06-30
    ] {
        move_to(&mp, day, &mut staff, &mut member, "o-saver").await;
        if delta == 0 {
            points::spend(&mp.app.db, id, 30, "coupon", "g1", mp.now())
                .await
                .unwrap();
        } else {
            let (s, b) = adjust(&mp, &staff, &member, delta, request).await;
            assert_eq!(s, 200, "{b}");
        }
    }
    let credits = rows_of(&mp, &member, "adjustment").await;
    let expiries: Vec<_> = credits.iter().map(|r| r.expires_on.unwrap()).collect();
    assert_eq!(
        expiries,
        [day("2027-01-31"), day("2027-02-28"), day("2027-06-30")]
    );

    // What expires in the next 30 days, seen on 2027-01-10: lot A's 70.
    move_to(&mp, "2027-01-10", &mut staff, &mut member, "o-saver").await;
    let body = summary(&mp, &member).await;
    assert_eq!(
        body["expiring"],
        serde_json::json!([{"points": 70, "expires_on": "2027-01-31"}])
    );

    let now = mp.now();
    // A lot can be spent on its last day: nothing expires as of that day.
    let report = expiry::run(&mp.app.db, day("2027-01-31"), now)
        .await
        .unwrap();
    assert_eq!(report.rows, 0);
    let report = expiry::run(&mp.app.db, day("2027-02-01"), now)
        .await
        .unwrap();
    assert_eq!((report.members, report.rows, report.points), (1, 1, 70));
    let again = expiry::run(&mp.app.db, day("2027-02-01"), now)
        .await
        .unwrap();
    assert_eq!(again.rows, 0, "a second run changes nothing");
    let expired = rows_of(&mp, &member, "expire").await;
    assert_eq!(expired.len(), 1);
    assert_eq!((expired[0].delta, expired[0].balance_after), (-70, 70));
    assert_eq!(balance(&mp, &member).await, 70);

    // A spend on 2027-02-15 takes lot B (50) then C (10).
    move_to(&mp, "2027-02-15", &mut staff, &mut member, "o-saver").await;
    points::spend(&mp.app.db, id, 60, "coupon", "g2", mp.now())
        .await
        .unwrap();
    assert_eq!(balance(&mp, &member).await, 10);
    let report = expiry::run(&mp.app.db, day("2027-03-01"), mp.now())
        .await
        .unwrap();
    assert_eq!(report.rows, 0, "lot B was spent");
    let report = expiry::run(&mp.app.db, day("2027-07-01"), mp.now())
        .await
        .unwrap();
    assert_eq!((report.rows, report.points), (1, 10));
    assert_eq!(balance(&mp, &member).await, 0);
    let rows = ledger_rows(&mp, &member).await;
    assert_eq!(
        rows.iter()
            .map(|r| (r.reason.as_str(), r.delta))
            .collect::<Vec<_>>(),
        [
            ("adjustment", 100),
            ("adjustment", 50),
            ("spend", -30),
            ("adjustment", 20),
            ("expire", -70),
            ("spend", -60),
            ("expire", -10),
        ]
    );
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_spend_sweeps_expired_lots_first_so_only_live_points_are_spent() {
    let mp = MpApp::spawn().await;
    let mut staff = operator(&mp, "ops", "operator").await;
    let mut member = mp.login("o-late").await;
    let id = member.id as i32;
    move_to(&mp, "2026-01-15", &mut staff, &mut member, "o-late").await;
    assert_eq!(adjust(&mp, &staff, &member, 100, "old").await.0, 200);
    move_to(&mp, "2026-12-01", &mut staff, &mut member, "o-late").await;
    assert_eq!(adjust(&mp, &staff, &member, 30, "new").await.0, 200);
    // The job has not run; on 2027-02-01 the old lot is expired all the same.
    move_to(&mp, "2027-02-01", &mut staff, &mut member, "o-late").await;
    let refused = points::spend(&mp.app.db, id, 40, "coupon", "g1", mp.now())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "insufficient_points");
    assert_eq!(
        rows_of(&mp, &member, "expire").await.len(),
        0,
        "refusal undid the sweep"
    );
    points::spend(&mp.app.db, id, 30, "coupon", "g1", mp.now())
        .await
        .unwrap();
    let expired = rows_of(&mp, &member, "expire").await;
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].delta, -100);
    assert_eq!(balance(&mp, &member).await, 0);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn verify_reports_a_balance_the_ledger_does_not_explain() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-tampered").await;
    adjust(&mp, &staff, &member, 40, "c1").await;
    assert_verified(&mp).await;
    // Someone sets a balance by hand, around the ledger.
    mp.app
        .db
        .execute_unprepared(&format!(
            "UPDATE points_accounts SET balance = 55 WHERE member_id = {}",
            member.id
        ))
        .await
        .unwrap();
    let report = verify::verify(&mp.app.db).await.unwrap();
    assert_eq!(report.differences.len(), 1);
    let d = &report.differences[0];
    assert_eq!(
        (
            d.member_id as i64,
            d.balance,
            d.ledger_sum,
            d.lots_remaining
        ),
        (member.id, 55, 40, 40)
    );
    // And the ledger itself cannot be rewritten.
    let refused = mp
        .app
        .db
        .execute_unprepared("UPDATE points_ledger SET delta = 55")
        .await;
    assert!(refused.is_err(), "the ledger is append-only");
    let refused = mp
        .app
        .db
        .execute_unprepared("DELETE FROM points_ledger")
        .await;
    assert!(refused.is_err(), "the ledger is append-only");
    mp.finish().await;
}

#[actix_web::test]
async fn serve_runs_the_expiry_once_a_day() {
    let mp = MpApp::spawn().await;
    let mut staff = operator(&mp, "ops", "operator").await;
    let mut member = mp.login("o-job").await;
    move_to(&mp, "2026-01-15", &mut staff, &mut member, "o-job").await;
    assert_eq!(adjust(&mp, &staff, &member, 40, "c1").await.0, 200);
    mp.set_today("2027-02-01");
    let settings = crate::helpers::test_settings(mp.app.database.url());
    let state = babyvax::startup::build_state(settings, mp.app.db.clone(), mp.app.clock.clone())
        .expect("state");
    let job = babyvax::jobs::points::spawn_with(&state, std::time::Duration::from_millis(20));
    let mut expired = Vec::new();
    for _ in 0..250 {
        expired = rows_of(&mp, &member, "expire").await;
        if !expired.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(expired.len(), 1, "the job ran for today");
    assert_eq!(expired[0].delta, -40);
    drop(job);
    assert_verified(&mp).await;
    mp.finish().await;
}
