//! Spending: never below zero, the earliest-expiring lots first, a refusal writes nothing, and
//! parallel spends (over HTTP and through the service) never overspend.

use babyvax::service::points;
use entity::{points_ledger, points_lots};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::support::{adjust, assert_verified, balance, ledger_rows};
use crate::admin::support::operator;
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn parallel_negative_adjustments_beyond_the_balance_never_take_it_below_zero() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-spender").await;
    let (s, b) = adjust(&mp, &staff, &member, 100, "top-up").await;
    assert_eq!(s, 200, "{b}");
    // Twenty debits of 15 at once: 300 asked of 100.
    let ids: Vec<String> = (0..20).map(|i| format!("debit-{i}")).collect();
    let debits = ids.iter().map(|id| adjust(&mp, &staff, &member, -15, id));
    let answers = futures_util::future::join_all(debits).await;
    let applied = answers.iter().filter(|(s, _)| *s == 200).count();
    for (s, b) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(error(*s, b), (409, "insufficient_points"), "{b}");
    }
    assert_eq!(applied, 6, "{answers:?}");
    assert_eq!(balance(&mp, &member).await, 10);
    let rows = ledger_rows(&mp, &member).await;
    assert_eq!(rows.len(), 7, "refusals wrote nothing");
    assert_eq!(rows.iter().map(|r| r.delta).sum::<i64>(), 10);
    // Each row's balance_after follows the one before: no spend half-applied.
    let mut running = 0;
    for row in &rows {
        running += row.delta;
        assert_eq!(row.balance_after, running, "{row:?}");
    }
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn parallel_spends_through_the_service_never_overspend() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-coupons").await;
    for (i, delta) in [40, 35, 25].into_iter().enumerate() {
        let (s, b) = adjust(&mp, &staff, &member, delta, &format!("credit-{i}")).await;
        assert_eq!(s, 200, "{b}");
    }
    let now = mp.now();
    let id = member.id as i32;
    let mut spends = tokio::task::JoinSet::new();
    for i in 0..16 {
        let db = mp.app.db.clone();
        spends.spawn(async move {
            points::spend(&db, id, 30, "coupon", &format!("grant-{i}"), now).await
        });
    }
    let mut spent = 0;
    while let Some(result) = spends.join_next().await {
        match result.unwrap() {
            Ok(s) => spent += s.points,
            Err(e) => assert_eq!(e.code(), "insufficient_points"),
        }
    }
    assert_eq!(spent, 90, "three spends of 30 fit in 100");
    assert_eq!(balance(&mp, &member).await, 10);
    let remaining: Vec<i64> = points_lots::Entity::find()
        .filter(points_lots::Column::MemberId.eq(id))
        .all(&mp.app.db)
        .await
        .unwrap()
        .iter()
        .map(|l| l.remaining)
        .collect();
    assert_eq!(remaining.iter().sum::<i64>(), 10);
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_refused_spend_writes_nothing_and_a_retried_spend_counts_once() {
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-careful").await;
    adjust(&mp, &staff, &member, 50, "c1").await;
    let id = member.id as i32;
    let count = || {
        points_ledger::Entity::find()
            .filter(points_ledger::Column::MemberId.eq(id))
            .count(&mp.app.db)
    };
    let before = count().await.unwrap();
    let refused = points::spend(&mp.app.db, id, 51, "coupon", "g1", mp.now())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "insufficient_points");
    assert_eq!(count().await.unwrap(), before);
    let first = points::spend(&mp.app.db, id, 20, "coupon", "g1", mp.now())
        .await
        .unwrap();
    let again = points::spend(&mp.app.db, id, 20, "coupon", "g1", mp.now())
        .await
        .unwrap();
    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(again.entry_id, first.entry_id);
    assert_eq!(balance(&mp, &member).await, 30);
    // The longest purpose and reference (64 characters each, not ASCII) fit the key.
    let (purpose, reference) = ("积".repeat(64), "分".repeat(64));
    let long = points::spend(&mp.app.db, id, 1, &purpose, &reference, mp.now())
        .await
        .unwrap();
    assert!(!long.replayed);
    let e = points::spend(&mp.app.db, id, 1, &"x".repeat(65), "r", mp.now())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_reference");
    assert_eq!(balance(&mp, &member).await, 29);
    for bad in [0, -5] {
        let e = points::spend(&mp.app.db, id, bad, "coupon", "g2", mp.now())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_points_amount");
    }
    assert_verified(&mp).await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_spend_joins_the_callers_transaction() {
    use sea_orm::TransactionTrait;
    let mp = MpApp::spawn().await;
    let staff = operator(&mp, "ops", "operator").await;
    let member = mp.login("o-joined").await;
    adjust(&mp, &staff, &member, 50, "c1").await;
    let id = member.id as i32;
    let txn = mp.app.db.begin().await.unwrap();
    points::spend(&txn, id, 20, "coupon", "g1", mp.now())
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(
        balance(&mp, &member).await,
        50,
        "rolled back with the caller"
    );
    assert_eq!(ledger_rows(&mp, &member).await.len(), 1);
    assert_verified(&mp).await;
    mp.finish().await;
}
