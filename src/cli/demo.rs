//! `babyvax demo`: the whole push flow in one command, without WeChat credentials. Starts a fake
//! WeChat and the server on loopback with a throw-away SQLite database, seeds a few families
//! (babies of different ages registered that day, some with doses already due; parents who
//! follow the official account, who only gave subscribe consent, who gave nothing), plans one
//! day, sends, and prints what the fake WeChat received and the outbox's summary.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;
use chrono::{Days, NaiveDate, NaiveTime, TimeZone, Utc};

use super::push::{format_plan, format_send, format_summary};
use super::seed::{self, Family};
use crate::clock::{Clock, ManualClock, SystemClock, shanghai};
use crate::config::{RawSettings, Settings};
use crate::domain::push::{self as rules, Kind};
use crate::domain::schedule::{self, Edition, GivenDose, ScheduleInput};
use crate::fake_wechat::FakeWechat;
use crate::service::messaging::outbox;
use crate::service::push::planner;
use crate::service::push::sender::Sender;
use crate::service::push::stages;
use crate::startup;

pub const OA_APPID: &str = "wxdemo0a0000000001";
pub const MP_APPID: &str = "wxdemo0mp000000001";

/// Template ids and keyword mapping of the demo (a real account configures its own).
pub const DEMO_TEMPLATES: &str = r#"{
  "vaccine": {
    "oa": {"template_id": "OA_VACCINE_REMINDER", "page": "pages/baby/index?id={baby_id}",
           "fields": {"first": "{kind_text}", "keyword1": "{baby_name}",
                      "keyword2": "{doses}", "keyword3": "{date}",
                      "remark": "接种地点：{clinic}"}},
    "mp": {"template_id": "MP_VACCINE_REMINDER", "page": "pages/baby/index?id={baby_id}",
           "fields": {"thing1": "{baby_name}", "thing2": "{doses}", "date3": "{date}",
                      "thing4": "{kind_text}"}}
  },
  "stage": {
    "oa": {"template_id": "OA_STAGE_CONTENT", "page": "pages/feed/index?id={baby_id}",
           "fields": {"first": "{baby_name}进入新阶段", "keyword1": "{title}", "remark": "{summary}"}},
    "mp": {"template_id": "MP_STAGE_CONTENT", "page": "pages/feed/index?id={baby_id}",
           "fields": {"thing1": "{title}", "thing2": "{summary}"}}
  },
  "announcement": {
    "oa": {"template_id": "OA_ANNOUNCEMENT", "fields": {"first": "{title}", "remark": "{summary}"}},
    "mp": {"template_id": "MP_ANNOUNCEMENT", "fields": {"thing1": "{title}", "thing2": "{summary}"}}
  }
}"#;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// The day to plan, YYYY-MM-DD (default today, Asia/Shanghai). The demo runs at 09:30 then.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Keep the server (and the fake WeChat) running after the demo, until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
}

/// The latest birth date before `as_of` for which the planner calls for `kind` on `as_of` for a
/// baby registered that day with only the birth doses recorded: so the demo shows every kind
/// whatever the day.
pub fn birth_for(as_of: NaiveDate, kind: Kind, skip: u64) -> Option<NaiveDate> {
    let rules = rules::Rules::default();
    let mut found = 0;
    for days in 1..3000u64 {
        let birth = as_of.checked_sub_days(Days::new(days))?;
        let mut input = ScheduleInput::new(birth, as_of);
        input.given = vec![
            GivenDose {
                vaccine: "HepB".into(),
                dose: 1,
                date: birth,
            },
            GivenDose {
                vaccine: "BCG".into(),
                dose: 1,
                date: birth,
            },
        ];
        let Ok(s) = schedule::compute(Edition::current(), &input) else {
            continue;
        };
        let registered = rules::FollowUp::after_change(as_of);
        let day = rules::plan_day(
            &rules,
            birth,
            &s,
            &stages::for_birth(birth),
            as_of,
            registered,
        );
        if day.messages.iter().any(|p| p.kind == kind) {
            if found == skip {
                return Some(birth);
            }
            found += 1;
        }
    }
    None
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(|| SystemClock.today_shanghai());
    let at = shanghai()
        .from_local_datetime(&as_of.and_time(NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default()))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .context("as-of date out of range")?;
    let clock = Arc::new(ManualClock::new(at));

    let fake = FakeWechat::start()
        .await
        .context("starting the fake WeChat")?;
    fake.register_app(OA_APPID, "demo-oa-secret");
    fake.register_app(MP_APPID, "demo-mp-secret");
    let dir = std::env::temp_dir().join(format!("babyvax-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("temporary directory")?;
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("demo.db").display());
    let raw = RawSettings {
        database_url: db_url,
        bind: "127.0.0.1:0".into(),
        oa_appid: Some(OA_APPID.into()),
        oa_secret: Some("demo-oa-secret".into()),
        mp_appid: Some(MP_APPID.into()),
        mp_secret: Some("demo-mp-secret".into()),
        wechat_api_base: fake.base_url().to_string(),
        jwt_secret: Some("demo-jwt-secret-not-for-production".into()),
        push_send_rate_per_sec: 200.0,
        push_templates: Some(serde_json::Value::String(DEMO_TEMPLATES.into())),
        ..RawSettings::default()
    };
    let settings: Settings = raw.validate()?;
    let db = startup::connect_database(&settings.database_url).await?;
    startup::migrate(&db).await?;
    let listener = TcpListener::bind("127.0.0.1:0").context("bind")?;
    let address = listener.local_addr().context("address")?;
    let state = startup::build_state(settings, db.clone(), clock.clone())?;
    let server = startup::serve(listener, state.clone())?;
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "babyvax demo — server on http://{address}, fake WeChat on {}, planning {as_of} at 09:30 (Asia/Shanghai)\n",
        fake.base_url()
    );
    let now = clock.now();
    let families = [
        (
            Family {
                openid: "mp-wang",
                oa_openid: Some("oa-wang"),
                follows: true,
                allowances: vec![],
                nickname: "王妈妈",
                province: Some("上海"),
            },
            "follows the official account → template messages",
            vec![("小米", Kind::DueSoon, 0), ("小麦", Kind::Stage, 0)],
        ),
        (
            Family {
                openid: "mp-li",
                oa_openid: Some("oa-li"),
                follows: false,
                allowances: vec![("MP_VACCINE_REMINDER", 2)],
                nickname: "李爸爸",
                province: Some("浙江"),
            },
            "unfollowed, 2 subscribe consents → subscribe messages",
            // 朵朵: about 3 months old, registered late: one catch-up names her missing doses.
            vec![("豆豆", Kind::DueToday, 0), ("朵朵", Kind::CatchUp, 60)],
        ),
        (
            Family {
                openid: "mp-zhao",
                oa_openid: None,
                follows: false,
                allowances: vec![],
                nickname: "赵妈妈",
                province: Some("北京"),
            },
            "no follow, no consent → undeliverable (the mini-program asks for consent)",
            // About 13 months old, only the birth doses recorded: one catch-up for 12 doses.
            vec![("乐乐", Kind::CatchUp, 360)],
        ),
    ];
    for (family, story, babies) in &families {
        let seeded = seed::family(&db, family, now).await?;
        let _ = writeln!(out, "family {} ({story})", family.nickname);
        for (name, kind, skip) in babies {
            let Some(birth) = birth_for(as_of, *kind, *skip) else {
                continue;
            };
            let doses = [("HepB", 1, birth), ("BCG", 1, birth)];
            seed::baby(&db, seeded.member_id, name, birth, &doses, as_of, now).await?;
            let _ = writeln!(
                out,
                "  baby {name}, born {birth} ({} days old), HepB 1 and BCG given at birth",
                (as_of - birth).num_days()
            );
        }
    }
    out.push('\n');

    let plan = planner::plan_day(&db, &state.settings.push, as_of, now, false).await?;
    out.push_str(&format_plan(&plan));
    let sender = Sender::new(&state);
    let sent = sender.drain().await?;
    out.push_str(&format_send(&sent));
    let _ = writeln!(out, "\nwhat the fake WeChat received:");
    for m in fake.sent_messages() {
        let b = &m.body;
        let channel = if m.path.contains("template") {
            "template "
        } else {
            "subscribe"
        };
        let fields: Vec<String> = b["data"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k}={}", v["value"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {channel} to {:<8} {:<20} {}",
            b["touser"].as_str().unwrap_or(""),
            b["template_id"].as_str().unwrap_or(""),
            fields.join(" | ")
        );
    }
    out.push('\n');
    out.push_str(&format_summary(&outbox::summary(&db, clock.now()).await?));
    let _ = writeln!(
        out,
        "\nrun it again: the outbox's dedup keys make a second planning of the day a no-op."
    );
    print!("{out}");
    if args.serve {
        println!("serving on http://{address}; Ctrl-C to stop");
        let _ = tokio::signal::ctrl_c().await;
    }
    handle.stop(true).await;
    fake.stop().await;
    db.close().await.ok();
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
