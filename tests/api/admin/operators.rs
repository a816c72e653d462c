//! Operator accounts managed by admins over `/admin/v1/operators`: validation, roles, disabling,
//! and an audit row for every change.

use entity::{audit_log, operators};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use serde_json::json;

use crate::admin::support::{Door, PASSWORD, audited_actions, login, operator};
use crate::mp::support::{MpApp, error};

#[actix_web::test]
async fn an_admin_creates_operators_who_can_log_in_and_each_creation_is_audited() {
    let mp = MpApp::spawn().await;
    let admin = operator(&mp, "root", "admin").await;
    let (s, created) = mp
        .post(
            "/admin/v1/operators",
            &admin.token,
            json!({"username": "Support.Amy", "password": "ten chars!", "role": "support"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["username"], "support.amy");
    assert_eq!(created["role"], "support");
    assert_eq!(created["disabled"], false);
    assert_eq!(created["last_login_at"], json!(null));
    assert!(created.get("password_hash").is_none());
    let id = created["id"].as_i64().unwrap() as i32;

    let stored = operators::Entity::find_by_id(id)
        .one(&mp.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$v=19$"));
    assert!(!stored.password_hash.contains("ten chars!"));
    let (s, b) = login(&mp, Door::Admin, "support.amy", "ten chars!").await;
    assert_eq!(s, 200, "{b}");

    let rows = audited_actions(&mp).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.action, "operator.create");
    assert_eq!(
        (
            row.actor_kind.as_str(),
            row.actor_id,
            row.actor_role.as_str()
        ),
        ("operator", admin.id, "admin")
    );
    assert_eq!(
        (row.target_type.as_deref(), row.target_id.as_deref()),
        (Some("operator"), Some(id.to_string().as_str()))
    );
    assert!(row.request_id.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(row.client_addr.as_deref(), Some("127.0.0.1"));

    // The list: everyone, oldest first, no hashes.
    let (s, list) = mp.get("/admin/v1/operators", &admin.token).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root", "support.amy"]);
    assert!(!list.to_string().contains("argon2"));
    mp.finish().await;
}

#[actix_web::test]
async fn new_operators_are_validated_and_usernames_are_unique_whatever_their_case() {
    let mp = MpApp::spawn().await;
    let admin = operator(&mp, "root", "admin").await;
    let create = |username: &str, password: &str, role: &str| {
        let body = json!({"username": username, "password": password, "role": role});
        let token = admin.token.clone();
        let mp = &mp;
        async move { mp.post("/admin/v1/operators", &token, body).await }
    };
    for (username, password, role, code) in [
        ("ab", "long enough!", "support", "invalid_username"),
        (
            &"a".repeat(33) as &str,
            "long enough!",
            "support",
            "invalid_username",
        ),
        ("has space", "long enough!", "support", "invalid_username"),
        ("ünïcode", "long enough!", "support", "invalid_username"),
        ("fine.name", "nine char", "support", "weak_password"),
        (
            "fine.name",
            &"x".repeat(129) as &str,
            "support",
            "weak_password",
        ),
        ("fine.name", "long enough!", "superuser", "invalid_role"),
        ("fine.name", "long enough!", "owner", "invalid_role"),
        ("fine.name", "long enough!", "Admin", "invalid_role"),
    ] {
        let (s, b) = create(username, password, role).await;
        assert_eq!(
            error(s, &b),
            (400, code),
            "{username:?} {password:?} {role:?}"
        );
    }
    let (s, b) = mp
        .post(
            "/admin/v1/operators",
            &admin.token,
            json!({"username": "x", "role": "admin"}),
        )
        .await;
    assert_eq!(error(s, &b), (400, "invalid_json"));

    let (s, _) = create("analyst-1", "long enough!", "analyst").await;
    assert_eq!(s, 201);
    let (s, b) = create("ANALYST-1", "other password", "support").await;
    assert_eq!(error(s, &b), (409, "username_taken"));
    let (s, b) = create("root", "other password", "support").await;
    assert_eq!(error(s, &b), (409, "username_taken"));
    assert_eq!(
        operators::Entity::find().count(&mp.app.db).await.unwrap(),
        2
    );
    // Only the successful creation is audited.
    assert_eq!(audited_actions(&mp).await.len(), 1);
    mp.finish().await;
}

#[actix_web::test]
async fn only_admins_manage_operators() {
    let mp = MpApp::spawn().await;
    let admin = operator(&mp, "root", "admin").await;
    for role in ["operator", "support", "analyst"] {
        let who = operator(&mp, &format!("{role}-1"), role).await;
        let (s, b) = mp
            .post(
                "/admin/v1/operators",
                &who.token,
                json!({"username": "sneaky", "password": "long enough!", "role": "admin"}),
            )
            .await;
        assert_eq!(error(s, &b), (403, "role_forbidden"), "{role}");
        let (s, b) = mp.get("/admin/v1/operators", &who.token).await;
        assert_eq!(error(s, &b), (403, "role_forbidden"), "{role}");
        let (s, b) = mp
            .post(
                &format!("/admin/v1/operators/{}/disable", admin.id),
                &who.token,
                json!({}),
            )
            .await;
        assert_eq!(error(s, &b), (403, "role_forbidden"), "{role}");
        let (s, b) = mp
            .post(
                &format!("/admin/v1/operators/{}/enable", who.id),
                &who.token,
                json!({}),
            )
            .await;
        assert_eq!(error(s, &b), (403, "role_forbidden"), "{role}");
        // Their own account they may see.
        let (s, me) = mp.get("/admin/v1/me", &who.token).await;
        assert_eq!((s, me["role"].as_str()), (200, Some(role)));
    }
    let (_, list) = mp.get("/admin/v1/operators", &admin.token).await;
    assert_eq!(list.as_array().unwrap().len(), 4, "no one was created");
    assert!(
        audited_actions(&mp).await.is_empty(),
        "refusals change nothing"
    );
    mp.finish().await;
}

#[actix_web::test]
async fn disabling_and_enabling_are_audited_and_an_admin_cannot_disable_themselves() {
    let mp = MpApp::spawn().await;
    let admin = operator(&mp, "root", "admin").await;
    let other = operator(&mp, "second", "admin").await;
    let (s, b) = mp
        .post(
            &format!("/admin/v1/operators/{}/disable", admin.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &b), (409, "cannot_disable_self"));
    let (s, b) = mp
        .post("/admin/v1/operators/99999/disable", &admin.token, json!({}))
        .await;
    assert_eq!(error(s, &b), (404, "operator_not_found"));
    let (s, b) = mp
        .post("/admin/v1/operators/99999/enable", &admin.token, json!({}))
        .await;
    assert_eq!(error(s, &b), (404, "operator_not_found"));
    let (s, b) = mp
        .post("/admin/v1/operators/x/disable", &admin.token, json!({}))
        .await;
    assert_eq!(error(s, &b), (400, "invalid_path"));

    let (s, b) = mp
        .post(
            &format!("/admin/v1/operators/{}/disable", other.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!((s, &b["disabled"]), (200, &json!(true)), "{b}");
    // A disabled admin can no longer act, e.g. to disable the one who disabled them.
    let (s, b) = mp
        .post(
            &format!("/admin/v1/operators/{}/disable", admin.id),
            &other.token,
            json!({}),
        )
        .await;
    assert_eq!(error(s, &b), (401, "account_disabled"));
    let (s, b) = mp
        .post(
            &format!("/admin/v1/operators/{}/enable", other.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!((s, &b["disabled"]), (200, &json!(false)), "{b}");
    assert_eq!(login(&mp, Door::Admin, "second", PASSWORD).await.0, 200);

    let actions: Vec<(String, Option<String>)> = audited_actions(&mp)
        .await
        .into_iter()
        .map(|row| (row.action, row.target_id))
        .collect();
    let target = Some(other.id.to_string());
    assert_eq!(
        actions,
        [
            ("operator.disable".to_owned(), target.clone()),
            ("operator.enable".to_owned(), target)
        ]
    );
    mp.finish().await;
}

#[actix_web::test]
async fn the_audit_log_is_append_only_in_the_database() {
    let mp = MpApp::spawn().await;
    operator(&mp, "root", "admin").await;
    let db = &mp.app.db;
    let backend = db.get_database_backend();
    assert_eq!(audit_log::Entity::find().count(db).await.unwrap(), 1);
    for sql in [
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
    ] {
        let err = db
            .execute(Statement::from_string(backend, sql))
            .await
            .expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let rows = audit_log::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action, "auth.login");
    mp.finish().await;
}
