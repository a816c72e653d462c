//! Settlement: a statement equals the sum of its lines; a closed month never changes and late
//! lines land in the next one; merchants' reports and their CSV; expiry messages.

use babyvax::clock::Clock;
use babyvax::domain::push::QuietHours;
use babyvax::service::commerce::coupons::notices;
use chrono::Duration;
use entity::{coupon_redemptions, push_outbox, settlement_lines};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use super::support::Shop;
use crate::mp::support::error;

/// Redeems one coupon of `template` for a new member with an order of `amount`.
async fn sale(shop: &Shop, template: i64, n: usize, amount: i64) {
    let parent = shop.mp.login(&format!("o-sale-{template}-{n}")).await;
    let coupon = shop.coupon(&parent, template).await;
    let code = shop.fresh_code(&parent, coupon).await;
    let (s, b) = shop
        .redeem(
            &shop.merchant.clerk,
            &code,
            &format!("sale-{template}-{n}"),
            amount,
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

fn statement(list: &Value, merchant: i64) -> &Value {
    list.as_array()
        .and_then(|l| {
            l.iter()
                .find(|s| s["merchant_id"].as_i64() == Some(merchant))
        })
        .unwrap_or(&Value::Null)
}

#[actix_web::test]
async fn the_month_statement_is_the_sum_of_its_redemptions_and_closing_is_final() {
    let shop = Shop::open().await;
    let cash = shop.live_template(json!({})).await;
    let discount = shop
        .live_template(json!({
            "kind": "discount", "amount_fen": null, "threshold_fen": 0,
            "percent_off": 15, "max_off_fen": 2500,
        }))
        .await;
    sale(&shop, cash, 1, 10_000).await; // 2000 off
    sale(&shop, discount, 1, 10_000).await; // 1500 off
    sale(&shop, discount, 2, 50_000).await; // 7500, capped at 2500
    let db = &shop.mp.app.db;
    let redemptions = coupon_redemptions::Entity::find().all(db).await.unwrap();
    let face: i64 = redemptions.iter().map(|r| r.face_value_fen).sum();
    assert_eq!(face, 6000);

    let (s, list) = shop
        .mp
        .get("/admin/v1/settlements?month=2026-03", &shop.ops.token)
        .await;
    assert_eq!(s, 200, "{list}");
    let march = statement(&list, shop.merchant.id);
    // 5 % of each face value: 100 + 75 + 125.
    assert_eq!(
        (
            march["lines"].as_i64(),
            march["face_value_fen"].as_i64(),
            march["commission_fen"].as_i64()
        ),
        (Some(3), Some(face), Some(300)),
        "{march}"
    );
    let (_, lines) = shop
        .mp
        .get(
            &format!(
                "/admin/v1/settlements/lines?merchant_id={}&month=2026-03",
                shop.merchant.id
            ),
            &shop.ops.token,
        )
        .await;
    let summed: i64 = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["commission_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(summed, 300);

    // Close March; a later redemption and a correction land in April.
    let (s, closed) = shop
        .mp
        .post(
            "/admin/v1/settlements/close",
            &shop.ops.token,
            json!({ "month": "2026-03" }),
        )
        .await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(statement(&closed, shop.merchant.id)["status"], "closed");
    let (s, b) = shop
        .mp
        .post(
            "/admin/v1/settlements/close",
            &shop.ops.token,
            json!({ "month": "2026-03" }),
        )
        .await;
    assert_eq!(error(s, &b), (409, "month_already_closed"));
    sale(&shop, cash, 2, 20_000).await;
    let (s, adj) = shop
        .mp
        .post(
            "/admin/v1/settlements/adjustments",
            &shop.ops.token,
            json!({ "merchant_id": shop.merchant.id, "face_value_fen": -2000, "commission_fen": -100, "note": "3月一笔退货" }),
        )
        .await;
    assert_eq!((s, adj["month"].as_str()), (201, Some("2026-04")), "{adj}");
    let (_, after) = shop
        .mp
        .get("/admin/v1/settlements?month=2026-03", &shop.ops.token)
        .await;
    assert_eq!(
        statement(&after, shop.merchant.id),
        statement(&closed, shop.merchant.id)
    );
    let (_, april) = shop
        .mp
        .get("/admin/v1/settlements?month=2026-04", &shop.ops.token)
        .await;
    let april = statement(&april, shop.merchant.id);
    assert_eq!(
        (
            april["lines"].as_i64(),
            april["face_value_fen"].as_i64(),
            april["commission_fen"].as_i64()
        ),
        (Some(2), Some(0), Some(0)),
        "{april}"
    );
    let in_april = settlement_lines::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.month == "2026-04")
        .count();
    assert_eq!(in_april, 2);
    let (s, b) = shop
        .mp
        .get("/admin/v1/settlements?month=2026-3", &shop.ops.token)
        .await;
    assert_eq!(error(s, &b), (400, "invalid_month"));
    let (s, b) = shop
        .mp
        .get(
            "/admin/v1/settlements?month=2026-03",
            &shop.merchant.owner.token,
        )
        .await;
    assert_eq!(error(s, &b), (401, "invalid_token"));
    shop.finish().await;
}

#[actix_web::test]
async fn merchants_see_their_figures_by_day_store_and_template_and_as_csv() {
    let shop = Shop::open().await;
    let cash = shop.live_template(json!({})).await;
    sale(&shop, cash, 1, 10_000).await;
    sale(&shop, cash, 2, 10_000).await;
    let idle = shop.mp.login("o-idle").await;
    shop.coupon(&idle, cash).await;
    let base = "/merchant/v1/reports?from=2026-03-01&to=2026-03-31";
    let (s, r) = shop
        .mp
        .get(&format!("{base}&by=template"), &shop.merchant.owner.token)
        .await;
    assert_eq!(s, 200, "{r}");
    let row = &r["rows"][0];
    assert_eq!(
        (
            row["claims"].as_u64(),
            row["redemptions"].as_u64(),
            row["face_value_fen"].as_i64(),
            row["commission_fen"].as_i64()
        ),
        (Some(3), Some(2), Some(4000), Some(200)),
        "{r}"
    );
    assert!((row["redemption_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let (_, by_day) = shop
        .mp
        .get(&format!("{base}&by=day"), &shop.merchant.owner.token)
        .await;
    assert_eq!(by_day["rows"][0]["key"], "2026-03-10", "{by_day}");
    let (_, by_store) = shop
        .mp
        .get(&format!("{base}&by=store"), &shop.merchant.clerk.token)
        .await;
    assert_eq!(
        by_store["rows"][0]["key"],
        shop.merchant.store_id.to_string()
    );
    assert_eq!(by_store["total"]["redemptions"].as_u64(), Some(2));
    let (s, b) = shop
        .mp
        .get(
            "/merchant/v1/reports?from=2026-03-31&to=2026-03-01&by=day",
            &shop.merchant.owner.token,
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_report_range"));
    let res = shop
        .mp
        .app
        .http
        .get(format!(
            "{}/merchant/v1/reports.csv?from=2026-03-01&to=2026-03-31&by=template",
            shop.mp.app.address
        ))
        .bearer_auth(&shop.merchant.owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].ends_with(
            "key,label,claims,redemptions,redemption_rate,face_value_fen,commission_fen"
        )
    );
    assert_eq!(lines[1], format!("{cash},满100减20,3,2,0.6667,4000,200"));
    assert_eq!(lines[2], "total,total,3,2,0.6667,4000,200");
    shop.finish().await;
}

#[actix_web::test]
async fn parents_are_told_three_days_before_an_unused_coupon_expires_once() {
    let shop = Shop::open().await;
    let id = shop
        .live_template(json!({ "validity": { "type": "relative", "days": 10 } }))
        .await;
    let parent = shop.mp.login("o-expiry").await;
    let coupon = shop.coupon(&parent, id).await;
    let db = &shop.mp.app.db;
    let quiet = QuietHours::default();
    let now = shop.mp.app.clock.now();
    assert_eq!(notices::queue_expiring(db, quiet, now).await.unwrap(), 0);
    let later = now + Duration::days(7);
    assert_eq!(notices::queue_expiring(db, quiet, later).await.unwrap(), 1);
    assert_eq!(notices::queue_expiring(db, quiet, later).await.unwrap(), 0);
    let rows = push_outbox::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].dedup_key, format!("coupon-expiring:{coupon}"));
    assert_eq!(rows[0].member_id, Some(parent.id as i32));
    assert!(rows[0].payload.contains("announcement"));
    shop.finish().await;
}
