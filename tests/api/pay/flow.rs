//! Order → prepay → pay → notify → membership active; reconciliation; close; late payment;
//! stacking, upgrade and refunds through HTTP.

use babyvax::domain::push::QuietHours;
use babyvax::fake_wechat::Tamper;
use babyvax::wechat::pay::PublicKey;
use base64::Engine;
use chrono::Duration;
use serde_json::json;

use super::support::PayApp;
use crate::admin::support::operator;
use crate::mp::support::{MP_APPID, MpApp, error};

#[actix_web::test]
async fn order_prepay_pay_notify_makes_the_membership_active() {
    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-pay-1").await;
    let order = app.order(&parent, "basic_1m", "req-1").await;
    assert_eq!(order["amount_fen"], 500);
    // pay_params: signed with the merchant key over the four-line message.
    let p = &order["pay_params"];
    assert_eq!(p["appId"], MP_APPID);
    assert_eq!(p["signType"], "RSA");
    assert_eq!(p["timeStamp"], mp.now().timestamp().to_string());
    let package = p["package"].as_str().unwrap();
    let prepay = mp
        .fake
        .pay_order(&PayApp::out_trade_no(&order))
        .unwrap()
        .prepay_id;
    assert_eq!(package, format!("prepay_id={prepay}"));
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        p["appId"].as_str().unwrap(),
        p["timeStamp"].as_str().unwrap(),
        p["nonceStr"].as_str().unwrap(),
        package
    );
    let merchant_pub = PublicKey::from_pem_setting(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pay/merchant_pub.pem"
    ))
    .unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(p["paySign"].as_str().unwrap())
        .unwrap();
    assert!(merchant_pub.verify(message.as_bytes(), &sig));
    // The same request_id answers the same order.
    let again = app.order(&parent, "basic_1m", "req-1").await;
    assert_eq!(again["order_id"], order["order_id"]);
    assert_eq!(again["out_trade_no"], order["out_trade_no"]);
    let id = order["order_id"].as_i64().unwrap();
    let (status, body) = mp
        .get(&format!("/api/v1/pay-orders/{id}"), &parent.token)
        .await;
    assert_eq!((status, body["state"].as_str()), (200, Some("created")));
    assert_eq!(app.membership(&parent).await["active"], false);
    // Another member's order is not found.
    let other = mp.login("o-pay-2").await;
    let (status, body) = mp
        .get(&format!("/api/v1/pay-orders/{id}"), &other.token)
        .await;
    assert_eq!(error(status, &body), (404, "pay_order_not_found"));

    assert_eq!(app.pay(&order).await, 204);
    let (status, body) = mp
        .get(&format!("/api/v1/pay-orders/{id}"), &parent.token)
        .await;
    assert_eq!((status, body["state"].as_str()), (200, Some("paid")));
    let m = app.membership(&parent).await;
    assert_eq!(m["tier"], "basic");
    assert_eq!(m["active"], true);
    assert_eq!(m["periods"].as_array().unwrap().len(), 1);
    // 2026-03-10 + 1 month: benefits until the end of 2026-04-10, Asia/Shanghai.
    assert_eq!(m["current_period_end"], "2026-04-10T16:00:00Z");
    // Our requests verified at the fake; none refused.
    assert_eq!(mp.fake.pay_sign_errors(), 0);
    app.finish().await;
}

#[actix_web::test]
async fn payment_routes_answer_503_when_payment_is_disabled() {
    let mp = MpApp::spawn().await;
    let parent = mp.login("o-nopay").await;
    let (status, body) = mp
        .post(
            "/api/v1/membership/orders",
            &parent.token,
            json!({"plan_id": "basic_1m", "request_id": "r"}),
        )
        .await;
    assert_eq!(error(status, &body), (503, "payment_disabled"));
    let (status, body) = mp
        .call(
            reqwest::Method::POST,
            "/wechat/pay/notify",
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (503, Some("FAIL")));
    let (status, body) = mp
        .post(
            "/api/v1/membership/orders",
            &parent.token,
            json!({"plan_id": "gold_1m", "request_id": "r"}),
        )
        .await;
    assert_eq!(error(status, &body), (503, "payment_disabled"));
    mp.finish().await;
}

#[actix_web::test]
async fn a_lost_notification_is_recovered_by_reconciliation() {
    let app = PayApp::spawn().await;
    let parent = app.mp.login("o-lost").await;
    let order = app.order(&parent, "advanced_1m", "r").await;
    app.mp
        .fake
        .mark_paid(&PayApp::out_trade_no(&order))
        .unwrap();
    // Too fresh to ask about.
    assert_eq!(app.reconcile().await.paid, 0);
    app.mp.app.clock.advance(Duration::minutes(3));
    let done = app.reconcile().await;
    assert_eq!(done.paid, 1);
    assert_eq!(app.membership(&parent).await["tier"], "advanced");
    // The notification arriving after all changes nothing.
    let notice = app.notice(&order, Tamper::None);
    assert_eq!(app.mp.fake.deliver(&notice).await, 204);
    assert_eq!(app.periods(&parent).await.len(), 1);
    assert_eq!(app.reconcile().await.paid, 0);
    app.finish().await;
}

#[actix_web::test]
async fn unpaid_orders_close_after_30_minutes_and_a_later_payment_is_refunded_once() {
    let app = PayApp::spawn().await;
    let parent = app.mp.login("o-late").await;
    let order = app.order(&parent, "premium_1m", "r").await;
    let no = PayApp::out_trade_no(&order);
    app.mp.app.clock.advance(Duration::minutes(29));
    assert_eq!(app.reconcile().await.closed, 0);
    app.mp.app.clock.advance(Duration::minutes(2));
    assert_eq!(app.reconcile().await.closed, 1);
    assert_eq!(app.pay_order_row(&order).await.state, "closed");
    assert_eq!(app.mp.fake.pay_order(&no).unwrap().trade_state, "CLOSED");
    // The user paid anyway (a payment racing the close).
    app.mp.fake.mark_paid(&no).unwrap();
    let notice = app.notice(&order, Tamper::None);
    assert_eq!(app.mp.fake.deliver(&notice).await, 204);
    assert_eq!(app.mp.fake.deliver(&notice).await, 204);
    let refunds = app.mp.fake.pay_refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].refund, 3000);
    assert_eq!(refunds[0].out_refund_no, format!("A{no}"));
    assert!(app.periods(&parent).await.is_empty());
    let row = app.pay_order_row(&order).await;
    assert_eq!(
        (row.state.as_str(), row.refund_reserved_fen),
        ("closed", 3000)
    );
    // WeChat Pay confirms the refund.
    let done = app
        .mp
        .fake
        .settle_refund(&format!("A{no}"), "SUCCESS")
        .unwrap();
    assert_eq!(app.mp.fake.deliver(&done).await, 204);
    assert_eq!(app.pay_order_row(&order).await.refunded_fen, 3000);
    app.finish().await;
}

#[actix_web::test]
async fn periods_stack_upgrades_convert_and_refunds_remove_or_shorten() {
    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-stack").await;
    let first = app.order(&parent, "basic_1m", "a").await;
    assert_eq!(app.pay(&first).await, 204);
    let second = app.order(&parent, "basic_1m", "b").await;
    assert_eq!(app.pay(&second).await, 204);
    let m = app.membership(&parent).await;
    // 2026-03-10 → 04-10, stacked → 05-10 (end of the Shanghai day).
    assert_eq!(m["current_period_end"], "2026-05-10T16:00:00Z");
    let periods = app.periods(&parent).await;
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[1].starts_at, periods[0].ends_at);

    // Upgrade halfway through the first month: unused basic value becomes premium days.
    mp.app.clock.advance(Duration::days(15));
    // Tokens last a day: log in again.
    let parent = mp.login("o-stack").await;
    let upgrade = app.order(&parent, "premium_1m", "c").await;
    assert_eq!(app.pay(&upgrade).await, 204);
    let m = app.membership(&parent).await;
    assert_eq!(m["tier"], "premium");
    let periods = app.periods(&parent).await;
    let premium = periods.iter().find(|p| p.tier == "premium").unwrap();
    let now = mp.now();
    assert_eq!(premium.starts_at, now);
    // Unused: first period 500 × (31 − 15) / 31.x days ≈ 254, second 500 → ~754 fen;
    // × 30 / 3000 → 7 days on top of one month (2026-03-25 → 04-25, + 7 → 05-02).
    assert_eq!(premium.ends_at.to_rfc3339(), "2026-05-02T16:00:00+00:00");
    // Basic time is used up: ended now, or (the stacked one) emptied.
    assert!(
        periods
            .iter()
            .filter(|p| p.tier == "basic")
            .all(|p| p.ends_at <= now || p.ends_at == p.starts_at)
    );

    // A full refund within 7 days removes the premium period; basic time is not given back.
    let ops = operator(mp, "ops", "operator").await;
    let order_id = upgrade["order_id"].as_i64().unwrap();
    let (status, body) = mp
        .post(
            &format!("/admin/v1/pay-orders/{order_id}/refunds"),
            &ops.token,
            json!({"amount_fen": 3000, "reason": "changed mind", "request_id": "rf-1"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["state"], "processing");
    let no = body["out_refund_no"].as_str().unwrap().to_owned();
    let done = mp.fake.settle_refund(&no, "SUCCESS").unwrap();
    assert_eq!(mp.fake.deliver(&done).await, 204);
    let periods = app.periods(&parent).await;
    assert_eq!(
        periods.iter().find(|p| p.tier == "premium").unwrap().state,
        "removed"
    );
    assert_eq!(app.membership(&parent).await["active"], false);
    let (_, order_view) = mp
        .get(&format!("/api/v1/pay-orders/{order_id}"), &parent.token)
        .await;
    assert_eq!(order_view["state"], "refunded");

    // A partial refund later shortens a period pro rata.
    let fresh = app.order(&parent, "advanced_1m", "d").await;
    assert_eq!(app.pay(&fresh).await, 204);
    mp.app.clock.advance(Duration::days(10));
    let parent = mp.login("o-stack").await;
    let ops = operator(mp, "ops2", "operator").await;
    let fresh_id = fresh["order_id"].as_i64().unwrap();
    let (status, body) = mp
        .post(
            &format!("/admin/v1/pay-orders/{fresh_id}/refunds"),
            &ops.token,
            json!({"amount_fen": 750, "request_id": "rf-2"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let no = body["out_refund_no"].as_str().unwrap().to_owned();
    assert_eq!(
        mp.fake
            .deliver(&mp.fake.settle_refund(&no, "SUCCESS").unwrap())
            .await,
        204
    );
    let p = app
        .periods(&parent)
        .await
        .into_iter()
        .find(|p| p.tier == "advanced")
        .unwrap();
    assert_eq!(p.state, "shortened");
    let half = (p.ends_at - p.starts_at).num_hours();
    assert!((15 * 24..=16 * 24).contains(&half), "{half} hours");
    // Operators see it.
    let member_id = parent.id;
    let (status, detail) = mp
        .get(
            &format!("/admin/v1/members/{member_id}/membership"),
            &ops.token,
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["orders"].as_array().unwrap().len(), 4);
    assert_eq!(detail["refunds"].as_array().unwrap().len(), 2);
    let (status, list) = mp
        .get(
            "/admin/v1/memberships?tier=advanced&active=true",
            &ops.token,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, list) = mp
        .get("/admin/v1/memberships?tier=premium", &ops.token)
        .await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 0));
    let (status, body) = mp.get("/admin/v1/memberships?tier=gold", &ops.token).await;
    assert_eq!(error(status, &body), (400, "invalid_membership_filter"));
    app.finish().await;
}

#[actix_web::test]
async fn export_shows_payments_and_erasure_keeps_amounts_without_the_member() {
    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-priv").await;
    let order = app.order(&parent, "advanced_12m", "r").await;
    assert_eq!(app.pay(&order).await, 204);
    let (status, export) = mp.get("/api/v1/me/export", &parent.token).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["pay_orders"][0]["amount_fen"], 14400);
    assert_eq!(export["membership_periods"][0]["tier"], "advanced");
    let (status, body) = mp.delete("/api/v1/me", &parent.token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["erased"]["pay_orders_unattributed"], 1);
    assert_eq!(body["erased"]["membership_periods_unattributed"], 1);
    let row = app.pay_order_row(&order).await;
    assert_eq!((row.member_id, row.openid.as_deref()), (None, None));
    assert_eq!((row.amount_fen, row.state.as_str()), (14400, "paid"));
    app.finish().await;
}

#[actix_web::test]
async fn renewal_reminders_go_three_days_before_and_on_the_last_day_once_each() {
    use babyvax::clock::SharedClock;
    use entity::push_outbox;
    use sea_orm::EntityTrait;

    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-remind").await;
    let order = app.order(&parent, "basic_1m", "r").await;
    assert_eq!(app.pay(&order).await, 204);
    let clock: SharedClock = mp.app.clock.clone();
    let run =
        || babyvax::jobs::payments::run_once(&mp.app.db, None, QuietHours::default(), &[], &clock);
    // Ends at the end of 2026-04-10 (Shanghai).
    mp.set_today("2026-04-06");
    assert_eq!(run().await.unwrap().reminders, 0);
    mp.set_today("2026-04-08");
    assert_eq!(run().await.unwrap().reminders, 1);
    assert_eq!(run().await.unwrap().reminders, 0);
    mp.set_today("2026-04-09");
    assert_eq!(run().await.unwrap().reminders, 0);
    mp.set_today("2026-04-10");
    assert_eq!(run().await.unwrap().reminders, 1);
    assert_eq!(run().await.unwrap().reminders, 0);
    mp.set_today("2026-04-11");
    assert_eq!(run().await.unwrap().reminders, 0);
    assert_eq!(
        app.membership(&mp.login("o-remind").await).await["active"],
        false
    );
    let rows = push_outbox::Entity::find().all(&mp.app.db).await.unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r.dedup_key.as_str()).collect();
    let id = app.periods(&parent).await[0].id;
    assert_eq!(
        keys,
        [
            format!("membership_renewal:{id}:3_days"),
            format!("membership_renewal:{id}:last_day")
        ]
    );
    assert!(rows.iter().all(|r| r.member_id == Some(parent.id as i32)));
    // Announcements the sender knows how to send, not before the quiet hours end.
    assert!(rows.iter().all(|r| r.kind == "campaign"));
    assert!(
        rows.iter()
            .all(|r| r.payload.contains("\"campaign_kind\":\"announcement\"")),
        "{rows:?}"
    );
    app.finish().await;
}

#[actix_web::test]
async fn a_renewed_membership_gets_no_reminder_for_the_period_it_continues() {
    use babyvax::clock::SharedClock;

    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-renewed").await;
    for r in ["a", "b"] {
        let order = app.order(&parent, "basic_1m", r).await;
        assert_eq!(app.pay(&order).await, 204);
    }
    let clock: SharedClock = mp.app.clock.clone();
    mp.set_today("2026-04-09");
    let done =
        babyvax::jobs::payments::run_once(&mp.app.db, None, QuietHours::default(), &[], &clock)
            .await
            .unwrap();
    assert_eq!(done.reminders, 0);
    mp.set_today("2026-05-08");
    let done =
        babyvax::jobs::payments::run_once(&mp.app.db, None, QuietHours::default(), &[], &clock)
            .await
            .unwrap();
    assert_eq!(done.reminders, 1);
    app.finish().await;
}

#[actix_web::test]
async fn advanced_members_get_the_coupon_pack_on_the_first_day_and_each_anniversary_once() {
    use crate::coupons::support::{live_template, onboard, template};
    use babyvax::clock::SharedClock;

    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let ops = operator(mp, "ops", "operator").await;
    let merchant = onboard(mp, &ops, "pack", 500).await;
    let pack = live_template(mp, &ops, &merchant, template(json!({}))).await as i32;
    let advanced = mp.login("o-pack").await;
    let order = app.order(&advanced, "advanced_3m", "r").await;
    assert_eq!(app.pay(&order).await, 204);
    let basic = mp.login("o-basic").await;
    let order = app.order(&basic, "basic_3m", "r").await;
    assert_eq!(app.pay(&order).await, 204);

    let clock: SharedClock = mp.app.clock.clone();
    let packs = || async {
        babyvax::jobs::payments::run_once(&mp.app.db, None, QuietHours::default(), &[pack], &clock)
            .await
            .unwrap()
            .coupon_packs
    };
    // Bought on 2026-03-10: packs on Mar 10, Apr 10 and May 10; Jun 10 is the last day.
    assert_eq!(packs().await, 1);
    assert_eq!(packs().await, 0);
    mp.set_today("2026-04-09");
    assert_eq!(packs().await, 0);
    mp.set_today("2026-04-10");
    assert_eq!(packs().await, 1);
    // A month without a run: its pack comes late, not never.
    mp.set_today("2026-06-10");
    assert_eq!(packs().await, 1);
    mp.set_today("2026-06-11");
    assert_eq!(packs().await, 0);

    let coupons_of = |openid: &'static str| async move {
        let member = mp.login(openid).await;
        let (status, body) = mp.get("/api/v1/coupons", &member.token).await;
        assert_eq!(status, 200, "{body}");
        body.as_array().unwrap().len()
    };
    assert_eq!(coupons_of("o-pack").await, 3);
    assert_eq!(coupons_of("o-basic").await, 0);
    app.finish().await;
}

#[actix_web::test]
async fn a_refund_of_a_stacked_period_moves_the_later_ones_up_leaving_no_gap() {
    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-gap").await;
    let first = app.order(&parent, "basic_1m", "a").await;
    assert_eq!(app.pay(&first).await, 204);
    let second = app.order(&parent, "basic_1m", "b").await;
    assert_eq!(app.pay(&second).await, 204);
    let before = app.periods(&parent).await;
    let (a, b) = (before[0].clone(), before[1].clone());
    assert_eq!(b.starts_at, a.ends_at);

    // Two days in, the first month is refunded in full: removed, and the second starts now.
    mp.app.clock.advance(Duration::days(2));
    let parent = mp.login("o-gap").await;
    let ops = operator(mp, "ops", "operator").await;
    let order_id = first["order_id"].as_i64().unwrap();
    let (status, body) = mp
        .post(
            &format!("/admin/v1/pay-orders/{order_id}/refunds"),
            &ops.token,
            json!({"amount_fen": 500, "request_id": "gap"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let no = body["out_refund_no"].as_str().unwrap().to_owned();
    let done = mp.fake.settle_refund(&no, "SUCCESS").unwrap();
    assert_eq!(mp.fake.deliver(&done).await, 204);

    let now = mp.now();
    let after = app.periods(&parent).await;
    assert_eq!(after[0].state, "removed");
    let moved = after.iter().find(|p| p.id == b.id).unwrap();
    assert_eq!(moved.starts_at, now);
    assert_eq!(moved.ends_at, b.ends_at - (a.ends_at - now));
    let m = app.membership(&parent).await;
    assert_eq!(
        (m["active"].clone(), m["tier"].clone()),
        (json!(true), json!("basic"))
    );
    app.finish().await;
}
