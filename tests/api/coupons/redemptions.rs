//! The counter: exactly one redemption per coupon under parallel scans, codes bound to their
//! coupon and merchant, expiring after 60 seconds and replaced by newer ones.

use chrono::Duration;
use entity::{coupon_redemptions, coupons, push_outbox, settlement_lines};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use super::support::{Shop, onboard, staff};
use crate::admin::support::{Door, PASSWORD, Staff, login};
use crate::mp::support::error;

async fn coupon_status(shop: &Shop, coupon: i64) -> String {
    coupons::Entity::find_by_id(coupon)
        .one(&shop.mp.app.db)
        .await
        .unwrap()
        .unwrap()
        .status
}

#[actix_web::test]
async fn ten_parallel_redemptions_of_one_code_by_two_clerks_redeem_once() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({})).await;
    let parent = shop.mp.login("o-once").await;
    let coupon = shop.coupon(&parent, id).await;
    let code = shop.fresh_code(&parent, coupon).await;
    let second = staff(
        &shop.mp,
        &shop.ops,
        shop.merchant.id,
        "bei.clerk2",
        "clerk",
        Some(shop.merchant.store_id),
    )
    .await;
    let clerks = [&shop.merchant.clerk, &second];
    let answers = futures_util::future::join_all((0..10).map(|i| {
        let (shop, code, clerk) = (&shop, &code, clerks[i % 2]);
        async move { shop.redeem(clerk, code, &format!("scan-{i}"), 12_000).await }
    }))
    .await;
    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 409 || error(*s, b) == (404, "code_not_found"))
        .count();
    assert_eq!((won, refused), (1, 9), "{answers:?}");
    assert_eq!(coupon_status(&shop, coupon).await, "used");
    let db = &shop.mp.app.db;
    assert_eq!(
        coupon_redemptions::Entity::find().count(db).await.unwrap(),
        1
    );
    assert_eq!(settlement_lines::Entity::find().count(db).await.unwrap(), 1);
    // The parent is told, once.
    let told: Vec<_> = push_outbox::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.dedup_key == format!("coupon-used:{coupon}"))
        .collect();
    assert_eq!(told.len(), 1);
    shop.finish().await;
}

#[actix_web::test]
async fn another_merchants_clerk_finds_no_such_code_and_the_coupon_stays_unused() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({})).await;
    let parent = shop.mp.login("o-cross").await;
    let coupon = shop.coupon(&parent, id).await;
    let code = shop.fresh_code(&parent, coupon).await;
    let other = onboard(&shop.mp, &shop.ops, "rival", 100).await;
    for staff in [&other.clerk, &other.owner] {
        let (s, b) = shop.redeem(staff, &code, "steal", 12_000).await;
        assert_eq!(error(s, &b), (404, "code_not_found"));
        let (s, b) = shop
            .mp
            .post(
                "/merchant/v1/redemptions/preview",
                &staff.token,
                json!({ "code": code }),
            )
            .await;
        assert_eq!(error(s, &b), (404, "code_not_found"));
    }
    assert_eq!(coupon_status(&shop, coupon).await, "unused");
    // The right merchant's owner (no store) previews and redeems it.
    let (s, p) = shop
        .mp
        .post(
            "/merchant/v1/redemptions/preview",
            &shop.merchant.owner.token,
            json!({ "code": code }),
        )
        .await;
    assert_eq!((s, p["coupon_id"].as_i64()), (200, Some(coupon)), "{p}");
    assert_eq!(p["member"], "微信用户");
    assert_eq!(coupon_status(&shop, coupon).await, "unused");
    let (s, r) = shop
        .redeem(&shop.merchant.owner, &code, "mine", 12_000)
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["store_id"], serde_json::Value::Null);
    shop.finish().await;
}

#[actix_web::test]
async fn expired_reused_replaced_codes_and_expired_coupons_are_refused() {
    let shop = Shop::open().await;
    let clerk = &shop.merchant.clerk;
    let id = shop.live_template(json!({ "per_member_limit": 3 })).await;
    let parent = shop.mp.login("o-codes").await;
    let coupon = shop.coupon(&parent, id).await;

    // Expired: 61 seconds later.
    let (s, c) = shop.code(&parent, coupon).await;
    assert_eq!(s, 201, "{c}");
    let code = c["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 20);
    let issued: chrono::DateTime<chrono::Utc> = c["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(issued, shop.mp.now() + Duration::seconds(60));
    shop.mp.app.clock.advance(Duration::seconds(61));
    let (s, b) = shop.redeem(clerk, &code, "late", 12_000).await;
    assert_eq!(error(s, &b), (410, "code_expired"));

    // Replaced: asking again invalidates the previous code.
    let first = shop.fresh_code(&parent, coupon).await;
    let second = shop.fresh_code(&parent, coupon).await;
    assert_ne!(first, second);
    let (s, b) = shop.redeem(clerk, &first, "old", 12_000).await;
    assert_eq!(error(s, &b), (410, "code_expired"));
    let (s, b) = shop
        .redeem(clerk, "00000000000000000000", "guess", 12_000)
        .await;
    assert_eq!(error(s, &b), (404, "code_not_found"));
    // Below the threshold: refused, nothing used.
    let (s, b) = shop.redeem(clerk, &second, "small", 9_999).await;
    assert_eq!(error(s, &b), (422, "below_threshold"));
    let (s, r) = shop.redeem(clerk, &second, "ok", 10_000).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (
            r["face_value_fen"].as_i64(),
            r["store_id"].as_i64(),
            r["staff_id"].as_i64()
        ),
        (
            Some(2000),
            Some(shop.merchant.store_id),
            Some(i64::from(clerk.id))
        )
    );
    // The same request again: the same redemption; the code again: already redeemed.
    let (s, again) = shop.redeem(clerk, &second, "ok", 10_000).await;
    assert_eq!((s, again["id"].as_i64()), (201, r["id"].as_i64()));
    let (s, b) = shop.redeem(clerk, &second, "reuse", 10_000).await;
    assert_eq!(error(s, &b), (409, "already_redeemed"));
    let (s, b) = shop.code(&parent, coupon).await;
    assert_eq!(error(s, &b), (409, "coupon_used"));
    let (s, b) = shop.code(&parent, 424_242).await;
    assert_eq!(error(s, &b), (404, "coupon_not_found"));

    // An expired coupon: its code was fine a moment before the validity ended.
    let ending = shop
        .live_template(json!({
            "validity": { "type": "fixed", "from": "2026-03-01", "to": "2026-03-10" },
        }))
        .await;
    let coupon = shop.coupon(&parent, ending).await;
    // 23:59:30 in Shanghai on the last day.
    shop.mp
        .app
        .clock
        .set("2026-03-10T15:59:30Z".parse().unwrap());
    let code = shop.fresh_code(&parent, coupon).await;
    shop.mp.app.clock.advance(Duration::seconds(31));
    // Staff tokens last 12 hours: the clerk logs in again for the evening.
    let (s, l) = login(&shop.mp, Door::Merchant, "bei.clerk", PASSWORD).await;
    assert_eq!(s, 200, "{l}");
    let clerk = Staff {
        id: clerk.id,
        token: l["token"].as_str().unwrap().to_owned(),
    };
    let (s, b) = shop.redeem(&clerk, &code, "too-late", 12_000).await;
    assert_eq!(error(s, &b), (409, "coupon_expired"));
    assert_eq!(coupon_status(&shop, coupon).await, "unused");
    shop.finish().await;
}

#[actix_web::test]
async fn an_erased_member_leaves_the_merchants_figures_but_no_link_to_them() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "per_member_limit": 2 })).await;
    let parent = shop.mp.login("o-erase").await;
    let used = shop.coupon(&parent, id).await;
    let code = shop.fresh_code(&parent, used).await;
    let (s, _) = shop
        .redeem(&shop.merchant.clerk, &code, "before", 12_000)
        .await;
    assert_eq!(s, 201);
    let (s, c) = shop.claim(&parent, id, "second").await;
    assert_eq!(s, 201, "{c}");
    let pending = shop.fresh_code(&parent, c["id"].as_i64().unwrap()).await;

    let (s, export) = shop.mp.get("/api/v1/me/export", &parent.token).await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(
        export["coupons"].as_array().map(Vec::len),
        Some(2),
        "{export}"
    );
    let (s, erased) = shop.mp.delete("/api/v1/me", &parent.token).await;
    assert_eq!(s, 200, "{erased}");
    assert_eq!(erased["erased"]["coupons_unattributed"], 2);
    assert_eq!(erased["erased"]["coupon_codes"], 2);
    let db = &shop.mp.app.db;
    let rows = coupons::Entity::find().all(db).await.unwrap();
    assert!(rows.iter().all(|c| c.member_id.is_none()));
    assert_eq!(
        coupon_redemptions::Entity::find().count(db).await.unwrap(),
        1
    );
    // The unused coupon's code died with the link.
    let (s, b) = shop
        .redeem(&shop.merchant.clerk, &pending, "after", 12_000)
        .await;
    assert_eq!(error(s, &b), (404, "code_not_found"));
    shop.finish().await;
}
