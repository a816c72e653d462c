//! Orders: member prices, the breakdown, one transaction for stock + coupon + points, request_id
//! replays, zero payable without WeChat Pay, the timeout cancel (twice, on two instances), a
//! payment after the cancel, shipping, receipt, refunds, and other members' orders.

use chrono::Duration;
use futures_util::future::join_all;
use serde_json::json;

use super::support::{ShopApp, address};
use crate::mp::support::error;

#[actix_web::test]
async fn an_order_is_priced_for_the_tier_with_coupon_and_points_and_paid_once() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-buyer").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    // Without a tier: the price. With premium: the premium member price.
    let (s, p) = mp.get("/api/v1/shop/products?limit=5", &parent.token).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["items"][0]["skus"][0]["your_price_fen"], 10000);
    let membership = shop.pay.order(&parent, "premium_1m", "m1").await;
    assert_eq!(shop.pay.pay(&membership).await, 204);
    let coupon = shop.platform_coupon(&parent, json!({})).await; // 20 yuan off 100
    shop.give_points(&parent, 10_000).await;
    let body = json!({"items": [{"sku_id": sku, "quantity": 2}], "coupon_id": coupon,
                      "points": 5000, "address": address(), "request_id": "r1"});
    let (s, created) = shop.order(&parent, body.clone()).await;
    assert_eq!(s, 201, "{created}");
    // 2 × 80.00 = 160.00; − 20.00 coupon; − 50.00 points (at most half of 140.00) = 90.00.
    assert_eq!(
        created["breakdown"],
        json!({"goods_fen": 16000, "coupon_fen": 2000, "points": 5000, "points_fen": 5000,
               "payable_fen": 9000})
    );
    assert_eq!(created["status"], "pending_payment");
    assert!(created["pay_params"]["paySign"].is_string(), "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(shop.stock(sku).await, 8);
    assert_eq!(shop.coupon_status(coupon).await, "locked");
    assert_eq!(shop.points(&parent).await, 5000);
    assert_eq!(shop.pay_order_of(id).await.amount_fen, 9000);
    // The same request_id answers the same order, holding nothing twice.
    let (s, again) = shop.order(&parent, body).await;
    assert_eq!((s, again["id"].as_i64()), (201, Some(id)), "{again}");
    assert_eq!(shop.stock(sku).await, 8);
    // Too many points: over half of what is left after the coupon.
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": [{"sku_id": sku, "quantity": 1}], "points": 4001,
                   "address": address(), "request_id": "r-too-many"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "points_over_limit"), "{b}");
    // Paid: the coupon is used, points earned once, even when the notification repeats.
    assert_eq!(shop.pay(id).await, 204);
    let po = shop.pay_order_of(id).await;
    let notice = mp
        .fake
        .pay_notice(&po.out_trade_no, babyvax::fake_wechat::Tamper::None)
        .unwrap();
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    let order = shop.get(&parent, id).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(shop.coupon_status(coupon).await, "used");
    let earned = order["points_earned"].as_i64().unwrap();
    assert_eq!(shop.points(&parent).await, 5000 + earned);
    assert_eq!(shop.events(id).await, vec!["created", "paid"]);
    let (s, list) = mp.get("/api/v1/shop/orders", &parent.token).await;
    assert_eq!((s, list.as_array().unwrap().len()), (200, 1), "{list}");
    shop.finish().await;
}

#[actix_web::test]
async fn a_refusal_of_any_part_holds_nothing() {
    let shop = ShopApp::open().await;
    let parent = shop.mp().login("o-half").await;
    let (_, plenty) = shop.on_sale(json!({"title": "体温计"})).await;
    let (_, scarce) = shop
        .on_sale(
            json!({"title": "疫苗本封套", "skus": [{"spec": {}, "price_fen": 3000, "stock": 1}]}),
        )
        .await;
    let coupon = shop.platform_coupon(&parent, json!({})).await;
    shop.give_points(&parent, 1000).await;
    let items = json!([{"sku_id": plenty, "quantity": 1}, {"sku_id": scarce, "quantity": 2}]);
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": items, "coupon_id": coupon, "points": 500, "address": address(),
                   "request_id": "a"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "out_of_stock"), "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains(&format!("SKU {scarce}")),
        "{b}"
    );
    // Not enough points: the stock and the coupon stay.
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": [{"sku_id": plenty, "quantity": 1}], "coupon_id": coupon,
                   "points": 4000, "address": address(), "request_id": "b"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "insufficient_points"), "{b}");
    assert_eq!(
        (shop.stock(plenty).await, shop.stock(scarce).await),
        (10, 1)
    );
    assert_eq!(shop.coupon_status(coupon).await, "unused");
    assert_eq!(shop.points(&parent).await, 1000);
    // Under the coupon's threshold (100 yuan): refused before anything.
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": [{"sku_id": scarce, "quantity": 1}], "coupon_id": coupon,
                   "address": address(), "request_id": "c"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "coupon_unavailable"), "{b}");
    // Someone else's coupon, a draft product, a missing address.
    let other = shop.mp().login("o-other").await;
    let (s, b) = shop
        .order(
            &other,
            json!({"items": [{"sku_id": plenty, "quantity": 1}], "coupon_id": coupon,
                   "address": address()}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "coupon_unavailable"), "{b}");
    let (s, b) = shop
        .order(
            &other,
            json!({"items": [{"sku_id": plenty, "quantity": 1}]}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_order"), "{b}");
    assert_eq!(shop.stock(plenty).await, 10);
    shop.finish().await;
}

#[actix_web::test]
async fn one_coupon_on_parallel_orders_goes_to_exactly_one() {
    let shop = ShopApp::open().await;
    let parent = shop.mp().login("o-race").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let coupon = shop.platform_coupon(&parent, json!({})).await;
    let answers = join_all((0..8).map(|i| {
        shop.order(
            &parent,
            json!({"items": [{"sku_id": sku, "quantity": 1}], "coupon_id": coupon,
                   "address": address(), "request_id": format!("tap-{i}")}),
        )
    }))
    .await;
    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| error(*s, b) == (409, "coupon_unavailable"))
        .count();
    assert_eq!((won, refused), (1, 7), "{answers:?}");
    assert_eq!(shop.stock(sku).await, 9);
    assert_eq!(shop.coupon_status(coupon).await, "locked");
    shop.finish().await;
}

#[actix_web::test]
async fn a_coupon_worth_more_than_the_goods_pays_zero_without_wechat_pay() {
    let shop = ShopApp::open().await;
    let parent = shop.mp().login("o-free").await;
    let (_, sku) = shop
        .on_sale(json!({"skus": [{"spec": {}, "price_fen": 3000, "stock": 5}]}))
        .await;
    let coupon = shop
        .platform_coupon(&parent, json!({"amount_fen": 5000, "threshold_fen": 0}))
        .await;
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": [{"sku_id": sku, "quantity": 1}], "coupon_id": coupon,
                   "address": address(), "request_id": "free"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["status"], "paid");
    assert_eq!(b["pay_params"], serde_json::Value::Null);
    assert_eq!(
        b["breakdown"],
        json!({"goods_fen": 3000, "coupon_fen": 3000, "points": 0, "points_fen": 0,
               "payable_fen": 0})
    );
    let pay_orders = entity::pay_orders::Entity::find()
        .all(&shop.mp().app.db)
        .await
        .unwrap();
    assert!(pay_orders.is_empty(), "no WeChat Pay order: {pay_orders:?}");
    assert_eq!(shop.coupon_status(coupon).await, "used");
    shop.finish().await;
}

use sea_orm::EntityTrait;

#[actix_web::test]
async fn the_timeout_cancel_gives_back_once_even_run_twice_on_two_instances() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-slow").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let coupon = shop.platform_coupon(&parent, json!({})).await;
    shop.give_points(&parent, 2000).await;
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": [{"sku_id": sku, "quantity": 3}], "coupon_id": coupon,
                   "points": 2000, "address": address(), "request_id": "slow"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_i64().unwrap();
    assert_eq!((shop.stock(sku).await, shop.points(&parent).await), (7, 0));
    mp.app.clock.advance(Duration::minutes(29));
    assert_eq!(shop.sweep().await.cancelled, 0);
    mp.app.clock.advance(Duration::minutes(2));
    // Two instances (two connection pools) and two passes at once.
    let other = mp.app.database.connect().await;
    let clock: babyvax::clock::SharedClock = mp.app.clock.clone();
    let pay = shop.pay.pay_client();
    let passes = join_all([
        babyvax::jobs::shop::run_once(&mp.app.db, Some(&pay), &clock),
        babyvax::jobs::shop::run_once(&other, Some(&pay), &clock),
        babyvax::jobs::shop::run_once(&mp.app.db, Some(&pay), &clock),
    ])
    .await;
    let cancelled: u32 = passes.iter().map(|p| p.as_ref().unwrap().cancelled).sum();
    assert_eq!(cancelled, 1, "{passes:?}");
    assert_eq!(shop.sweep().await.cancelled, 0);
    assert_eq!(shop.stock(sku).await, 10);
    assert_eq!(shop.coupon_status(coupon).await, "unused");
    assert_eq!(shop.points(&parent).await, 2000);
    assert_eq!(shop.events(id).await, vec!["created", "cancelled"]);
    let po = shop.pay_order_of(id).await;
    assert_eq!(po.state, "closed");
    // The parent paid anyway: refunded automatically, the order stays cancelled.
    mp.fake.mark_paid(&po.out_trade_no).unwrap();
    let notice = mp
        .fake
        .pay_notice(&po.out_trade_no, babyvax::fake_wechat::Tamper::None)
        .unwrap();
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    let refunds = mp.fake.pay_refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].refund, po.amount_fen);
    assert_eq!(shop.get(&parent, id).await["status"], "cancelled");
    assert_eq!(shop.stock(sku).await, 10);
    // The parent's own cancel of a cancelled order changes nothing.
    let (s, b) = mp
        .post(
            &format!("/api/v1/shop/orders/{id}/cancel"),
            &parent.token,
            json!({}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("cancelled")), "{b}");
    assert_eq!(shop.points(&parent).await, 2000);
    shop.finish().await;
}

#[actix_web::test]
async fn the_parent_cancels_an_unpaid_order_and_a_paid_one_cannot_be_cancelled() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-cancel").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let a = shop.buy(&parent, sku, 2, "a").await["id"].as_i64().unwrap();
    let (s, b) = mp
        .post(
            &format!("/api/v1/shop/orders/{a}/cancel"),
            &parent.token,
            json!({}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("cancelled")), "{b}");
    assert_eq!(shop.stock(sku).await, 10);
    assert_eq!(shop.pay_order_of(a).await.state, "closed");
    let b_id = shop.buy(&parent, sku, 1, "b").await["id"].as_i64().unwrap();
    assert_eq!(shop.pay(b_id).await, 204);
    let (s, b) = mp
        .post(
            &format!("/api/v1/shop/orders/{b_id}/cancel"),
            &parent.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "order_state_conflict"), "{b}");
    assert_eq!(shop.stock(sku).await, 9);
    shop.finish().await;
}

#[actix_web::test]
async fn another_members_order_is_404_on_every_order_route() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let owner = mp.login("o-owner").await;
    let stranger = mp.login("o-stranger").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let id = shop.buy(&owner, sku, 1, "mine").await["id"]
        .as_i64()
        .unwrap();
    let (s, b) = mp
        .get(&format!("/api/v1/shop/orders/{id}"), &stranger.token)
        .await;
    assert_eq!(error(s, &b), (404, "shop_order_not_found"));
    for action in ["cancel", "receive"] {
        let (s, b) = mp
            .post(
                &format!("/api/v1/shop/orders/{id}/{action}"),
                &stranger.token,
                json!({}),
            )
            .await;
        assert_eq!(error(s, &b), (404, "shop_order_not_found"), "{action}");
    }
    let (s, b) = mp
        .post(
            &format!("/api/v1/shop/orders/{id}/refund-request"),
            &stranger.token,
            json!({"reason": "not mine"}),
        )
        .await;
    assert_eq!(error(s, &b), (404, "shop_order_not_found"));
    let (s, list) = mp.get("/api/v1/shop/orders", &stranger.token).await;
    assert_eq!((s, list), (200, json!([])));
    // Untouched.
    assert_eq!(shop.get(&owner, id).await["status"], "pending_payment");
    shop.finish().await;
}

#[actix_web::test]
async fn shipped_orders_confirm_after_ten_days_and_refunds_follow_the_rule() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-refund").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let coupon = shop.platform_coupon(&parent, json!({})).await;
    shop.give_points(&parent, 1000).await;
    let (s, b) = shop
        .order(
            &parent,
            json!({"items": [{"sku_id": sku, "quantity": 2}], "coupon_id": coupon,
                   "points": 1000, "address": address(), "request_id": "ship"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_i64().unwrap();
    assert_eq!(shop.pay(id).await, 204);
    let earned = shop.order_row(id).await.points_earned;
    let (s, b) = mp
        .post(
            &format!("/admin/v1/shop/orders/{id}/ship"),
            &shop.ops.token,
            json!({"tracking_no": "SF1234567890"}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("shipped")), "{b}");
    mp.app
        .clock
        .advance(Duration::days(10) + Duration::minutes(1));
    assert_eq!(shop.sweep().await.confirmed, 1);
    assert_eq!(shop.sweep().await.confirmed, 0);
    // Tokens last a day: log in again.
    let parent = mp.login("o-refund").await;
    let ops = crate::points::support::relogin(mp, &shop.ops, "shop.ops").await;
    assert_eq!(shop.get(&parent, id).await["status"], "received");
    // A refund request, refused with a reason, then asked again and approved.
    let path = format!("/api/v1/shop/orders/{id}/refund-request");
    let (s, b) = mp
        .post(&path, &parent.token, json!({"reason": "尺码不合适"}))
        .await;
    assert_eq!(
        (s, b["status"].as_str()),
        (200, Some("refund_requested")),
        "{b}"
    );
    let (s, b) = mp
        .post(
            &format!("/admin/v1/shop/orders/{id}/refund/refuse"),
            &ops.token,
            json!({"reason": "已超过退货期"}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("received")), "{b}");
    assert_eq!(b["refuse_reason"], "已超过退货期");
    let (s, _) = mp
        .post(&path, &parent.token, json!({"reason": "质量问题"}))
        .await;
    assert_eq!(s, 200);
    let (s, b) = mp
        .post(
            &format!("/admin/v1/shop/orders/{id}/refund/approve"),
            &ops.token,
            json!({}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("refunding")), "{b}");
    let refunds = mp.fake.pay_refunds();
    assert_eq!(refunds.len(), 1);
    let notice = mp
        .fake
        .settle_refund(&refunds[0].out_refund_no, "SUCCESS")
        .unwrap();
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    assert_eq!(shop.get(&parent, id).await["status"], "refunded");
    // Shipped: the stock stays out; the coupon and the points paid with come back; the points
    // the purchase earned are taken back.
    assert_eq!(shop.stock(sku).await, 8);
    assert_eq!(shop.coupon_status(coupon).await, "unused");
    assert_eq!(shop.points(&parent).await, 1000 + earned - earned);
    let kinds = shop.events(id).await;
    assert_eq!(
        kinds,
        vec![
            "created",
            "paid",
            "shipped",
            "received",
            "refund_requested",
            "refund_refused",
            "refund_requested",
            "refunding",
            "refunded"
        ]
    );
    // Operators' writes are audited.
    let audited: Vec<String> = entity::audit_log::Entity::find()
        .all(&mp.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a.starts_with("shop_order."))
        .collect();
    assert_eq!(
        audited,
        vec![
            "shop_order.ship",
            "shop_order.refund_refuse",
            "shop_order.refund_approve"
        ]
    );
    shop.finish().await;
}

#[actix_web::test]
async fn a_refund_before_shipping_returns_the_stock() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-early").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let id = shop.buy(&parent, sku, 4, "early").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(shop.pay(id).await, 204);
    assert_eq!(shop.stock(sku).await, 6);
    let (s, _) = mp
        .post(
            &format!("/api/v1/shop/orders/{id}/refund-request"),
            &parent.token,
            json!({"reason": "买错了"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = mp
        .post(
            &format!("/admin/v1/shop/orders/{id}/ship"),
            &shop.ops.token,
            json!({"tracking_no": "SF1"}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "order_state_conflict"), "{b}");
    let (s, _) = mp
        .post(
            &format!("/admin/v1/shop/orders/{id}/refund/approve"),
            &shop.ops.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let r = &mp.fake.pay_refunds()[0];
    let notice = mp.fake.settle_refund(&r.out_refund_no, "SUCCESS").unwrap();
    assert_eq!(mp.fake.deliver(&notice).await, 204);
    assert_eq!(shop.get(&parent, id).await["status"], "refunded");
    assert_eq!(shop.stock(sku).await, 10);
    shop.finish().await;
}

#[actix_web::test]
async fn the_export_holds_shop_orders_and_erasure_anonymises_them() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-private").await;
    let (_, sku) = shop.on_sale(json!({})).await;
    let id = shop.buy(&parent, sku, 1, "p").await["id"].as_i64().unwrap();
    assert_eq!(shop.pay(id).await, 204);
    let (s, export) = mp.get("/api/v1/me/export", &parent.token).await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(export["shop_orders"][0]["id"], id);
    assert_eq!(export["shop_orders"][0]["address"]["phone"], "13800000000");
    let (s, body) = mp.delete("/api/v1/me", &parent.token).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["erased"]["shop_orders_anonymised"], 1);
    let row = shop.order_row(id).await;
    assert_eq!((row.member_id, row.address), (None, None));
    assert_eq!(row.payable_fen, 10000, "the amounts stay for the accounts");
    shop.finish().await;
}

#[actix_web::test]
async fn a_price_change_after_the_order_leaves_its_payable_and_payment_alone() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-price").await;
    let (product, sku) = shop.on_sale(json!({})).await;
    let id = shop.buy(&parent, sku, 1, "p").await["id"].as_i64().unwrap();
    let mut edit = super::support::product(shop.category, json!({}));
    edit["skus"] = json!([{"id": sku, "spec": {}, "price_fen": 15000}]);
    let (s, b) = mp
        .put(
            &format!("/admin/v1/shop/products/{product}"),
            &shop.ops.token,
            edit,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // The order keeps the price it was made with; WeChat Pay is asked for that amount.
    let order = shop.get(&parent, id).await;
    assert_eq!(
        (
            order["payable_fen"].as_i64(),
            order["items"][0]["unit_fen"].as_i64()
        ),
        (Some(10000), Some(10000))
    );
    assert_eq!(shop.pay_order_of(id).await.amount_fen, 10000);
    assert_eq!(shop.pay(id).await, 204);
    assert_eq!(shop.get(&parent, id).await["status"], "paid");
    // A new order pays the new price.
    let again = shop.buy(&parent, sku, 1, "q").await;
    assert_eq!(again["payable_fen"], 15000);
    shop.finish().await;
}
