//! Templates: field-level validation, the approval flow and who may do what, stock, suspension.

use serde_json::json;

use super::support::{Shop, onboard, template};
use crate::admin::support::operator;
use crate::mp::support::error;

#[actix_web::test]
async fn a_merchant_template_goes_live_only_through_an_operators_approval() {
    let shop = Shop::open().await;
    let mp = &shop.mp;
    let m = &shop.merchant;

    // A clerk cannot create templates; an owner creates a draft.
    let (s, b) = mp
        .post(
            "/merchant/v1/coupon-templates",
            &m.clerk.token,
            template(json!({})),
        )
        .await;
    assert_eq!(error(s, &b), (403, "role_forbidden"));
    let (s, t) = mp
        .post(
            "/merchant/v1/coupon-templates",
            &m.owner.token,
            template(json!({})),
        )
        .await;
    assert_eq!((s, t["status"].as_str()), (201, Some("draft")), "{t}");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(
        (t["remaining"].as_i64(), t["claimed"].as_i64()),
        (Some(100), Some(0))
    );

    // Not approvable as a draft; a merchant's token is no key to the admin door; a clerk
    // cannot submit.
    let approve = format!("/admin/v1/coupon-templates/{id}/approve");
    let (s, b) = mp.post(&approve, &shop.ops.token, json!({})).await;
    assert_eq!(error(s, &b), (409, "template_state_conflict"));
    let (s, b) = mp.post(&approve, &m.owner.token, json!({})).await;
    assert_eq!(error(s, &b), (401, "invalid_token"));
    let submit = format!("/merchant/v1/coupon-templates/{id}/submit");
    let (s, b) = mp.post(&submit, &m.clerk.token, json!({})).await;
    assert_eq!(error(s, &b), (403, "role_forbidden"));

    // Nobody can claim it before it is live.
    let parent = mp.login("o-parent").await;
    let (s, b) = shop.claim(&parent, id, "early").await;
    assert_eq!(error(s, &b), (404, "coupon_template_not_found"));

    let (s, t) = mp.post(&submit, &m.owner.token, json!({})).await;
    assert_eq!((s, t["status"].as_str()), (200, Some("pending")));
    // An analyst reads but does not approve; an operator rejects with a reason.
    let analyst = operator(mp, "ana.lyst", "analyst").await;
    let (s, b) = mp.post(&approve, &analyst.token, json!({})).await;
    assert_eq!(error(s, &b), (403, "role_forbidden"));
    let reject = format!("/admin/v1/coupon-templates/{id}/reject");
    let (s, b) = mp
        .post(&reject, &shop.ops.token, json!({ "reason": " " }))
        .await;
    assert_eq!(error(s, &b), (400, "invalid_reject_reason"));
    let (s, t) = mp
        .post(&reject, &shop.ops.token, json!({ "reason": "门槛写错了" }))
        .await;
    assert_eq!((s, t["status"].as_str()), (200, Some("rejected")));
    assert_eq!(t["reject_reason"], "门槛写错了");
    // Edited (only while rejected or a draft), submitted again, then approved.
    let edit = format!("/merchant/v1/coupon-templates/{id}");
    let (s, b) = mp
        .put(
            &edit,
            &m.owner.token,
            template(json!({ "threshold_fen": 5 })),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_threshold_fen"));
    let (s, b) = mp
        .put(
            &edit,
            &m.clerk.token,
            template(json!({ "threshold_fen": 0 })),
        )
        .await;
    assert_eq!(error(s, &b), (403, "role_forbidden"));
    let (s, t) = mp
        .put(
            &edit,
            &m.owner.token,
            template(json!({ "threshold_fen": 0 })),
        )
        .await;
    assert_eq!((s, t["threshold_fen"].as_i64()), (200, Some(0)), "{t}");
    let (s, _) = mp.post(&submit, &m.owner.token, json!({})).await;
    assert_eq!(s, 200);
    let (s, t) = mp.post(&approve, &shop.ops.token, json!({})).await;
    assert_eq!((s, t["status"].as_str()), (200, Some("live")), "{t}");
    let (s, b) = mp
        .put(&edit, &m.owner.token, template(json!({ "amount_fen": 1 })))
        .await;
    assert_eq!(error(s, &b), (409, "template_state_conflict"));

    // Another merchant's owner does not see it, and cannot pause it.
    let other = onboard(mp, &shop.ops, "other", 300).await;
    let (s, b) = mp
        .get(
            &format!("/merchant/v1/coupon-templates/{id}"),
            &other.owner.token,
        )
        .await;
    assert_eq!(error(s, &b), (404, "coupon_template_not_found"));
    let (s, b) = mp
        .post(
            &format!("/merchant/v1/coupon-templates/{id}/pause"),
            &other.owner.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &b), (404, "coupon_template_not_found"));

    // Paused: not claimable; resumed: claimable; ended: for good.
    let pause = format!("/merchant/v1/coupon-templates/{id}/pause");
    let (s, _) = mp.post(&pause, &m.owner.token, json!({})).await;
    assert_eq!(s, 200);
    let (s, b) = shop.claim(&parent, id, "while-paused").await;
    assert_eq!(error(s, &b), (409, "not_claimable"));
    let (s, _) = mp
        .post(
            &format!("/merchant/v1/coupon-templates/{id}/resume"),
            &m.owner.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = shop.claim(&parent, id, "resumed").await;
    assert_eq!(s, 201, "{b}");
    let (s, _) = mp
        .post(
            &format!("/admin/v1/coupon-templates/{id}/end"),
            &shop.ops.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = mp
        .post(
            &format!("/merchant/v1/coupon-templates/{id}/resume"),
            &m.owner.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "template_state_conflict"));
    shop.finish().await;
}

#[actix_web::test]
async fn every_broken_rule_answers_its_fields_code() {
    let shop = Shop::open().await;
    let cases = [
        (json!({ "title": "" }), "invalid_title"),
        (json!({ "kind": "voucher" }), "invalid_coupon_kind"),
        (json!({ "amount_fen": 0 }), "invalid_amount_fen"),
        (json!({ "amount_fen": -5 }), "invalid_amount_fen"),
        (json!({ "threshold_fen": 1999 }), "invalid_threshold_fen"),
        (json!({ "percent_off": 10 }), "invalid_percent_off"),
        (
            json!({ "kind": "discount", "amount_fen": null, "percent_off": 0 }),
            "invalid_percent_off",
        ),
        (
            json!({ "kind": "discount", "amount_fen": null, "percent_off": 100 }),
            "invalid_percent_off",
        ),
        (
            json!({ "validity": { "type": "fixed", "from": "2026-03-20", "to": "2026-03-19" } }),
            "invalid_validity",
        ),
        (
            json!({ "validity": { "type": "relative", "days": 0 } }),
            "invalid_validity",
        ),
        (json!({ "total_stock": 0 }), "invalid_total_stock"),
        (json!({ "per_member_limit": 0 }), "invalid_per_member_limit"),
        (
            json!({ "claim_from": "2026-04-01T00:00:00Z", "claim_to": "2026-03-01T00:00:00Z" }),
            "invalid_claim_window",
        ),
        (
            json!({ "baby_age_days": { "min": 30, "max": 29 } }),
            "invalid_age_band",
        ),
        (json!({ "cities": [] }), "invalid_cities"),
        (json!({ "points_cost": -1 }), "invalid_points_cost"),
    ];
    for (change, code) in cases {
        let (s, b) = shop
            .mp
            .post(
                "/merchant/v1/coupon-templates",
                &shop.merchant.owner.token,
                template(change.clone()),
            )
            .await;
        assert_eq!(error(s, &b), (400, code), "{change}");
    }
    // 无门槛 (no minimum) and a discount with a cap are fine.
    for ok in [
        json!({ "threshold_fen": 0 }),
        json!({ "kind": "discount", "amount_fen": null, "percent_off": 12, "max_off_fen": 3000 }),
        json!({ "kind": "gift", "threshold_fen": 0 }),
    ] {
        let (s, b) = shop
            .mp
            .post(
                "/merchant/v1/coupon-templates",
                &shop.merchant.owner.token,
                template(ok),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    shop.finish().await;
}

#[actix_web::test]
async fn operators_change_stock_but_never_below_what_was_claimed() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "total_stock": 3 })).await;
    for i in 0..2 {
        let parent = shop.mp.login(&format!("o-s{i}")).await;
        shop.coupon(&parent, id).await;
    }
    let stock = format!("/admin/v1/coupon-templates/{id}/stock");
    let (s, b) = shop
        .mp
        .post(&stock, &shop.ops.token, json!({ "add": -2 }))
        .await;
    assert_eq!(error(s, &b), (409, "stock_below_claimed"));
    let (s, t) = shop
        .mp
        .post(&stock, &shop.ops.token, json!({ "add": -1 }))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        (
            t["total_stock"].as_i64(),
            t["claimed"].as_i64(),
            t["remaining"].as_i64()
        ),
        (Some(2), Some(2), Some(0))
    );
    let (s, t) = shop
        .mp
        .post(&stock, &shop.ops.token, json!({ "add": 5 }))
        .await;
    assert_eq!((s, t["remaining"].as_i64()), (200, Some(5)), "{t}");
    let (s, b) = shop
        .mp
        .post(&stock, &shop.merchant.owner.token, json!({ "add": 5 }))
        .await;
    assert_eq!(error(s, &b), (401, "invalid_token"));
    shop.finish().await;
}

#[actix_web::test]
async fn a_suspended_merchants_coupons_stop_being_claimable_but_stay_redeemable() {
    let shop = Shop::open().await;
    let id = shop.live_template(json!({ "per_member_limit": 2 })).await;
    let parent = shop.mp.login("o-susp").await;
    let coupon = shop.coupon(&parent, id).await;
    let status = format!("/admin/v1/merchants/{}/status", shop.merchant.id);
    let (s, m) = shop
        .mp
        .post(&status, &shop.ops.token, json!({ "suspended": true }))
        .await;
    assert_eq!((s, m["status"].as_str()), (200, Some("suspended")), "{m}");
    let (s, b) = shop.claim(&parent, id, "second").await;
    assert_eq!(error(s, &b), (409, "not_claimable"));
    let (_, list) = shop
        .mp
        .get("/api/v1/coupons/available", &parent.token)
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");

    // Unused coupons stay redeemable, until an operator blocks redemptions too.
    let code = shop.fresh_code(&parent, coupon).await;
    let (s, b) = shop
        .mp
        .post(
            &status,
            &shop.ops.token,
            json!({ "suspended": true, "block_redemptions": true }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = shop.redeem(&shop.merchant.clerk, &code, "r1", 10_000).await;
    assert_eq!(error(s, &b), (409, "redemptions_blocked"));
    let (s, _) = shop
        .mp
        .post(&status, &shop.ops.token, json!({ "suspended": true }))
        .await;
    assert_eq!(s, 200);
    let (s, b) = shop.redeem(&shop.merchant.clerk, &code, "r1", 10_000).await;
    assert_eq!(s, 201, "{b}");
    shop.finish().await;
}
