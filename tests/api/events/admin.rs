//! Operators' events (validated, audited), merchants' proposals, CSV, reminders, and the
//! member's export and erasure.

use chrono::Duration;
use serde_json::json;

use super::support::{EventsApp, event_body};
use crate::admin::support::audited_actions;
use crate::mp::support::error;

#[actix_web::test]
async fn operators_create_validate_edit_publish_and_cancel_audited() {
    let owned = EventsApp::open().await;
    let app = &owned;
    let store = app.merchant.store_id;
    let post = |body| async move {
        app.mp()
            .post("/admin/v1/events", &app.ops.token, body)
            .await
    };
    for (changes, code) in [
        (json!({"title": ""}), "invalid_title"),
        (json!({"kind": "webinar"}), "invalid_event_kind"),
        (json!({"speaker": " "}), "invalid_speaker"),
        (json!({"store_id": null}), "invalid_event_venue"),
        (json!({"store_id": 9999}), "invalid_event_venue"),
        (
            json!({"stream_url": "https://x.example"}),
            "invalid_event_venue",
        ),
        (
            json!({"kind": "online_lecture", "store_id": null, "stream_url": "http://x"}),
            "invalid_event_venue",
        ),
        (
            json!({"ends_at": "2026-03-20T01:00:00Z"}),
            "invalid_event_times",
        ),
        (
            json!({"booking_to": "2026-03-21T00:00:00Z"}),
            "invalid_event_times",
        ),
        (
            json!({"cancel_before": "2026-03-21T00:00:00Z"}),
            "invalid_event_times",
        ),
        (
            json!({"baby_age_days": {"min": 10, "max": 5}}),
            "invalid_age_band",
        ),
        (json!({"capacity": 0}), "invalid_capacity"),
        (json!({"price_fen": -1}), "invalid_event_price"),
        (
            json!({"price_fen": 100, "tier_prices": {"advanced": 200}}),
            "invalid_event_price",
        ),
        (json!({"members_only": true}), "invalid_event_price"),
    ] {
        let (s, b) = post(event_body(store, changes.clone())).await;
        assert_eq!(error(s, &b), (400, code), "{changes}");
    }
    assert!(
        audited_actions(app.mp())
            .await
            .iter()
            .all(|a| !a.action.starts_with("event."))
    );
    let (s, e) = post(event_body(store, json!({}))).await;
    assert_eq!((s, e["status"].as_str()), (201, Some("draft")), "{e}");
    let id = e["id"].as_i64().unwrap();
    assert_eq!(e["merchant_id"], app.merchant.id);
    let (s, e) = app
        .mp()
        .put(
            &format!("/admin/v1/events/{id}"),
            &app.ops.token,
            event_body(store, json!({"capacity": 3, "title": "改名"})),
        )
        .await;
    assert_eq!((s, e["title"].as_str()), (200, Some("改名")), "{e}");
    let (s, e) = app
        .mp()
        .post(
            &format!("/admin/v1/events/{id}/publish"),
            &app.ops.token,
            json!({}),
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("published")));
    let (s, e) = app
        .mp()
        .post(
            &format!("/admin/v1/events/{id}/publish"),
            &app.ops.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &e), (409, "event_state_conflict"));
    // The capacity never goes below the seats taken.
    let parent = app.member("o-adm", None).await;
    let (s, _) = app.book(&parent, id, 3, "r").await;
    assert_eq!(s, 201);
    let (s, e) = app
        .mp()
        .put(
            &format!("/admin/v1/events/{id}"),
            &app.ops.token,
            event_body(store, json!({"capacity": 2})),
        )
        .await;
    assert_eq!(error(s, &e), (409, "capacity_below_taken"));
    // CSV for the venue.
    let res = app
        .mp()
        .app
        .http
        .get(format!(
            "{}/admin/v1/events/{id}/bookings.csv",
            app.mp().app.address
        ))
        .bearer_auth(&app.ops.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("kind,id,member_id,seats,status"), "{csv}");
    assert!(
        csv.contains(&format!(",{},3,confirmed,", parent.id)),
        "{csv}"
    );
    let (s, e) = app
        .mp()
        .post(
            &format!("/admin/v1/events/{id}/cancel"),
            &app.ops.token,
            json!({}),
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("cancelled")));
    let actions: Vec<String> = audited_actions(app.mp())
        .await
        .into_iter()
        .map(|a| a.action)
        .filter(|a| a.starts_with("event."))
        .collect();
    assert_eq!(
        actions,
        [
            "event.create",
            "event.edit",
            "event.publish",
            "event.cancel"
        ]
    );
    // Analysts read; they do not write.
    let analyst = crate::admin::support::operator(app.mp(), "ev.analyst", "analyst").await;
    let (s, list) = app.mp().get("/admin/v1/events", &analyst.token).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)));
    let (s, e) = app
        .mp()
        .post(
            "/admin/v1/events",
            &analyst.token,
            event_body(store, json!({})),
        )
        .await;
    assert_eq!(error(s, &e), (403, "role_forbidden"));
    owned.finish().await;
}

#[actix_web::test]
async fn a_merchant_owner_proposes_a_class_an_operator_approves_it() {
    let app = EventsApp::open().await;
    let store = app.merchant.store_id;
    let owner = &app.merchant.owner;
    let (s, e) = app
        .mp()
        .post(
            "/merchant/v1/events",
            &app.merchant.clerk.token,
            event_body(store, json!({})),
        )
        .await;
    assert_eq!(error(s, &e), (403, "role_forbidden"));
    let (s, e) = app
        .mp()
        .post(
            "/merchant/v1/events",
            &owner.token,
            event_body(store, json!({"kind": "online_lecture", "store_id": null, "stream_url": "https://l.example/x"})),
        )
        .await;
    assert_eq!(error(s, &e), (400, "invalid_event_venue"));
    let (s, e) = app
        .mp()
        .post(
            "/merchant/v1/events",
            &owner.token,
            event_body(store, json!({})),
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (201, Some("proposed")), "{e}");
    let id = e["id"].as_i64().unwrap();
    let parent = app.member("o-prop", None).await;
    let (s, _) = app
        .mp()
        .get(&format!("/api/v1/events/{id}"), &parent.token)
        .await;
    assert_eq!(s, 404);
    let (s, list) = app
        .mp()
        .get("/admin/v1/events?status=proposed", &app.ops.token)
        .await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)));
    let (s, e) = app
        .mp()
        .post(
            &format!("/admin/v1/events/{id}/publish"),
            &app.ops.token,
            json!({}),
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("published")));
    let (s, mine) = app
        .mp()
        .get("/merchant/v1/events", &app.merchant.clerk.token)
        .await;
    assert_eq!((s, mine[0]["id"].as_i64()), (200, Some(id)));
    assert_eq!(app.detail(&parent, id).await["status"], "published");
    app.finish().await;
}

#[actix_web::test]
async fn reminders_the_day_before_and_an_hour_before_with_the_address() {
    let app = EventsApp::open().await;
    let event = app.event(json!({})).await;
    let online = app
        .event(json!({"kind": "online_lecture", "store_id": null, "stream_url": "https://live.example/a"}))
        .await;
    let parent = app.member("o-remind", None).await;
    assert_eq!(app.book(&parent, event, 1, "a").await.0, 201);
    assert_eq!(app.book(&parent, online, 1, "b").await.0, 201);
    assert_eq!(app.run_job().await.reminders, 0);
    // 2026-03-19 10:00 Shanghai: the day before (the class is at 10:00 on the 20th).
    app.mp().set_today("2026-03-19");
    assert_eq!(app.run_job().await.reminders, 2);
    assert_eq!(app.run_job().await.reminders, 0);
    let day = app.outbox("event-remind-day:").await;
    assert_eq!(day.len(), 2);
    let texts: Vec<&str> = day.iter().map(|r| r.payload.as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("长宁路1号")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("https://live.example/a")),
        "{texts:?}"
    );
    app.mp().set_today("2026-03-20");
    app.advance(Duration::minutes(-61));
    assert_eq!(app.run_job().await.reminders, 0);
    app.advance(Duration::minutes(2));
    assert_eq!(app.run_job().await.reminders, 2);
    assert_eq!(app.outbox("event-remind-hour:").await.len(), 2);
    app.finish().await;
}

#[actix_web::test]
async fn bookings_are_in_the_export_and_erasure_frees_the_seats() {
    let app = EventsApp::open().await;
    let event = app.event(json!({"capacity": 2})).await;
    let leaving = app.mp().parent("o-erase").await;
    let (s, b) = app.book(&leaving, event, 2, "e").await;
    assert_eq!(s, 201, "{b}");
    let waiting = app.member("o-erase-next", None).await;
    assert_eq!(app.join(&waiting, event, 1).await.0, 201);
    let (s, export) = app.mp().get("/api/v1/me/export", &leaving.token).await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(export["events"]["bookings"][0]["id"], b["booking"]["id"]);
    assert_eq!(export["events"]["bookings"][0]["seats"], 2);
    let (s, erased) = app.mp().delete("/api/v1/me", &leaving.token).await;
    assert_eq!(s, 200, "{erased}");
    assert_eq!(erased["erased"]["event_bookings_cancelled"], 1);
    assert_eq!(erased["erased"]["event_rows_unattributed"], 1);
    let rows = app.bookings(event).await;
    assert_eq!(
        (rows[0].member_id, rows[0].status.as_str()),
        (None, "cancelled")
    );
    // The freed seats went to the next in line.
    let offers = app.outbox("event-offer:").await;
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].member_id, Some(waiting.id as i32));
    app.finish().await;
}
