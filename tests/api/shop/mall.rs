//! The points mall: an item of stock 1 sells exactly once under 50 parallel exchanges, of stock
//! 0 never; points plus cash is paid like an order; coupon items grant a coupon.

use futures_util::future::join_all;
use serde_json::{Value, json};

use super::support::{ShopApp, address};
use crate::mp::support::error;

async fn item(shop: &ShopApp, body: Value) -> i64 {
    let (s, b) = shop
        .mp()
        .post("/admin/v1/shop/mall/items", &shop.ops.token, body)
        .await;
    assert_eq!(s, 201, "{b}");
    b["id"].as_i64().unwrap()
}

#[actix_web::test]
async fn an_item_of_stock_one_sells_once_under_fifty_parallel_exchanges() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let one = item(
        &shop,
        json!({"title": "疫苗本封套", "kind": "physical", "points": 500, "stock": 1}),
    )
    .await;
    let none = item(
        &shop,
        json!({"title": "体温计", "kind": "physical", "points": 500, "stock": 0}),
    )
    .await;
    let members = shop.members(50, "mall").await;
    for m in &members {
        shop.give_points(m, 1000).await;
    }
    let answers = join_all(members.iter().map(|m| {
        mp.post(
            "/api/v1/shop/mall/exchanges",
            &m.token,
            json!({"item_id": one, "address": address(), "request_id": "x"}),
        )
    }))
    .await;
    let won: Vec<&(u16, Value)> = answers.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s != 201)
            .all(|(s, b)| error(*s, b) == (409, "out_of_stock")),
        "{answers:?}"
    );
    assert_eq!(won[0].1["status"], "paid");
    assert_eq!(won[0].1["breakdown"]["points"], 500);
    // Only the winner's points moved.
    let mut balances = Vec::new();
    for m in &members {
        balances.push(shop.points(m).await);
    }
    assert_eq!(balances.iter().filter(|b| **b == 500).count(), 1);
    assert_eq!(balances.iter().filter(|b| **b == 1000).count(), 49);
    let (s, b) = mp
        .post(
            "/api/v1/shop/mall/exchanges",
            &members[0].token,
            json!({"item_id": none, "address": address()}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "out_of_stock"), "{b}");
    shop.finish().await;
}

#[actix_web::test]
async fn coupon_items_grant_a_coupon_and_cash_items_are_paid_like_orders() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-mall").await;
    let (s, t) = mp
        .post(
            "/admin/v1/coupon-templates",
            &shop.ops.token,
            crate::coupons::support::template(json!({"title": "商城券"})),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let coupon_item = item(
        &shop,
        json!({"title": "满100减20券", "kind": "coupon", "points": 300, "stock": 10,
               "coupon_template_id": t["id"]}),
    )
    .await;
    let cash_item = item(
        &shop,
        json!({"title": "护理包", "kind": "physical", "points": 200, "cash_fen": 1990,
               "stock": 5}),
    )
    .await;
    shop.give_points(&parent, 400).await;
    let (s, b) = mp
        .post(
            "/api/v1/shop/mall/exchanges",
            &parent.token,
            json!({"item_id": coupon_item, "request_id": "c"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_i64().unwrap();
    assert_eq!(shop.get(&parent, id).await["status"], "received");
    let (s, coupons) = mp.get("/api/v1/coupons", &parent.token).await;
    assert_eq!(s, 200);
    assert_eq!(coupons.as_array().unwrap().len(), 1, "{coupons}");
    assert_eq!(shop.points(&parent).await, 100);
    // Not enough points for the next one: nothing taken.
    let (s, b) = mp
        .post(
            "/api/v1/shop/mall/exchanges",
            &parent.token,
            json!({"item_id": cash_item, "address": address(), "request_id": "p"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "insufficient_points"), "{b}");
    shop.give_points(&parent, 100).await;
    let (s, b) = mp
        .post(
            "/api/v1/shop/mall/exchanges",
            &parent.token,
            json!({"item_id": cash_item, "address": address(), "request_id": "p2"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        (b["status"].as_str(), b["payable_fen"].as_i64()),
        (Some("pending_payment"), Some(1990))
    );
    let id = b["id"].as_i64().unwrap();
    assert_eq!(shop.pay(id).await, 204);
    assert_eq!(shop.get(&parent, id).await["status"], "paid");
    shop.finish().await;
}
