//! Harness for the shop: the WeChat Pay harness, an operator, one category, products made and
//! published over the admin door, platform coupons, points, members made in bulk for races.

use babyvax::auth::{Audience, JwtKeys};
use babyvax::clock::Clock;
use babyvax::service::commerce::shop::lifecycle::Swept;
use entity::{coupons, members, pay_orders, shop_order_events, shop_orders, shop_skus};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

use crate::admin::support::{Staff, operator};
use crate::mp::support::{JWT_SECRET, Member, MpApp};
use crate::pay::support::PayApp;

pub struct ShopApp {
    pub pay: PayApp,
    pub ops: Staff,
    pub category: i64,
}

pub fn address() -> Value {
    json!({"name": "王芳", "phone": "13800000000", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "detail": "文三路 1 号"})
}

/// A product of one SKU at 100 yuan, stock 10, with `changes` applied.
pub fn product(category: i64, changes: Value) -> Value {
    let mut body = json!({
        "title": "接种后护理包",
        "category_id": category,
        "description": "退热贴、体温计",
        "images": ["https://img.example/care.jpg"],
        "tags": [],
        "skus": [{"spec": {"size": "M"}, "price_fen": 10000,
                  "member_prices": {"basic": 9500, "advanced": 9000, "premium": 8000},
                  "stock": 10}],
    });
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            body.insert(k.clone(), v.clone());
        }
    }
    body
}

impl ShopApp {
    pub async fn open() -> ShopApp {
        let pay = PayApp::spawn().await;
        let ops = operator(&pay.mp, "shop.ops", "operator").await;
        let (s, b) = pay
            .mp
            .post(
                "/admin/v1/shop/categories",
                &ops.token,
                json!({"name": "护理"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let category = b["id"].as_i64().unwrap();
        ShopApp { pay, ops, category }
    }

    pub fn mp(&self) -> &MpApp {
        &self.pay.mp
    }

    pub async fn finish(self) {
        self.pay.finish().await;
    }

    /// Creates and publishes a product; answers (product id, first SKU id).
    pub async fn on_sale(&self, changes: Value) -> (i64, i64) {
        let (s, p) = self
            .mp()
            .post(
                "/admin/v1/shop/products",
                &self.ops.token,
                product(self.category, changes),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        let id = p["id"].as_i64().unwrap();
        let (s, b) = self
            .mp()
            .post(
                &format!("/admin/v1/shop/products/{id}/publish"),
                &self.ops.token,
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        (id, p["skus"][0]["id"].as_i64().unwrap())
    }

    pub async fn order(&self, member: &Member, body: Value) -> (u16, Value) {
        self.mp()
            .post("/api/v1/shop/orders", &member.token, body)
            .await
    }

    /// A plain order of `quantity` of `sku`, 201.
    pub async fn buy(&self, member: &Member, sku: i64, quantity: i64, request_id: &str) -> Value {
        let (s, b) = self
            .order(
                member,
                json!({"items": [{"sku_id": sku, "quantity": quantity}], "address": address(),
                       "request_id": request_id}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }

    pub async fn pay_order_of(&self, order_id: i64) -> pay_orders::Model {
        pay_orders::Entity::find()
            .filter(pay_orders::Column::Purpose.eq("shop"))
            .filter(pay_orders::Column::Reference.eq(order_id.to_string()))
            .one(&self.mp().app.db)
            .await
            .unwrap()
            .expect("a pay order")
    }

    /// Pays the order at the fake WeChat Pay and delivers the notification.
    pub async fn pay(&self, order_id: i64) -> u16 {
        let po = self.pay_order_of(order_id).await;
        self.mp().fake.pay(&po.out_trade_no).await.unwrap()
    }

    pub async fn get(&self, member: &Member, order_id: i64) -> Value {
        let (s, b) = self
            .mp()
            .get(&format!("/api/v1/shop/orders/{order_id}"), &member.token)
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }

    pub async fn stock(&self, sku: i64) -> i64 {
        shop_skus::Entity::find_by_id(sku as i32)
            .one(&self.mp().app.db)
            .await
            .unwrap()
            .unwrap()
            .stock
    }

    pub async fn order_row(&self, id: i64) -> shop_orders::Model {
        shop_orders::Entity::find_by_id(id as i32)
            .one(&self.mp().app.db)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn events(&self, id: i64) -> Vec<String> {
        shop_order_events::Entity::find()
            .filter(shop_order_events::Column::OrderId.eq(id as i32))
            .order_by_asc(shop_order_events::Column::Id)
            .all(&self.mp().app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    /// A platform coupon (the admin's template, live at once), claimed by `member`.
    pub async fn platform_coupon(&self, member: &Member, changes: Value) -> i64 {
        let (s, t) = self
            .mp()
            .post(
                "/admin/v1/coupon-templates",
                &self.ops.token,
                crate::coupons::support::template(changes),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        let (s, c) = self
            .mp()
            .post(
                "/api/v1/coupons/claims",
                &member.token,
                json!({"template_id": t["id"], "request_id": format!("claim-{}", t["id"])}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        c["id"].as_i64().unwrap()
    }

    pub async fn coupon_status(&self, id: i64) -> String {
        coupons::Entity::find_by_id(id)
            .one(&self.mp().app.db)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    pub async fn give_points(&self, member: &Member, points: i64) {
        let (s, b) = crate::points::support::adjust(
            self.mp(),
            &self.ops,
            member,
            points,
            &format!("gift-{}-{points}", member.id),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }

    pub async fn points(&self, member: &Member) -> i64 {
        crate::points::support::balance(self.mp(), member).await
    }

    /// One pass of the shop job.
    pub async fn sweep(&self) -> Swept {
        let clock: babyvax::clock::SharedClock = self.mp().app.clock.clone();
        let pay = self.pay.pay_client();
        babyvax::jobs::shop::run_once(&self.mp().app.db, Some(&pay), &clock)
            .await
            .unwrap()
    }

    /// `n` members made directly in the database, with tokens (for races).
    pub async fn members(&self, n: usize, prefix: &str) -> Vec<Member> {
        let keys = JwtKeys::from_secret(JWT_SECRET.as_bytes());
        let now = self.mp().app.clock.now();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let m = members::ActiveModel {
                openid: Set(format!("o-{prefix}-{i}")),
                created_at: Set(now),
                updated_at: Set(now),
                last_login_at: Set(now),
                ..Default::default()
            }
            .insert(&self.mp().app.db)
            .await
            .unwrap();
            out.push(Member {
                id: i64::from(m.id),
                token: keys.issue(Audience::Member, m.id, now).unwrap().token,
            });
        }
        out
    }
}
