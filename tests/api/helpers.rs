//! Test harness: a fresh database, the real server on 127.0.0.1, a manual clock, and helpers to
//! talk to the callback door the way WeChat does.

use std::net::TcpListener;
use std::sync::Arc;

use babyvax::clock::ManualClock;
use babyvax::config::{RawSettings, Settings};
use babyvax::startup;
use babyvax::wechat::crypto::AesKey;
use babyvax::wechat::signature;
use chrono::{TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub const TOKEN: &str = "spamtest";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const APPID: &str = "wx2c2769f8efd9abc2";
pub const ACCOUNT: &str = "gh_10f6c3c3ac5a";
/// The official samples' timestamp; tests start the clock here so the samples verify.
pub const SAMPLE_TIMESTAMP: i64 = 1409735669;

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub key: AesKey,
    /// Where the database lives, for a test that wants a second app on the same data.
    pub database: TestDatabase,
}

#[derive(Clone)]
pub enum TestDatabase {
    Sqlite {
        url: String,
        _dir: Arc<tempfile::TempDir>,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

impl TestDatabase {
    /// SQLite in a temporary directory, or a fresh schema on TEST_DATABASE_URL.
    pub async fn fresh() -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(url) => {
                let schema = format!("t_{}", random_suffix());
                let admin = Database::connect(&url)
                    .await
                    .expect("TEST_DATABASE_URL reachable");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .expect("create test schema");
                admin.close().await.ok();
                TestDatabase::Postgres { url, schema }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDatabase::Sqlite {
                    url,
                    _dir: Arc::new(dir),
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }

    /// Drops a PostgreSQL test schema; SQLite's directory goes when the last handle does.
    pub async fn drop(&self) {
        if let TestDatabase::Postgres { schema, url } = self
            && let Ok(admin) = Database::connect(url.as_str()).await
        {
            admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await
                .ok();
            admin.close().await.ok();
        }
    }

    /// The URL a separate process (the `babyvax` binary) uses to reach this database: on
    /// PostgreSQL the test schema comes through the URL's `options=-c search_path=...`.
    pub fn process_url(&self) -> String {
        match self {
            TestDatabase::Postgres { url, schema } => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}options=-c%20search_path%3D{schema}")
            }
            TestDatabase::Sqlite { url, .. } => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDatabase::Postgres { .. })
    }

    pub async fn connect(&self) -> DatabaseConnection {
        let mut options = startup::connect_options(self.url());
        if let TestDatabase::Postgres { schema, .. } = self {
            options.set_schema_search_path(schema.clone());
        }
        Database::connect(options)
            .await
            .expect("connect to test database")
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

pub fn test_settings(database_url: &str) -> Settings {
    let raw = RawSettings {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".into(),
        oa_appid: Some(APPID.into()),
        oa_token: Some(TOKEN.into()),
        oa_aes_key: Some(AES_KEY.into()),
        ..RawSettings::default()
    };
    raw.validate().expect("test settings are valid")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(TestDatabase::fresh().await, |_| {}).await
    }

    pub async fn spawn_with(database: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> Self {
        startup::install_crypto_provider();
        let mut settings = test_settings(database.url());
        adjust(&mut settings);
        let db = database.connect().await;
        startup::migrate(&db).await.expect("migrations apply");
        let clock = Arc::new(ManualClock::new(
            Utc.timestamp_opt(SAMPLE_TIMESTAMP, 0).unwrap(),
        ));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let state = startup::build_state(settings, db.clone(), clock.clone()).expect("state");
        let server = startup::serve(listener, state).expect("server");
        actix_web::rt::spawn(server);
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            db,
            clock,
            http: reqwest::Client::new(),
            key: AesKey::from_encoding_aes_key(AES_KEY).unwrap(),
            database,
        }
    }

    pub fn now_ts(&self) -> String {
        use babyvax::clock::Clock;
        self.clock.now().timestamp().to_string()
    }

    /// POSTs a plaintext-mode delivery, signed as WeChat signs it.
    pub async fn post_plain(&self, xml: &str) -> reqwest::Response {
        let ts = self.now_ts();
        let nonce = "123456";
        let sig = signature::sign(&[TOKEN, &ts, nonce]);
        self.http
            .post(format!(
                "{}/wechat/callback?signature={sig}&timestamp={ts}&nonce={nonce}&openid=o1",
                self.address
            ))
            .body(xml.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs a safe-mode delivery: the plaintext encrypted for our appid, with `msg_signature`.
    pub async fn post_safe(&self, xml: &str) -> reqwest::Response {
        self.post_encrypted(xml, false).await
    }

    /// POSTs a compatible-mode delivery: plaintext fields and `<Encrypt>` in one body.
    pub async fn post_compatible(&self, xml: &str) -> reqwest::Response {
        self.post_encrypted(xml, true).await
    }

    async fn post_encrypted(&self, xml: &str, compatible: bool) -> reqwest::Response {
        let encrypted = self.key.encrypt(xml, APPID);
        let body = if compatible {
            xml.replacen(
                "</xml>",
                &format!("<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"),
                1,
            )
        } else {
            format!(
                "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        };
        self.post_raw_safe(&body, &encrypted).await
    }

    /// POSTs `body` in safe mode with a correct msg_signature over `encrypted`.
    pub async fn post_raw_safe(&self, body: &str, encrypted: &str) -> reqwest::Response {
        let ts = self.now_ts();
        let nonce = "654321";
        let sig = signature::sign(&[TOKEN, &ts, nonce]);
        let msg_sig = signature::sign(&[TOKEN, &ts, nonce, encrypted]);
        self.http
            .post(format!(
                "{}/wechat/callback?signature={sig}&timestamp={ts}&nonce={nonce}&openid=o1&encrypt_type=aes&msg_signature={msg_sig}",
                self.address
            ))
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    /// Checks a safe-mode reply envelope's signature and returns the decrypted reply.
    pub fn open_safe_reply(&self, body: &str) -> String {
        let root = babyvax_test_xml::fields(body);
        let encrypted = &root["Encrypt"];
        let ts = &root["TimeStamp"];
        let nonce = &root["Nonce"];
        assert!(
            signature::verify(&root["MsgSignature"], &[TOKEN, ts, nonce, encrypted]),
            "reply msg_signature must verify"
        );
        self.key
            .decrypt(encrypted, APPID)
            .expect("reply decrypts for our appid")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    /// Closes the app's connections and drops its test database.
    pub async fn finish(self) {
        self.db.close().await.ok();
        self.database.drop().await;
    }
}

/// Fails unless the committed contract at `path` (relative to the crate) is `generated`; with
/// `BABYVAX_UPDATE_SPEC` set, writes it instead. `regenerate` is the test filter to name.
pub fn check_committed_spec(path: &str, generated: &str, regenerate: &str) {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("BABYVAX_UPDATE_SPEC").is_some() {
        std::fs::write(&full, generated).expect("write the spec");
        return;
    }
    let committed = std::fs::read_to_string(&full).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one is a prefix of the other".to_owned(),
                |i| format!("line {}", i + 1),
            );
        panic!(
            "{path} differs from what the code generates ({first_difference}).\n\
             Regenerate it with: BABYVAX_UPDATE_SPEC=1 cargo test --test api {regenerate}"
        );
    }
}

/// Flat reading of a reply document's direct children, for assertions.
pub mod babyvax_test_xml {
    use std::collections::HashMap;

    pub fn fields(xml: &str) -> HashMap<String, String> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut out = HashMap::new();
        let mut path: Vec<String> = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Start(e) => {
                    path.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
                }
                quick_xml::events::Event::End(_) => {
                    path.pop();
                }
                quick_xml::events::Event::Text(t) => {
                    if let Some(name) = path.last() {
                        let text = t.decode().unwrap().into_owned();
                        if !text.trim().is_empty() {
                            out.entry(name.clone())
                                .or_insert_with(String::new)
                                .push_str(&text);
                        }
                    }
                }
                quick_xml::events::Event::CData(t) => {
                    if let Some(name) = path.last() {
                        out.entry(name.clone())
                            .or_insert_with(String::new)
                            .push_str(&String::from_utf8_lossy(&t));
                    }
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        out
    }
}
