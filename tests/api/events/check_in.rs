//! Check-in at the venue: a rotating code, exactly once under parallel scans, a clerk of another
//! store gets 404, attendance earns points, no-shows counted for operators.

use serde_json::json;

use super::support::{EventsApp, all};
use crate::coupons::support::staff;
use crate::mp::support::error;

#[actix_web::test]
async fn a_code_checks_in_once_under_parallel_scans_and_only_at_the_events_store() {
    let owned = EventsApp::open().await;
    let app = &owned;
    let event = app.event(json!({})).await;
    let parent = app.member("o-ci", None).await;
    let absent = app.member("o-ci-absent", None).await;
    let (s, b) = app.book(&parent, event, 2, "c").await;
    assert_eq!(s, 201, "{b}");
    let booking = b["booking"]["id"].as_i64().unwrap();
    let (s, _) = app.book(&absent, event, 1, "a").await;
    assert_eq!(s, 201);
    let code_of = |token: String| async move {
        let (s, c) = app
            .mp()
            .post(
                &format!("/api/v1/bookings/{booking}/code"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        c["code"].as_str().unwrap().to_owned()
    };
    let old = code_of(parent.token.clone()).await;
    let code = code_of(parent.token.clone()).await;
    let scan = |token: String, code: String, request_id: String| async move {
        app.mp()
            .post(
                "/merchant/v1/event-check-ins",
                &token,
                json!({"code": code, "request_id": request_id}),
            )
            .await
    };
    // A newer code replaced the old one.
    let (s, e) = scan(app.merchant.clerk.token.clone(), old, "old".into()).await;
    assert_eq!(error(s, &e), (410, "code_expired"));
    // A clerk of another store (of the same merchant) does not see the code.
    let (s, store) = app
        .mp()
        .post(
            &format!("/admin/v1/merchants/{}/stores", app.merchant.id),
            &app.ops.token,
            json!({"name": "二店", "address": "长宁路2号", "city": "上海市"}),
        )
        .await;
    assert_eq!(s, 201, "{store}");
    let elsewhere = staff(
        app.mp(),
        &app.ops,
        app.merchant.id,
        "ev.clerk2",
        "clerk",
        Some(store["id"].as_i64().unwrap()),
    )
    .await;
    let (s, e) = scan(elsewhere.token.clone(), code.clone(), "x".into()).await;
    assert_eq!(error(s, &e), (404, "code_not_found"));
    // Eight parallel scans: one check-in.
    let answers = all((0..8)
        .map(|i| {
            scan(
                app.merchant.clerk.token.clone(),
                code.clone(),
                format!("scan-{i}"),
            )
        })
        .collect())
    .await;
    let done: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(done.len(), 1, "{answers:?}");
    for (s, b) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(error(*s, b), (409, "booking_checked_in"));
    }
    let (_, first) = done[0];
    assert_eq!(first["booking_id"], booking);
    assert_eq!(first["seats"], 2);
    // The winning request again answers the same check-in.
    let winner = first["request_id"].as_str().unwrap().to_owned();
    let (s, again) = scan(app.merchant.clerk.token.clone(), code.clone(), winner).await;
    assert_eq!((s, &again["id"]), (201, &first["id"]));
    // Attendance earned points, once.
    let (s, points) = app.mp().get("/api/v1/points/ledger", &parent.token).await;
    assert_eq!(s, 200, "{points}");
    let attended: Vec<_> = points["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "event_attended")
        .collect();
    assert_eq!(attended.len(), 1, "{points}");
    // No further code for a checked-in booking.
    let (s, e) = app
        .mp()
        .post(
            &format!("/api/v1/bookings/{booking}/code"),
            &parent.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &e), (409, "no_check_in_code"));
    // After the class: one attended, one no-show, for operators.
    app.mp().set_today("2026-03-21");
    app.run_job().await;
    let ops = crate::admin::support::operator(app.mp(), "ops.after", "analyst").await;
    let (s, e) = app
        .mp()
        .get(&format!("/admin/v1/events/{event}"), &ops.token)
        .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        (e["attended"].as_i64(), e["no_shows"].as_i64()),
        (Some(1), Some(1)),
        "{e}"
    );
    assert_eq!(e["status"], "finished");
    owned.finish().await;
}
