//! Harness for coupons: an operator, a merchant onboarded over the admin door with one store,
//! its owner and a clerk, all logged in; templates made live through the approval flow; members
//! claiming, asking for codes, and clerks redeeming, over HTTP.

use serde_json::{Value, json};

use crate::admin::support::{Door, PASSWORD, Staff, login, operator};
use crate::mp::support::{Member, MpApp};

pub struct Shop {
    pub mp: MpApp,
    pub ops: Staff,
    pub merchant: Merchant,
}

/// A merchant onboarded over the admin door.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: i64,
    pub store_id: i64,
    pub owner: Staff,
    pub clerk: Staff,
}

impl Shop {
    pub async fn open() -> Shop {
        let mp = MpApp::spawn().await;
        let ops = operator(&mp, "ops.one", "operator").await;
        let merchant = onboard(&mp, &ops, "bei", 500).await;
        Shop { mp, ops, merchant }
    }

    pub async fn finish(self) {
        self.mp.finish().await;
    }

    /// A template of the merchant, live: created by the owner, submitted, approved.
    pub async fn live_template(&self, body: Value) -> i64 {
        live_template(&self.mp, &self.ops, &self.merchant, body).await
    }

    pub async fn claim(&self, member: &Member, template: i64, request_id: &str) -> (u16, Value) {
        self.mp
            .post(
                "/api/v1/coupons/claims",
                &member.token,
                json!({ "template_id": template, "request_id": request_id }),
            )
            .await
    }

    /// Claims and answers the coupon id.
    pub async fn coupon(&self, member: &Member, template: i64) -> i64 {
        let key = format!("r-{}-t{template}", member.id);
        let (s, b) = self.claim(member, template, &key).await;
        assert_eq!(s, 201, "{b}");
        b["id"].as_i64().expect("coupon id")
    }

    pub async fn code(&self, member: &Member, coupon: i64) -> (u16, Value) {
        self.mp
            .post(
                &format!("/api/v1/coupons/{coupon}/code"),
                &member.token,
                json!({}),
            )
            .await
    }

    /// A fresh code, as the QR code carries it.
    pub async fn fresh_code(&self, member: &Member, coupon: i64) -> String {
        let (s, b) = self.code(member, coupon).await;
        assert_eq!(s, 201, "{b}");
        b["code"].as_str().expect("code").to_owned()
    }

    pub async fn redeem(
        &self,
        staff: &Staff,
        code: &str,
        request_id: &str,
        order_amount_fen: i64,
    ) -> (u16, Value) {
        self.mp
            .post(
                "/merchant/v1/redemptions",
                &staff.token,
                json!({ "code": code, "request_id": request_id, "order_amount_fen": order_amount_fen }),
            )
            .await
    }
}

/// A merchant with one store (Shanghai), an owner and a clerk of that store, over the admin
/// door; staff usernames start with `prefix`.
pub async fn onboard(mp: &MpApp, ops: &Staff, prefix: &str, commission_bps: i64) -> Merchant {
    let (s, m) = mp
        .post(
            "/admin/v1/merchants",
            &ops.token,
            json!({
                "name": format!("{prefix} 母婴店"),
                "kind": "baby_shop",
                "contact_name": "王经理",
                "contact_phone": "+86 138-0000-0000",
                "commission_bps": commission_bps,
            }),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    let id = m["id"].as_i64().unwrap();
    let (s, store) = mp
        .post(
            &format!("/admin/v1/merchants/{id}/stores"),
            &ops.token,
            json!({ "name": "一店", "address": "长宁路1号", "city": "上海市" }),
        )
        .await;
    assert_eq!(s, 201, "{store}");
    let store_id = store["id"].as_i64().unwrap();
    let owner = staff(mp, ops, id, &format!("{prefix}.owner"), "owner", None).await;
    let clerk = staff(
        mp,
        ops,
        id,
        &format!("{prefix}.clerk"),
        "clerk",
        Some(store_id),
    )
    .await;
    Merchant {
        id,
        store_id,
        owner,
        clerk,
    }
}

/// A staff account created over the admin door, logged in.
pub async fn staff(
    mp: &MpApp,
    ops: &Staff,
    merchant: i64,
    username: &str,
    role: &str,
    store_id: Option<i64>,
) -> Staff {
    let (s, b) = mp
        .post(
            &format!("/admin/v1/merchants/{merchant}/staff"),
            &ops.token,
            json!({ "username": username, "password": PASSWORD, "role": role, "store_id": store_id }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, l) = login(mp, Door::Merchant, username, PASSWORD).await;
    assert_eq!(s, 200, "{l}");
    Staff {
        id: b["id"].as_i64().unwrap() as i32,
        token: l["token"].as_str().unwrap().to_owned(),
    }
}

/// A cash coupon, 20 yuan off 100, 30 days, claimable in March 2026 (the harness's today is
/// 2026-03-10), with `changes` applied.
pub fn template(changes: Value) -> Value {
    let mut body = json!({
        "title": "满100减20",
        "description": "到店使用",
        "kind": "cash",
        "amount_fen": 2000,
        "threshold_fen": 10000,
        "validity": { "type": "relative", "days": 30 },
        "total_stock": 100,
        "per_member_limit": 1,
        "claim_from": "2026-03-01T00:00:00Z",
        "claim_to": "2026-04-01T00:00:00Z",
    });
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            if v.is_null() {
                body.remove(k);
            } else {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

pub async fn live_template(mp: &MpApp, ops: &Staff, merchant: &Merchant, body: Value) -> i64 {
    let (s, t) = mp
        .post(
            "/merchant/v1/coupon-templates",
            &merchant.owner.token,
            template(body),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["status"], "draft");
    let id = t["id"].as_i64().unwrap();
    let (s, t) = mp
        .post(
            &format!("/merchant/v1/coupon-templates/{id}/submit"),
            &merchant.owner.token,
            json!({}),
        )
        .await;
    assert_eq!((s, t["status"].as_str()), (200, Some("pending")), "{t}");
    let (s, t) = mp
        .post(
            &format!("/admin/v1/coupon-templates/{id}/approve"),
            &ops.token,
            json!({}),
        )
        .await;
    assert_eq!((s, t["status"].as_str()), (200, Some("live")), "{t}");
    id
}
