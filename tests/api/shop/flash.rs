//! Flash sales: the stock carved from the SKU and given back when the sale ends; before the
//! start nothing is sold and nothing drained; 2,000 parallel buyers for 20 units; unpaid sale
//! orders give their unit back to the sale.

use chrono::Duration;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::support::{ShopApp, address};
use crate::mp::support::{Member, error};
use babyvax::clock::Clock;

async fn sale(shop: &ShopApp, sku: i64, stock: i64, limit: i64, starts_in: Duration) -> Value {
    let now = shop.mp().app.clock.now();
    let (s, b) = shop
        .mp()
        .post(
            "/admin/v1/shop/flash-sales",
            &shop.ops.token,
            json!({"sku_id": sku, "price_fen": 990, "stock": stock, "per_member_limit": limit,
                   "starts_at": now + starts_in, "ends_at": now + starts_in + Duration::hours(2)}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

fn buy_body(sale: i64, sku: i64, quantity: i64, request_id: String) -> Value {
    json!({"items": [{"sku_id": sku, "quantity": quantity}], "flash_sale_id": sale,
           "address": address(), "request_id": request_id})
}

async fn sale_stock(shop: &ShopApp, id: i64) -> i64 {
    <entity::shop_flash_sales::Entity as sea_orm::EntityTrait>::find_by_id(id as i32)
        .one(&shop.mp().app.db)
        .await
        .unwrap()
        .unwrap()
        .stock
}

#[actix_web::test]
async fn two_thousand_parallel_buyers_get_exactly_the_sales_units_within_their_limits() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let (_, sku) = shop
        .on_sale(json!({"skus": [{"spec": {}, "price_fen": 9900, "stock": 100}]}))
        .await;
    let created = sale(&shop, sku, 20, 2, Duration::minutes(10)).await;
    let id = created["id"].as_i64().unwrap();
    // The sale's stock came out of the SKU's.
    assert_eq!(shop.stock(sku).await, 80);
    // 500 members, four taps each (two of one unit, one of two units, one of three).
    let buyers: Vec<Member> = shop.members(500, "flash").await;
    let requests: Vec<(i64, Value, String)> = buyers
        .iter()
        .flat_map(|m| {
            [1, 1, 2, 3].into_iter().enumerate().map(move |(k, q)| {
                (
                    m.id,
                    buy_body(id, sku, q, format!("tap-{k}")),
                    m.token.clone(),
                )
            })
        })
        .collect();
    assert_eq!(requests.len(), 2000);
    // Before the start: every one refused, nothing drained, nothing written.
    let early: Vec<(u16, Value)> = futures_util::stream::iter(requests.iter().take(200))
        .map(|(_, body, token)| mp.post("/api/v1/shop/orders", token, body.clone()))
        .buffer_unordered(100)
        .collect()
        .await;
    assert!(
        early
            .iter()
            .all(|(s, b)| error(*s, b) == (409, "not_started")),
        "{:?}",
        early
            .iter()
            .find(|(s, b)| error(*s, b) != (409, "not_started"))
    );
    assert_eq!(sale_stock(&shop, id).await, 20);
    let orders = <entity::shop_orders::Entity as sea_orm::EntityTrait>::find()
        .all(&mp.app.db)
        .await
        .unwrap();
    assert!(orders.is_empty());
    // At the start, 2,000 at once (256 in flight).
    mp.app.clock.advance(Duration::minutes(10));
    let answers: Vec<(i64, u16, Value)> = futures_util::stream::iter(requests.iter())
        .map(|(member, body, token)| async move {
            let (s, b) = mp.post("/api/v1/shop/orders", token, body.clone()).await;
            (*member, s, b)
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let mut units_of: std::collections::HashMap<i64, i64> = Default::default();
    let mut sold = 0;
    for (member, s, b) in &answers {
        match error(*s, b) {
            (201, _) => {
                let q = b["breakdown"]["goods_fen"].as_i64().unwrap() / 990;
                *units_of.entry(*member).or_default() += q;
                sold += q;
            }
            (409, "out_of_stock") | (409, "purchase_limit_reached") => {}
            other => panic!("unexpected answer {other:?}: {b}"),
        }
    }
    assert_eq!(sold, 20, "exactly the sale's units");
    assert!(units_of.values().all(|u| *u <= 2), "{units_of:?}");
    assert_eq!(sale_stock(&shop, id).await, 0);
    let stored = <entity::shop_orders::Entity as sea_orm::EntityTrait>::find()
        .all(&mp.app.db)
        .await
        .unwrap();
    let stored_units: i64 = stored.iter().map(|o| o.goods_fen / 990).sum();
    assert_eq!(stored_units, 20);
    assert_eq!(shop.stock(sku).await, 80, "the SKU's own stock untouched");
    shop.finish().await;
}

#[actix_web::test]
async fn unpaid_sale_orders_give_their_unit_back_and_the_end_returns_the_rest() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let (_, sku) = shop
        .on_sale(json!({"skus": [{"spec": {}, "price_fen": 9900, "stock": 10}]}))
        .await;
    // Not more than the SKU has.
    let now = mp.app.clock.now();
    let (s, b) = mp
        .post(
            "/admin/v1/shop/flash-sales",
            &shop.ops.token,
            json!({"sku_id": sku, "price_fen": 990, "stock": 11, "per_member_limit": 1,
                   "starts_at": now, "ends_at": now + Duration::hours(1)}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "out_of_stock"), "{b}");
    assert_eq!(shop.stock(sku).await, 10);
    let created = sale(&shop, sku, 3, 1, Duration::zero()).await;
    let id = created["id"].as_i64().unwrap();
    let (s, list) = mp.get("/api/v1/shop/flash-sales", &shop.ops.token).await;
    assert_eq!(s, 401, "{list}");
    let a = mp.login("o-a").await;
    let b_member = mp.login("o-b").await;
    let (s, list) = mp.get("/api/v1/shop/flash-sales", &a.token).await;
    assert_eq!(
        (s, list[0]["running"].as_bool()),
        (200, Some(true)),
        "{list}"
    );
    let (s, first) = mp
        .post(
            "/api/v1/shop/orders",
            &a.token,
            buy_body(id, sku, 1, "a1".into()),
        )
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["payable_fen"], 990);
    let (s, b) = mp
        .post(
            "/api/v1/shop/orders",
            &a.token,
            buy_body(id, sku, 1, "a2".into()),
        )
        .await;
    assert_eq!(error(s, &b), (409, "purchase_limit_reached"), "{b}");
    let (s, b) = mp
        .post(
            "/api/v1/shop/orders",
            &b_member.token,
            buy_body(id, sku, 2, "b1".into()),
        )
        .await;
    assert_eq!(error(s, &b), (409, "purchase_limit_reached"), "{b}");
    assert_eq!(sale_stock(&shop, id).await, 2);
    // Unpaid for 30 minutes: the unit goes back to the sale, and the member may buy again.
    mp.app.clock.advance(Duration::minutes(31));
    assert_eq!(shop.sweep().await.cancelled, 1);
    assert_eq!(sale_stock(&shop, id).await, 3);
    let a = mp.login("o-a").await;
    let (s, again) = mp
        .post(
            "/api/v1/shop/orders",
            &a.token,
            buy_body(id, sku, 1, "a3".into()),
        )
        .await;
    assert_eq!(s, 201, "{again}");
    assert_eq!(shop.pay(again["id"].as_i64().unwrap()).await, 204);
    // The sale ends with 2 unsold: back to the SKU, once.
    mp.app.clock.advance(Duration::hours(2));
    assert_eq!(shop.sweep().await.sales_ended, 1);
    assert_eq!(shop.sweep().await.sales_ended, 0);
    assert_eq!(sale_stock(&shop, id).await, 0);
    assert_eq!(shop.stock(sku).await, 7 + 2);
    let a = mp.login("o-a").await;
    let (s, b) = mp
        .post(
            "/api/v1/shop/orders",
            &a.token,
            buy_body(id, sku, 1, "late".into()),
        )
        .await;
    assert_eq!(error(s, &b), (409, "flash_sale_ended"), "{b}");
    shop.finish().await;
}
