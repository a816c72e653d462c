//! SIGKILL in the middle of sending: the real binary (`babyvax push run`) sends to a fake
//! WeChat started here, is killed with `kill -9` part-way, and is started again. Every planned
//! message is delivered, and our side sends at most one message twice (the one in flight at the
//! kill); WeChat's `client_msg_id` then drops that copy, so parents see each message once.
//!
//! On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (the binary reaches the test's
//! schema through the URL's `options=-c search_path=...`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use babyvax::cli::demo::{DEMO_TEMPLATES, birth_for};
use babyvax::cli::seed::{self, Family};
use babyvax::clock::{Clock, SystemClock};
use babyvax::domain::push::Kind;
use babyvax::fake_wechat::{FakeWechat, Fault, TEMPLATE_SEND};
use babyvax::startup;
use entity::push_outbox;
use sea_orm::EntityTrait;

use crate::helpers::{APPID, TestDatabase};

const OA_SECRET: &str = "oa-crash-secret";

fn push_run(dir: &std::path::Path, db_url: &str, api: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args(["push", "run"])
        .current_dir(dir)
        .env("DATABASE_URL", db_url)
        .env("BABYVAX_WECHAT_API_BASE", api)
        .env("BABYVAX_OA_APPID", APPID)
        .env("BABYVAX_OA_SECRET", OA_SECRET)
        .env("BABYVAX_PUSH_TEMPLATES", DEMO_TEMPLATES)
        // No quiet hours: the test may run at any time of day.
        .env("BABYVAX_PUSH_QUIET_START", "00:00")
        .env("BABYVAX_PUSH_QUIET_END", "00:00")
        .env("BABYVAX_PUSH_LEASE_SECS", "5")
        .env("BABYVAX_PUSH_BATCH_SIZE", "10")
        .env("BABYVAX_PUSH_SEND_RATE_PER_SEC", "1000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the babyvax binary starts")
}

#[actix_web::test]
async fn killed_mid_sending_and_restarted_every_message_goes_out_and_at_most_one_twice() {
    startup::install_crypto_provider();
    let fake = FakeWechat::start().await.expect("fake WeChat");
    fake.register_app(APPID, OA_SECRET);
    let dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::fresh().await;
    let db_url = database.process_url();
    let db = database.connect().await;
    startup::migrate(&db).await.expect("migrations");

    // Families who follow the account, with babies that have something due today.
    let today = SystemClock.today_shanghai();
    let now = SystemClock.now();
    // Birth dates for which something (a reminder, a stage) is planned today.
    let mut births = Vec::new();
    for kind in [
        Kind::DueToday,
        Kind::DueSoon,
        Kind::Overdue7,
        Kind::Overdue30,
        Kind::Stage,
    ] {
        let mut skip = 0;
        while let Some(birth) = birth_for(today, kind, skip) {
            births.push(birth);
            skip += 1;
        }
    }
    // Babies registered late, with doses already due: a catch-up today (every 20th birth
    // date, nearly every one qualifies).
    for skip in (0..400).step_by(20) {
        births.extend(birth_for(today, Kind::CatchUp, skip));
    }
    births.sort();
    births.dedup();
    assert!(births.len() >= 40, "{births:?}");
    let mut births = births.into_iter();
    for f in 0..5 {
        let openid = format!("mp-{f}");
        let oa = format!("oa-{f}");
        let family = Family {
            openid: &openid,
            oa_openid: Some(&oa),
            follows: true,
            allowances: vec![],
            nickname: "家长",
            province: None,
        };
        let member = seed::family(&db, &family, now)
            .await
            .expect("family")
            .member_id;
        for b in 0..8 {
            let birth = births.next().expect("a birth date");
            seed::baby(
                &db,
                member,
                &format!("宝宝{b}"),
                birth,
                &[("HepB", 1, birth), ("BCG", 1, birth)],
                today,
                now,
            )
            .await
            .expect("baby");
        }
    }
    // Slow answers, so that the kill lands mid-way.
    fake.inject(
        TEMPLATE_SEND,
        Fault::Delay(Duration::from_millis(40)),
        100_000,
    );
    let api = fake.base_url().to_string();

    let mut first = push_run(dir.path(), &db_url, &api);
    let started = Instant::now();
    while fake.calls(TEMPLATE_SEND) < 8 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "sending never started"
        );
        assert!(
            first.try_wait().expect("wait").is_none(),
            "finished before the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let at_kill = fake.calls(TEMPLATE_SEND);

    let rows = push_outbox::Entity::find().all(&db).await.expect("rows");
    let total = rows.len() as u64;
    assert!(
        total > at_kill,
        "the kill must come before the end ({at_kill} of {total})"
    );

    // The dead process's leases run out, then a new process finishes the job.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut second = push_run(dir.path(), &db_url, &api);
    let started = Instant::now();
    loop {
        if let Some(status) = second.try_wait().expect("wait") {
            assert!(status.success(), "second run failed: {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "second run hangs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let rows = push_outbox::Entity::find().all(&db).await.expect("rows");
    assert_eq!(rows.len() as u64, total, "restarting planned nothing twice");
    assert!(
        rows.iter().all(|r| r.status == "sent"),
        "all sent: {rows:?}"
    );
    // What parents received: each message once (WeChat drops a repeated client_msg_id).
    let delivered = fake.sent_messages();
    assert_eq!(delivered.len() as u64, total);
    // What we sent: at most the one message in flight at the kill went out twice.
    let calls = fake.calls(TEMPLATE_SEND);
    assert!(
        calls <= total + 1,
        "{calls} sends for {total} messages: more than one duplicate"
    );
    eprintln!(
        "push_crash: {total} messages, {at_kill} sends before the kill, {calls} sends in all"
    );

    // `push status` reads the same outbox.
    let status = Command::new(env!("CARGO_BIN_EXE_babyvax"))
        .args(["push", "status"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &db_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("push status runs");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains(&format!("sent           {total}")), "{text}");
    db.close().await.ok();
    database.drop().await;
}
