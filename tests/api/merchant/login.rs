//! Logging in at the merchant door: the staff member's merchant, store and role, one answer for
//! unknown usernames and wrong passwords, lockout, disabled accounts and 12-hour tokens.

use babyvax::clock::Clock;
use babyvax::service::staff::accounts::{self, NewMerchantStaff};
use chrono::Duration;
use entity::merchant_staff;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::admin::support::{
    Door, PASSWORD, audit_rows, create_merchant_staff, create_operator, login, login_via, merchant,
    merchant_staff,
};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn staff_log_in_for_twelve_hours_and_see_their_merchant_store_and_role() {
    let mp = MpApp::spawn().await;
    let (merchant_id, store_id) = merchant(&mp, "贝贝母婴").await;
    let owner = merchant_staff(&mp, "Bei.Owner", "owner", merchant_id, None).await;
    let clerk = merchant_staff(&mp, "bei.clerk", "clerk", merchant_id, Some(store_id)).await;
    let login_at = mp.now();

    let (s, me) = mp.get("/merchant/v1/me", &owner.token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (
            &me["username"],
            &me["role"],
            &me["merchant_id"],
            &me["store_id"]
        ),
        (
            &"bei.owner".into(),
            &"owner".into(),
            &merchant_id.into(),
            &serde_json::Value::Null
        )
    );
    let (s, me) = mp.get("/merchant/v1/me", &clerk.token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (&me["role"], &me["store_id"]),
        (&"clerk".into(), &store_id.into())
    );
    let last: chrono::DateTime<chrono::Utc> =
        me["last_login_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(last, login_at);
    assert!(me.get("password_hash").is_none());

    let logins: Vec<_> = audit_rows(&mp)
        .await
        .into_iter()
        .map(|r| (r.actor_kind, r.actor_id, r.actor_role, r.action))
        .collect();
    assert_eq!(
        logins,
        [
            (
                "merchant_staff".into(),
                owner.id,
                "owner".into(),
                "auth.login".into()
            ),
            (
                "merchant_staff".into(),
                clerk.id,
                "clerk".into(),
                "auth.login".into()
            ),
        ]
    );

    mp.app
        .clock
        .advance(Duration::hours(12) - Duration::seconds(1));
    assert_eq!(mp.get("/merchant/v1/me", &clerk.token).await.0, 200);
    mp.app.clock.advance(Duration::seconds(1));
    let (s, b) = mp.get("/merchant/v1/me", &clerk.token).await;
    assert_eq!(error(s, &b), (401, "token_expired"));
    mp.finish().await;
}

#[actix_web::test]
async fn wrong_passwords_and_unknown_usernames_get_one_answer_and_five_lock_the_account() {
    // Behind a trusted proxy, so each attempt comes from its own address: only the account locks.
    let mp = MpApp::spawn_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let (merchant_id, _) = merchant(&mp, "贝贝母婴").await;
    create_merchant_staff(&mp, "bei.clerk", "clerk", merchant_id, None).await;
    let (s1, wrong) = login(&mp, Door::Merchant, "bei.clerk", "wrong password").await;
    let (s2, unknown) = login(&mp, Door::Merchant, "nobody", PASSWORD).await;
    assert_eq!(error(s1, &wrong), (401, "invalid_credentials"));
    assert_eq!((s2, &unknown), (s1, &wrong));
    // An operator's username and password are not a merchant login.
    create_operator(&mp, "root", "admin").await;
    let (s, b) = login(&mp, Door::Merchant, "root", PASSWORD).await;
    assert_eq!((s, &b), (s1, &wrong));

    for i in 2..=5 {
        let from = format!("203.0.113.{i}");
        let (s, _) = login_via(
            &mp,
            Door::Merchant,
            "bei.clerk",
            "wrong password",
            Some(&from),
        )
        .await;
        assert_eq!(s, 401);
    }
    let fifth_failure = mp.now();
    let (s, b) = login_via(
        &mp,
        Door::Merchant,
        "bei.clerk",
        PASSWORD,
        Some("192.0.2.1"),
    )
    .await;
    assert_eq!(error(s, &b), (429, "too_many_attempts"));
    // The lock is the merchant door's: the same username at the admin door is another account.
    assert_eq!(login(&mp, Door::Admin, "root", PASSWORD).await.0, 200);
    mp.app.clock.set(fifth_failure + Duration::minutes(15));
    let (s, b) = login_via(
        &mp,
        Door::Merchant,
        "bei.clerk",
        PASSWORD,
        Some("192.0.2.1"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    mp.finish().await;
}

#[actix_web::test]
async fn a_disabled_staff_member_cannot_log_in_and_their_tokens_stop_working() {
    let mp = MpApp::spawn().await;
    let (merchant_id, store_id) = merchant(&mp, "贝贝母婴").await;
    let clerk = merchant_staff(&mp, "bei.clerk", "clerk", merchant_id, Some(store_id)).await;
    assert_eq!(mp.get("/merchant/v1/me", &clerk.token).await.0, 200);
    // Disabling staff comes with the merchant door's staff management; the flag is what counts.
    merchant_staff::Entity::update_many()
        .col_expr(merchant_staff::Column::Disabled, Expr::value(true))
        .filter(merchant_staff::Column::Id.eq(clerk.id))
        .exec(&mp.app.db)
        .await
        .unwrap();
    let (s, b) = mp.get("/merchant/v1/me", &clerk.token).await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    let (s, b) = login(&mp, Door::Merchant, "bei.clerk", PASSWORD).await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    merchant_staff::Entity::delete_by_id(clerk.id)
        .exec(&mp.app.db)
        .await
        .unwrap();
    let (s, b) = mp.get("/merchant/v1/me", &clerk.token).await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    mp.finish().await;
}

#[actix_web::test]
async fn a_clerks_store_must_be_one_of_their_merchants_stores() {
    let mp = MpApp::spawn().await;
    let (merchant_id, _) = merchant(&mp, "贝贝母婴").await;
    let (_, other_store) = merchant(&mp, "别家").await;
    let input = NewMerchantStaff {
        username: "wrong.store".into(),
        password: PASSWORD.into(),
        role: "clerk".into(),
        merchant_id,
        store_id: Some(other_store),
    };
    let refused =
        accounts::create_merchant_staff(&mp.app.db, &input, None, mp.app.clock.now()).await;
    assert!(
        refused.is_err(),
        "the schema's key refuses another merchant's store"
    );
    mp.finish().await;
}
