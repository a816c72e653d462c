//! Paid bookings: the 15-minute hold released to the waitlist's first member once (also with
//! two instances running the job), a payment after the release refunded; cancellation before
//! and after the deadline.

use babyvax::domain::push::QuietHours;
use babyvax::jobs::events::run_once;
use chrono::Duration;
use serde_json::json;

use super::support::EventsApp;
use crate::mp::support::error;

#[actix_web::test]
async fn an_unpaid_hold_goes_to_the_first_in_line_once_and_a_late_payment_is_refunded() {
    let app = EventsApp::open().await;
    let event = app.event(json!({"capacity": 2, "price_fen": 5000})).await;
    let holder = app.member("o-hold", None).await;
    let first = app.member("o-first", None).await;
    let second = app.member("o-second", None).await;
    let (s, held) = app.book(&holder, event, 2, "h").await;
    assert_eq!(s, 201, "{held}");
    assert_eq!(held["booking"]["status"], "pending_payment");
    let order_id = held["booking"]["pay_order_id"].as_i64().unwrap() as i32;
    // Full: the next parents queue, in order.
    let (s, b) = app.book(&first, event, 2, "f").await;
    assert_eq!(error(s, &b), (409, "event_full"));
    let (s, w1) = app.join(&first, event, 2).await;
    assert_eq!((s, w1["position"].as_i64()), (201, Some(1)), "{w1}");
    let (s, w2) = app.join(&second, event, 1).await;
    assert_eq!((s, w2["position"].as_i64()), (201, Some(2)), "{w2}");
    assert_eq!(
        app.detail(&second, event).await["my_waitlist"]["position"],
        2
    );

    app.advance(Duration::minutes(14));
    let report = app.run_job().await;
    assert_eq!(report.holds.released, 0);
    app.advance(Duration::minutes(2));
    // Two instances run the job at the same moment, each with its own connections.
    let other_db = app.mp().app.database.connect().await;
    let pay = app.pay.pay_client();
    let clock = app.clock();
    let (a, b) = futures_util::future::join(
        run_once(&app.mp().app.db, Some(&pay), QuietHours::default(), &clock),
        run_once(&other_db, Some(&pay), QuietHours::default(), &clock),
    )
    .await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.holds.released + b.holds.released, 1, "{a:?} {b:?}");
    assert_eq!(a.offered + b.offered, 1, "{a:?} {b:?}");
    // Once more: nothing new.
    let again = app.run_job().await;
    assert_eq!((again.holds.released, again.offered), (0, 0));

    let bookings = app.bookings(event).await;
    assert_eq!(bookings[0].status, "released");
    assert_eq!(app.pay_order(order_id).await.state, "closed");
    // The seats are held for the first in line, and they are told once.
    let offers = app.outbox("event-offer:").await;
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].member_id, Some(first.id as i32));
    let (s, mine) = app.mp().get("/api/v1/waitlist", &first.token).await;
    assert_eq!(s, 200);
    assert_eq!(mine[0]["status"], "offered");
    assert_eq!(app.event_row(event).await.seats_taken, 2);
    assert_eq!(
        app.detail(&second, event).await["my_waitlist"]["position"],
        1
    );

    // The holder pays after all: refunded automatically, the booking stays released.
    let no = app.pay_order(order_id).await.out_trade_no;
    app.mp().fake.mark_paid(&no).unwrap();
    let notice = app
        .mp()
        .fake
        .pay_notice(&no, babyvax::fake_wechat::Tamper::None)
        .unwrap();
    assert_eq!(app.mp().fake.deliver(&notice).await, 204);
    let refunds = app.mp().fake.pay_refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].refund, 10000);
    assert_eq!(app.bookings(event).await[0].status, "released");

    // The first in line accepts and pays.
    let entry = w1["id"].as_i64().unwrap();
    let (s, accepted) = app
        .mp()
        .post(
            &format!("/api/v1/waitlist/{entry}/accept"),
            &first.token,
            json!({"request_id": "acc"}),
        )
        .await;
    assert_eq!(s, 201, "{accepted}");
    assert_eq!(accepted["booking"]["status"], "pending_payment");
    assert_eq!(accepted["booking"]["seats"], 2);
    let order = app
        .pay_order(accepted["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(app.mp().fake.pay(&order.out_trade_no).await, Some(204));
    let d = app.detail(&first, event).await;
    assert_eq!(d["my_booking"]["status"], "confirmed");
    assert_eq!(d["seats_left"], 0);
    app.finish().await;
}

#[actix_web::test]
async fn cancelling_before_the_deadline_refunds_in_full_after_it_nothing() {
    let app = EventsApp::open().await;
    let event = app.event(json!({"price_fen": 5000})).await;
    let early = app.member("o-early", None).await;
    let (s, b) = app.book(&early, event, 1, "e").await;
    assert_eq!(s, 201, "{b}");
    let order = app
        .pay_order(b["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(app.mp().fake.pay(&order.out_trade_no).await, Some(204));
    let late = app.member("o-late-cancel", None).await;
    let (s, l) = app.book(&late, event, 2, "l").await;
    assert_eq!(s, 201, "{l}");
    let late_order = app
        .pay_order(l["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(app.mp().fake.pay(&late_order.out_trade_no).await, Some(204));
    assert_eq!(app.event_row(event).await.seats_taken, 3);

    // Before the deadline: refunded in full, through payments.
    let (s, c) = app
        .cancel(&early, b["booking"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["status"].as_str(), c["refund_fen"].as_i64()),
        (Some("cancelled"), Some(5000))
    );
    let refunds = app.mp().fake.pay_refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].refund, 5000);
    assert_eq!(app.event_row(event).await.seats_taken, 2);
    // Cancelling again changes nothing.
    let (s, again) = app
        .cancel(&early, b["booking"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(error(s, &again), (409, "booking_not_cancellable"));
    assert_eq!(app.mp().fake.pay_refunds().len(), 1);

    // After the deadline (2026-03-18 16:00 UTC): no refund, the seats still go back.
    app.mp().set_today("2026-03-19");
    let late = app.mp().login("o-late-cancel").await;
    let (s, c) = app
        .cancel(&late, l["booking"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["status"].as_str(), c["refund_fen"].as_i64()),
        (Some("cancelled"), Some(0))
    );
    assert_eq!(app.mp().fake.pay_refunds().len(), 1);
    assert_eq!(app.event_row(event).await.seats_taken, 0);
    // The job asks for nothing more.
    assert_eq!(app.run_job().await.refunds_asked, 0);

    // Once the event started, bookings cannot be cancelled.
    app.mp().set_today("2026-03-11");
    app.member("o-on-time", None).await;
    let on_time = app.mp().login("o-on-time").await;
    let (s, t) = app.book(&on_time, event, 1, "t").await;
    assert_eq!(s, 201, "{t}");
    let o = app
        .pay_order(t["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(app.mp().fake.pay(&o.out_trade_no).await, Some(204));
    app.mp().set_today("2026-03-20");
    app.advance(Duration::hours(1));
    let on_time = app.mp().login("o-on-time").await;
    let (s, b) = app
        .cancel(&on_time, t["booking"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(error(s, &b), (409, "booking_not_cancellable"));
    app.finish().await;
}

#[actix_web::test]
async fn an_operator_cancelling_the_event_refunds_every_paid_booking() {
    let app = EventsApp::open().await;
    let event = app.event(json!({"price_fen": 3000})).await;
    let parent = app.member("o-op-cancel", None).await;
    let (s, b) = app.book(&parent, event, 1, "x").await;
    assert_eq!(s, 201);
    let order = app
        .pay_order(b["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(app.mp().fake.pay(&order.out_trade_no).await, Some(204));
    let unpaid = app.member("o-op-unpaid", None).await;
    let (s, u) = app.book(&unpaid, event, 1, "u").await;
    assert_eq!(s, 201);
    // After the member deadline, the event's cancellation still refunds in full.
    app.mp().set_today("2026-03-19");
    let ops = crate::admin::support::operator(app.mp(), "ops.cancel", "operator").await;
    let (s, e) = app
        .mp()
        .post(
            &format!("/admin/v1/events/{event}/cancel"),
            &ops.token,
            json!({}),
        )
        .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("cancelled")), "{e}");
    assert_eq!(e["seats_taken"], 0);
    let refunds = app.mp().fake.pay_refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].refund, 3000);
    let rows = app.bookings(event).await;
    assert!(rows.iter().all(|b| b.status == "cancelled"), "{rows:?}");
    let unpaid_order = app
        .pay_order(u["booking"]["pay_order_id"].as_i64().unwrap() as i32)
        .await;
    assert_eq!(unpaid_order.state, "closed");
    assert_eq!(app.outbox("event-cancelled:").await.len(), 2);
    app.finish().await;
}
