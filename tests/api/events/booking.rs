//! Booking: capacity under parallel requests, tier prices, the member's view, one live booking
//! per member, the booking window, members-only events.

use serde_json::json;

use super::support::{EventsApp, all};
use crate::mp::support::error;

#[actix_web::test]
async fn sixty_members_racing_for_ten_seats_never_exceed_the_capacity() {
    let app = EventsApp::open().await;
    let event = app.event(json!({"capacity": 10})).await;
    let mut members = Vec::new();
    for i in 0..60 {
        members.push(app.member(&format!("o-race-{i}"), None).await);
    }
    let ids: Vec<String> = (0..60).map(|i| format!("r-{i}")).collect();
    let answers = all(members
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(i, (m, id))| app.book(m, event, 1 + (i as i64 % 2), id))
        .collect())
    .await;
    let mut taken = 0;
    let mut booked = 0;
    for (status, body) in &answers {
        match status {
            201 => {
                assert_eq!(body["booking"]["status"], "confirmed", "{body}");
                taken += body["booking"]["seats"].as_i64().unwrap();
                booked += 1;
            }
            409 => {
                assert_eq!(body["code"], "event_full", "{body}");
                assert_eq!(body["waitlist_available"], true, "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(taken <= 10, "{taken} seats taken of 10");
    // Ones and twos fill ten seats to at least nine.
    assert!(taken >= 9, "only {taken} seats taken");
    let row = app.event_row(event).await;
    assert_eq!(i64::from(row.seats_taken), taken);
    let live = app.bookings(event).await;
    assert_eq!(live.len(), booked);
    assert_eq!(live.iter().map(|b| i64::from(b.seats)).sum::<i64>(), taken);
    let detail = app.detail(&members[0], event).await;
    assert_eq!(detail["seats_left"].as_i64().unwrap(), 10 - taken);
    app.finish().await;
}

#[actix_web::test]
async fn tier_prices_free_for_premium_member_price_for_advanced_full_otherwise() {
    let app = EventsApp::open().await;
    let event = app
        .event(json!({
            "price_fen": 9900,
            "tier_prices": {"basic": null, "advanced": 5000, "premium": 0},
        }))
        .await;
    let premium = app.member("o-premium", Some("premium")).await;
    let advanced = app.member("o-advanced", Some("advanced")).await;
    let basic = app.member("o-basic", Some("basic")).await;
    let none = app.member("o-none", None).await;
    for (m, price) in [
        (&premium, 0),
        (&advanced, 5000),
        (&basic, 9900),
        (&none, 9900),
    ] {
        assert_eq!(app.detail(m, event).await["my_price_fen"], price);
    }
    let (s, b) = app.book(&premium, event, 2, "p").await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["booking"]["status"], "confirmed");
    assert_eq!(b["booking"]["price_fen"], 0);
    assert!(b["pay_params"].is_null());
    let (s, b) = app.book(&advanced, event, 2, "a").await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["booking"]["status"], "pending_payment");
    assert_eq!(b["booking"]["price_fen"], 10000);
    assert!(b["pay_params"]["paySign"].is_string(), "{b}");
    let order = app
        .pay_order(b["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(
        (order.purpose.as_str(), order.amount_fen),
        ("event_booking", 10000)
    );
    // Held for 15 minutes: the pay order closes when the hold does.
    assert_eq!(
        order.close_due_at - order.created_at,
        chrono::Duration::minutes(15)
    );
    let (s, b) = app.book(&basic, event, 1, "b").await;
    assert_eq!((s, b["booking"]["price_fen"].as_i64()), (201, Some(9900)));
    let (s, b) = app.book(&none, event, 1, "n").await;
    assert_eq!((s, b["booking"]["price_fen"].as_i64()), (201, Some(9900)));
    // Paying confirms the booking.
    let booking = b["booking"]["id"].as_i64().unwrap();
    let out_trade_no = app
        .pay_order(b["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await
        .out_trade_no;
    assert_eq!(app.mp().fake.pay(&out_trade_no).await, Some(204));
    let (s, mine) = app.mp().get("/api/v1/bookings", &none.token).await;
    assert_eq!(s, 200);
    assert_eq!(mine[0]["id"], booking);
    assert_eq!(mine[0]["status"], "confirmed");
    app.finish().await;
}

#[actix_web::test]
async fn one_live_booking_per_member_replays_and_refusals() {
    let app = EventsApp::open().await;
    let event = app.event(json!({})).await;
    let parent = app.member("o-one", None).await;
    let (s, first) = app.book(&parent, event, 1, "same").await;
    assert_eq!(s, 201, "{first}");
    // The same request again answers the same booking.
    let (s, again) = app.book(&parent, event, 1, "same").await;
    assert_eq!((s, &again["booking"]["id"]), (201, &first["booking"]["id"]));
    let (s, b) = app.book(&parent, event, 1, "other").await;
    assert_eq!(error(s, &b), (409, "already_booked"));
    let (s, b) = app.book(&parent, event, 4, "four").await;
    assert_eq!(error(s, &b), (400, "invalid_seats"));
    let (s, b) = app.book(&parent, event, 0, "zero").await;
    assert_eq!(error(s, &b), (400, "invalid_seats"));
    // The member's view: their booking.
    let d = app.detail(&parent, event).await;
    assert_eq!(d["my_booking"]["id"], first["booking"]["id"]);
    assert_eq!(d["seats_left"], 9);
    assert!(
        d["cancellation_policy"]
            .as_str()
            .unwrap()
            .contains("full refund")
    );
    // After cancelling, a new booking is possible.
    let id = first["booking"]["id"].as_i64().unwrap();
    let (s, c) = app.cancel(&parent, id).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    let (s, b) = app.book(&parent, event, 2, "again").await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(app.event_row(event).await.seats_taken, 2);
    // Another member's booking is not found.
    let other = app.member("o-two", None).await;
    let (s, b) = app
        .cancel(&other, b["booking"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(error(s, &b), (404, "booking_not_found"));
    app.finish().await;
}

#[actix_web::test]
async fn the_booking_window_drafts_and_members_only_events() {
    let app = EventsApp::open().await;
    let parent = app.member("o-win", None).await;
    let later = app
        .event(json!({"booking_from": "2026-03-12T00:00:00Z"}))
        .await;
    let (s, b) = app.book(&parent, later, 1, "early").await;
    assert_eq!(error(s, &b), (409, "booking_closed"));
    // A draft does not exist for parents.
    let (s, draft) = app
        .mp()
        .post(
            "/admin/v1/events",
            &app.ops.token,
            super::support::event_body(app.merchant.store_id, json!({})),
        )
        .await;
    assert_eq!(s, 201);
    let draft = draft["id"].as_i64().unwrap();
    let (s, b) = app.book(&parent, draft, 1, "d").await;
    assert_eq!(error(s, &b), (404, "event_not_found"));
    let (s, b) = app
        .mp()
        .get(&format!("/api/v1/events/{draft}"), &parent.token)
        .await;
    assert_eq!(error(s, &b), (404, "event_not_found"));
    // For premium members only.
    let exclusive = app
        .event(json!({
            "members_only": true,
            "price_fen": 5000,
            "tier_prices": {"premium": 0},
        }))
        .await;
    let (s, b) = app.book(&parent, exclusive, 1, "x").await;
    assert_eq!(error(s, &b), (403, "tier_required"));
    let basic = app.member("o-win-basic", Some("basic")).await;
    let (s, b) = app.book(&basic, exclusive, 1, "x").await;
    assert_eq!(error(s, &b), (403, "tier_required"));
    assert!(app.detail(&basic, exclusive).await["my_price_fen"].is_null());
    let premium = app.member("o-win-premium", Some("premium")).await;
    let (s, b) = app.book(&premium, exclusive, 1, "x").await;
    assert_eq!(
        (s, b["booking"]["status"].as_str()),
        (201, Some("confirmed"))
    );
    app.finish().await;
}

#[actix_web::test]
async fn the_list_puts_events_for_the_babys_age_first() {
    let app = EventsApp::open().await;
    let parent = app.mp().parent("o-list").await;
    // 2025-09-20 → about 181 days old on 2026-03-20.
    let baby = app.mp().add_baby(&parent, "小米", "2025-09-20").await;
    let toddlers = app
        .event(
            json!({"title": "幼儿早教", "baby_age_days": {"min": 700, "max": 1100},
            "starts_at": "2026-03-15T02:00:00Z", "ends_at": "2026-03-15T03:00:00Z",
            "booking_to": "2026-03-14T00:00:00Z", "cancel_before": "2026-03-14T00:00:00Z"}),
        )
        .await;
    let fitting = app.event(json!({"title": "辅食课"})).await;
    let online = app
        .event(
            json!({"title": "睡眠讲座", "kind": "online_lecture", "store_id": null,
            "stream_url": "https://live.example.com/sleep", "baby_age_days": null}),
        )
        .await;
    let (s, page) = app
        .mp()
        .get(&format!("/api/v1/events?baby_id={baby}"), &parent.token)
        .await;
    assert_eq!(s, 200, "{page}");
    let ids: Vec<i64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![fitting, toddlers, online]);
    assert_eq!(page["events"][0]["suits_my_baby"], true);
    assert!(page["next_cursor"].is_null());
    // The stream link is for confirmed bookings only.
    assert!(page["events"][2].get("stream_url").is_none());
    let (s, page) = app
        .mp()
        .get("/api/v1/events?kind=online_lecture", &parent.token)
        .await;
    assert_eq!(s, 200);
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let (s, b) = app.book(&parent, online, 1, "o").await;
    assert_eq!(s, 201);
    assert_eq!(b["booking"]["stream_url"], "https://live.example.com/sleep");
    let (s, b) = app
        .mp()
        .get("/api/v1/events?kind=webinar", &parent.token)
        .await;
    assert_eq!(error(s, &b), (400, "invalid_query"));
    let stranger = app.mp().parent("o-list-2").await;
    let (s, b) = app
        .mp()
        .get(&format!("/api/v1/events?baby_id={baby}"), &stranger.token)
        .await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    app.finish().await;
}
