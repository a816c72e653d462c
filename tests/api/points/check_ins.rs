//! The daily check-in: one per member and Asia/Shanghai day, under any number of parallel taps;
//! the streak ladder day by day.

use reqwest::Method;
use serde_json::json;

use super::support::{assert_verified, balance, ledger_rows, summary};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn fifty_parallel_check_ins_by_one_member_credit_once() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-tapper").await;
    let taps = (0..50).map(|_| {
        mp.call(
            Method::POST,
            "/api/v1/points/check-ins",
            Some(&member.token),
            None,
        )
    });
    let answers = futures_util::future::join_all(taps).await;
    let created: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    assert_eq!(
        created[0].1,
        json!({"points": 5, "streak": 1, "balance": 5})
    );
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(error(*status, body), (409, "already_checked_in"));
    }
    let rows = ledger_rows(&mp, &member).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].reason.as_str(), rows[0].delta), ("check_in", 5));
    assert_eq!(balance(&mp, &member).await, 5);
    let body = summary(&mp, &member).await;
    assert_eq!(body["checked_in_today"], true);
    assert_eq!(body["streak"], 1);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_calendar_with_a_gap_pays_each_day_of_the_ladder() {
    let mp = MpApp::spawn().await;
    let mut member;
    // Default ladder: 5, 5, 10, 10, 15, 15, 30, then the cycle restarts.
    let days = [
        ("2026-03-01", Some((5, 1))),
        ("2026-03-02", Some((5, 2))),
        ("2026-03-03", Some((10, 3))),
        ("2026-03-04", None), // missed
        ("2026-03-05", Some((5, 1))),
        ("2026-03-06", Some((5, 2))),
        ("2026-03-07", Some((10, 3))),
        ("2026-03-08", Some((10, 4))),
        ("2026-03-09", Some((15, 5))),
        ("2026-03-10", Some((15, 6))),
        ("2026-03-11", Some((30, 7))),
        ("2026-03-12", Some((5, 1))),
    ];
    let mut total = 0;
    for (day, expected) in days {
        mp.set_today(day);
        member = mp.login("o-daily").await;
        let Some((points, streak)) = expected else {
            let body = summary(&mp, &member).await;
            assert_eq!(body["checked_in_today"], false, "{day}");
            continue;
        };
        let before = summary(&mp, &member).await;
        assert_eq!(before["checked_in_today"], false, "{day}");
        let (status, body) = mp
            .call(
                Method::POST,
                "/api/v1/points/check-ins",
                Some(&member.token),
                None,
            )
            .await;
        assert_eq!(status, 201, "{day}: {body}");
        total += points;
        assert_eq!(
            body,
            json!({"points": points, "streak": streak, "balance": total}),
            "{day}"
        );
        let (status, again) = mp
            .call(
                Method::POST,
                "/api/v1/points/check-ins",
                Some(&member.token),
                None,
            )
            .await;
        assert_eq!(error(status, &again), (409, "already_checked_in"), "{day}");
        let after = summary(&mp, &member).await;
        assert_eq!(after["streak"], streak, "{day}");
        assert_eq!(after["checked_in_today"], true, "{day}");
    }
    // The day after a missed one shows no streak until checked in.
    mp.set_today("2026-03-14");
    member = mp.login("o-daily").await;
    assert_eq!(summary(&mp, &member).await["streak"], 0);
    let rows = ledger_rows(&mp, &member).await;
    assert_eq!(rows.len(), 11);
    assert_eq!(
        rows.iter()
            .map(|r| r.reference.clone().unwrap())
            .collect::<Vec<_>>()[3],
        "2026-03-05"
    );
    assert_eq!(balance(&mp, &member).await, total);
    assert_eq!(total, 5 + 5 + 10 + 5 + 5 + 10 + 10 + 15 + 15 + 30 + 5);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn the_shanghai_day_decides_not_the_utc_day() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-night").await;
    use chrono::TimeZone;
    // 23:30 in Shanghai on 03-01 is 15:30 UTC; 00:30 on 03-02 in Shanghai is still 03-01 UTC.
    mp.app
        .clock
        .set(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 15, 30, 0).unwrap());
    let (s, _) = mp
        .call(
            Method::POST,
            "/api/v1/points/check-ins",
            Some(&member.token),
            None,
        )
        .await;
    assert_eq!(s, 201);
    mp.app
        .clock
        .set(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 16, 30, 0).unwrap());
    let (s, body) = mp
        .call(
            Method::POST,
            "/api/v1/points/check-ins",
            Some(&member.token),
            None,
        )
        .await;
    assert_eq!(s, 201, "a new day in Shanghai");
    assert_eq!(body["streak"], 2);
    mp.finish().await;
}
