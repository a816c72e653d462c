//! The notify door: repeated, parallel, tampered, stale and probe notifications.

use babyvax::fake_wechat::Tamper;
use entity::pay_order_events;
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::support::PayApp;

#[actix_web::test]
async fn the_same_notification_five_times_in_parallel_gives_one_period() {
    let app = PayApp::spawn().await;
    let parent = app.mp.login("o-par").await;
    let order = app.order(&parent, "basic_3m", "r").await;
    app.mp
        .fake
        .mark_paid(&PayApp::out_trade_no(&order))
        .unwrap();
    let notice = app.notice(&order, Tamper::None);
    let statuses = join_all((0..5).map(|_| app.mp.fake.deliver(&notice))).await;
    assert_eq!(statuses, [204; 5]);
    assert_eq!(app.periods(&parent).await.len(), 1);
    let row = app.pay_order_row(&order).await;
    assert_eq!(row.state, "paid");
    let paid_events = pay_order_events::Entity::find()
        .filter(pay_order_events::Column::OrderId.eq(row.id))
        .filter(pay_order_events::Column::Kind.eq("paid"))
        .count(&app.mp.app.db)
        .await
        .unwrap();
    assert_eq!(paid_events, 1);
    // A distinct notification (new id and nonce) of the same transaction: still once.
    let again = app.notice(&order, Tamper::None);
    assert_eq!(app.mp.fake.deliver(&again).await, 204);
    assert_eq!(app.periods(&parent).await.len(), 1);
    app.finish().await;
}

#[actix_web::test]
async fn mismatched_amount_or_merchant_is_an_alarm_and_applies_nothing() {
    let app = PayApp::spawn().await;
    let parent = app.mp.login("o-mis").await;
    let order = app.order(&parent, "basic_1m", "r").await;
    app.mp
        .fake
        .mark_paid(&PayApp::out_trade_no(&order))
        .unwrap();
    for tamper in [Tamper::WrongAmount(1), Tamper::WrongMchid] {
        let notice = app.notice(&order, tamper);
        assert_eq!(app.mp.fake.deliver(&notice).await, 204, "{tamper:?}");
        assert_eq!(
            app.pay_order_row(&order).await.state,
            "created",
            "{tamper:?}"
        );
        assert!(app.periods(&parent).await.is_empty(), "{tamper:?}");
    }
    let kinds: Vec<String> = app.alarms().await.into_iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["amount_mismatch", "mchid_mismatch"]);
    // The genuine one still applies.
    let notice = app.notice(&order, Tamper::None);
    assert_eq!(app.mp.fake.deliver(&notice).await, 204);
    assert_eq!(app.pay_order_row(&order).await.state, "paid");
    app.finish().await;
}

#[actix_web::test]
async fn bad_signature_stale_timestamp_and_probe_are_refused_with_fail() {
    let app = PayApp::spawn().await;
    let parent = app.mp.login("o-bad").await;
    let order = app.order(&parent, "basic_1m", "r").await;
    app.mp
        .fake
        .mark_paid(&PayApp::out_trade_no(&order))
        .unwrap();
    for tamper in [
        Tamper::BadSignature,
        Tamper::StaleTimestamp,
        Tamper::SignTest,
    ] {
        let notice = app.notice(&order, tamper);
        let client = reqwest::Client::new();
        let mut req = client.post(&notice.url).body(notice.body.clone());
        for (k, v) in &notice.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{tamper:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "FAIL", "{tamper:?}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(
            app.pay_order_row(&order).await.state,
            "created",
            "{tamper:?}"
        );
    }
    assert!(app.periods(&parent).await.is_empty());
    assert!(app.alarms().await.is_empty());
    // An unknown serial is refused too.
    let mut notice = app.notice(&order, Tamper::None);
    for (k, v) in &mut notice.headers {
        if k == "Wechatpay-Serial" {
            *v = "PUB_KEY_ID_0000000000000000OTHER0000001".into();
        }
    }
    assert_eq!(app.mp.fake.deliver(&notice).await, 401);
    // Not JSON at all: refused, nothing applied.
    let res = reqwest::Client::new()
        .post(format!("{}/wechat/pay/notify", app.mp.app.address))
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(app.pay_order_row(&order).await.state, "created");
    app.finish().await;
}

#[actix_web::test]
async fn notifications_out_of_order_apply_each_order_once() {
    let app = PayApp::spawn().await;
    let parent = app.mp.login("o-ooo").await;
    let a = app.order(&parent, "basic_1m", "a").await;
    let b = app.order(&parent, "basic_1m", "b").await;
    app.mp.fake.mark_paid(&PayApp::out_trade_no(&a)).unwrap();
    app.mp.fake.mark_paid(&PayApp::out_trade_no(&b)).unwrap();
    let (na, nb) = (app.notice(&a, Tamper::None), app.notice(&b, Tamper::None));
    assert_eq!(app.mp.fake.deliver(&nb).await, 204);
    assert_eq!(app.mp.fake.deliver(&na).await, 204);
    assert_eq!(app.mp.fake.deliver(&nb).await, 204);
    let periods = app.periods(&parent).await;
    assert_eq!(periods.len(), 2);
    let m = app.membership(&parent).await;
    // Two months stacked from 2026-03-10.
    assert_eq!(m["current_period_end"], "2026-05-10T16:00:00Z");
    app.finish().await;
}
