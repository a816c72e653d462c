//! Group buys: a filled group proceeds (and a refund of one member changes no other), a member
//! cannot join their own group twice, an expired group refunds every paid member once.

use chrono::Duration;
use serde_json::{Value, json};

use super::support::{ShopApp, address};
use crate::mp::support::{Member, error};

async fn offer(shop: &ShopApp, sku: i64, size: i64) -> i64 {
    let (s, b) = shop
        .mp()
        .post(
            "/admin/v1/shop/group-buys",
            &shop.ops.token,
            json!({"sku_id": sku, "price_fen": 5000, "group_size": size}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["time_limit_hours"], 24);
    b["id"].as_i64().unwrap()
}

fn body(sku: i64, group: Value, request_id: &str) -> Value {
    let mut b = json!({"items": [{"sku_id": sku, "quantity": 1}], "address": address(),
                       "request_id": request_id});
    if let (Some(b), Some(g)) = (b.as_object_mut(), group.as_object()) {
        for (k, v) in g {
            b.insert(k.clone(), v.clone());
        }
    }
    b
}

/// Orders and pays; answers the order id.
async fn join_and_pay(shop: &ShopApp, m: &Member, sku: i64, group: Value, r: &str) -> i64 {
    let (s, b) = shop.order(m, body(sku, group, r)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["payable_fen"], 5000);
    let id = b["id"].as_i64().unwrap();
    assert_eq!(shop.pay(id).await, 204);
    id
}

async fn group_of(shop: &ShopApp, m: &Member, order: i64) -> Value {
    let group = shop.get(m, order).await["group_id"].as_i64().unwrap();
    let (s, g) = shop
        .mp()
        .get(&format!("/api/v1/shop/groups/{group}"), &m.token)
        .await;
    assert_eq!(s, 200, "{g}");
    g
}

#[actix_web::test]
async fn a_filled_group_proceeds_and_one_members_refund_changes_no_other() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let (_, sku) = shop.on_sale(json!({})).await;
    let offer = offer(&shop, sku, 3).await;
    let [a, b, c, d] = [
        mp.login("o-ga").await,
        mp.login("o-gb").await,
        mp.login("o-gc").await,
        mp.login("o-gd").await,
    ];
    let lead = join_and_pay(&shop, &a, sku, json!({"group_buy_id": offer}), "a").await;
    assert_eq!(shop.get(&a, lead).await["status"], "awaiting_group");
    let g = group_of(&shop, &a, lead).await;
    assert_eq!(
        (g["status"].as_str(), g["members_paid"].as_i64()),
        (Some("open"), Some(1))
    );
    let group = g["id"].as_i64().unwrap();
    assert_eq!(
        g["share_path"],
        format!("/pages/shop/group/index?id={group}")
    );
    // The leader cannot join their own group again.
    let (s, e) = shop
        .order(&a, body(sku, json!({"group_id": group}), "a2"))
        .await;
    assert_eq!(error(s, &e), (409, "already_in_group"), "{e}");
    let ob = join_and_pay(&shop, &b, sku, json!({"group_id": group}), "b").await;
    assert_eq!(shop.get(&b, ob).await["status"], "awaiting_group");
    let oc = join_and_pay(&shop, &c, sku, json!({"group_id": group}), "c").await;
    // Filled: every member's order proceeds.
    for (m, o) in [(&a, lead), (&b, ob), (&c, oc)] {
        assert_eq!(shop.get(m, o).await["status"], "paid");
    }
    let g = group_of(&shop, &c, oc).await;
    assert_eq!(
        (g["status"].as_str(), g["members_paid"].as_i64()),
        (Some("filled"), Some(3))
    );
    let (s, e) = shop
        .order(&d, body(sku, json!({"group_id": group}), "d"))
        .await;
    assert_eq!(error(s, &e), (409, "group_not_open"), "{e}");
    // B's refund is B's alone.
    let (s, _) = mp
        .post(
            &format!("/api/v1/shop/orders/{ob}/refund-request"),
            &b.token,
            json!({"reason": "不想要了"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = mp
        .post(
            &format!("/admin/v1/shop/orders/{ob}/refund/approve"),
            &shop.ops.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let r = &mp.fake.pay_refunds()[0];
    let notice = mp.fake.settle_refund(&r.out_refund_no, "SUCCESS").unwrap();
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    assert_eq!(shop.get(&b, ob).await["status"], "refunded");
    assert_eq!(shop.get(&a, lead).await["status"], "paid");
    assert_eq!(shop.get(&c, oc).await["status"], "paid");
    let g = group_of(&shop, &a, lead).await;
    assert_eq!(
        (g["status"].as_str(), g["members_paid"].as_i64()),
        (Some("filled"), Some(3))
    );
    assert_eq!(shop.sweep().await.groups_failed, 0);
    assert_eq!(mp.fake.pay_refunds().len(), 1);
    shop.finish().await;
}

#[actix_web::test]
async fn an_expired_group_refunds_every_paid_member_once() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let (_, sku) = shop.on_sale(json!({})).await;
    let offer = offer(&shop, sku, 3).await;
    let a = mp.login("o-ea").await;
    let b = mp.login("o-eb").await;
    let lead = join_and_pay(&shop, &a, sku, json!({"group_buy_id": offer}), "a").await;
    let group = shop.get(&a, lead).await["group_id"].as_i64().unwrap();
    let ob = join_and_pay(&shop, &b, sku, json!({"group_id": group}), "b").await;
    assert_eq!(shop.stock(sku).await, 8);
    mp.app
        .clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    assert_eq!(shop.sweep().await.groups_failed, 1);
    assert_eq!(shop.sweep().await.groups_failed, 0);
    let refunds = mp.fake.pay_refunds();
    assert_eq!(refunds.len(), 2, "{refunds:?}");
    assert!(refunds.iter().all(|r| r.refund == 5000));
    for r in &refunds {
        let notice = mp.fake.settle_refund(&r.out_refund_no, "SUCCESS").unwrap();
        assert_eq!(mp.fake.deliver(&notice).await, 204);
        assert_eq!(mp.fake.deliver(&notice).await, 204);
    }
    let a = mp.login("o-ea").await;
    let b = mp.login("o-eb").await;
    assert_eq!(shop.get(&a, lead).await["status"], "refunded");
    assert_eq!(shop.get(&b, ob).await["status"], "refunded");
    assert_eq!(group_of(&shop, &a, lead).await["status"], "failed");
    shop.sweep().await;
    assert_eq!(mp.fake.pay_refunds().len(), 2, "refunded once");
    assert_eq!(shop.stock(sku).await, 10);
    let c = mp.login("o-ec").await;
    let (s, e) = shop
        .order(&c, body(sku, json!({"group_id": group}), "c"))
        .await;
    assert_eq!(error(s, &e), (409, "group_not_open"), "{e}");
    shop.finish().await;
}
