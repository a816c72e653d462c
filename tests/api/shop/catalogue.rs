//! The catalogue: validation, drafts hidden from parents, publish/unpublish, audited edits and
//! compare-and-set stock changes, the listing (the baby's age band first, cursor pages) and
//! recommendations with their reasons.

use serde_json::{Value, json};

use super::support::{ShopApp, product};
use crate::mp::support::error;

#[actix_web::test]
async fn operators_make_validated_drafts_publish_them_and_edits_are_audited() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.login("o-look").await;
    let bad = [
        json!({"skus": [{"spec": {}, "price_fen": 0, "stock": 1}]}),
        json!({"skus": [{"spec": {}, "price_fen": 100, "member_prices": {"basic": 101}, "stock": 1}]}),
        json!({"skus": [{"spec": {}, "price_fen": 100, "stock": -1}]}),
        json!({"skus": []}),
        json!({"title": ""}),
        json!({"baby_age_days": {"min": 200, "max": 100}}),
        json!({"images": ["http://not-https.example/a.jpg"]}),
    ];
    for body in bad {
        let (s, b) = mp
            .post(
                "/admin/v1/shop/products",
                &shop.ops.token,
                product(shop.category, body.clone()),
            )
            .await;
        assert_eq!(error(s, &b), (400, "invalid_product"), "{body} → {b}");
    }
    let (s, b) = mp
        .post(
            "/admin/v1/shop/products",
            &shop.ops.token,
            product(99, json!({})),
        )
        .await;
    assert_eq!(error(s, &b), (404, "category_not_found"), "{b}");
    let (s, draft) = mp
        .post(
            "/admin/v1/shop/products",
            &shop.ops.token,
            product(shop.category, json!({})),
        )
        .await;
    assert_eq!(s, 201, "{draft}");
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_i64().unwrap();
    let sku = draft["skus"][0]["id"].as_i64().unwrap();
    // A draft is not for parents.
    let (s, b) = mp
        .get(&format!("/api/v1/shop/products/{id}"), &parent.token)
        .await;
    assert_eq!(error(s, &b), (404, "product_not_found"));
    let (s, b) = mp
        .post("/api/v1/shop/orders", &parent.token, json!({"items": [{"sku_id": sku, "quantity": 1}], "address": super::support::address()}))
        .await;
    assert_eq!(error(s, &b), (409, "sku_unavailable"), "{b}");
    let publish = format!("/admin/v1/shop/products/{id}/publish");
    let (s, b) = mp.post(&publish, &shop.ops.token, json!({})).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("on_sale")), "{b}");
    let (s, b) = mp.post(&publish, &shop.ops.token, json!({})).await;
    assert_eq!(error(s, &b), (409, "product_state_conflict"));
    let (s, b) = mp
        .get(&format!("/api/v1/shop/products/{id}"), &parent.token)
        .await;
    assert_eq!(
        (s, b["skus"][0]["your_price_fen"].as_i64()),
        (200, Some(10000)),
        "{b}"
    );
    // An edit: a new price, a new SKU; an existing SKU's stock is not edited here.
    let mut edit = product(shop.category, json!({"title": "接种后护理包（升级）"}));
    edit["skus"] = json!([{"id": sku, "spec": {"size": "L"}, "price_fen": 12000},
                          {"spec": {"size": "XL"}, "price_fen": 13000, "stock": 3}]);
    let (s, b) = mp
        .put(
            &format!("/admin/v1/shop/products/{id}"),
            &shop.ops.token,
            edit.clone(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["skus"].as_array().unwrap().len(), 2);
    assert_eq!(b["skus"][0]["price_fen"], 12000);
    assert_eq!(b["skus"][0]["stock"], 10);
    edit["skus"] = json!([{"id": sku, "spec": {}, "price_fen": 12000, "stock": 99}]);
    let (s, b) = mp
        .put(
            &format!("/admin/v1/shop/products/{id}"),
            &shop.ops.token,
            edit,
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_product"), "{b}");
    // Stock: compare-and-set against what the operator read.
    let stock = format!("/admin/v1/shop/skus/{sku}/stock");
    let (s, b) = mp
        .put(
            &stock,
            &shop.ops.token,
            json!({"stock": 50, "expected_stock": 9}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "stock_changed"), "{b}");
    let (s, b) = mp
        .put(
            &stock,
            &shop.ops.token,
            json!({"stock": 50, "expected_stock": 10}),
        )
        .await;
    assert_eq!((s, b["stock"].as_i64()), (200, Some(50)), "{b}");
    let (s, b) = mp
        .put(
            &stock,
            &shop.ops.token,
            json!({"stock": -1, "expected_stock": 50}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_product"), "{b}");
    // Parents cannot reach the operators' door.
    let (s, _) = mp
        .put(
            &stock,
            &parent.token,
            json!({"stock": 1, "expected_stock": 50}),
        )
        .await;
    assert_eq!(s, 401);
    let (s, _) = mp
        .post(
            &format!("/admin/v1/shop/products/{id}/unpublish"),
            &shop.ops.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = mp
        .get(&format!("/api/v1/shop/products/{id}"), &parent.token)
        .await;
    assert_eq!(error(s, &b), (404, "product_not_found"));
    let actions: Vec<String> = <entity::audit_log::Entity as sea_orm::EntityTrait>::find()
        .all(&mp.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a.starts_with("shop_"))
        .collect();
    assert_eq!(
        actions,
        vec![
            "shop_category.create",
            "shop_product.create",
            "shop_product.publish",
            "shop_product.edit",
            "shop_sku.stock",
            "shop_product.unpublish"
        ]
    );
    shop.finish().await;
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

#[actix_web::test]
async fn the_listing_puts_the_babys_age_band_first_across_pages() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.parent("o-list").await;
    // Today is 2026-03-10: born 2026-01-09, the baby is 60 days old.
    let baby = mp.add_baby(&parent, "小米", "2026-01-09").await;
    let mut made = Vec::new();
    for i in 0..5 {
        let band = if i % 2 == 0 {
            json!({"min": 30, "max": 90})
        } else {
            json!({"min": 300, "max": 400})
        };
        made.push(
            shop.on_sale(json!({"title": format!("p{i}"), "baby_age_days": band}))
                .await
                .0,
        );
    }
    // One without a band (every age) and one draft.
    let general = shop.on_sale(json!({"title": "general"})).await.0;
    let (s, _) = mp
        .post(
            "/admin/v1/shop/products",
            &shop.ops.token,
            product(shop.category, json!({})),
        )
        .await;
    assert_eq!(s, 201);
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/shop/products?baby_id={baby}&limit=2");
    loop {
        let (s, page) = mp.get(&path, &parent.token).await;
        assert_eq!(s, 200, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/shop/products?baby_id={baby}&limit=2&cursor={c}"),
            None => break,
        }
    }
    // The band's products (newest first), then the rest (newest first); nothing twice.
    assert_eq!(
        seen,
        vec![made[4], made[2], made[0], general, made[3], made[1]]
    );
    let (s, page) = mp
        .get("/api/v1/shop/products?limit=100", &parent.token)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        ids(&page),
        vec![general, made[4], made[3], made[2], made[1], made[0]]
    );
    // Someone else's baby is not found.
    let stranger = mp.login("o-stranger").await;
    let (s, b) = mp
        .get(
            &format!("/api/v1/shop/products?baby_id={baby}"),
            &stranger.token,
        )
        .await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    let (s, b) = mp
        .get("/api/v1/shop/products?cursor=zz", &parent.token)
        .await;
    assert_eq!(error(s, &b), (400, "invalid_cursor"));
    shop.finish().await;
}

#[actix_web::test]
async fn recommendations_name_the_age_band_the_next_dose_and_the_stage() {
    let shop = ShopApp::open().await;
    let mp = shop.mp();
    let parent = mp.parent("o-rec").await;
    let baby = mp.add_baby(&parent, "豆豆", "2026-01-09").await;
    let (s, schedule) = mp
        .get(&format!("/api/v1/babies/{baby}/schedule"), &parent.token)
        .await;
    assert_eq!(s, 200, "{schedule}");
    // The first dose the schedule has pending, by recommended date.
    let mut pending: Vec<&Value> = schedule["doses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| ["due", "overdue", "not_yet_due"].contains(&d["status"].as_str().unwrap()))
        .collect();
    pending.sort_by_key(|d| d["recommended"].as_str().unwrap_or("9999").to_owned());
    let vaccine = pending[0]["vaccine"].as_str().unwrap().to_owned();
    let dose_item = shop
        .on_sale(json!({"title": "退热贴", "tags": [format!("before {vaccine}")]}))
        .await
        .0;
    let band_item = shop
        .on_sale(json!({"title": "牙胶", "baby_age_days": {"min": 0, "max": 120}}))
        .await
        .0;
    let unrelated = shop
        .on_sale(json!({"title": "学步鞋", "baby_age_days": {"min": 300, "max": 700}}))
        .await
        .0;
    let (s, rec) = mp
        .get(
            &format!("/api/v1/shop/recommendations?baby_id={baby}"),
            &parent.token,
        )
        .await;
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["age_days"], 60);
    let items = rec["items"].as_array().unwrap();
    let find = |id: i64| items.iter().find(|i| i["product"]["id"] == id);
    let dose = find(dose_item).expect("the dose's product");
    assert_eq!(dose["reasons"][0]["kind"], "next_dose", "{dose}");
    assert_eq!(dose["reasons"][0]["subject"], vaccine.as_str());
    let band = find(band_item).expect("the band's product");
    assert_eq!(band["reasons"][0]["kind"], "age_band", "{band}");
    assert!(find(unrelated).is_none());
    // Dose reasons first.
    assert_eq!(items[0]["product"]["id"], dose_item);
    let stranger = mp.login("o-nobody").await;
    let (s, b) = mp
        .get(
            &format!("/api/v1/shop/recommendations?baby_id={baby}"),
            &stranger.token,
        )
        .await;
    assert_eq!(error(s, &b), (404, "baby_not_found"));
    shop.finish().await;
}
