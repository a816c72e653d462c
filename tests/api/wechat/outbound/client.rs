//! The outbound WeChat client against the fake WeChat server, over real HTTP on loopback.

use std::sync::Arc;
use std::time::Duration;

use babyvax::clock::{ManualClock, SharedClock};
use babyvax::config::AppCredentials;
use babyvax::fake_wechat::{
    CUSTOM_SEND, FakeConfig, FakeWechat, Fault, STABLE_TOKEN, SUBSCRIBE_SEND, TEMPLATE_SEND,
};
use babyvax::wechat::api::*;
use chrono::{TimeZone, Utc};
use serde_json::json;

const OA: &str = "wxoa0000000000001";
const MP: &str = "wxmp0000000000001";

fn install_crypto() {
    babyvax::startup::install_crypto_provider();
}

struct Env {
    fake: FakeWechat,
    /// The fake's clock; the client's is `client_clock` (the same one unless a test splits them).
    fake_clock: Arc<ManualClock>,
    client_clock: Arc<ManualClock>,
    store: Arc<MemoryTokenStore>,
    config: ApiConfig,
    oa: OfficialAccount,
    mp: MiniProgram,
}

fn test_config(fake: &FakeWechat) -> ApiConfig {
    let mut config = ApiConfig::new(fake.base_url().clone());
    config.request_timeout = Duration::from_millis(500);
    config.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
    };
    config.token.poll_interval = Duration::from_millis(5);
    config.token.lease_duration = Duration::from_secs(5);
    config.token.wait_timeout = Duration::from_secs(10);
    config
}

fn creds(appid: &str, secret: &str) -> AppCredentials {
    AppCredentials {
        appid: appid.into(),
        secret: secret.to_owned().into(),
    }
}

fn manager(
    env_config: &ApiConfig,
    c: AppCredentials,
    store: Arc<dyn TokenStore>,
    clock: SharedClock,
) -> Arc<TokenManager> {
    let client = ApiClient::new(env_config.clone()).unwrap();
    Arc::new(TokenManager::new(client, c, store, clock))
}

async fn env_with(split_clocks: bool, tweak: impl FnOnce(&mut ApiConfig)) -> Env {
    install_crypto();
    let start = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
    let fake_clock = Arc::new(ManualClock::new(start));
    let client_clock = if split_clocks {
        Arc::new(ManualClock::new(start))
    } else {
        fake_clock.clone()
    };
    let fake = FakeWechat::start_with(FakeConfig {
        clock: fake_clock.clone(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    fake.register_app(OA, "oa-secret");
    fake.register_app(MP, "mp-secret");
    let mut config = test_config(&fake);
    tweak(&mut config);
    let store = Arc::new(MemoryTokenStore::new());
    let oa = OfficialAccount::new(manager(
        &config,
        creds(OA, "oa-secret"),
        store.clone(),
        client_clock.clone(),
    ));
    let mp = MiniProgram::new(manager(
        &config,
        creds(MP, "mp-secret"),
        store.clone(),
        client_clock.clone(),
    ));
    Env {
        fake,
        fake_clock,
        client_clock,
        store,
        config,
        oa,
        mp,
    }
}

async fn env() -> Env {
    env_with(false, |_| {}).await
}

fn template(openid: &str) -> TemplateMessage {
    TemplateMessage {
        touser: openid.into(),
        template_id: "TPL_VACCINE_DUE".into(),
        url: None,
        miniprogram: Some(MiniProgramPage {
            appid: MP.into(),
            pagepath: Some("pages/plan/index".into()),
        }),
        data: [
            ("thing1".to_owned(), TemplateField::new("乙肝疫苗 第2剂")),
            ("time2".to_owned(), TemplateField::new("2025-03-08")),
        ]
        .into(),
        client_msg_id: None,
    }
}

fn subscribe(openid: &str) -> SubscribeMessage {
    SubscribeMessage {
        touser: openid.into(),
        template_id: "SUB_TPL".into(),
        page: Some("pages/plan/index".into()),
        miniprogram_state: Some(MiniProgramState::Formal),
        lang: None,
        data: [("thing1".to_owned(), SubscribeField::new("百白破疫苗"))].into(),
    }
}

#[tokio::test]
async fn template_send_returns_the_msgid_and_the_fake_records_the_body() {
    let env = env().await;
    let msgid = env.oa.send_template(&template("o_parent_1")).await.unwrap();
    let sent = env.fake.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].msgid, msgid);
    assert_eq!(sent[0].appid, OA);
    assert_eq!(sent[0].path, TEMPLATE_SEND);
    assert_eq!(
        sent[0].body,
        serde_json::to_value(template("o_parent_1")).unwrap()
    );
    assert_eq!(env.fake.token_fetches(), 1);
}

#[tokio::test]
async fn token_is_reused_and_refreshed_ahead_of_expiry() {
    let env = env().await;
    env.oa.send_template(&template("o1")).await.unwrap();
    let first = env.oa.tokens().token().await.unwrap();
    env.fake_clock
        .advance(chrono::Duration::seconds(7200 - 301));
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(
        env.fake.token_fetches(),
        1,
        "still more than the margin left"
    );

    env.fake_clock.advance(chrono::Duration::seconds(2));
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.token_fetches(), 2);
    let second = env.oa.tokens().token().await.unwrap();
    use secrecy::ExposeSecret;
    assert_ne!(first.expose_secret(), second.expose_secret());
    assert_eq!(env.fake.token_rejections(), 0);
    let stored = env.store.load(OA).await.unwrap().unwrap();
    assert_eq!(stored.access_token.expose_secret(), second.expose_secret());
}

#[tokio::test]
async fn an_expired_token_is_refreshed_after_42001_and_the_call_retried() {
    // The client's clock lags WeChat's, so it still believes its token valid.
    let env = env_with(true, |_| {}).await;
    env.oa.send_template(&template("o1")).await.unwrap();
    env.fake_clock.advance(chrono::Duration::seconds(7201));
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.token_rejections(), 1);
    assert_eq!(env.fake.token_fetches(), 2);
    assert_eq!(env.fake.sent_messages().len(), 2);
    assert_eq!(
        env.client_clock.now(),
        Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
    );
}

use babyvax::clock::Clock;

#[tokio::test]
async fn another_process_calling_cgi_bin_token_costs_one_refresh_in_basic_mode() {
    let env = env_with(false, |c| c.token.source = TokenSource::Basic).await;
    env.oa.send_template(&template("o1")).await.unwrap();

    // Someone else's process fetches a token with our credentials: ours is now invalid.
    let mut url = env.fake.base_url().join("/cgi-bin/token").unwrap();
    url.query_pairs_mut()
        .append_pair("grant_type", "client_credential")
        .append_pair("appid", OA)
        .append_pair("secret", "oa-secret");
    let other: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert!(other["access_token"].is_string());

    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.token_rejections(), 1);
    assert_eq!(env.fake.token_fetches(), 3);
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 3);
    assert_eq!(env.fake.sent_messages().len(), 2);
}

#[tokio::test]
async fn a_forced_stable_refresh_elsewhere_is_followed_without_forcing_again() {
    let env = env().await;
    env.oa.send_template(&template("o1")).await.unwrap();
    let other: serde_json::Value = reqwest::Client::new()
        .post(env.fake.base_url().join(STABLE_TOKEN).unwrap())
        .json(&json!({"grant_type": "client_credential", "appid": OA, "secret": "oa-secret", "force_refresh": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(other["access_token"].is_string());

    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.token_rejections(), 1);
    assert_eq!(
        env.fake.forced_refreshes(),
        1,
        "only the other party forced"
    );
    assert_eq!(env.fake.sent_messages().len(), 2);
}

#[tokio::test]
async fn a_40001_for_the_current_stable_token_forces_one_refresh_then_gives_up() {
    let env = env().await;
    env.oa.send_template(&template("o1")).await.unwrap();

    env.fake.inject(TEMPLATE_SEND, Fault::Errcode(40001), 1);
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.forced_refreshes(), 1);

    // Within the force interval the same rejection is reported instead of burning quota.
    env.fake.inject(TEMPLATE_SEND, Fault::Errcode(40001), 1);
    let err = env.oa.send_template(&template("o1")).await.unwrap_err();
    assert_eq!(err.errcode(), Some(40001));
    assert_eq!(err.retry_class(), RetryClass::RefreshToken);
    assert_eq!(env.fake.forced_refreshes(), 1);
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 4);
}

#[tokio::test]
async fn token_errors_are_retried_once_not_in_a_loop() {
    let env = env_with(false, |c| c.token.source = TokenSource::Basic).await;
    env.fake.inject(TEMPLATE_SEND, Fault::Errcode(42001), 5);
    let err = env.oa.send_template(&template("o1")).await.unwrap_err();
    assert_eq!(err.errcode(), Some(42001));
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 2);
    assert_eq!(env.fake.token_fetches(), 2);
}

#[tokio::test]
async fn quota_errors_are_reported_and_not_retried() {
    let env = env().await;
    for code in [45009, 45011, 45047] {
        env.fake.inject(TEMPLATE_SEND, Fault::Errcode(code), 1);
        let err = env.oa.send_template(&template("o1")).await.unwrap_err();
        assert_eq!(err.errcode(), Some(code));
        assert_eq!(err.retry_class(), RetryClass::Quota);
        assert!(!err.is_retryable());
    }
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 3);
    assert!(env.fake.sent_messages().is_empty());
}

#[tokio::test]
async fn user_errors_are_permanent_and_sent_once() {
    let env = env().await;
    env.fake.mark_unfollowed("o_gone");
    let err = env.oa.send_template(&template("o_gone")).await.unwrap_err();
    assert_eq!(
        (err.errcode(), err.retry_class()),
        (Some(43004), RetryClass::Permanent)
    );
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 1);

    env.fake.mark_refused("o_no");
    let err = env.mp.send_subscribe(&subscribe("o_no")).await.unwrap_err();
    assert_eq!(
        (err.errcode(), err.retry_class()),
        (Some(43101), RetryClass::Permanent)
    );
    assert_eq!(env.fake.calls(SUBSCRIBE_SEND), 1);

    let err = env
        .oa
        .send_template(&template("bad openid!"))
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(40003));

    env.fake.allow_templates(&["TPL_OTHER"]);
    let err = env.oa.send_template(&template("o1")).await.unwrap_err();
    assert_eq!(err.errcode(), Some(40037));
    env.fake.allow_templates(&[]);

    let mut empty = template("o1");
    empty.data.insert("thing1".into(), TemplateField::new(""));
    let err = env.oa.send_template(&empty).await.unwrap_err();
    assert_eq!(
        (err.errcode(), err.retry_class()),
        (Some(47003), RetryClass::Permanent)
    );
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 4);
}

#[tokio::test]
async fn http_5xx_and_busy_are_retried_with_backoff() {
    let env = env().await;
    env.fake.inject(TEMPLATE_SEND, Fault::Http(502), 2);
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 3);

    env.fake.inject(TEMPLATE_SEND, Fault::Errcode(-1), 1);
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 5);

    env.fake.inject(TEMPLATE_SEND, Fault::Http(503), 3);
    let err = env.oa.send_template(&template("o1")).await.unwrap_err();
    assert!(matches!(err, ApiError::HttpStatus(503)), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::Transient);
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 8, "max_attempts is 3");
    assert_eq!(env.fake.sent_messages().len(), 2);
}

#[tokio::test]
async fn a_5xx_on_the_token_endpoint_is_retried_too() {
    let env = env().await;
    env.fake.inject(STABLE_TOKEN, Fault::Http(500), 1);
    env.fake.inject(STABLE_TOKEN, Fault::Errcode(-1), 1);
    env.oa.send_template(&template("o1")).await.unwrap();
    assert_eq!(env.fake.calls(STABLE_TOKEN), 3);
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried_and_client_msg_id_prevents_a_duplicate() {
    let env = env_with(false, |c| c.request_timeout = Duration::from_millis(200)).await;
    env.oa.send_template(&template("o1")).await.unwrap();

    env.fake
        .inject(TEMPLATE_SEND, Fault::Delay(Duration::from_millis(600)), 1);
    let mut message = template("o1");
    message.client_msg_id = Some("outbox-42".into());
    let msgid = env.oa.send_template(&message).await.unwrap();
    assert_eq!(env.fake.calls(TEMPLATE_SEND), 3);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let with_id: Vec<_> = env
        .fake
        .sent_messages()
        .into_iter()
        .filter(|m| m.body["client_msg_id"] == "outbox-42")
        .collect();
    assert_eq!(with_id.len(), 1);
    assert_eq!(with_id[0].msgid, msgid);

    env.fake
        .inject(TEMPLATE_SEND, Fault::Delay(Duration::from_millis(400)), 3);
    let err = env.oa.send_template(&template("o1")).await.unwrap_err();
    assert!(matches!(err, ApiError::Timeout(_)), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::Transient);
}

#[tokio::test]
async fn unreachable_wechat_is_a_transient_network_error() {
    install_crypto();
    let fake = FakeWechat::start().await.unwrap();
    let mut config = test_config(&fake);
    // Nothing listens on port 9 (discard) of loopback.
    config.base_url = "http://127.0.0.1:9".parse().unwrap();
    let clock: SharedClock = Arc::new(ManualClock::new(Utc::now()));
    let oa = OfficialAccount::new(manager(
        &config,
        creds(OA, "s"),
        Arc::new(MemoryTokenStore::new()),
        clock,
    ));
    let err = oa.send_template(&template("o1")).await.unwrap_err();
    assert!(matches!(err, ApiError::Network(_)), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::Transient);
}

#[tokio::test]
async fn wrong_credentials_are_permanent_and_do_not_leak_the_secret() {
    let env = env().await;
    let bad = OfficialAccount::new(manager(
        &env.config,
        creds(OA, "wrong-secret-value"),
        Arc::new(MemoryTokenStore::new()),
        env.client_clock.clone(),
    ));
    let err = bad.send_template(&template("o1")).await.unwrap_err();
    assert_eq!(
        (err.errcode(), err.retry_class()),
        (Some(40125), RetryClass::Permanent)
    );
    assert!(!format!("{err:?} {bad:?}").contains("wrong-secret-value"));
    let unknown = OfficialAccount::new(manager(
        &env.config,
        creds("wxnobody", "x"),
        Arc::new(MemoryTokenStore::new()),
        env.client_clock.clone(),
    ));
    assert_eq!(
        unknown
            .send_template(&template("o1"))
            .await
            .unwrap_err()
            .errcode(),
        Some(40013)
    );
}

#[tokio::test]
async fn subscribe_and_customer_service_messages_are_delivered() {
    let env = env().await;
    let resp = env.mp.send_subscribe(&subscribe("o_mp_1")).await.unwrap();
    assert!(resp.msgid.is_some());
    env.oa
        .send_custom_text("o_oa_1", "您好，宝宝明天该打疫苗了")
        .await
        .unwrap();
    let sent = env.fake.sent_messages();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].path.as_str(), sent[0].appid.as_str()),
        (SUBSCRIBE_SEND, MP)
    );
    assert_eq!(sent[0].body["miniprogram_state"], "formal");
    assert_eq!(
        (sent[1].path.as_str(), sent[1].appid.as_str()),
        (CUSTOM_SEND, OA)
    );
    assert_eq!(
        sent[1].body,
        json!({"touser": "o_oa_1", "msgtype": "text", "text": {"content": "您好，宝宝明天该打疫苗了"}})
    );
    // Two apps, two tokens.
    assert_eq!(env.fake.token_fetches(), 2);
}

#[tokio::test]
async fn menu_can_be_created_read_and_deleted() {
    let env = env().await;
    let menu = json!({"button": [
        {"type": "miniprogram", "name": "接种计划", "url": "https://example.com", "appid": MP, "pagepath": "pages/plan/index"},
        {"type": "click", "name": "联系我们", "key": "CONTACT"}
    ]});
    env.oa.create_menu(&menu).await.unwrap();
    assert_eq!(env.fake.menu(), Some(menu.clone()));
    assert_eq!(env.oa.get_menu().await.unwrap().menu, menu);
    let current = env.oa.current_menu().await.unwrap();
    assert_eq!(
        (current.is_menu_open, current.selfmenu_info),
        (1, Some(menu))
    );
    env.oa.delete_menu().await.unwrap();
    assert_eq!(env.oa.get_menu().await.unwrap_err().errcode(), Some(46003));
    let err = env
        .oa
        .create_menu(&json!({"button": []}))
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(40016));
}

#[tokio::test]
async fn qr_codes_keep_the_scene_and_invalid_ones_never_leave_the_process() {
    let env = env().await;
    let temp = env
        .oa
        .create_qrcode(&QrCodeRequest::temporary("invite:abc", 2_592_000).unwrap())
        .await
        .unwrap();
    assert_eq!(temp.expire_seconds, Some(2_592_000));
    let perm = env
        .oa
        .create_qrcode(&QrCodeRequest::permanent("clinic:7").unwrap())
        .await
        .unwrap();
    assert_eq!(perm.expire_seconds, None);
    let codes = env.fake.qrcodes();
    assert_eq!(codes[0].scene, "invite:abc");
    assert_eq!(codes[0].action_name, "QR_STR_SCENE");
    assert_eq!(codes[1].scene, "clinic:7");
    assert_eq!(codes[1].action_name, "QR_LIMIT_STR_SCENE");
    let show = perm.show_url();
    assert!(
        show.as_str()
            .starts_with("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH%2Bfake%2F")
    );
    let decoded: Vec<_> = show.query_pairs().collect();
    assert_eq!(decoded[0].1, perm.ticket);

    assert!(QrCodeRequest::temporary(&"x".repeat(65), 60).is_err());
    assert!(QrCodeRequest::temporary("x", 2_592_001).is_err());
    assert_eq!(env.fake.calls("/cgi-bin/qrcode/create"), 2);
}

#[tokio::test]
async fn user_info_is_typed_and_unionid_trimmed() {
    let env = env().await;
    let samples = samples();
    let fixture = samples["api_fixtures"]["user_info"]["response_json"].clone();
    let openid = fixture["openid"].as_str().unwrap().to_owned();
    env.fake.set_user(&openid, fixture);
    let info = env.oa.user_info(&openid).await.unwrap();
    assert_eq!(
        info.unionid.as_deref(),
        Some("o6_bmasdasdsad6_2sgVt7hMZOPfL")
    );
    assert_eq!((info.subscribe, info.city.as_deref()), (1, Some("广州")));

    env.fake.mark_unfollowed("o_left");
    let gone = env.oa.user_info("o_left").await.unwrap();
    assert_eq!((gone.subscribe, gone.nickname), (0, None));
}

#[tokio::test]
async fn code2session_accepts_a_code_once() {
    let env = env().await;
    env.fake
        .add_login_code("code-1", "o_mp_1", Some(" u_1 "), "c2Vzc2lvbmtleQ==");
    let session = env.mp.code2session("code-1").await.unwrap();
    assert_eq!(
        (session.openid.as_str(), session.unionid.as_deref()),
        ("o_mp_1", Some("u_1"))
    );
    use secrecy::ExposeSecret;
    assert_eq!(session.session_key.expose_secret(), "c2Vzc2lvbmtleQ==");
    assert!(!format!("{session:?}").contains("c2Vzc2lvbmtleQ"));

    let again = env.mp.code2session("code-1").await.unwrap_err();
    assert_eq!(
        (again.errcode(), again.retry_class()),
        (Some(40163), RetryClass::Permanent)
    );
    assert_eq!(
        env.mp.code2session("nope").await.unwrap_err().errcode(),
        Some(40029)
    );
    assert_eq!(
        env.fake.token_fetches(),
        0,
        "code2session needs no access token"
    );
}

#[tokio::test]
async fn phone_number_from_a_button_code() {
    let env = env().await;
    env.fake.add_phone_code("pc-1", "13800138000");
    let phone = env.mp.phone_number("pc-1").await.unwrap();
    assert_eq!(
        (
            phone.pure_phone_number.as_str(),
            phone.country_code.as_str()
        ),
        ("13800138000", "86")
    );
    assert_eq!(phone.watermark.appid, MP);
    assert_eq!(
        env.mp.phone_number("pc-1").await.unwrap_err().errcode(),
        Some(40163)
    );
}

#[tokio::test]
async fn concurrent_sends_in_two_instances_share_one_token() {
    let env = env().await;
    // A second instance: its own client and memory cache, the same store.
    let other = OfficialAccount::new(manager(
        &env.config,
        creds(OA, "oa-secret"),
        env.store.clone(),
        env.client_clock.clone(),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..400 {
        let oa = if i % 2 == 0 {
            env.oa.clone()
        } else {
            other.clone()
        };
        tasks.spawn(async move { oa.send_template(&template(&format!("o{i}"))).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(env.fake.token_fetches(), 1);
    assert_eq!(env.fake.sent_messages().len(), 400);
    assert_eq!(env.fake.token_rejections(), 0);
}

#[tokio::test]
async fn in_flight_calls_with_a_rotated_token_all_recover_with_one_refetch_per_rotation() {
    // Basic mode, an outside process rotates the token while 200 sends are in flight.
    let env = env_with(false, |c| c.token.source = TokenSource::Basic).await;
    let other = OfficialAccount::new(manager(
        &env.config,
        creds(OA, "oa-secret"),
        env.store.clone(),
        env.client_clock.clone(),
    ));
    env.oa.send_template(&template("warmup")).await.unwrap();
    other.send_template(&template("warmup")).await.unwrap();
    let mut url = env.fake.base_url().join("/cgi-bin/token").unwrap();
    url.query_pairs_mut()
        .append_pair("grant_type", "client_credential")
        .append_pair("appid", OA)
        .append_pair("secret", "oa-secret");
    reqwest::get(url).await.unwrap().error_for_status().unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let oa = if i % 2 == 0 {
            env.oa.clone()
        } else {
            other.clone()
        };
        tasks.spawn(async move { oa.send_template(&template(&format!("o{i}"))).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    // Ours, the outsider's, and exactly one replacement shared by both instances.
    assert_eq!(env.fake.token_fetches(), 3);
    assert_eq!(env.fake.sent_messages().len(), 202);
}

fn samples() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat-samples.json");
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")),
    )
    .unwrap()
}

async fn raw_stable_token(env: &Env, force: bool) -> serde_json::Value {
    reqwest::Client::new()
        .post(env.fake.base_url().join(STABLE_TOKEN).unwrap())
        .json(&json!({"grant_type": "client_credential", "appid": OA, "secret": "oa-secret", "force_refresh": force}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn raw_send(env: &Env, token: &serde_json::Value) -> serde_json::Value {
    let mut url = env.fake.base_url().join(TEMPLATE_SEND).unwrap();
    url.query_pairs_mut()
        .append_pair("access_token", token.as_str().unwrap());
    let body = serde_json::to_value(template("o1")).unwrap();
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_fake_keeps_wechats_stable_token_rules() {
    let env = env().await;
    let first = raw_stable_token(&env, false).await;
    assert_eq!(first["expires_in"], 7200);
    // Normal mode: the same token, with its remaining lifetime.
    env.fake_clock.advance(chrono::Duration::seconds(100));
    let again = raw_stable_token(&env, false).await;
    assert_eq!(
        (&again["access_token"], &again["expires_in"]),
        (&first["access_token"], &json!(7100))
    );
    // In the last 5 minutes a new token is handed out and the old one keeps working.
    env.fake_clock.advance(chrono::Duration::seconds(6850));
    let handed_over = raw_stable_token(&env, false).await;
    assert_ne!(handed_over["access_token"], first["access_token"]);
    assert_eq!(raw_send(&env, &first["access_token"]).await["errcode"], 0);
    env.fake_clock.advance(chrono::Duration::seconds(300));
    assert_eq!(
        raw_send(&env, &first["access_token"]).await["errcode"],
        42001
    );

    // force_refresh rotates and invalidates, but not twice within 30 s, and 20 times a day at most.
    let forced = raw_stable_token(&env, true).await;
    assert_eq!(
        raw_send(&env, &handed_over["access_token"]).await["errcode"],
        40001
    );
    let too_soon = raw_stable_token(&env, true).await;
    assert_eq!(too_soon["access_token"], forced["access_token"]);
    for _ in 1..20 {
        env.fake_clock.advance(chrono::Duration::seconds(31));
        assert!(raw_stable_token(&env, true).await["access_token"].is_string());
    }
    env.fake_clock.advance(chrono::Duration::seconds(31));
    assert_eq!(raw_stable_token(&env, true).await["errcode"], 45009);
    assert_eq!(env.fake.forced_refreshes(), 20);
}
