//! The waitlist: order kept, a freed seat offered to the head of the line through the outbox,
//! two hours to accept, then the next.

use chrono::Duration;
use serde_json::json;

use super::support::EventsApp;
use crate::mp::support::error;

#[actix_web::test]
async fn freed_seats_go_down_the_line_in_order_with_two_hours_to_accept() {
    let app = EventsApp::open().await;
    let event = app.event(json!({"capacity": 1})).await;
    let booker = app.member("o-w-booker", None).await;
    let (s, b) = app.book(&booker, event, 1, "b").await;
    assert_eq!(s, 201, "{b}");
    // Seats left: book instead.
    let free = app.event(json!({"capacity": 5})).await;
    let (s, e) = app.join(&booker, free, 1).await;
    assert_eq!(error(s, &e), (409, "seats_available"));

    let mut line = Vec::new();
    for i in 0..3 {
        let m = app.member(&format!("o-w-{i}"), None).await;
        let (s, w) = app.join(&m, event, 1).await;
        assert_eq!(s, 201, "{w}");
        assert_eq!(w["position"], i + 1);
        line.push((m, w["id"].as_i64().unwrap()));
    }
    // Joining again answers the same place; booking while waiting is refused.
    let (s, w) = app.join(&line[1].0, event, 1).await;
    assert_eq!((s, w["id"].as_i64()), (201, Some(line[1].1)));
    let (s, e) = app.book(&line[1].0, event, 1, "x").await;
    assert_eq!(error(s, &e), (409, "already_booked"));
    // Nobody may jump the line while people wait, even when a seat frees up.
    let (s, c) = app
        .cancel(&booker, b["booking"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(s, 200, "{c}");
    let jumper = app.member("o-w-jumper", None).await;
    let (s, e) = app.book(&jumper, event, 1, "j").await;
    assert_eq!(error(s, &e), (409, "event_full"));
    // The cancellation offered the seat to the first in line, once.
    let offers = app.outbox("event-offer:").await;
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].member_id, Some(line[0].0.id as i32));
    assert_eq!(
        app.detail(&line[1].0, event).await["my_waitlist"]["position"],
        1
    );
    // The second cannot accept an offer made to the first.
    let (s, e) = app
        .mp()
        .post(
            &format!("/api/v1/waitlist/{}/accept", line[1].1),
            &line[1].0.token,
            json!({"request_id": "r"}),
        )
        .await;
    assert_eq!(error(s, &e), (409, "offer_not_open"));

    // Just under two hours: still held.
    app.advance(Duration::minutes(119));
    assert_eq!(app.run_job().await.offers_expired, 0);
    app.advance(Duration::minutes(2));
    let report = app.run_job().await;
    assert_eq!(
        (report.offers_expired, report.offered),
        (1, 1),
        "{report:?}"
    );
    let offers = app.outbox("event-offer:").await;
    assert_eq!(offers.len(), 2);
    assert_eq!(offers[1].member_id, Some(line[1].0.id as i32));
    // Too late for the first.
    let first = app.mp().login("o-w-0").await;
    let (s, e) = app
        .mp()
        .post(
            &format!("/api/v1/waitlist/{}/accept", line[0].1),
            &first.token,
            json!({"request_id": "late"}),
        )
        .await;
    assert_eq!(error(s, &e), (409, "offer_not_open"));
    // The second accepts within the window: a free seat confirms at once.
    let second = app.mp().login("o-w-1").await;
    let (s, a) = app
        .mp()
        .post(
            &format!("/api/v1/waitlist/{}/accept", line[1].1),
            &second.token,
            json!({"request_id": "ok"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["booking"]["status"], "confirmed");
    assert_eq!(app.event_row(event).await.seats_taken, 1);
    // The third waits on, first in line now; leaving frees nothing.
    let third = app.mp().login("o-w-2").await;
    assert_eq!(
        app.detail(&third, event).await["my_waitlist"]["position"],
        1
    );
    let (s, left) = app
        .mp()
        .delete(&format!("/api/v1/waitlist/{}", line[2].1), &third.token)
        .await;
    assert_eq!((s, left["status"].as_str()), (200, Some("left")));
    assert_eq!(app.run_job().await.offered, 0);
    // Operators see the line in order.
    let (s, all) = app
        .mp()
        .get(
            &format!("/admin/v1/events/{event}/bookings"),
            &app.ops.token,
        )
        .await;
    assert_eq!(s, 200, "{all}");
    let statuses: Vec<&str> = all["waitlist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["expired", "accepted", "left"]);
    app.finish().await;
}
