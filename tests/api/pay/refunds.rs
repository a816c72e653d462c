//! Operator refunds: a stable out_refund_no per request_id, parallel partial refunds never
//! exceeding what was paid, the final state from the notification or the query.

use babyvax::clock::Clock;
use chrono::Duration;
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::support::PayApp;
use crate::admin::support::operator;
use crate::mp::support::error;

#[actix_web::test]
async fn parallel_partial_refunds_never_exceed_what_was_paid() {
    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-ref").await;
    let order = app.order(&parent, "premium_1m", "r").await;
    assert_eq!(app.pay(&order).await, 204);
    let ops = operator(mp, "ops", "operator").await;
    let id = order["order_id"].as_i64().unwrap();
    let path = format!("/admin/v1/pay-orders/{id}/refunds");
    let results = join_all((0..8).map(|i| {
        mp.post(
            &path,
            &ops.token,
            json!({"amount_fen": 1000, "request_id": format!("par-{i}")}),
        )
    }))
    .await;
    let accepted = results.iter().filter(|(s, _)| *s == 201).count();
    let refused = results
        .iter()
        .filter(|(s, b)| error(*s, b) == (409, "refund_exceeds_paid"))
        .count();
    assert_eq!((accepted, refused), (3, 5), "{results:?}");
    let at_fake: i64 = mp.fake.pay_refunds().iter().map(|r| r.refund).sum();
    assert_eq!(at_fake, 3000);
    // Each accepted refund is in the audit log, naming the operator and the order.
    let audited: Vec<(i32, Option<String>)> = entity::audit_log::Entity::find()
        .filter(entity::audit_log::Column::Action.eq("pay_order.refund"))
        .all(&mp.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.actor_id, row.target_id))
        .collect();
    assert_eq!(audited, vec![(ops.id, Some(id.to_string())); 3]);
    // Confirmed: the order is refunded in full.
    for r in mp.fake.pay_refunds() {
        let notice = mp.fake.settle_refund(&r.out_refund_no, "SUCCESS").unwrap();
        assert_eq!(mp.fake.deliver(&notice).await, 204);
    }
    let row = app.pay_order_row(&order).await;
    assert_eq!((row.state.as_str(), row.refunded_fen), ("refunded", 3000));
    let (status, body) = mp
        .post(
            &path,
            &ops.token,
            json!({"amount_fen": 1, "request_id": "late"}),
        )
        .await;
    assert_eq!(error(status, &body), (409, "order_not_refundable"));
    app.finish().await;
}

#[actix_web::test]
async fn a_retried_refund_reuses_its_out_refund_no_and_the_query_settles_it() {
    let app = PayApp::spawn().await;
    let mp = &app.mp;
    let parent = mp.login("o-ref2").await;
    let order = app.order(&parent, "advanced_3m", "r").await;
    assert_eq!(app.pay(&order).await, 204);
    let ops = operator(mp, "ops", "operator").await;
    let support = operator(mp, "sup", "support").await;
    let id = order["order_id"].as_i64().unwrap();
    let path = format!("/admin/v1/pay-orders/{id}/refunds");
    let body = json!({"amount_fen": 1000, "reason": "test", "request_id": "same"});
    let (s1, first) = mp.post(&path, &ops.token, body.clone()).await;
    let (s2, second) = mp.post(&path, &ops.token, body).await;
    assert_eq!((s1, s2), (201, 201), "{first} {second}");
    assert_eq!(first["out_refund_no"], second["out_refund_no"]);
    assert_eq!(mp.fake.pay_refunds().len(), 1);
    let (status, b) = mp
        .post(
            &path,
            &ops.token,
            json!({"amount_fen": 999, "request_id": "same"}),
        )
        .await;
    assert_eq!(error(status, &b), (409, "refund_request_mismatch"));
    let (status, b) = mp
        .post(
            &path,
            &ops.token,
            json!({"amount_fen": 0, "request_id": "x"}),
        )
        .await;
    assert_eq!(error(status, &b), (400, "invalid_refund_amount"));
    let (status, b) = mp
        .post(
            &path,
            &support.token,
            json!({"amount_fen": 10, "request_id": "x"}),
        )
        .await;
    assert_eq!(error(status, &b), (403, "role_forbidden"));
    // WeChat Pay finishes the refund, but its notification is lost: the query settles it.
    let no = first["out_refund_no"].as_str().unwrap();
    mp.fake.settle_refund(no, "SUCCESS").unwrap();
    mp.app.clock.advance(Duration::minutes(2));
    let done = app.reconcile().await;
    assert_eq!(done.refunds_settled, 1);
    let row = app.pay_order_row(&order).await;
    assert_eq!(
        (row.state.as_str(), row.refunded_fen),
        ("partially_refunded", 1000)
    );
    // A closed refund gives its reservation back.
    let (status, third) = mp
        .post(
            &path,
            &ops.token,
            json!({"amount_fen": 3050, "request_id": "rest"}),
        )
        .await;
    assert_eq!(status, 201, "{third}");
    let notice = mp
        .fake
        .settle_refund(third["out_refund_no"].as_str().unwrap(), "CLOSED")
        .unwrap();
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    let row = app.pay_order_row(&order).await;
    assert_eq!((row.refund_reserved_fen, row.refunded_fen), (1000, 1000));
    let _ = mp.app.clock.now();
    app.finish().await;
}
