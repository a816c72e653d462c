//! Claims: stock and per-member limit under parallel requests, request_id idempotency,
//! eligibility at the boundaries, what is shown and why, points, grants.

use chrono::{Duration, NaiveDate};
use entity::{coupon_templates, coupons};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use super::support::Shop;
use crate::mp::support::error;
use crate::points::support::{adjust, assert_verified, balance, rows_of};

async fn remaining(shop: &Shop, template: i64) -> i32 {
    coupon_templates::Entity::find_by_id(template as i32)
        .one(&shop.mp.app.db)
        .await
        .unwrap()
        .unwrap()
        .remaining
}

async fn coupons_of(shop: &Shop, template: i64) -> u64 {
    coupons::Entity::find()
        .filter(coupons::Column::TemplateId.eq(template as i32))
        .count(&shop.mp.app.db)
        .await
        .unwrap()
}

#[actix_web::test]
async fn forty_members_racing_for_five_coupons_get_exactly_five() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "total_stock": 5 })).await;
    let mut members = Vec::new();
    for i in 0..40 {
        members.push(shop.mp.login(&format!("o-race-{i}")).await);
    }
    let answers =
        futures_util::future::join_all(members.iter().map(|m| shop.claim(m, id, "one-tap"))).await;
    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    let sold_out = answers
        .iter()
        .filter(|(s, b)| error(*s, b) == (409, "sold_out"))
        .count();
    assert_eq!((won, sold_out), (5, 35), "{answers:?}");
    assert_eq!(remaining(&shop, id).await, 0);
    assert_eq!(coupons_of(&shop, id).await, 5);
    shop.finish().await;
}

#[actix_web::test]
async fn one_member_with_limit_one_gets_one_coupon_from_twenty_parallel_claims() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "total_stock": 50 })).await;
    let parent = shop.mp.login("o-greedy").await;
    let answers = futures_util::future::join_all((0..20).map(|i| {
        let (shop, parent) = (&shop, &parent);
        async move { shop.claim(parent, id, &format!("tap-{i}")).await }
    }))
    .await;
    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    let limited = answers
        .iter()
        .filter(|(s, b)| error(*s, b) == (409, "claim_limit_reached"))
        .count();
    assert_eq!((won, limited), (1, 19), "{answers:?}");
    assert_eq!(coupons_of(&shop, id).await, 1);
    assert_eq!(remaining(&shop, id).await, 49);
    shop.finish().await;
}

#[actix_web::test]
async fn the_same_request_id_answers_the_same_coupon_also_in_parallel() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "per_member_limit": 3 })).await;
    let parent = shop.mp.login("o-retry").await;
    let answers =
        futures_util::future::join_all((0..8).map(|_| shop.claim(&parent, id, "same-key"))).await;
    let ids: Vec<Option<i64>> = answers.iter().map(|(_, b)| b["id"].as_i64()).collect();
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    assert!(ids.iter().all(|i| i.is_some() && *i == ids[0]), "{ids:?}");
    assert_eq!(coupons_of(&shop, id).await, 1);
    // A new key is a new claim, up to the limit.
    let (s, b) = shop.claim(&parent, id, "other-key").await;
    assert_eq!(s, 201, "{b}");
    assert_ne!(b["id"].as_i64(), ids[0]);
    let (s, b) = shop.claim(&parent, id, "").await;
    assert_eq!(error(s, &b), (400, "invalid_request_id"));
    shop.finish().await;
}

#[actix_web::test]
async fn the_age_band_holds_from_its_first_to_its_last_day() {
    let shop = Shop::open().await;
    let id = shop
        .live_template(json!({
            "baby_age_days": { "min": 180, "max": 365 },
            "claim_from": "2025-01-01T00:00:00Z",
            "claim_to": "2028-01-01T00:00:00Z",
            "total_stock": 10,
        }))
        .await;
    let birth: NaiveDate = "2025-06-01".parse().unwrap();
    let day = |d: i64| (birth + Duration::days(d)).to_string();
    let young = shop.mp.parent("o-young").await;
    shop.mp.add_baby(&young, "小一", &birth.to_string()).await;
    let old = shop.mp.parent("o-old").await;
    shop.mp.add_baby(&old, "小二", &birth.to_string()).await;
    shop.mp.parent("o-nobaby").await;

    shop.mp.set_today(&day(179));
    // Tokens last a day: log in again on each day visited.
    let young = shop.mp.login("o-young").await;
    let (s, b) = shop.claim(&young, id, "d179").await;
    assert_eq!(error(s, &b), (403, "not_eligible"));
    let (_, list) = shop.mp.get("/api/v1/coupons/available", &young.token).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    shop.mp.set_today(&day(180));
    let young = shop.mp.login("o-young").await;
    let none = shop.mp.login("o-nobaby").await;
    let (_, list) = shop.mp.get("/api/v1/coupons/available", &young.token).await;
    assert_eq!(list[0]["why"], "for babies 180–365 days old", "{list}");
    let (s, b) = shop.claim(&young, id, "d180").await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = shop.claim(&none, id, "d180").await;
    assert_eq!(error(s, &b), (403, "not_eligible"));

    shop.mp.set_today(&day(365));
    let old = shop.mp.login("o-old").await;
    let (s, b) = shop.claim(&old, id, "d365").await;
    assert_eq!(s, 201, "{b}");
    let other = shop.mp.parent("o-older").await;
    shop.mp.add_baby(&other, "小三", &birth.to_string()).await;
    shop.mp.set_today(&day(366));
    let other = shop.mp.login("o-older").await;
    let (s, b) = shop.claim(&other, id, "d366").await;
    assert_eq!(error(s, &b), (403, "not_eligible"));
    shop.finish().await;
}

#[actix_web::test]
async fn cities_limit_who_may_claim() {
    let shop = Shop::open().await;
    let id = shop
        .live_template(json!({ "cities": ["上海市", "杭州市"] }))
        .await;
    let set_city = |city: Option<&str>| json!({ "province": city.map(|_| "上海市"), "city": city });
    let here = shop.mp.login("o-sh").await;
    let (s, b) = shop
        .mp
        .put("/api/v1/me", &here.token, set_city(Some("上海市")))
        .await;
    assert_eq!(s, 200, "{b}");
    let away = shop.mp.login("o-bj").await;
    shop.mp
        .put("/api/v1/me", &away.token, set_city(Some("北京市")))
        .await;
    let unknown = shop.mp.login("o-nocity").await;

    let (_, list) = shop.mp.get("/api/v1/coupons/available", &here.token).await;
    assert_eq!(list[0]["why"], "for parents in 上海市, 杭州市", "{list}");
    let (s, b) = shop.claim(&here, id, "k").await;
    assert_eq!(s, 201, "{b}");
    // Claimed as often as allowed: no longer listed.
    let (_, list) = shop.mp.get("/api/v1/coupons/available", &here.token).await;
    assert_eq!(list, Value::Array(vec![]));
    for m in [&away, &unknown] {
        let (s, b) = shop.claim(m, id, "k").await;
        assert_eq!(error(s, &b), (403, "not_eligible"));
    }
    shop.finish().await;
}

#[actix_web::test]
async fn claims_outside_the_window_are_refused_and_coupons_expire() {
    let shop = Shop::open().await;
    let parent = shop.mp.login("o-window").await;
    let later = shop
        .live_template(json!({ "claim_from": "2026-03-20T00:00:00Z" }))
        .await;
    let (s, b) = shop.claim(&parent, later, "k1").await;
    assert_eq!(error(s, &b), (409, "not_claimable"));

    let short = shop
        .live_template(json!({ "validity": { "type": "relative", "days": 1 } }))
        .await;
    let (s, c) = shop.claim(&parent, short, "k3").await;
    assert_eq!(s, 201, "{c}");
    let (_, unused) = shop
        .mp
        .get("/api/v1/coupons?status=unused", &parent.token)
        .await;
    assert_eq!(unused.as_array().map(Vec::len), Some(1));
    // Valid through the end of the day (16:00 UTC); now is 02:00 UTC.
    shop.mp.app.clock.advance(Duration::hours(14));
    let (_, expired) = shop
        .mp
        .get("/api/v1/coupons?status=expired", &parent.token)
        .await;
    assert_eq!(expired[0]["id"], c["id"], "{expired}");
    let (_, unused) = shop
        .mp
        .get("/api/v1/coupons?status=unused", &parent.token)
        .await;
    assert_eq!(unused, Value::Array(vec![]));
    let (s, b) = shop
        .mp
        .get("/api/v1/coupons?status=lost", &parent.token)
        .await;
    assert_eq!(error(s, &b), (400, "invalid_query"));
    let (s, b) = shop.code(&parent, c["id"].as_i64().unwrap()).await;
    assert_eq!(error(s, &b), (409, "coupon_expired"));
    shop.finish().await;
}

#[actix_web::test]
async fn a_grant_gives_each_member_one_coupon_however_often_it_runs() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "total_stock": 3 })).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(shop.mp.login(&format!("o-g{i}")).await.id);
    }
    let grants = format!("/admin/v1/coupon-templates/{id}/grants");
    let body = json!({ "grant_key": "2026-03 pack", "member_ids": [ids[0], ids[1], 999_999] });
    let (s, r) = shop.mp.post(&grants, &shop.ops.token, body.clone()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["granted"].as_u64(), r["unknown"].as_u64()),
        (Some(2), Some(1))
    );
    let (_, r) = shop.mp.post(&grants, &shop.ops.token, body).await;
    assert_eq!(
        (r["granted"].as_u64(), r["already"].as_u64()),
        (Some(0), Some(2)),
        "{r}"
    );
    let (_, r) = shop
        .mp
        .post(
            &grants,
            &shop.ops.token,
            json!({ "grant_key": "2026-03 pack", "segment": {} }),
        )
        .await;
    assert_eq!(
        (
            r["granted"].as_u64(),
            r["already"].as_u64(),
            r["sold_out"].as_u64()
        ),
        (Some(1), Some(2), Some(1)),
        "{r}"
    );
    assert_eq!(coupons_of(&shop, id).await, 3);
    let (s, b) = shop
        .mp
        .post(&grants, &shop.ops.token, json!({ "grant_key": "x" }))
        .await;
    assert_eq!(error(s, &b), (400, "invalid_grant"));
    shop.finish().await;
}

#[actix_web::test]
async fn a_points_coupon_is_paid_from_the_points_ledger_in_the_claims_transaction() {
    let shop = Shop::open().await;
    let parent = shop.mp.login("o-points").await;
    let cost = shop
        .live_template(json!({ "points_cost": 100, "per_member_limit": 10 }))
        .await;
    // No points: refused, and neither the stock nor the member's limit moved.
    let (s, b) = shop.claim(&parent, cost, "k1").await;
    assert_eq!(error(s, &b), (409, "insufficient_points"));
    assert_eq!(
        (remaining(&shop, cost).await, coupons_of(&shop, cost).await),
        (100, 0)
    );

    let (s, b) = adjust(&shop.mp, &shop.ops, &parent, 350, "top-up").await;
    assert_eq!(s, 200, "{b}");
    // Ten parallel claims with different request ids: points for three.
    let claims = (0..10).map(|i| {
        let request_id = format!("p{i}");
        let (shop, parent) = (&shop, &parent);
        async move { shop.claim(parent, cost, &request_id).await }
    });
    let answers = futures_util::future::join_all(claims).await;
    let won: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(won.len(), 3, "{answers:?}");
    for (s, b) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(error(*s, b), (409, "insufficient_points"));
    }
    assert_eq!(balance(&shop.mp, &parent).await, 50);
    assert_eq!(
        (remaining(&shop, cost).await, coupons_of(&shop, cost).await),
        (97, 3)
    );
    let spent: Vec<i32> = coupons::Entity::find()
        .filter(coupons::Column::TemplateId.eq(cost as i32))
        .all(&shop.mp.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.points_spent)
        .collect();
    assert_eq!(spent, [100, 100, 100]);
    // A retried claim answers its coupon and costs nothing more.
    let first = won[0]["id"].clone();
    let request_id = answers
        .iter()
        .position(|(_, b)| b["id"] == first)
        .map(|i| format!("p{i}"))
        .unwrap();
    let (s, again) = shop.claim(&parent, cost, &request_id).await;
    assert_eq!((s, again["id"].clone()), (201, first), "{again}");
    assert_eq!(balance(&shop.mp, &parent).await, 50);
    assert_eq!(rows_of(&shop.mp, &parent, "spend").await.len(), 3);
    assert_verified(&shop.mp).await;
    shop.finish().await;
}
