//! Harness for the mini-program door: the app with mini-program credentials pointed at a fake
//! WeChat, a clock in 2026, and members who log in through the fake's `jscode2session`.

use std::sync::atomic::{AtomicU64, Ordering};

use babyvax::clock::Clock;
use babyvax::config::{AppCredentials, Settings};
use babyvax::fake_wechat::FakeWechat;
use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDatabase};

pub const MP_APPID: &str = "wxmp0000000000test";
pub const MP_SECRET: &str = "mp-test-secret";
pub const JWT_SECRET: &str = "mp-test-jwt-secret";
pub const POLICY: &str = "2026-11-01";

pub struct MpApp {
    pub app: TestApp,
    pub fake: FakeWechat,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub id: i64,
    pub token: String,
}

static CODES: AtomicU64 = AtomicU64::new(1);

impl MpApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The app with the mini-program configured against a fake WeChat, then `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        babyvax::startup::install_crypto_provider();
        let fake = FakeWechat::start().await.expect("fake WeChat starts");
        fake.register_app(MP_APPID, MP_SECRET);
        let base = fake.base_url().clone();
        let app = TestApp::spawn_with(TestDatabase::fresh().await, |s| {
            s.mp = Some(AppCredentials {
                appid: MP_APPID.into(),
                secret: MP_SECRET.to_owned().into(),
            });
            s.wechat_api_base = base;
            s.jwt_secret = Some(JWT_SECRET.to_owned().into());
            adjust(s);
        })
        .await;
        let mp = MpApp { app, fake };
        mp.set_today("2026-03-10");
        mp
    }

    /// Moves the clock to 10:00 in Asia/Shanghai on `date`.
    pub fn set_today(&self, date: &str) {
        let date: NaiveDate = date.parse().expect("a YYYY-MM-DD date");
        let at = Utc.from_utc_datetime(&date.and_hms_opt(2, 0, 0).expect("02:00 exists"));
        self.app.clock.set(at);
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.app.clock.now()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.address));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body read");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// A fresh `wx.login` code the fake will accept once for `openid`.
    pub fn login_code(&self, openid: &str, unionid: Option<&str>) -> String {
        let code = format!("code-{}", CODES.fetch_add(1, Ordering::Relaxed));
        self.fake
            .add_login_code(&code, openid, unionid, "c2Vzc2lvbi1rZXk=");
        code
    }

    pub async fn login_as(&self, openid: &str, unionid: Option<&str>) -> (u16, Value) {
        let code = self.login_code(openid, unionid);
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "code": code })),
        )
        .await
    }

    pub async fn login(&self, openid: &str) -> Member {
        let (status, body) = self.login_as(openid, None).await;
        assert_eq!(status, 200, "{body}");
        Member {
            id: body["member"]["id"].as_i64().expect("member id"),
            token: body["token"].as_str().expect("token").to_owned(),
        }
    }

    /// A member who consented to the privacy policy, ready to add babies.
    pub async fn parent(&self, openid: &str) -> Member {
        let member = self.login(openid).await;
        let (status, body) = self
            .post(
                "/api/v1/me/consent",
                &member.token,
                json!({ "privacy_policy_version": POLICY }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        member
    }

    pub async fn add_baby(&self, member: &Member, name: &str, birth: &str) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/babies",
                &member.token,
                json!({ "name": name, "birth_date": birth }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().expect("baby id")
    }

    pub async fn add_dose(
        &self,
        member: &Member,
        baby: i64,
        vaccine: &str,
        dose: u8,
        date: &str,
    ) -> (u16, Value) {
        self.post(
            &format!("/api/v1/babies/{baby}/doses"),
            &member.token,
            json!({ "vaccine": vaccine, "dose": dose, "date": date }),
        )
        .await
    }

    pub async fn finish(self) {
        self.fake.stop().await;
        self.app.finish().await;
    }
}

/// The `code` of an error body, with the status.
pub fn error(status: u16, body: &Value) -> (u16, &str) {
    (status, body["code"].as_str().unwrap_or("<no code>"))
}
