//! `babyvax points expire --as-of` and `babyvax points verify`, run as separate processes on the
//! database a test app wrote.

use sea_orm::ConnectionTrait;

use super::operator_accounts::{babyvax, text};
use crate::admin::support::operator;
use crate::mp::support::MpApp;
use crate::points::support::{adjust, balance, rows_of};

#[actix_web::test]
async fn the_expiry_job_runs_for_a_chosen_day_once_and_verify_fails_on_a_difference() {
    let mp = MpApp::spawn().await;
    mp.set_today("2026-01-15");
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-cli").await;
    let (s, b) = adjust(&mp, &staff, &member, 40, "c1").await;
    assert_eq!(s, 200, "{b}");
    let database = &mp.app.database;

    let out = babyvax(
        database,
        &["points", "expire", "--as-of", "2027-01-31"],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(": 0 rows"),
        "{}",
        text(&out.stdout)
    );
    for _ in 0..2 {
        let out = babyvax(
            database,
            &["points", "expire", "--as-of", "2027-02-01"],
            None,
        )
        .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let expired = rows_of(&mp, &member, "expire").await;
    assert_eq!(expired.len(), 1, "twice, once");
    assert_eq!(expired[0].delta, -40);
    mp.set_today("2027-02-01");
    let member = mp.login("o-cli").await;
    assert_eq!(balance(&mp, &member).await, 0);

    let out = babyvax(database, &["points", "verify"], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no difference"));
    mp.app
        .db
        .execute_unprepared(&format!(
            "UPDATE points_accounts SET balance = 7 WHERE member_id = {}",
            member.id
        ))
        .await
        .unwrap();
    let out = babyvax(database, &["points", "verify"], None).await;
    assert_eq!(out.status.code(), Some(1));
    let printed = text(&out.stdout);
    assert!(
        printed.contains(&format!("member {}: balance 7, ledger sum 0", member.id)),
        "{printed}"
    );
    let out = babyvax(database, &["points", "expire", "--as-of", "someday"], None).await;
    assert!(!out.status.success());
    mp.finish().await;
}
