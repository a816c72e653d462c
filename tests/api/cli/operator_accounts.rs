//! `babyvax operator create` / `list` run as separate processes: a fresh install creates its
//! first administrator, who then logs in over HTTP.

use std::process::{Output, Stdio};

use tokio::io::AsyncWriteExt;

use crate::helpers::{TestApp, TestDatabase};

pub(super) async fn babyvax(database: &TestDatabase, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args(args)
        .env("DATABASE_URL", database.process_url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("babyvax runs");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes())
            .await
            .expect("stdin written");
    }
    drop(pipe);
    child.wait_with_output().await.expect("babyvax ends")
}

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[actix_web::test]
async fn the_first_administrator_is_created_from_the_command_line_and_logs_in() {
    let database = TestDatabase::fresh().await;
    let create = [
        "operator",
        "create",
        "--username",
        "Root",
        "--role",
        "admin",
        "--password-stdin",
    ];

    let out = babyvax(
        &database,
        &create,
        Some("s3cret admin pw\nignored second line\n"),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("operator 1 created: root (admin)"),
        "{printed}"
    );

    // Refusals, each with its code and nothing created.
    for (args, stdin, expected) in [
        (&create[..], Some("another pw 123\n"), "username_taken"),
        (
            &[
                "operator",
                "create",
                "--username",
                "short",
                "--role",
                "admin",
                "--password-stdin",
            ][..],
            Some("123456789\n"),
            "weak_password",
        ),
        (
            &[
                "operator",
                "create",
                "--username",
                "boss",
                "--role",
                "king",
                "--password-stdin",
            ][..],
            Some("long enough pw\n"),
            "invalid_role",
        ),
        (
            &[
                "operator",
                "create",
                "--username",
                "a b",
                "--role",
                "admin",
                "--password-stdin",
            ][..],
            Some("long enough pw\n"),
            "invalid_username",
        ),
        (
            &[
                "operator",
                "create",
                "--username",
                "boss",
                "--role",
                "admin",
                "--password-stdin",
            ][..],
            Some(""),
            "no password on standard input",
        ),
        (
            &[
                "operator",
                "create",
                "--username",
                "boss",
                "--role",
                "admin",
            ][..],
            Some("long enough pw\n"),
            "--password-stdin",
        ),
    ] {
        let out = babyvax(&database, args, stdin).await;
        assert!(!out.status.success(), "{args:?} should fail");
        let said = text(&out.stderr);
        assert!(said.contains(expected), "{args:?}: {said}");
        assert!(
            !said.contains("long enough pw"),
            "passwords are never echoed: {said}"
        );
    }

    let out = babyvax(&database, &["operator", "list"], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("root") && listed.contains("admin") && listed.contains("active"));
    assert!(listed.contains("last login never"), "{listed}");
    assert!(!listed.contains("argon2"), "no hashes: {listed}");

    // The account works at the admin door.
    let app = TestApp::spawn_with(database, |_| {}).await;
    let res = app
        .http
        .post(format!("{}/admin/v1/auth/login", app.address))
        .json(&serde_json::json!({"username": "root", "password": "s3cret admin pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = res.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app
        .http
        .get(format!("{}/admin/v1/me", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(
        (&me["username"], &me["role"]),
        (&"root".into(), &"admin".into())
    );
    app.finish().await;
}

#[actix_web::test]
async fn listing_on_a_fresh_install_says_how_to_create_the_first_operator() {
    let database = TestDatabase::fresh().await;
    let out = babyvax(&database, &["operator", "list"], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("babyvax operator create"));
    database.drop().await;
}
