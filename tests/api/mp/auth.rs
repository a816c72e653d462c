//! Login through the fake WeChat, the member token and its refusals, profile and phone number.

use babyvax::fake_wechat::Fault;
use babyvax::service::audience::followers::{self, FollowChange};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use entity::{followers as follower_rows, members};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::mp::support::{JWT_SECRET, MpApp, error};

#[actix_web::test]
async fn first_login_creates_the_member_and_the_next_finds_them() {
    let mp = MpApp::spawn().await;
    let (status, first) = mp.login_as("o-parent-1", None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["new_member"], true);
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["member"]["privacy_consent"], Value::Null);
    assert_eq!(first["member"]["privacy_policy_version"], "2026-11-01");
    assert_eq!(first["member"]["follows_official_account"], false);
    let expires: chrono::DateTime<Utc> = first["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - mp.now(), Duration::hours(24));

    let (status, again) = mp.login_as("o-parent-1", None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["new_member"], false);
    assert_eq!(again["member"]["id"], first["member"]["id"]);
    let (status, other) = mp.login_as("o-parent-2", None).await;
    assert_eq!(status, 200);
    assert_ne!(other["member"]["id"], first["member"]["id"]);
    assert_eq!(
        members::Entity::find().all(&mp.app.db).await.unwrap().len(),
        2
    );

    // The session key never leaves the server.
    assert!(!first.to_string().contains("c2Vzc2lvbi1rZXk"));
    let (status, me) = mp.get("/api/v1/me", first["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], first["member"]["id"]);
    mp.finish().await;
}

#[actix_web::test]
async fn login_links_the_official_account_follower_with_the_same_unionid() {
    let mp = MpApp::spawn().await;
    let now = Utc::now();
    let follower = followers::record(
        &mp.app.db,
        "o-oa-7",
        FollowChange::Subscribe,
        None,
        now,
        now,
    )
    .await
    .unwrap();
    let mut active: follower_rows::ActiveModel = follower.clone().into();
    active.unionid = Set(Some("u-family-7".into()));
    active.update(&mp.app.db).await.unwrap();

    let (status, body) = mp.login_as("o-mp-7", Some("u-family-7")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member"]["follows_official_account"], true);
    let id = body["member"]["id"].as_i64().unwrap() as i32;
    let row = members::Entity::find_by_id(id)
        .one(&mp.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.follower_id, Some(follower.id));
    assert_eq!(row.unionid.as_deref(), Some("u-family-7"));

    // Unfollowing shows at once; a later login without a unionid keeps the link.
    followers::record(
        &mp.app.db,
        "o-oa-7",
        FollowChange::Unsubscribe,
        None,
        now,
        now,
    )
    .await
    .unwrap();
    let (status, body) = mp.login_as("o-mp-7", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["member"]["follows_official_account"], false);
    let row = members::Entity::find_by_id(id)
        .one(&mp.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.unionid.as_deref(), Some("u-family-7"));
    assert_eq!(row.follower_id, Some(follower.id));
    mp.finish().await;
}

#[actix_web::test]
async fn bad_used_and_missing_codes_are_refused_with_their_codes() {
    let mp = MpApp::spawn().await;
    let login = |body: Value| mp.call(Method::POST, "/api/v1/auth/login", None, Some(body));
    let (s, b) = login(json!({"code": "never-issued"})).await;
    assert_eq!(error(s, &b), (401, "invalid_login_code"));

    let code = mp.login_code("o-1", None);
    assert_eq!(login(json!({ "code": code })).await.0, 200);
    let (s, b) = login(json!({ "code": code })).await;
    assert_eq!(error(s, &b), (401, "login_code_used"));

    let (s, b) = login(json!({"code": "  "})).await;
    assert_eq!(error(s, &b), (400, "missing_code"));
    let (s, b) = login(json!({"cod": "x"})).await;
    assert_eq!(error(s, &b), (400, "invalid_json"));
    let (s, b) = mp.call(Method::GET, "/api/v1/auth/login", None, None).await;
    assert_eq!(error(s, &b), (405, "method_not_allowed"));
    mp.finish().await;
}

#[actix_web::test]
async fn login_answers_503_when_the_mini_program_is_not_configured() {
    let mp = MpApp::spawn_with(|s| s.mp = None).await;
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (503, "mini_program_not_configured"));
    mp.finish().await;
}

#[actix_web::test]
async fn wechat_trouble_is_told_apart_from_bad_codes() {
    let mp = MpApp::spawn().await;
    // Down: every try (the client retries transient failures) answers 503.
    mp.fake.inject("/sns/jscode2session", Fault::Http(503), 3);
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (503, "wechat_unavailable"));
    mp.fake.inject("/sns/jscode2session", Fault::Errcode(-1), 3);
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (503, "wechat_unavailable"));
    // A blip is retried away.
    mp.fake.inject("/sns/jscode2session", Fault::Http(502), 1);
    assert_eq!(mp.login_as("o-1", None).await.0, 200);

    mp.fake
        .inject("/sns/jscode2session", Fault::Errcode(45011), 1);
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (429, "wechat_rate_limited"));
    mp.fake
        .inject("/sns/jscode2session", Fault::Errcode(40226), 1);
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (403, "login_blocked_by_wechat"));
    mp.fake
        .inject("/sns/jscode2session", Fault::Errcode(40013), 1);
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (502, "wechat_error"));
    assert!(!b.to_string().contains("mp-test-secret"));
    mp.finish().await;
}

#[actix_web::test]
async fn wrong_app_secret_is_a_gateway_error_not_the_callers_fault() {
    let mp = MpApp::spawn_with(|s| {
        if let Some(mp) = s.mp.as_mut() {
            mp.secret = "not-the-secret".to_owned().into();
        }
    })
    .await;
    let (s, b) = mp.login_as("o-1", None).await;
    assert_eq!(error(s, &b), (502, "wechat_error"));
    mp.finish().await;
}

fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn hs256(signing_input: &str, secret: &[u8]) -> String {
    use hmac_sha256::sign;
    URL_SAFE_NO_PAD.encode(sign(signing_input.as_bytes(), secret))
}

/// HMAC-SHA256 by hand, so a test can sign any header it likes.
mod hmac_sha256 {
    use sha2::{Digest, Sha256};

    pub fn sign(message: &[u8], key: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner_hash = Sha256::new()
            .chain_update(&inner)
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(&outer)
            .chain_update(inner_hash)
            .finalize()
            .into()
    }
}

#[actix_web::test]
async fn tokens_that_are_expired_tampered_or_of_another_algorithm_are_refused() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-token").await;
    let mp_ref = &mp;
    let me = |token: Option<String>| {
        let mp = mp_ref;
        async move {
            let (s, b) = mp
                .call(Method::GET, "/api/v1/me", token.as_deref(), None)
                .await;
            (s, b["code"].as_str().unwrap_or("").to_owned())
        }
    };
    assert_eq!(me(Some(member.token.clone())).await.0, 200);

    // Missing, or not a bearer token.
    assert_eq!(me(None).await, (401, "missing_token".into()));
    let (s, b) = mp
        .app
        .http
        .get(format!("{}/api/v1/me", mp.app.address))
        .header("Authorization", format!("Basic {}", member.token))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 401);
    assert_eq!(b.json::<Value>().await.unwrap()["code"], "missing_token");

    // Tampered: the payload names another member, the signature is the old one.
    let parts: Vec<&str> = member.token.split('.').collect();
    let now = mp.now().timestamp();
    let claims = json!({"sub": "999", "aud": "babyvax-mp", "iat": now, "exp": now + 3600});
    let forged = format!("{}.{}.{}", parts[0], segment(&claims), parts[2]);
    assert_eq!(me(Some(forged)).await, (401, "invalid_token".into()));
    let mut flipped = member.token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(me(Some(flipped)).await, (401, "invalid_token".into()));
    assert_eq!(
        me(Some("not.a.jwt".into())).await,
        (401, "invalid_token".into())
    );

    // alg=none, unsigned.
    let none = format!(
        "{}.{}.",
        segment(&json!({"alg": "none", "typ": "JWT"})),
        segment(
            &json!({"sub": member.id.to_string(), "aud": "babyvax-mp", "iat": now, "exp": now + 3600})
        )
    );
    assert_eq!(me(Some(none)).await, (401, "invalid_token".into()));

    // HS512 with our very secret: only HS256 is accepted.
    let claims =
        json!({"sub": member.id.to_string(), "aud": "babyvax-mp", "iat": now, "exp": now + 3600});
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(me(Some(hs512)).await, (401, "invalid_token".into()));

    // RS256 in the header, HMAC'd with our secret (the key-confusion attack).
    let input = format!(
        "{}.{}",
        segment(&json!({"alg": "RS256", "typ": "JWT"})),
        segment(&claims)
    );
    let rs256 = format!("{input}.{}", hs256(&input, JWT_SECRET.as_bytes()));
    assert_eq!(me(Some(rs256)).await, (401, "invalid_token".into()));
    // The same hand-made HS256 signing is accepted, so the refusals above are about the alg.
    let input = format!(
        "{}.{}",
        segment(&json!({"alg": "HS256", "typ": "JWT"})),
        segment(&claims)
    );
    let good = format!("{input}.{}", hs256(&input, JWT_SECRET.as_bytes()));
    assert_eq!(me(Some(good)).await.0, 200);

    // Another door's audience, and no expiry at all.
    let merchant = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": member.id.to_string(), "aud": "babyvax-merchant", "iat": now, "exp": now + 3600}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(me(Some(merchant)).await, (401, "invalid_token".into()));
    let forever = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": member.id.to_string(), "aud": "babyvax-mp", "iat": now}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(me(Some(forever)).await, (401, "invalid_token".into()));

    // Expiry follows the app's clock.
    mp.app
        .clock
        .advance(Duration::hours(24) - Duration::seconds(1));
    assert_eq!(me(Some(member.token.clone())).await.0, 200);
    mp.app.clock.advance(Duration::seconds(1));
    assert_eq!(
        me(Some(member.token.clone())).await,
        (401, "token_expired".into())
    );
    mp.finish().await;
}

#[actix_web::test]
async fn without_a_configured_secret_each_process_signs_with_its_own_random_key() {
    let mp = MpApp::spawn_with(|s| s.jwt_secret = None).await;
    let member = mp.login("o-1").await;
    assert_eq!(mp.get("/api/v1/me", &member.token).await.0, 200);
    // A second instance on the same database cannot read the first one's tokens.
    let other = crate::helpers::TestApp::spawn_with(mp.app.database.clone(), |s| {
        s.jwt_secret = None;
    })
    .await;
    let res = other
        .http
        .get(format!("{}/api/v1/me", other.address))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    mp.finish().await;
}

#[actix_web::test]
async fn profile_and_phone_number() {
    let mp = MpApp::spawn().await;
    let member = mp.login("o-profile").await;
    let (s, b) = mp
        .put(
            "/api/v1/me",
            &member.token,
            json!({"nickname": " 小米妈妈 ", "province": "广东省", "city": "深圳市"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (&b["nickname"], &b["province"], &b["city"]),
        (&json!("小米妈妈"), &json!("广东省"), &json!("深圳市"))
    );
    let (s, b) = mp
        .put("/api/v1/me", &member.token, json!({"city": "深圳市"}))
        .await;
    assert_eq!(error(s, &b), (400, "invalid_region"));
    let (s, b) = mp
        .put(
            "/api/v1/me",
            &member.token,
            json!({"nickname": "x".repeat(33)}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_nickname"));
    let (s, b) = mp.put("/api/v1/me", &member.token, json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(b["nickname"], Value::Null);

    mp.fake.add_phone_code("phone-1", "13800138000");
    let (s, b) = mp
        .post(
            "/api/v1/me/phone",
            &member.token,
            json!({"code": "phone-1"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["phone_number"], "13800138000");
    assert_eq!(b["phone_country_code"], "86");
    let (s, b) = mp
        .post(
            "/api/v1/me/phone",
            &member.token,
            json!({"code": "phone-1"}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "phone_code_used"));
    let (s, b) = mp
        .post("/api/v1/me/phone", &member.token, json!({"code": "nope"}))
        .await;
    assert_eq!(error(s, &b), (400, "invalid_phone_code"));
    mp.finish().await;
}
