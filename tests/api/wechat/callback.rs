//! The callback door end to end: verification, the three modes, dedup, follower history,
//! channel attribution, keyword replies and every bad-input case.

use babyvax::clock::Clock;
use babyvax::service::audience::followers;
use babyvax::wechat::signature;
use chrono::Duration;
use entity::{inbound_messages, reply_rules};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};

use crate::helpers::{
    ACCOUNT, APPID, SAMPLE_TIMESTAMP, TOKEN, TestApp, TestDatabase, babyvax_test_xml::fields,
};

fn text_xml(from: &str, msg_id: u64, content: &str, time: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{time}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

fn event_xml(from: &str, event: &str, key: Option<&str>, time: i64) -> String {
    let key = key
        .map(|k| format!("<EventKey><![CDATA[{k}]]></EventKey>"))
        .unwrap_or_default();
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key}</xml>"
    )
}

async fn inbound_count(app: &TestApp) -> u64 {
    inbound_messages::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.expect("JSON error body");
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[actix_web::test]
async fn url_verification_echoes_echostr_only_with_a_valid_signature() {
    let app = TestApp::spawn().await;
    let ok = app
        .get("/wechat/callback?signature=16120ec1b8dbb870f510d87ce6bc2463eae6ca1a&timestamp=1409735669&nonce=1320562132&echostr=shr5ch")
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "shr5ch");

    let bad = app
        .get("/wechat/callback?signature=16120ec1b8dbb870f510d87ce6bc2463eae6ca1b&timestamp=1409735669&nonce=1320562132&echostr=shr5ch")
        .await;
    assert_eq!(error_code(bad).await, (401, "invalid_signature".into()));
    let missing = app
        .get("/wechat/callback?timestamp=1409735669&nonce=1&echostr=x")
        .await;
    assert_eq!(error_code(missing).await, (400, "missing_parameter".into()));
    app.finish().await;
}

#[actix_web::test]
async fn door_answers_503_when_not_configured() {
    let app = TestApp::spawn_with(TestDatabase::fresh().await, |s| s.callback = None).await;
    let res = app
        .post_plain(&text_xml("u1", 1, "hi", SAMPLE_TIMESTAMP))
        .await;
    assert_eq!(
        error_code(res).await,
        (503, "callback_not_configured".into())
    );
    app.finish().await;
}

#[actix_web::test]
async fn plaintext_mode_replies_in_plaintext() {
    let app = TestApp::spawn().await;
    let res = app
        .post_plain(&text_xml("parent-1", 11, "帮助", SAMPLE_TIMESTAMP))
        .await;
    assert_eq!(res.status(), 200);
    let reply = fields(&res.text().await.unwrap());
    assert_eq!(reply["ToUserName"], "parent-1");
    assert_eq!(reply["FromUserName"], ACCOUNT);
    assert_eq!(reply["MsgType"], "text");
    assert!(reply["Content"].contains("疫苗"), "{reply:?}");
    app.finish().await;
}

#[actix_web::test]
async fn safe_mode_decrypts_and_answers_with_an_encrypted_signed_reply() {
    let app = TestApp::spawn().await;
    let res = app
        .post_safe(&text_xml("parent-2", 12, "帮助", SAMPLE_TIMESTAMP))
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        !body.contains("parent-2"),
        "safe-mode replies must not leak plaintext"
    );
    let reply = fields(&app.open_safe_reply(&body));
    assert_eq!(reply["ToUserName"], "parent-2");
    assert!(reply["Content"].contains("疫苗"));
    app.finish().await;
}

#[actix_web::test]
async fn compatible_mode_answers_encrypted() {
    let app = TestApp::spawn().await;
    let res = app
        .post_compatible(&text_xml("parent-3", 13, "help", SAMPLE_TIMESTAMP))
        .await;
    assert_eq!(res.status(), 200);
    let reply = fields(&app.open_safe_reply(&res.text().await.unwrap()));
    assert_eq!(reply["ToUserName"], "parent-3");
    assert!(reply["Content"].starts_with("Reply"));
    app.finish().await;
}

#[actix_web::test]
async fn the_official_safe_mode_request_is_accepted_over_http() {
    let app = TestApp::spawn().await;
    let samples: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/wechat-samples.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let v = &samples["safe_mode_crypto"]["vectors"][0];
    let get = |k: &str| v[k].as_str().unwrap().to_owned();
    let res = app
        .http
        .post(format!(
            "{}/wechat/callback?timestamp={}&nonce={}&encrypt_type=aes&msg_signature={}",
            app.address,
            get("timestamp"),
            get("nonce"),
            get("msg_signature")
        ))
        .body(get("request_body"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let reply = fields(&app.open_safe_reply(&res.text().await.unwrap()));
    assert_eq!(reply["ToUserName"], "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
    assert_eq!(reply["FromUserName"], "gh_10f6c3c3ac5a");
    app.finish().await;
}

#[actix_web::test]
async fn a_redelivery_gets_the_same_reply_and_counts_once() {
    let app = TestApp::spawn().await;
    let xml = text_xml("parent-4", 99, "帮助", SAMPLE_TIMESTAMP);
    let first = app.post_plain(&xml).await.text().await.unwrap();
    app.clock.advance(Duration::seconds(5));
    let second = app.post_plain(&xml).await.text().await.unwrap();
    assert_eq!(first, second);
    // In safe mode the envelope differs (fresh nonce) but the reply inside is the same.
    let third = app.open_safe_reply(&app.post_safe(&xml).await.text().await.unwrap());
    assert_eq!(third, first);
    assert_eq!(inbound_count(&app).await, 1);
    // The same MsgId from another sender is another message.
    app.post_plain(&text_xml("parent-5", 99, "帮助", SAMPLE_TIMESTAMP))
        .await;
    assert_eq!(inbound_count(&app).await, 2);

    let follow = event_xml(
        "parent-4",
        "subscribe",
        Some("qrscene_ch:clinic-7"),
        SAMPLE_TIMESTAMP + 1,
    );
    let r1 = app.post_plain(&follow).await.text().await.unwrap();
    let r2 = app.post_plain(&follow).await.text().await.unwrap();
    assert_eq!(r1, r2);
    let (_, history) = followers::history(&app.db, "parent-4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        history.len(),
        1,
        "a redelivered follow must not be counted twice"
    );
    app.finish().await;
}

#[actix_web::test]
async fn concurrent_redeliveries_count_once() {
    let app = TestApp::spawn().await;
    let xml = event_xml(
        "racer",
        "subscribe",
        Some("qrscene_ch:poster-1"),
        SAMPLE_TIMESTAMP,
    );
    let replies = futures_util::future::join_all((0..8).map(|_| app.post_plain(&xml))).await;
    let mut bodies = Vec::new();
    for r in replies {
        assert_eq!(r.status(), 200);
        bodies.push(r.text().await.unwrap());
    }
    // Every answer is the welcome, or `success` for one that outwaited the reply budget.
    let welcome = bodies
        .iter()
        .find(|b| b.contains("欢迎关注"))
        .expect("someone got the welcome");
    assert!(
        bodies.iter().all(|b| b == welcome || b == "success"),
        "{bodies:?}"
    );
    let (follower, history) = followers::history(&app.db, "racer").await.unwrap().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(follower.subscribe_count, 1);
    assert_eq!(inbound_count(&app).await, 1);
    app.finish().await;
}

#[actix_web::test]
async fn follow_unfollow_refollow_keeps_the_whole_history() {
    let app = TestApp::spawn().await;
    let t = SAMPLE_TIMESTAMP;
    let welcome = fields(
        &app.post_plain(&event_xml("p", "subscribe", None, t))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(welcome["Content"].contains("欢迎关注"));
    let bye = app
        .post_plain(&event_xml("p", "unsubscribe", None, t + 100))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(bye, "success");
    // WeChat sometimes repeats an unsubscribe with a new CreateTime: no second history row.
    app.post_plain(&event_xml("p", "unsubscribe", None, t + 101))
        .await;
    app.post_plain(&event_xml("p", "subscribe", None, t + 86_400))
        .await;

    let (follower, history) = followers::history(&app.db, "p").await.unwrap().unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["subscribe", "unsubscribe", "subscribe"]);
    assert!(follower.subscribed);
    assert_eq!(follower.subscribe_count, 2);
    assert_eq!(follower.first_subscribed_at.unwrap().timestamp(), t);
    assert_eq!(follower.last_subscribed_at.unwrap().timestamp(), t + 86_400);
    assert_eq!(follower.last_unsubscribed_at.unwrap().timestamp(), t + 100);
    app.finish().await;
}

#[actix_web::test]
async fn channel_attribution_keeps_first_and_last_touch() {
    let app = TestApp::spawn().await;
    let t = SAMPLE_TIMESTAMP;
    app.post_plain(&event_xml(
        "m",
        "subscribe",
        Some("qrscene_ch:clinic-12"),
        t,
    ))
    .await;
    app.post_plain(&event_xml("m", "unsubscribe", None, t + 1))
        .await;
    app.post_plain(&event_xml(
        "m",
        "subscribe",
        Some("qrscene_ch:poster-9"),
        t + 2,
    ))
    .await;
    let (f, _) = followers::history(&app.db, "m").await.unwrap().unwrap();
    assert_eq!(f.first_channel.as_deref(), Some("clinic-12"));
    assert_eq!(f.last_channel.as_deref(), Some("poster-9"));

    let scan = format!(
        "<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>m</FromUserName><CreateTime>{}</CreateTime><MsgType>event</MsgType><Event>SCAN</Event><EventKey>ch:hospital-3</EventKey><Ticket>T</Ticket></xml>",
        t + 3
    );
    assert_eq!(app.post_plain(&scan).await.text().await.unwrap(), "success");
    let (f, history) = followers::history(&app.db, "m").await.unwrap().unwrap();
    assert_eq!(f.first_channel.as_deref(), Some("clinic-12"));
    assert_eq!(f.last_channel.as_deref(), Some("hospital-3"));
    assert_eq!(history.last().unwrap().kind, "scan");
    assert_eq!(history[0].channel.as_deref(), Some("clinic-12"));

    // Scenes that are not `ch:` codes, and non-QR EventKeys, attribute nothing.
    app.post_plain(&event_xml("n", "subscribe", Some("qrscene_123123"), t))
        .await;
    app.post_plain(&event_xml(
        "o",
        "subscribe",
        Some("last_trade_no_4008072001201701105817415015"),
        t,
    ))
    .await;
    for openid in ["n", "o"] {
        let (f, _) = followers::history(&app.db, openid).await.unwrap().unwrap();
        assert_eq!((f.first_channel, f.last_channel), (None, None));
    }
    app.finish().await;
}

#[actix_web::test]
async fn keyword_rules_apply_in_priority_order_to_text_and_menu_clicks() {
    let app = TestApp::spawn().await;
    let now = app.clock.now();
    let rule = |kind: &str, pattern: &str, priority: i32, reply: serde_json::Value| {
        reply_rules::ActiveModel {
            match_kind: Set(kind.into()),
            pattern: Set(pattern.into()),
            priority: Set(priority),
            reply: Set(reply.to_string()),
            enabled: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    };
    rule("exact", "MENU_SCHEDULE", 5, serde_json::json!({"type": "news", "articles": [{"title": "接种计划", "description": "d", "pic_url": "", "url": "https://example.invalid/s"}]}))
        .insert(&app.db)
        .await
        .unwrap();
    // Both match "宝宝疫苗"; the lower priority number wins.
    rule(
        "contains",
        "宝宝",
        1,
        serde_json::json!({"type": "text", "content": "baby rule"}),
    )
    .insert(&app.db)
    .await
    .unwrap();

    let click = event_xml("k", "CLICK", Some("MENU_SCHEDULE"), SAMPLE_TIMESTAMP);
    let news = fields(&app.post_plain(&click).await.text().await.unwrap());
    assert_eq!(news["MsgType"], "news");
    assert_eq!(news["Title"], "接种计划");

    let both = fields(
        &app.post_plain(&text_xml("k", 1, "宝宝疫苗", SAMPLE_TIMESTAMP))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(both["Content"], "baby rule");
    let contains = fields(
        &app.post_plain(&text_xml("k", 2, "什么时候打疫苗？", SAMPLE_TIMESTAMP))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(contains["Content"].contains("提醒"));
    let nothing = fields(
        &app.post_plain(&text_xml("k", 3, "zzz", SAMPLE_TIMESTAMP))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        nothing["Content"].contains("帮助"),
        "default help reply: {nothing:?}"
    );
    // Images, locations and views get no reply.
    let view = event_xml(
        "k",
        "VIEW",
        Some("https://example.invalid"),
        SAMPLE_TIMESTAMP + 9,
    );
    assert_eq!(app.post_plain(&view).await.text().await.unwrap(), "success");
    app.finish().await;
}

#[actix_web::test]
async fn unknown_types_are_kept_and_answered_success() {
    let app = TestApp::spawn().await;
    let xml = format!(
        "<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>notsure</MsgType><MsgId>77</MsgId></xml>"
    );
    let res = app.post_plain(&xml).await;
    assert_eq!(res.text().await.unwrap(), "success");
    let event = format!(
        "<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>u</FromUserName><CreateTime>2</CreateTime><MsgType>event</MsgType><Event>brand_new_event</Event></xml>"
    );
    assert_eq!(app.post_safe(&event).await.text().await.unwrap(), "success");
    let stored = babyvax::service::messaging::inbound::find(&app.db, "msg:77:u")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.msg_type, "notsure");
    assert!(stored.summary.contains("<MsgType>notsure</MsgType>"));
    assert!(
        babyvax::service::messaging::inbound::find(&app.db, "event:2:u:brand_new_event")
            .await
            .unwrap()
            .is_some()
    );
    app.finish().await;
}

#[actix_web::test]
async fn bad_input_is_refused_with_a_code_and_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let xml = text_xml("x", 1, "hi", SAMPLE_TIMESTAMP);

    // Over 64 KiB.
    let big = format!("<xml><Content>{}</Content></xml>", "a".repeat(70 * 1024));
    assert_eq!(
        error_code(app.post_plain(&big).await).await,
        (413, "payload_too_large".into())
    );
    // Malformed XML and a non-<xml> root.
    for bad in [
        "<xml><ToUserName>",
        "not xml at all",
        "<foo></foo>",
        "<xml><CreateTime>soon</CreateTime></xml>",
    ] {
        let (status, code) = error_code(app.post_plain(bad).await).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            code == "malformed_xml" || code == "invalid_message",
            "{bad}: {code}"
        );
    }
    // Bad signature, and a stale timestamp with a valid signature.
    let res = app
        .http
        .post(format!(
            "{}/wechat/callback?signature=0000&timestamp={SAMPLE_TIMESTAMP}&nonce=1",
            app.address
        ))
        .body(xml.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, (401, "invalid_signature".into()));
    let old = (SAMPLE_TIMESTAMP - 3600).to_string();
    let sig = signature::sign(&[TOKEN, &old, "1"]);
    let res = app
        .http
        .post(format!(
            "{}/wechat/callback?signature={sig}&timestamp={old}&nonce=1",
            app.address
        ))
        .body(xml.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res).await,
        (401, "timestamp_out_of_window".into())
    );
    // A timestamp at the edge of i64 must not overflow the window check.
    let edge = i64::MIN.to_string();
    let sig = signature::sign(&[TOKEN, &edge, "1"]);
    let res = app
        .http
        .post(format!(
            "{}/wechat/callback?signature={sig}&timestamp={edge}&nonce=1",
            app.address
        ))
        .body(xml.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res).await,
        (401, "timestamp_out_of_window".into())
    );

    // Safe mode: bad base64, bad padding, wrong appid, a signature over other bytes.
    let envelope = |enc: &str| {
        format!("<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>")
    };
    let (s, c) = error_code(
        app.post_raw_safe(&envelope("@@not-base64@@"), "@@not-base64@@")
            .await,
    )
    .await;
    assert_eq!((s, c.as_str()), (400, "invalid_base64"));
    let bad_padding = encrypt_raw_blocks(&[0u8; 32]);
    let (s, c) = error_code(
        app.post_raw_safe(&envelope(&bad_padding), &bad_padding)
            .await,
    )
    .await;
    assert_eq!((s, c.as_str()), (400, "invalid_padding"));
    let other_app = app.key.encrypt(&xml, "wxsomeoneelse");
    let (s, c) = error_code(app.post_raw_safe(&envelope(&other_app), &other_app).await).await;
    assert_eq!((s, c.as_str()), (400, "appid_mismatch"));
    let good = app.key.encrypt(&xml, APPID);
    let (s, c) = error_code(
        app.post_raw_safe(&envelope(&good), "signed-something-else")
            .await,
    )
    .await;
    assert_eq!((s, c.as_str()), (401, "invalid_signature"));
    let (s, c) = error_code(
        app.post_raw_safe("<xml><ToUserName>x</ToUserName></xml>", "")
            .await,
    )
    .await;
    assert_eq!((s, c.as_str()), (400, "invalid_message"));

    assert_eq!(
        inbound_count(&app).await,
        0,
        "refused requests must leave no trace"
    );
    assert!(followers::history(&app.db, "x").await.unwrap().is_none());
    app.finish().await;
}

/// AES-256-CBC over raw blocks with the test key, without WeChat's framing or padding.
fn encrypt_raw_blocks(plain: &[u8]) -> String {
    use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
    use base64::Engine;
    let key = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    )
    .decode(format!("{}=", crate::helpers::AES_KEY))
    .unwrap();
    let mut buf = plain.to_vec();
    let len = buf.len();
    let enc = cbc::Encryptor::<aes::Aes256>::new_from_slices(&key, &key[..16]).unwrap();
    let out = enc.encrypt_padded_mut::<NoPadding>(&mut buf, len).unwrap();
    base64::engine::general_purpose::STANDARD.encode(out)
}

#[actix_web::test]
async fn a_delivery_not_committed_within_the_budget_is_refused_never_acknowledged() {
    let database = TestDatabase::fresh().await;
    let app = TestApp::spawn_with(database.clone(), |s| s.callback_reply_budget_ms = 300).await;
    // Another connection holds the write lock on the dedup table, as a long transaction would.
    let blocker = database.connect().await;
    let txn = sea_orm::TransactionTrait::begin(&blocker).await.unwrap();
    if database.is_postgres() {
        txn.execute_unprepared("LOCK TABLE inbound_messages IN EXCLUSIVE MODE")
            .await
            .unwrap();
    } else {
        txn.execute_unprepared("DELETE FROM reply_rules WHERE id < 0")
            .await
            .unwrap();
    }
    let xml = text_xml("slow", 5, "帮助", SAMPLE_TIMESTAMP);
    let started = std::time::Instant::now();
    let res = app.post_plain(&xml).await;
    // Not durable yet: neither `success` nor a reply, but 500 so that WeChat redelivers it.
    assert_eq!(res.status().as_u16(), 500);
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let body = res.text().await.unwrap();
    assert_ne!(body, "success");
    assert!(!body.contains("疫苗"), "{body}");
    txn.rollback().await.unwrap();

    // The work finishes in the background; WeChat's retry then gets the real reply.
    let mut reply = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if babyvax::service::messaging::inbound::find(&app.db, "msg:5:slow")
            .await
            .unwrap()
            .is_some()
        {
            reply = app.post_plain(&xml).await.text().await.unwrap();
            break;
        }
    }
    assert!(fields(&reply)["Content"].contains("疫苗"), "{reply}");
    app.finish().await;
}
