//! Harness for the staff doors: the app of the mini-program harness (so members can knock too),
//! operator and merchant staff accounts made through the service as the command line or a later
//! admin route would, and logins over HTTP.

use babyvax::clock::Clock;
use babyvax::service::staff::accounts::{self, NewMerchantStaff, NewOperator};
use entity::{audit_log, merchant_stores, merchants};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde_json::{Value, json};

use crate::mp::support::MpApp;

pub const PASSWORD: &str = "correct horse 9";

/// A staff account, logged in.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i32,
    pub token: String,
}

/// The two staff doors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Admin,
    Merchant,
}

impl Door {
    pub fn prefix(self) -> &'static str {
        match self {
            Door::Admin => "/admin/v1",
            Door::Merchant => "/merchant/v1",
        }
    }
}

pub async fn create_operator(mp: &MpApp, username: &str, role: &str) -> i32 {
    let input = NewOperator {
        username: username.to_owned(),
        password: PASSWORD.to_owned(),
        role: role.to_owned(),
    };
    accounts::create_operator(&mp.app.db, &input, None, mp.app.clock.now())
        .await
        .expect("operator created")
        .id
}

/// An operator with `role`, logged in.
pub async fn operator(mp: &MpApp, username: &str, role: &str) -> Staff {
    let id = create_operator(mp, username, role).await;
    logged_in(mp, Door::Admin, id, username).await
}

/// A merchant with one store: (merchant id, store id).
pub async fn merchant(mp: &MpApp, name: &str) -> (i32, i32) {
    let now = mp.app.clock.now();
    let merchant = merchants::ActiveModel {
        name: Set(name.to_owned()),
        status: Set("active".to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&mp.app.db)
    .await
    .expect("merchant");
    let store = merchant_stores::ActiveModel {
        merchant_id: Set(merchant.id),
        name: Set(format!("{name} 一店")),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&mp.app.db)
    .await
    .expect("store");
    (merchant.id, store.id)
}

pub async fn create_merchant_staff(
    mp: &MpApp,
    username: &str,
    role: &str,
    merchant_id: i32,
    store_id: Option<i32>,
) -> i32 {
    let input = NewMerchantStaff {
        username: username.to_owned(),
        password: PASSWORD.to_owned(),
        role: role.to_owned(),
        merchant_id,
        store_id,
    };
    accounts::create_merchant_staff(&mp.app.db, &input, None, mp.app.clock.now())
        .await
        .expect("merchant staff created")
        .id
}

/// A staff member of `merchant_id` with `role`, logged in.
pub async fn merchant_staff(
    mp: &MpApp,
    username: &str,
    role: &str,
    merchant_id: i32,
    store_id: Option<i32>,
) -> Staff {
    let id = create_merchant_staff(mp, username, role, merchant_id, store_id).await;
    logged_in(mp, Door::Merchant, id, username).await
}

async fn logged_in(mp: &MpApp, door: Door, id: i32, username: &str) -> Staff {
    let (status, body) = login(mp, door, username, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    Staff {
        id,
        token: body["token"].as_str().expect("token").to_owned(),
    }
}

pub async fn login(mp: &MpApp, door: Door, username: &str, password: &str) -> (u16, Value) {
    login_via(mp, door, username, password, None).await
}

/// A login with an `X-Forwarded-For` header, as a proxy in front of us would send it.
pub async fn login_via(
    mp: &MpApp,
    door: Door,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, Value) {
    let mut req = mp
        .app
        .http
        .post(format!("{}{}/auth/login", mp.app.address, door.prefix()))
        .json(&json!({ "username": username, "password": password }));
    if let Some(forwarded_for) = forwarded_for {
        req = req.header("X-Forwarded-For", forwarded_for);
    }
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    (status, res.json().await.expect("a JSON body"))
}

/// The audit log, oldest first.
pub async fn audit_rows(mp: &MpApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&mp.app.db)
        .await
        .expect("audit log read")
}

/// The audit log without logins, oldest first.
pub async fn audited_actions(mp: &MpApp) -> Vec<audit_log::Model> {
    audit_rows(mp)
        .await
        .into_iter()
        .filter(|row| row.action != "auth.login")
        .collect()
}

/// The door's contract is served as generated, lists the door's error codes (`listed`) and not
/// others' (`unlisted`), and each of its `operations` is routed and secured as documented.
pub async fn check_served_contract(
    mp: &MpApp,
    door: Door,
    generated: &utoipa::openapi::OpenApi,
    operations: usize,
    listed: &str,
    unlisted: &str,
) {
    let url = format!("{}/openapi.json", door.prefix());
    let (s, spec) = mp.call(Method::GET, &url, None, None).await;
    assert_eq!(s, 200);
    assert_eq!(spec, serde_json::to_value(generated).unwrap());
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let codes = spec["components"]["schemas"]["ApiErrorBody"]["properties"]["code"]["enum"]
        .as_array()
        .expect("error codes listed");
    assert!(codes.contains(&Value::from(listed)));
    assert!(!codes.contains(&Value::from(unlisted)));

    let mut seen = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        assert!(path.starts_with(door.prefix()), "{path}");
        let concrete = path
            .split('/')
            .map(|part| if part.starts_with('{') { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let body = operation.get("requestBody").map(|_| json!({}));
            let (s, b) = mp.call(method.clone(), &concrete, None, body).await;
            seen += 1;
            if operation.get("security").is_some() {
                assert_eq!(
                    (s, b["code"].as_str()),
                    (401, Some("missing_token")),
                    "{method} {path}"
                );
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path} documents its 401"
                );
            } else {
                // Login: routed (the empty body is refused), not 404/405.
                assert_eq!(
                    (s, b["code"].as_str()),
                    (400, Some("invalid_json")),
                    "{method} {path}"
                );
            }
        }
    }
    assert_eq!(seen, operations);
    let (s, b) = mp
        .call(Method::DELETE, &format!("{}/me", door.prefix()), None, None)
        .await;
    assert_eq!((s, b["code"].as_str()), (405, Some("method_not_allowed")));
}
