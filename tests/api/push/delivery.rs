//! The push sender against the fake WeChat: channel choice, retries while WeChat is down,
//! permanent errors with their reason, TEMPLATESENDJOBFINISH through the callback door, two
//! senders sharing one database, and campaigns.

use babyvax::fake_wechat::{Fault, SUBSCRIBE_SEND, TEMPLATE_SEND};
use babyvax::service::messaging::subscriptions;
use babyvax::service::push::campaigns::{self, CampaignInput, Segment};
use chrono::Duration;

use crate::push::support::{MP_VACCINE, PushApp};

const BIRTH: &str = "2026-01-10";
/// HepB 2 of a baby born on BIRTH is due from this day.
const DUE: &str = "2026-02-10";

#[actix_web::test]
async fn template_when_following_subscribe_when_consented_else_undeliverable() {
    let p = PushApp::spawn().await;
    let follower = p.family("mp-1", Some("oa-1"), true, 0).await;
    let consented = p.family("mp-2", Some("oa-2"), false, 1).await;
    let nothing = p.family("mp-3", None, false, 0).await;
    for m in [follower, consented, nothing] {
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), 3);
    let report = p.send().await;
    assert_eq!(
        (
            report.sent_template,
            report.sent_subscribe,
            report.undeliverable
        ),
        (1, 1, 1)
    );

    let sent = p.fake.sent_messages();
    let template = sent.iter().find(|m| m.path == TEMPLATE_SEND).unwrap();
    assert_eq!(template.body["touser"], "oa-1");
    assert_eq!(template.body["template_id"], "OA_VACCINE_REMINDER");
    assert_eq!(template.body["data"]["keyword1"]["value"], "宝宝");
    assert_eq!(template.body["data"]["keyword3"]["value"], DUE);
    assert!(
        template.body["client_msg_id"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":m{follower}:due_today:2026-02-10"))
    );
    assert!(
        template.body["miniprogram"]["pagepath"]
            .as_str()
            .unwrap()
            .starts_with("pages/baby/index?id=")
    );
    let subscribe = sent.iter().find(|m| m.path == SUBSCRIBE_SEND).unwrap();
    assert_eq!(subscribe.body["touser"], "mp-2");
    assert_eq!(subscribe.body["template_id"], MP_VACCINE);

    // The allowance was used up by the send, with a ledger row.
    let left = subscriptions::allowances(&p.app.db, consented)
        .await
        .unwrap();
    assert_eq!(left.allowances[0].remaining, 0);
    let ledger = subscriptions::ledger(&p.app.db, consented).await.unwrap();
    assert_eq!(ledger.last().unwrap().result, "consume");

    let rows = p.rows().await;
    let of = |m: i32| rows.iter().find(|r| r.member_id == Some(m)).unwrap();
    assert_eq!(
        (
            of(follower).status.as_str(),
            of(follower).channel.as_deref()
        ),
        ("sent", Some("template"))
    );
    assert_eq!(
        (
            of(consented).status.as_str(),
            of(consented).channel.as_deref()
        ),
        ("sent", Some("subscribe"))
    );
    assert_eq!(of(nothing).status, "undeliverable");
    let shown = babyvax::service::messaging::outbox::undeliverable_for_member(&p.app.db, nothing)
        .await
        .unwrap();
    assert_eq!(shown.len(), 1);
    p.finish().await;
}

#[actix_web::test]
async fn while_wechat_answers_5xx_messages_wait_and_all_go_out_once_it_is_back() {
    let p = PushApp::spawn().await;
    for i in 0..5 {
        let m = p
            .family(&format!("mp-{i}"), Some(&format!("oa-{i}")), true, 0)
            .await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    p.plan(DUE).await;
    // Down for a long while: far more failures than one pass makes (the client itself tries
    // each send 3 times).
    p.fake.inject(TEMPLATE_SEND, Fault::Http(503), 40);
    let mut rounds = 0;
    loop {
        let report = p.send().await;
        assert_eq!(report.failed, 0, "a transient error is never final");
        let rows = p.rows().await;
        if rows.iter().all(|r| r.status == "sent") {
            break;
        }
        rounds += 1;
        assert!(rounds < 50, "still not sent: {rows:?}");
        // An hour passes in ten-minute steps.
        p.app.clock.advance(Duration::minutes(10));
    }
    assert!(rounds >= 1, "the outage must have held some messages back");
    let rows = p.rows().await;
    assert!(rows.iter().any(|r| r.attempts > 1));
    let delivered = p.fake.sent_messages();
    assert_eq!(delivered.len(), 5, "none dropped, none twice");
    p.finish().await;
}

#[actix_web::test]
async fn permanent_errors_are_recorded_with_their_reason() {
    let p = PushApp::spawn().await;
    let unfollowed = p.family("mp-1", Some("oa-gone"), true, 0).await;
    let refused = p.family("mp-2", None, false, 1).await;
    for m in [unfollowed, refused] {
        p.baby(m, "宝宝", BIRTH).await;
    }
    // Our follower table missed the unfollow; WeChat knows better.
    p.fake.mark_unfollowed("oa-gone");
    p.fake.mark_refused("mp-2");
    p.set_now(DUE, 10, 0);
    p.plan(DUE).await;
    let report = p.send().await;
    assert_eq!(report.failed, 2);
    let rows = p.rows().await;
    let of = |m: i32| rows.iter().find(|r| r.member_id == Some(m)).unwrap();
    assert_eq!(of(unfollowed).status, "failed");
    assert_eq!(of(unfollowed).error_code, Some(43004));
    assert!(
        of(unfollowed)
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("unfollowed")
    );
    assert_eq!(of(refused).error_code, Some(43101));
    assert!(
        of(refused)
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("refused")
    );
    // Nothing is retried.
    p.app.clock.advance(Duration::hours(2));
    assert_eq!(p.send().await.claimed, 0);
    p.finish().await;
}

#[actix_web::test]
async fn a_quota_error_pauses_the_channel_without_spending_attempts() {
    let p = PushApp::spawn().await;
    for i in 0..3 {
        let m = p
            .family(&format!("mp-{i}"), Some(&format!("oa-{i}")), true, 0)
            .await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    p.plan(DUE).await;
    p.fake.inject(TEMPLATE_SEND, Fault::Errcode(45009), 1);
    let sender = p.sender();
    let report = sender.drain().await.unwrap();
    assert_eq!(report.sent(), 0);
    assert_eq!(
        p.fake.calls(TEMPLATE_SEND),
        1,
        "one quota error pauses the channel"
    );
    assert!(
        p.rows()
            .await
            .iter()
            .all(|r| r.attempts == 0 && r.status == "pending")
    );
    p.app.clock.advance(Duration::hours(2));
    assert_eq!(sender.drain().await.unwrap().sent(), 3);
    p.finish().await;
}

#[actix_web::test]
async fn a_rows_outcome_is_written_before_the_next_row_is_sent() {
    // The crash window stays one row: row k's outcome rides the commit that renews row k+1's
    // lease, so it is durable before row k+1 goes to WeChat.
    let p = PushApp::spawn().await;
    for i in 0..3 {
        let m = p
            .family(&format!("mp-{i}"), Some(&format!("oa-{i}")), true, 0)
            .await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), 3);
    p.fake.inject(
        TEMPLATE_SEND,
        Fault::Delay(std::time::Duration::from_millis(300)),
        3,
    );
    let sender = p.sender();
    let drain = sender.drain();
    let watch = async {
        let mut seen = Vec::new();
        for calls in 1..=3 {
            p.calls_reached(TEMPLATE_SEND, calls).await;
            // Row `calls` is in flight: every row before it is recorded as sent.
            let sent = p.rows().await.iter().filter(|r| r.status == "sent").count();
            seen.push(sent);
        }
        seen
    };
    let (report, seen) = tokio::join!(drain, watch);
    assert_eq!(report.unwrap().sent(), 3);
    assert_eq!(seen, [0, 1, 2]);
    assert!(p.rows().await.iter().all(|r| r.status == "sent"));
    p.finish().await;
}

#[actix_web::test]
async fn templatesendjobfinish_through_the_callback_door_updates_the_delivery_status() {
    let p = PushApp::spawn().await;
    let m = p.family("mp-1", Some("oa-1"), true, 0).await;
    p.baby(m, "宝宝", BIRTH).await;
    p.set_now(DUE, 10, 0);
    p.plan(DUE).await;
    p.send().await;
    let row = p.rows().await.remove(0);
    let msgid = row.wechat_msgid.expect("WeChat's msgid is kept");
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oa-1]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID>\
         <Status><![CDATA[failed:user block]]></Status></xml>",
        p.app.now_ts()
    );
    let resp = p.app.post_plain(&xml).await;
    assert_eq!(resp.status(), 200);
    let row = p.rows().await.remove(0);
    assert_eq!(row.delivery_status.as_deref(), Some("failed:user block"));
    p.finish().await;
}

#[actix_web::test]
async fn two_senders_on_one_database_send_each_message_exactly_once() {
    let first = PushApp::spawn_with(|s| s.push.batch_size = 3).await;
    let second = PushApp::spawn_on(first.app.database.clone(), first.fake.clone(), |s| {
        s.push.batch_size = 3
    })
    .await;
    for i in 0..12 {
        // Subscribe messages: WeChat does not deduplicate them, so a double send would show.
        let m = first.family(&format!("mp-{i}"), None, false, 1).await;
        first.baby(m, "宝宝", BIRTH).await;
    }
    first.set_now(DUE, 10, 0);
    second.set_now(DUE, 10, 0);
    first.plan(DUE).await;
    // Slow answers keep both senders busy at the same time.
    first.fake.inject(
        SUBSCRIBE_SEND,
        Fault::Delay(std::time::Duration::from_millis(20)),
        12,
    );
    let (a, b) = (first.sender(), second.sender());
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.sent() + rb.sent(), 12, "{ra:?} {rb:?}");
    assert_eq!(first.fake.calls(SUBSCRIBE_SEND), 12);
    let mut touched = first.recipients();
    touched.dedup();
    assert_eq!(touched.len(), 12);
    second.app.db.clone().close().await.ok();
    first.finish().await;
}

#[actix_web::test]
async fn a_campaign_is_counted_first_then_sent_through_the_outbox() {
    let p = PushApp::spawn().await;
    let young = p.family("mp-1", Some("oa-1"), true, 0).await;
    let old = p.family("mp-2", Some("oa-2"), true, 0).await;
    p.baby(young, "小", "2026-01-01").await;
    p.baby(old, "大", "2025-01-01").await;
    let input = CampaignInput {
        name: "辅食讲座".into(),
        kind: "announcement".into(),
        title: "线上辅食讲座".into(),
        summary: "本周六上午十点".into(),
        page: None,
        segment: Segment {
            min_age_days: Some(0),
            max_age_days: Some(60),
            members: Some(true),
            ..Segment::default()
        },
    };
    let dry = campaigns::run(
        &p.app.db,
        &p.settings.push,
        &input,
        p.today(),
        p.now(),
        true,
    )
    .await
    .unwrap();
    assert_eq!((dry.members, dry.queued, dry.campaign_id), (1, 0, None));
    assert!(p.rows().await.is_empty(), "a dry run writes nothing");
    let real = campaigns::run(
        &p.app.db,
        &p.settings.push,
        &input,
        p.today(),
        p.now(),
        false,
    )
    .await
    .unwrap();
    assert_eq!(real.queued, 1);
    let report = p.send().await;
    assert_eq!(report.sent_template, 1);
    let sent = p.fake.sent_messages();
    assert_eq!(sent[0].body["touser"], "oa-1");
    assert_eq!(sent[0].body["template_id"], "OA_ANNOUNCEMENT");
    assert_eq!(sent[0].body["data"]["first"]["value"], "线上辅食讲座");
    p.finish().await;
}

#[actix_web::test]
async fn serve_plans_the_day_at_the_configured_time_and_sends_continuously() {
    let p = PushApp::spawn().await;
    let m = p.family("mp-1", Some("oa-1"), true, 0).await;
    p.baby(m, "宝宝", BIRTH).await;
    p.set_now(DUE, 8, 59);
    let state =
        babyvax::startup::build_state((*p.settings).clone(), p.app.db.clone(), p.app.clock.clone())
            .unwrap();
    let workers =
        babyvax::jobs::push::spawn_with(&state, std::time::Duration::from_millis(20)).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(p.rows().await.is_empty(), "09:00 has not come yet");
    p.set_now(DUE, 9, 1);
    let started = std::time::Instant::now();
    while p.fake.sent_messages().is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "nothing sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    workers.stop();
    let rows = p.rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, "due_today");
    p.finish().await;
}
