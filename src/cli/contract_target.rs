//! `babyvax contract-target` (hidden): the server on a free loopback port with a throw-away
//! SQLite database and a fake WeChat, for contract fuzzing (`tests/schemathesis/run.sh`).
//! Prints one JSON line once it listens: the base URL and what each door's login needs (single-use
//! `wx.login` codes the fake accepts, one member each; an administrator; a merchant's clerk). Serves until its standard input closes
//! or Ctrl-C.

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use crate::config::RawSettings;
use crate::fake_wechat::FakeWechat;
use crate::service::audience::consent::PRIVACY_POLICY_VERSION;
use crate::service::staff::accounts::{self, NewMerchantStaff, NewOperator};
use crate::startup;

const MP_APPID: &str = "wxcontract000000001";
const MP_SECRET: &str = "contract-mp-secret";
/// The staff accounts the fuzzer logs in with; a throw-away database, so fixed is fine.
const ADMIN_USERNAME: &str = "fuzz-admin";
const CLERK_USERNAME: &str = "fuzz-clerk";
const STAFF_PASSWORD: &str = "contract-fuzz-password";

#[derive(clap::Args)]
pub struct ContractTargetArgs {
    /// How many `wx.login` codes to issue (each logs in a new member once).
    #[arg(long, default_value_t = 200)]
    pub login_codes: u32,
}

pub async fn run(args: ContractTargetArgs) -> anyhow::Result<()> {
    let fake = FakeWechat::start()
        .await
        .context("starting the fake WeChat")?;
    fake.register_app(MP_APPID, MP_SECRET);
    let codes: Vec<String> = (0..args.login_codes)
        .map(|i| {
            let code = format!("contract-login-{i}");
            fake.add_login_code(&code, &format!("contract-member-{i}"), None, "c2Vzc2lvbg==");
            code
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("babyvax-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("temporary directory")?;
    let raw = RawSettings {
        database_url: format!("sqlite://{}?mode=rwc", dir.join("contract.db").display()),
        bind: "127.0.0.1:0".into(),
        mp_appid: Some(MP_APPID.into()),
        mp_secret: Some(MP_SECRET.into()),
        wechat_api_base: fake.base_url().to_string(),
        jwt_secret: Some("contract-jwt-secret-not-for-production".into()),
        push_enabled: false,
        ..RawSettings::default()
    };
    let settings = raw.validate()?;
    let db = startup::connect_database(&settings.database_url).await?;
    startup::migrate(&db).await?;
    seed_staff(&db).await?;
    let listener = TcpListener::bind("127.0.0.1:0").context("bind")?;
    let address = listener.local_addr().context("address")?;
    let state = startup::build_state(settings, db.clone(), Arc::new(SystemClock))?;
    let server = startup::serve(listener, state)?;
    let handle = server.handle();
    actix_web::rt::spawn(server);

    println!(
        "{}",
        json!({
            "base_url": format!("http://{address}"),
            "privacy_policy_version": PRIVACY_POLICY_VERSION,
            // A baby 100 days old, whatever today is.
            "sample_birth_date": SystemClock.today_shanghai() - chrono::Days::new(100),
            "mp_login_codes": codes,
            "admin_username": ADMIN_USERNAME,
            "clerk_username": CLERK_USERNAME,
            "staff_password": STAFF_PASSWORD,
        })
    );
    // The caller holds our standard input: when it goes away, so do we.
    let (closed, stdin_closed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = stdin_closed => {}
    }
    handle.stop(true).await;
    fake.stop().await;
    db.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// An administrator, and a merchant with one store and its clerk.
async fn seed_staff(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    use entity::{merchant_stores, merchants};
    use sea_orm::{ActiveModelTrait, Set};

    let now = SystemClock.now();
    let admin = NewOperator {
        username: ADMIN_USERNAME.into(),
        password: STAFF_PASSWORD.into(),
        role: "admin".into(),
    };
    accounts::create_operator(db, &admin, None, now).await?;
    let merchant = merchants::ActiveModel {
        name: Set("契约测试母婴店".into()),
        status: Set("active".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let store = merchant_stores::ActiveModel {
        merchant_id: Set(merchant.id),
        name: Set("一店".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let clerk = NewMerchantStaff {
        username: CLERK_USERNAME.into(),
        password: STAFF_PASSWORD.into(),
        role: "clerk".into(),
        merchant_id: merchant.id,
        store_id: Some(store.id),
    };
    accounts::create_merchant_staff(db, &clerk, None, now).await?;
    Ok(())
}
