//! Access tokens shared through the database: two instances (two token managers with their own
//! memory caches and connection pools) on one database and one fake WeChat.

use std::sync::Arc;
use std::time::Duration;

use babyvax::clock::{SharedClock, SystemClock};
use babyvax::config::AppCredentials;
use babyvax::fake_wechat::{FakeWechat, TEMPLATE_SEND};
use babyvax::startup;
use babyvax::wechat::api::*;
use chrono::{TimeZone, Utc};
use entity::wechat_access_tokens;
use sea_orm::{DatabaseConnection, EntityTrait};
use secrecy::ExposeSecret;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::helpers::TestDatabase;

const OA: &str = "wxoa0000000000001";
const SECRET: &str = "oa-secret";

/// One instance of the application, as far as WeChat is concerned.
struct Instance {
    oa: OfficialAccount,
}

impl Instance {
    fn new(config: &ApiConfig, db: DatabaseConnection, clock: SharedClock) -> Self {
        let client = ApiClient::new(config.clone()).unwrap();
        let creds = AppCredentials {
            appid: OA.into(),
            secret: SECRET.to_owned().into(),
        };
        let store = Arc::new(DbTokenStore::new(db));
        Self {
            oa: OfficialAccount::new(Arc::new(TokenManager::new(client, creds, store, clock))),
        }
    }
}

struct Setup {
    database: TestDatabase,
    dbs: [DatabaseConnection; 2],
    fake: FakeWechat,
    config: ApiConfig,
}

async fn setup(source: TokenSource) -> Setup {
    startup::install_crypto_provider();
    let database = TestDatabase::fresh().await;
    let first = database.connect().await;
    startup::migrate(&first).await.unwrap();
    let second = database.connect().await;
    let fake = FakeWechat::start().await.unwrap();
    fake.register_app(OA, SECRET);
    let mut config = ApiConfig::new(fake.base_url().clone());
    config.token.source = source;
    config.token.poll_interval = Duration::from_millis(10);
    Setup {
        database,
        dbs: [first, second],
        fake,
        config,
    }
}

impl Setup {
    fn instances(&self) -> [Arc<Instance>; 2] {
        let clock: SharedClock = Arc::new(SystemClock);
        [0, 1].map(|i| {
            Arc::new(Instance::new(
                &self.config,
                self.dbs[i].clone(),
                clock.clone(),
            ))
        })
    }

    async fn finish(self) {
        for db in self.dbs {
            db.close().await.ok();
        }
        self.database.drop().await;
    }
}

fn reminder(i: usize) -> TemplateMessage {
    TemplateMessage {
        touser: format!("o_parent_{i}"),
        template_id: "TPL_VACCINE_DUE".into(),
        url: None,
        miniprogram: None,
        data: [("thing1".to_owned(), TemplateField::new("乙肝疫苗 第2剂"))].into(),
        client_msg_id: Some(format!("reminder-{i}")),
    }
}

/// Sends `n` reminders, alternating instances, at most `in_flight` at a time.
async fn send_all(instances: &[Arc<Instance>; 2], n: usize, in_flight: usize) -> Vec<ApiError> {
    let gate = Arc::new(Semaphore::new(in_flight));
    let mut tasks = JoinSet::new();
    for i in 0..n {
        let instance = instances[i % 2].clone();
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            instance.oa.send_template(&reminder(i)).await
        });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined.unwrap() {
            failures.push(e);
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_1000_messages_with_one_token_fetch() {
    let setup = setup(TokenSource::Stable).await;
    let instances = setup.instances();

    let failures = send_all(&instances, 1000, 200).await;
    assert!(
        failures.is_empty(),
        "{} failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(setup.fake.token_fetches(), 1);
    assert_eq!(setup.fake.token_rejections(), 0);
    assert_eq!(setup.fake.sent_messages().len(), 1000);

    let row = wechat_access_tokens::Entity::find_by_id(OA)
        .one(&setup.dbs[0])
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.lease_holder.is_none() && row.lease_until.is_none(),
        "lease released: {row:?}"
    );
    let token = instances[1].oa.tokens().token().await.unwrap();
    assert_eq!(row.access_token, token.expose_secret());
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_by_an_outsider_costs_one_shared_refetch_and_no_failed_send() {
    // With /cgi-bin/token every fetch invalidates the previous token: the worst case.
    let setup = setup(TokenSource::Basic).await;
    let instances = setup.instances();
    assert!(send_all(&instances, 2, 2).await.is_empty());
    assert_eq!(setup.fake.token_fetches(), 1);

    let mut url = setup.fake.base_url().join("/cgi-bin/token").unwrap();
    url.query_pairs_mut()
        .append_pair("grant_type", "client_credential")
        .append_pair("appid", OA)
        .append_pair("secret", SECRET);
    reqwest::get(url).await.unwrap().error_for_status().unwrap();

    let failures = send_all(&instances, 400, 100).await;
    assert!(
        failures.is_empty(),
        "{} failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    // Ours, the outsider's, and exactly one replacement shared by both instances: each
    // instance's stale rejections invalidate only the token they used, never the new one.
    assert_eq!(setup.fake.token_fetches(), 3);
    assert!(
        setup.fake.token_rejections() >= 2,
        "both instances saw the rotation"
    );
    assert_eq!(
        setup.fake.calls(TEMPLATE_SEND),
        402 + setup.fake.token_rejections()
    );
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_has_one_winner_among_racing_processes() {
    let setup = setup(TokenSource::Stable).await;
    let stores = setup.dbs.clone().map(DbTokenStore::new);
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
    let until = now + chrono::Duration::seconds(30);

    let mut tasks = JoinSet::new();
    for i in 0..20 {
        let store = stores[i % 2].clone();
        tasks.spawn(async move {
            store
                .try_acquire_lease(OA, &format!("holder-{i}"), now, until)
                .await
                .unwrap()
        });
    }
    let mut winners = 0;
    while let Some(won) = tasks.join_next().await {
        winners += usize::from(won.unwrap());
    }
    assert_eq!(winners, 1);

    // A lease that has run out can be taken over; an unexpired one cannot.
    let later = until + chrono::Duration::seconds(1);
    assert!(
        !stores[0]
            .try_acquire_lease(OA, "late", until, later)
            .await
            .unwrap()
    );
    assert!(
        stores[1]
            .try_acquire_lease(OA, "late", later, later + chrono::Duration::seconds(30))
            .await
            .unwrap()
    );

    // Only the holder may store, and storing releases the lease.
    let token = StoredToken {
        access_token: "T1".into(),
        expires_at: now + chrono::Duration::hours(2),
    };
    assert!(
        !stores[0]
            .store_and_release(OA, "holder-x", &token, later)
            .await
            .unwrap()
    );
    assert!(
        stores[0]
            .store_and_release(OA, "late", &token, later)
            .await
            .unwrap()
    );
    assert!(
        stores[1]
            .try_acquire_lease(OA, "next", later, later + chrono::Duration::seconds(5))
            .await
            .unwrap()
    );
    stores[1].release_lease(OA, "next", later).await.unwrap();

    // Invalidation is compare-and-set on the token value.
    assert!(!stores[1].invalidate(OA, "T0", later).await.unwrap());
    assert_eq!(
        stores[0].load(OA).await.unwrap().unwrap().expires_at,
        token.expires_at
    );
    assert!(stores[1].invalidate(OA, "T1", later).await.unwrap());
    let loaded = stores[0].load(OA).await.unwrap().unwrap();
    assert_eq!(
        (loaded.access_token.expose_secret(), loaded.expires_at),
        ("T1", later)
    );
    setup.finish().await;
}
