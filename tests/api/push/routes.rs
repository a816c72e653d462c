//! The mini-program's view of the push engine: preferences and undelivered messages.

use babyvax::clock::Clock;
use entity::push_outbox;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDatabase};

const MP_APPID: &str = "wxpushroutes";
const MP_SECRET: &str = "mp-secret";

/// A logged-in member's token, through the fake WeChat's code2session.
async fn login(app: &TestApp, fake: &babyvax::fake_wechat::FakeWechat, openid: &str) -> String {
    fake.add_login_code(&format!("code-{openid}"), openid, None, "session-key");
    let res = app
        .http
        .post(format!("{}/api/v1/auth/login", app.address))
        .json(&json!({ "code": format!("code-{openid}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn preferences_default_then_change_and_bad_times_are_refused() {
    let fake = babyvax::fake_wechat::FakeWechat::start().await.unwrap();
    fake.register_app(MP_APPID, MP_SECRET);
    let base = fake.base_url().clone();
    let app = TestApp::spawn_with(TestDatabase::fresh().await, |s| {
        s.mp = Some(babyvax::config::AppCredentials {
            appid: MP_APPID.into(),
            secret: MP_SECRET.into(),
        });
        s.wechat_api_base = base;
    })
    .await;
    let token = login(&app, &fake, "parent-p").await;
    let url = format!("{}/api/v1/me/push-preferences", app.address);

    let defaults: Value = app
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(defaults["stop_all"], false);
    assert_eq!(defaults["quiet_start"], "21:00");
    assert_eq!(defaults["quiet_end"], "08:00");

    let changed: Value = app
        .http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"stage": false, "quiet_start": "22:30"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (changed["stage"].as_bool(), changed["due_soon"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(changed["quiet_start"], "22:30");
    let again: Value = app
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, changed);

    let bad = app
        .http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"quiet_end": "25:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["code"], "invalid_quiet_end");
    // Exactly HH:MM, as the contract's pattern says.
    for lenient in ["8:00", " 08:00", "08:00:00"] {
        let bad = app
            .http
            .put(&url)
            .bearer_auth(&token)
            .json(&json!({ "quiet_start": lenient }))
            .send()
            .await
            .unwrap();
        let body: Value = bad.json().await.unwrap();
        assert_eq!(body["code"], "invalid_quiet_start", "{lenient:?}");
    }
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    fake.stop().await;
    app.finish().await;
}

#[actix_web::test]
async fn undelivered_messages_are_listed_for_their_member_only() {
    let fake = babyvax::fake_wechat::FakeWechat::start().await.unwrap();
    fake.register_app(MP_APPID, MP_SECRET);
    let base = fake.base_url().clone();
    let templates = r#"{"vaccine": {"mp": {"template_id": "TPL_MP_VACCINE", "fields": {"thing1": "{baby_name}"}}}}"#;
    let app = TestApp::spawn_with(TestDatabase::fresh().await, |s| {
        s.mp = Some(babyvax::config::AppCredentials {
            appid: MP_APPID.into(),
            secret: MP_SECRET.into(),
        });
        s.wechat_api_base = base;
        s.push.templates = babyvax::domain::push::templates::TemplateSet::parse(templates).unwrap();
    })
    .await;
    let mine = login(&app, &fake, "parent-u").await;
    let other = login(&app, &fake, "parent-v").await;
    let me: Value = app
        .http
        .get(format!("{}/api/v1/me", app.address))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let member_id = me["id"].as_i64().expect("member id") as i32;

    let now = app.clock.now();
    let today = app.clock.today_shanghai();
    for (key, status) in [("k-undeliverable", "undeliverable"), ("k-sent", "sent")] {
        push_outbox::ActiveModel {
            dedup_key: Set(key.into()),
            kind: Set("due_today".into()),
            member_id: Set(Some(member_id)),
            vaccine: Set(Some("HepB".into())),
            dose: Set(Some(2)),
            doses: Set(Some("HepB:2".into())),
            event_date: Set(Some(today)),
            planned_for: Set(today),
            payload: Set("{}".into()),
            status: Set(status.into()),
            allowance_taken: Set(false),
            attempts: Set(0),
            not_before: Set(now),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }

    let url = format!("{}/api/v1/me/undelivered", app.address);
    let listed: Value = app
        .http
        .get(&url)
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{listed}");
    assert_eq!(
        (
            messages[0]["vaccine"].as_str(),
            messages[0]["dose"].as_i64()
        ),
        (Some("HepB"), Some(2))
    );
    assert_eq!(
        messages[0]["doses"],
        json!([{"vaccine": "HepB", "dose": 2}])
    );
    assert_eq!(listed["subscribe_template_ids"], json!(["TPL_MP_VACCINE"]));
    let theirs: Value = app
        .http
        .get(&url)
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["messages"], json!([]));
    fake.stop().await;
    app.finish().await;
}
