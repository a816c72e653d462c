//! Operator commands run as separate processes against the fake WeChat: menus and channel QR codes.

use std::process::Output;

use babyvax::fake_wechat::FakeWechat;

const OA_APPID: &str = "wxoperatorcli";
const OA_SECRET: &str = "oa-secret";

async fn babyvax(fake: &FakeWechat, database_url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("BABYVAX_OA_APPID", OA_APPID)
        .env("BABYVAX_OA_SECRET", OA_SECRET)
        .env("BABYVAX_WECHAT_API_BASE", fake.base_url().as_str())
        .env_remove("BABYVAX_OA_TOKEN")
        .env_remove("BABYVAX_OA_AES_KEY")
        .output()
        .await
        .expect("babyvax runs")
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display())
}

#[actix_web::test]
async fn channel_create_issues_a_permanent_qr_code_with_the_channel_scene() {
    babyvax::startup::install_crypto_provider();
    let fake = FakeWechat::start().await.unwrap();
    fake.register_app(OA_APPID, OA_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);

    let out = babyvax(
        &fake,
        &db,
        &[
            "channel",
            "create",
            "--code",
            "clinic-12",
            "--name",
            "城东社区卫生服务中心",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("scene    ch:clinic-12"), "{printed}");
    assert!(
        printed.contains("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="),
        "{printed}"
    );

    let qrcodes = fake.qrcodes();
    assert_eq!(qrcodes.len(), 1);
    assert_eq!(qrcodes[0].action_name, "QR_LIMIT_STR_SCENE");
    assert_eq!(qrcodes[0].scene, "ch:clinic-12");
    assert!(
        printed.contains(&format!("ticket   {}", qrcodes[0].ticket)),
        "{printed}"
    );

    let listed = babyvax(&fake, &db, &["channel", "list"]).await;
    assert!(String::from_utf8_lossy(&listed.stdout).contains("clinic-12"));
    let again = babyvax(
        &fake,
        &db,
        &["channel", "create", "--code", "clinic-12", "--name", "x"],
    )
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("channel_exists"));
    let bad = babyvax(
        &fake,
        &db,
        &["channel", "create", "--code", "has space", "--name", "x"],
    )
    .await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_channel_code"));
    assert_eq!(fake.qrcodes().len(), 1, "refused channels issue no QR code");
    fake.stop().await;
}

#[actix_web::test]
async fn menu_push_installs_the_file_and_show_reads_it_back() {
    babyvax::startup::install_crypto_provider();
    let fake = FakeWechat::start().await.unwrap();
    fake.register_app(OA_APPID, OA_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let menu = serde_json::json!({"button": [
        {"type": "click", "name": "接种计划", "key": "MENU_SCHEDULE"},
        {"name": "更多", "sub_button": [{"type": "view", "name": "帮助", "url": "https://example.invalid/help"}]}
    ]});
    let file = dir.path().join("menu.json");
    std::fs::write(&file, menu.to_string()).unwrap();

    let out = babyvax(&fake, &db, &["menu", "push", file.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fake.menu().unwrap()["button"][0]["key"], "MENU_SCHEDULE");

    let shown = babyvax(&fake, &db, &["menu", "show"]).await;
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(String::from_utf8_lossy(&shown.stdout).contains("接种计划"));

    std::fs::write(
        &file,
        r#"{"button": [{"type": "click", "name": "no key"}]}"#,
    )
    .unwrap();
    let bad = babyvax(&fake, &db, &["menu", "push", file.to_str().unwrap()]).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_menu"));
    assert_eq!(
        fake.menu().unwrap()["button"][0]["key"],
        "MENU_SCHEDULE",
        "a refused menu changes nothing"
    );
    fake.stop().await;
}
