//! Logging in at the admin door: tokens for 12 hours, one answer for unknown usernames and wrong
//! passwords, lockout by username and by client address, disabled accounts.

use chrono::Duration;
use entity::operators;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::admin::support::{
    Door, PASSWORD, audit_rows, create_operator, login, login_via, operator,
};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn a_login_answers_a_twelve_hour_token_and_is_recorded() {
    let mp = MpApp::spawn().await;
    let id = create_operator(&mp, "Ops.Lead", "admin").await;
    let login_at = mp.now();
    let res = mp
        .app
        .http
        .post(format!("{}/admin/v1/auth/login", mp.app.address))
        .json(&json!({"username": "ops.lead", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = res.json().await.unwrap();
    let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["expires_at", "token"]);
    let expires_at: chrono::DateTime<chrono::Utc> =
        body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at, login_at + Duration::hours(12));
    let token = body["token"].as_str().unwrap().to_owned();

    // Usernames are case-insensitive (stored lowercase).
    let (s, me) = mp.get("/admin/v1/me", &token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["id"], id);
    assert_eq!(me["username"], "ops.lead");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["disabled"], false);
    assert!(me.get("password_hash").is_none());
    let last: chrono::DateTime<chrono::Utc> =
        me["last_login_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(last, login_at);

    let rows = audit_rows(&mp).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row.actor_kind.as_str(),
            row.actor_id,
            row.actor_role.as_str()
        ),
        ("operator", id, "admin")
    );
    assert_eq!(row.action, "auth.login");
    assert_eq!(
        (row.target_type.as_deref(), row.target_id.as_deref()),
        (Some("operator"), Some(id.to_string().as_str()))
    );
    assert_eq!(row.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(row.client_addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.created_at, login_at);

    // Valid for 12 hours by the app's clock, then expired.
    mp.app
        .clock
        .advance(Duration::hours(12) - Duration::seconds(1));
    assert_eq!(mp.get("/admin/v1/me", &token).await.0, 200);
    mp.app.clock.advance(Duration::seconds(1));
    let (s, b) = mp.get("/admin/v1/me", &token).await;
    assert_eq!(error(s, &b), (401, "token_expired"));
    mp.finish().await;
}

#[actix_web::test]
async fn an_unknown_username_and_a_wrong_password_get_the_same_answer() {
    let mp = MpApp::spawn().await;
    create_operator(&mp, "support1", "support").await;
    let (s1, wrong) = login(&mp, Door::Admin, "support1", "wrong password!").await;
    let (s2, unknown) = login(&mp, Door::Admin, "nobody", PASSWORD).await;
    assert_eq!(error(s1, &wrong), (401, "invalid_credentials"));
    assert_eq!((s2, &unknown), (s1, &wrong), "the very same answer");
    // What cannot be a username, and an empty password, answer the same too.
    for (username, password) in [("a b", PASSWORD), ("", PASSWORD), ("support1", "")] {
        let (s, b) = login(&mp, Door::Admin, username, password).await;
        assert_eq!((s, &b), (s1, &wrong), "{username:?}/{password:?}");
    }
    // Not JSON, or not the fields: 400.
    let (s, b) = mp
        .call(
            Method::POST,
            "/admin/v1/auth/login",
            None,
            Some(json!({"username": "support1"})),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_json"));
    // Failed logins write no audit rows and change nothing.
    assert!(audit_rows(&mp).await.is_empty());
    let row = operators::Entity::find()
        .one(&mp.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.last_login_at, None);
    mp.finish().await;
}

#[actix_web::test]
async fn five_failures_lock_the_username_from_any_address_for_fifteen_minutes() {
    // Behind a trusted proxy, so the attempts can come from five addresses.
    let mp = MpApp::spawn_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    create_operator(&mp, "target", "admin").await;
    create_operator(&mp, "bystander", "analyst").await;
    for i in 1..=4 {
        let from = format!("203.0.113.{i}");
        let (s, b) = login_via(&mp, Door::Admin, "target", "guess-guess", Some(&from)).await;
        assert_eq!(error(s, &b), (401, "invalid_credentials"), "attempt {i}");
        mp.app.clock.advance(Duration::minutes(1));
    }
    // Four failures lock nothing.
    let (s, _) = login_via(&mp, Door::Admin, "target", PASSWORD, Some("203.0.113.50")).await;
    assert_eq!(s, 200);
    let (s, b) = login_via(
        &mp,
        Door::Admin,
        "TARGET",
        "guess-guess",
        Some("203.0.113.5"),
    )
    .await;
    assert_eq!(error(s, &b), (401, "invalid_credentials"));
    let fifth_failure = mp.now();

    // Locked: from any address, even with the right password.
    for from in ["203.0.113.6", "198.51.100.1"] {
        let (s, b) = login_via(&mp, Door::Admin, "target", PASSWORD, Some(from)).await;
        assert_eq!(error(s, &b), (429, "too_many_attempts"), "{from}");
    }
    // Other accounts at the same addresses are not.
    let (s, _) = login_via(&mp, Door::Admin, "bystander", PASSWORD, Some("203.0.113.1")).await;
    assert_eq!(s, 200);

    mp.app
        .clock
        .set(fifth_failure + Duration::minutes(15) - Duration::seconds(1));
    let (s, b) = login_via(&mp, Door::Admin, "target", PASSWORD, Some("192.0.2.1")).await;
    assert_eq!(error(s, &b), (429, "too_many_attempts"));
    // Attempts refused while locked did not extend the lock.
    mp.app.clock.set(fifth_failure + Duration::minutes(15));
    let (s, b) = login_via(&mp, Door::Admin, "target", PASSWORD, Some("192.0.2.1")).await;
    assert_eq!(s, 200, "{b}");

    // An unknown username locks the same way: the lock tells nothing about who exists.
    for i in 1..=5 {
        let from = format!("198.51.100.{i}");
        let (s, _) = login_via(&mp, Door::Admin, "ghost", "guess-guess", Some(&from)).await;
        assert_eq!(s, 401);
    }
    let (s, b) = login_via(
        &mp,
        Door::Admin,
        "ghost",
        "guess-guess",
        Some("198.51.100.9"),
    )
    .await;
    assert_eq!(error(s, &b), (429, "too_many_attempts"));
    mp.finish().await;
}

#[actix_web::test]
async fn five_failures_from_one_address_lock_it_for_every_username() {
    let mp = MpApp::spawn().await;
    create_operator(&mp, "innocent", "admin").await;
    for username in ["alice", "bob", "innocent", "carol", "dave"] {
        let (s, _) = login(&mp, Door::Admin, username, "guess-guess").await;
        assert_eq!(s, 401, "{username}");
    }
    let fifth_failure = mp.now();
    let (s, b) = login(&mp, Door::Admin, "innocent", PASSWORD).await;
    assert_eq!(error(s, &b), (429, "too_many_attempts"));
    // Without BABYVAX_TRUSTED_PROXIES a forged X-Forwarded-For changes nothing.
    let (s, b) = login_via(&mp, Door::Admin, "innocent", PASSWORD, Some("192.0.2.77")).await;
    assert_eq!(error(s, &b), (429, "too_many_attempts"));
    // The lock is the admin door's: the merchant door still answers this address.
    let (s, b) = login(&mp, Door::Merchant, "someone", "guess-guess").await;
    assert_eq!(error(s, &b), (401, "invalid_credentials"));

    mp.app.clock.set(fifth_failure + Duration::minutes(15));
    let (s, b) = login(&mp, Door::Admin, "innocent", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    mp.finish().await;
}

#[actix_web::test]
async fn parallel_guesses_get_at_most_five_password_checks() {
    let mp = MpApp::spawn().await;
    create_operator(&mp, "target", "admin").await;
    let guesses = (0..12).map(|i| {
        let mp = &mp;
        async move { login(mp, Door::Admin, "target", &format!("guess number {i}")).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    let locked = answers
        .iter()
        .filter(|(s, b)| (*s, b["code"].as_str()) == (429, Some("too_many_attempts")))
        .count();
    assert_eq!(checked + locked, 12, "{answers:?}");
    // Each attempt counts as a failure while its password is checked, so a burst cannot slip
    // more than five guesses past the lock.
    assert!(checked <= 5, "{checked} passwords checked");
    // Guesses one at a time make up the five, and not one more.
    let mut more = 0;
    while login(&mp, Door::Admin, "target", "one more guess").await.0 == 401 {
        more += 1;
        assert!(checked + more <= 5, "{checked} + {more} passwords checked");
    }
    assert_eq!(checked + more, 5);
    let (s, b) = login(&mp, Door::Admin, "target", PASSWORD).await;
    assert_eq!(error(s, &b), (429, "too_many_attempts"));
    mp.finish().await;
}

#[actix_web::test]
async fn a_disabled_operator_cannot_log_in_and_their_tokens_stop_working() {
    let mp = MpApp::spawn().await;
    let admin = operator(&mp, "root", "admin").await;
    let support = operator(&mp, "helpdesk", "support").await;
    assert_eq!(mp.get("/admin/v1/me", &support.token).await.0, 200);
    let (s, b) = mp
        .post(
            &format!("/admin/v1/operators/{}/disable", support.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    let (s, b) = mp.get("/admin/v1/me", &support.token).await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    let (s, b) = login(&mp, Door::Admin, "helpdesk", PASSWORD).await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    // Without the right password, a disabled account is like any other.
    let (s, b) = login(&mp, Door::Admin, "helpdesk", "wrong password!").await;
    assert_eq!(error(s, &b), (401, "invalid_credentials"));

    let (s, _) = mp
        .post(
            &format!("/admin/v1/operators/{}/enable", support.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(mp.get("/admin/v1/me", &support.token).await.0, 200);

    // A deleted account's token is refused the same way.
    operators::Entity::delete_by_id(support.id)
        .exec(&mp.app.db)
        .await
        .unwrap();
    let (s, b) = mp.get("/admin/v1/me", &support.token).await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    mp.finish().await;
}
