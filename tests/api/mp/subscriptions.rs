//! Subscribe-message consents: one allowance per accept, the ledger, retries counted once, and
//! `consume_allowance` never spending one allowance twice, even in parallel.

use babyvax::service::messaging::subscriptions::consume_allowance;
use entity::subscription_events;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn each_accept_is_one_allowance_and_sends_use_them_up() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-1").await;
    let (s, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    assert_eq!((s, b), (200, json!({"allowances": []})));

    let (s, b) = mp
        .post(
            "/api/v1/subscriptions/consents",
            &member.token,
            json!({"results": {
                "errMsg": "requestSubscribeMessage:ok",
                "tmpl-due": "accept", "tmpl-stage": "reject", "tmpl-banned": "ban"
            }}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"allowances": [{"template_id": "tmpl-due", "remaining": 1}]})
    );
    let (_, b) = mp
        .post(
            "/api/v1/subscriptions/consents",
            &member.token,
            json!({"results": {"tmpl-due": "accept", "tmpl-stage": "accept"}}),
        )
        .await;
    assert_eq!(
        b,
        json!({"allowances": [
            {"template_id": "tmpl-due", "remaining": 2},
            {"template_id": "tmpl-stage", "remaining": 1}
        ]})
    );

    // A retried report (same request_id) counts once.
    for _ in 0..3 {
        let (s, _) = mp
            .post(
                "/api/v1/subscriptions/consents",
                &member.token,
                json!({"results": {"tmpl-due": "accept"}, "request_id": "r-1"}),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (_, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    assert_eq!(
        b["allowances"][0],
        json!({"template_id": "tmpl-due", "remaining": 3})
    );

    let id = member.id as i32;
    let now = mp.now();
    for _ in 0..3 {
        assert!(
            consume_allowance(&mp.app.db, id, "tmpl-due", now)
                .await
                .unwrap()
        );
    }
    assert!(
        !consume_allowance(&mp.app.db, id, "tmpl-due", now)
            .await
            .unwrap()
    );
    assert!(
        !consume_allowance(&mp.app.db, id, "tmpl-none", now)
            .await
            .unwrap()
    );
    let (_, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    assert_eq!(
        b["allowances"][0],
        json!({"template_id": "tmpl-due", "remaining": 0})
    );

    // The ledger adds up to the balance: +1 per accept, -1 per send, 0 for the rest.
    let ledger = subscription_events::Entity::find()
        .filter(subscription_events::Column::MemberId.eq(id))
        .filter(subscription_events::Column::TemplateId.eq("tmpl-due"))
        .all(&mp.app.db)
        .await
        .unwrap();
    assert_eq!(ledger.iter().map(|e| e.delta).sum::<i32>(), 0);
    assert_eq!(ledger.iter().filter(|e| e.result == "consume").count(), 3);
    mp.finish().await;
}

#[actix_web::test]
async fn malformed_reports_are_refused() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-1").await;
    for (body, code) in [
        (json!({"results": {}}), "no_subscribe_results"),
        (
            json!({"results": {"errMsg": "requestSubscribeMessage:ok"}}),
            "no_subscribe_results",
        ),
        (
            json!({"results": {"t": "maybe"}}),
            "invalid_subscribe_result",
        ),
        (json!({"results": {"t": true}}), "invalid_subscribe_result"),
        (
            json!({"results": {"x".repeat(65): "accept"}}),
            "invalid_template_id",
        ),
        (
            json!({"results": {"t": "accept"}, "request_id": "r".repeat(65)}),
            "invalid_request_id",
        ),
        (
            json!({"results": (0..11).map(|i| (format!("t{i}"), json!("accept"))).collect::<serde_json::Map<_, _>>()}),
            "too_many_templates",
        ),
        (json!({"result": {"t": "accept"}}), "invalid_json"),
    ] {
        let (s, b) = mp
            .post(
                "/api/v1/subscriptions/consents",
                &member.token,
                body.clone(),
            )
            .await;
        assert_eq!(error(s, &b), (400, code), "{body}");
    }
    let (_, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    assert_eq!(b, json!({"allowances": []}));
    mp.finish().await;
}

#[actix_web::test]
async fn parallel_senders_never_spend_an_allowance_twice() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-1").await;
    for i in 0..5 {
        let (s, _) = mp
            .post(
                "/api/v1/subscriptions/consents",
                &member.token,
                json!({"results": {"tmpl": "accept"}, "request_id": format!("r{i}")}),
            )
            .await;
        assert_eq!(s, 200);
    }
    let id = member.id as i32;
    let now = mp.now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let db = mp.app.db.clone();
        tasks.spawn(async move { consume_allowance(&db, id, "tmpl", now).await });
    }
    let mut sent = 0;
    while let Some(result) = tasks.join_next().await {
        if result.unwrap().unwrap() {
            sent += 1;
        }
    }
    assert_eq!(sent, 5);
    let (_, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    assert_eq!(b["allowances"][0]["remaining"], 0);
    mp.finish().await;
}

#[actix_web::test]
async fn parallel_retries_count_once_and_parallel_sends_and_credits_keep_the_balance() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-1").await;
    let report = |request_id: String| {
        mp.post(
            "/api/v1/subscriptions/consents",
            &member.token,
            json!({"results": {"tmpl": "accept", "other": "reject"}, "request_id": request_id}),
        )
    };
    // A client retrying one report ten times at once, and four other reports.
    let retries = (0..10).map(|_| report("same".to_owned()));
    let others = (0..4).map(|i| report(format!("r{i}")));
    for (s, b) in futures_util::future::join_all(retries.chain(others)).await {
        assert_eq!(s, 200, "{b}");
    }
    let id = member.id as i32;
    let events = |request_id: &'static str| {
        subscription_events::Entity::find()
            .filter(subscription_events::Column::MemberId.eq(id))
            .filter(subscription_events::Column::RequestId.eq(request_id))
            .all(&mp.app.db)
    };
    assert_eq!(events("same").await.unwrap().len(), 2, "one per template");
    let (_, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    assert_eq!(
        b["allowances"],
        json!([{"template_id": "tmpl", "remaining": 5}])
    );

    // Twenty sends race five more accepts: no send without an allowance, none spent twice.
    let now = mp.now();
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let db = mp.app.db.clone();
        sends.spawn(async move { consume_allowance(&db, id, "tmpl", now).await });
    }
    let credits = (5..10).map(|i| report(format!("r{i}")));
    for (s, b) in futures_util::future::join_all(credits).await {
        assert_eq!(s, 200, "{b}");
    }
    let mut sent = 0;
    while let Some(result) = sends.join_next().await {
        if result.unwrap().unwrap() {
            sent += 1;
        }
    }
    assert!((5..=10).contains(&sent), "{sent} sends from 10 allowances");
    let (_, b) = mp.get("/api/v1/subscriptions", &member.token).await;
    let remaining = b["allowances"][0]["remaining"].as_i64().unwrap();
    assert_eq!(remaining, 10 - sent);
    let ledger = subscription_events::Entity::find()
        .filter(subscription_events::Column::MemberId.eq(id))
        .filter(subscription_events::Column::TemplateId.eq("tmpl"))
        .all(&mp.app.db)
        .await
        .unwrap();
    assert_eq!(
        ledger.iter().map(|e| i64::from(e.delta)).sum::<i64>(),
        remaining,
        "the ledger adds up to the balance"
    );
    mp.finish().await;
}
