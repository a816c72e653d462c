//! Harness for the push engine: the app with the official account and the mini-program pointed
//! at a fake WeChat, the demo's templates, a clock set per test, and families seeded through the
//! real services.

use std::sync::Arc;

use babyvax::cli::demo::DEMO_TEMPLATES;
use babyvax::cli::seed::{self, Family};
use babyvax::clock::Clock;
use babyvax::config::{AppCredentials, Settings};
use babyvax::domain::push::templates::TemplateSet;
use babyvax::fake_wechat::FakeWechat;
use babyvax::service::push::planner::{self, PlanReport};
use babyvax::service::push::sender::{SendReport, Sender};
use babyvax::startup;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::push_outbox;
use sea_orm::{EntityTrait, QueryOrder};

use crate::helpers::{APPID, TestApp, TestDatabase};

pub const OA_SECRET: &str = "oa-test-secret";
pub const MP_APPID: &str = "wxmp0000000000push";
pub const MP_SECRET: &str = "mp-test-secret";
pub const MP_VACCINE: &str = "MP_VACCINE_REMINDER";

pub struct PushApp {
    pub app: TestApp,
    pub fake: Arc<FakeWechat>,
    pub settings: Arc<Settings>,
}

/// A row's payload (our template fields).
pub fn payload(row: &push_outbox::Model) -> serde_json::Value {
    serde_json::from_str(&row.payload).expect("payload is JSON")
}

/// (day, kind, doses) rows as the tests write them.
pub fn planned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("YYYY-MM-DD")
}

/// `hh:mm` on `day` in Asia/Shanghai.
pub fn at(day: &str, hh: u32, mm: u32) -> DateTime<Utc> {
    babyvax::clock::shanghai()
        .from_local_datetime(&d(day).and_hms_opt(hh, mm, 0).expect("valid time"))
        .single()
        .expect("no DST in Shanghai")
        .with_timezone(&Utc)
}

fn configure(s: &mut Settings, base: reqwest::Url) {
    s.oa = Some(AppCredentials {
        appid: APPID.into(),
        secret: OA_SECRET.to_owned().into(),
    });
    s.mp = Some(AppCredentials {
        appid: MP_APPID.into(),
        secret: MP_SECRET.to_owned().into(),
    });
    s.wechat_api_base = base;
    s.push.templates = TemplateSet::parse(DEMO_TEMPLATES).expect("demo templates parse");
    s.push.send_rate_per_sec = 10_000.0;
    s.push.retry_base = chrono::Duration::seconds(1);
    s.push.retry_max = chrono::Duration::seconds(60);
}

impl PushApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        startup::install_crypto_provider();
        let fake = Arc::new(FakeWechat::start().await.expect("fake WeChat starts"));
        fake.register_app(APPID, OA_SECRET);
        fake.register_app(MP_APPID, MP_SECRET);
        Self::spawn_on(TestDatabase::fresh().await, fake, adjust).await
    }

    /// Another app (another "instance") on `database`, talking to `fake`.
    pub async fn spawn_on(
        database: TestDatabase,
        fake: Arc<FakeWechat>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let base = fake.base_url().clone();
        let mut kept = None;
        let app = TestApp::spawn_with(database, |s| {
            configure(s, base);
            adjust(s);
            kept = Some(s.clone());
        })
        .await;
        let settings = Arc::new(kept.expect("settings adjusted"));
        let push = PushApp {
            app,
            fake,
            settings,
        };
        push.set_now("2026-01-10", 10, 0);
        push
    }

    pub fn set_now(&self, day: &str, hh: u32, mm: u32) {
        self.app.clock.set(at(day, hh, mm));
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.app.clock.today_shanghai()
    }

    pub async fn plan(&self, day: &str) -> PlanReport {
        planner::plan_day(&self.app.db, &self.settings.push, d(day), self.now(), false)
            .await
            .expect("planning succeeds")
    }

    /// A sender of its own (as another instance would have), sharing the app's clock.
    pub fn sender(&self) -> Sender {
        let state = startup::build_state(
            (*self.settings).clone(),
            self.app.db.clone(),
            self.app.clock.clone(),
        )
        .expect("state");
        Sender::new(&state)
    }

    pub async fn send(&self) -> SendReport {
        self.sender().drain().await.expect("sending succeeds")
    }

    /// Who the fake WeChat delivered to (`touser` of every message it took), sorted.
    pub fn recipients(&self) -> Vec<String> {
        let mut to: Vec<String> = self
            .fake
            .sent_messages()
            .iter()
            .map(|m| m.body["touser"].as_str().unwrap().to_owned())
            .collect();
        to.sort();
        to
    }

    /// Returns once the fake WeChat has answered or is answering `calls` calls to `path`.
    pub async fn calls_reached(&self, path: &str, calls: u64) {
        while self.fake.calls(path) < calls {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub async fn rows(&self) -> Vec<push_outbox::Model> {
        push_outbox::Entity::find()
            .order_by_asc(push_outbox::Column::Id)
            .all(&self.app.db)
            .await
            .expect("outbox rows")
    }

    /// (kind, vaccine, dose) of the rows planned for `day`, sorted.
    pub async fn planned_on(&self, day: &str) -> Vec<(String, String, i32)> {
        let mut out: Vec<_> = self
            .rows()
            .await
            .into_iter()
            .filter(|r| r.planned_for == d(day))
            .map(|r| {
                (
                    r.kind,
                    r.vaccine.unwrap_or_default(),
                    r.dose.unwrap_or_default(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// (kind, doses named) of the reminders about doses planned for `member` on `day`, sorted:
    /// the doses as the payload's `doses` text (乙肝疫苗第2剂、脊灰疫苗第1剂).
    pub async fn reminders_for(&self, member: i32, day: &str) -> Vec<(String, String)> {
        let mut out: Vec<_> = self
            .rows()
            .await
            .into_iter()
            .filter(|r| r.planned_for == d(day) && r.member_id == Some(member))
            .filter(|r| r.kind != "stage" && r.kind != "campaign")
            .map(|r| {
                (
                    r.kind.clone(),
                    payload(&r)["doses"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Plans every day of `from..=to` at 10:00, as the daily planner would, and answers the
    /// reminders about doses `member` got: (day, kind, doses named).
    pub async fn plan_days(
        &self,
        member: i32,
        from: &str,
        to: &str,
    ) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        let mut day = d(from);
        while day <= d(to) {
            let text = day.to_string();
            self.set_now(&text, 10, 0);
            self.plan(&text).await;
            for (kind, doses) in self.reminders_for(member, &text).await {
                out.push((text.clone(), kind, doses));
            }
            day = day.succ_opt().expect("a next day");
        }
        out
    }

    /// A parent; `oa` is the official-account openid (following when `follows`).
    pub async fn family(
        &self,
        openid: &str,
        oa: Option<&str>,
        follows: bool,
        allowances: u32,
    ) -> i32 {
        let family = Family {
            openid,
            oa_openid: oa,
            follows,
            allowances: if allowances > 0 {
                vec![(MP_VACCINE, allowances)]
            } else {
                vec![]
            },
            nickname: "家长",
            province: Some("上海"),
        };
        seed::family(&self.app.db, &family, self.now())
            .await
            .expect("family seeded")
            .member_id
    }

    /// A baby with HepB 1 and BCG given at birth, created "today" (the clock's day).
    pub async fn baby(&self, member: i32, name: &str, birth: &str) -> i32 {
        let birth = d(birth);
        seed::baby(
            &self.app.db,
            member,
            name,
            birth,
            &[("HepB", 1, birth), ("BCG", 1, birth)],
            self.today(),
            self.now(),
        )
        .await
        .expect("baby seeded")
    }

    pub async fn finish(self) {
        self.app.finish().await;
    }
}
