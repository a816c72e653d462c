//! The sender's commit pattern: what needs no send is decided for the whole batch and written
//! in bulk (guarded by the claim and by the row still being pending); what is sent is renewed
//! and guarded one row at a time, each outcome written with the next row's renewal.

use babyvax::domain::push::OutboxStatus;
use babyvax::fake_wechat::{Fault, SUBSCRIBE_SEND, TEMPLATE_SEND};
use babyvax::service::messaging::outbox::{self, Outcome};
use babyvax::service::push::preferences::{self, PreferencesInput};
use entity::push_outbox;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::push::support::{PushApp, at};

const BIRTH: &str = "2026-01-10";
/// HepB 2 of a baby born on BIRTH is due from this day.
const DUE: &str = "2026-02-10";

/// What `reminders::cancel_pending` does when the doses a reminder names are recorded.
async fn cancel(p: &PushApp, id: i64) {
    push_outbox::Entity::update_many()
        .col_expr(
            push_outbox::Column::Status,
            Expr::value(OutboxStatus::Cancelled.as_str()),
        )
        .col_expr(
            push_outbox::Column::LastError,
            Expr::value("doses recorded"),
        )
        .filter(push_outbox::Column::Id.eq(id))
        .filter(push_outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
        .exec(&p.app.db)
        .await
        .unwrap();
}

#[actix_web::test]
async fn one_batch_records_every_outcome_settled_in_bulk_and_sends_the_rest() {
    let p = PushApp::spawn().await;
    let quiet = p.settings.push.quiet;
    let followers = [
        p.family("mp-1", Some("oa-1"), true, 0).await,
        p.family("mp-7", Some("oa-7"), true, 0).await,
    ];
    let consented = p.family("mp-2", None, false, 1).await;
    let nothing = [
        p.family("mp-3", None, false, 0).await,
        p.family("mp-4", Some("oa-4"), false, 0).await,
    ];
    let kind_off = p.family("mp-5", Some("oa-5"), true, 0).await;
    let asleep = p.family("mp-6", Some("oa-6"), true, 0).await;
    let all = [
        followers[0],
        followers[1],
        consented,
        nothing[0],
        nothing[1],
        kind_off,
        asleep,
    ];
    for m in all {
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), 7);
    // Changed after planning: the sender applies them.
    let off = PreferencesInput {
        due_today: Some(false),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, kind_off, &off, quiet, p.now())
        .await
        .unwrap();
    let nap = PreferencesInput {
        quiet_start: Some("09:30".into()),
        quiet_end: Some("11:00".into()),
        ..PreferencesInput::default()
    };
    preferences::set(&p.app.db, asleep, &nap, quiet, p.now())
        .await
        .unwrap();
    assert!(p.rows().await.iter().all(|r| r.status == "pending"));

    let report = p.send().await;
    assert_eq!(
        (
            report.claimed,
            report.sent_template,
            report.sent_subscribe,
            report.undeliverable,
            report.suppressed,
            report.retried,
            report.lost,
        ),
        (7, 2, 1, 2, 1, 1, 0),
        "{report:?}"
    );
    let rows = p.rows().await;
    let of = |m: i32| rows.iter().find(|r| r.member_id == Some(m)).unwrap();
    for m in followers {
        assert_eq!(
            (
                of(m).status.as_str(),
                of(m).channel.as_deref(),
                of(m).attempts
            ),
            ("sent", Some("template"), 1)
        );
    }
    assert_eq!(
        (
            of(consented).status.as_str(),
            of(consented).channel.as_deref()
        ),
        ("sent", Some("subscribe"))
    );
    for m in nothing {
        assert_eq!(
            (
                of(m).status.as_str(),
                of(m).channel.as_deref(),
                of(m).last_error.as_deref(),
                of(m).attempts
            ),
            (
                "undeliverable",
                Some("none"),
                Some("no channel: not following and no subscribe allowance"),
                0
            )
        );
    }
    assert_eq!(
        (
            of(kind_off).status.as_str(),
            of(kind_off).last_error.as_deref()
        ),
        ("suppressed", Some("preferences"))
    );
    // Held for the end of the quiet hours, no attempt spent.
    let held = of(asleep);
    assert_eq!(
        (
            held.status.as_str(),
            held.not_before,
            held.attempts,
            held.last_error.as_deref()
        ),
        ("pending", at(DUE, 11, 0), 0, Some("quiet hours"))
    );
    // Every outcome written releases its row.
    assert!(rows.iter().all(|r| r.claimed_until.is_none()), "{rows:?}");

    let to = p.recipients();
    assert_eq!(to, ["mp-2", "oa-1", "oa-7"]);
    assert_eq!(
        p.fake.calls(TEMPLATE_SEND) + p.fake.calls(SUBSCRIBE_SEND),
        3
    );

    // After the quiet hours the held row goes out; nothing else is claimed again.
    p.set_now(DUE, 11, 1);
    let later = p.send().await;
    assert_eq!((later.claimed, later.sent_template), (1, 1), "{later:?}");
    p.finish().await;
}

#[actix_web::test]
async fn records_leave_rows_cancelled_or_claimed_again_since_the_claim_alone() {
    let p = PushApp::spawn().await;
    for i in 0..4 {
        let m = p.family(&format!("mp-{i}"), None, false, 0).await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), 4);
    let db = &p.app.db;
    let lease = p.settings.push.lease;
    let now = p.now();
    let claimed = outbox::claim(db, "first", now, now + lease, 10)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in claim order");
    // A row's doses are recorded after the claim.
    cancel(&p, ids[1]).await;
    // The previous row's outcome is written with the next row's renewal, and holds when the
    // renewal finds the next row cancelled.
    let sent = Outcome::Sent {
        channel: "template",
        template_id: "T".into(),
        openid: "oa".into(),
        msgid: Some(7),
    };
    let renewed = outbox::record_and_renew(
        db,
        &[(ids[3], sent.clone())],
        &ids[1..2],
        "first",
        now,
        now + lease,
    )
    .await
    .unwrap();
    assert!(renewed.is_empty(), "a cancelled row is not renewed");

    // The claim's lease runs out (its sender stalled): another sender takes the first row.
    let later = now + lease + chrono::Duration::seconds(1);
    let again = outbox::claim(db, "second", later, later + lease, 1)
        .await
        .unwrap();
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[0]]);

    // The stalled sender's bulk record touches only what is still its own and pending.
    let outcome = Outcome::Undeliverable("no recipient".into());
    let written = outbox::record_many(db, &ids[..3], "first", &outcome, later)
        .await
        .unwrap();
    assert_eq!(written, [ids[2]]);
    // Nor does another claim's record or renewal touch it.
    let renewed = outbox::record_and_renew(
        db,
        &[(ids[2], sent)],
        &ids[..1],
        "second",
        later,
        later + lease,
    )
    .await
    .unwrap();
    assert_eq!(renewed.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[0]]);

    let rows = p.rows().await;
    let of = |id: i64| rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (
            of(ids[0]).status.as_str(),
            of(ids[0]).claimed_by.as_deref(),
            of(ids[0]).claimed_until
        ),
        ("pending", Some("second"), Some(later + lease))
    );
    assert_eq!(
        (of(ids[1]).status.as_str(), of(ids[1]).last_error.as_deref()),
        ("cancelled", Some("doses recorded"))
    );
    assert_eq!(
        (
            of(ids[2]).status.as_str(),
            of(ids[2]).last_error.as_deref(),
            of(ids[2]).claimed_until
        ),
        ("undeliverable", Some("no recipient"), None)
    );
    assert_eq!(
        (
            of(ids[3]).status.as_str(),
            of(ids[3]).wechat_msgid,
            of(ids[3]).attempts
        ),
        ("sent", Some(7), 1)
    );
    p.finish().await;
}

#[actix_web::test]
async fn a_row_cancelled_while_the_one_before_it_is_sent_is_not_sent() {
    let p = PushApp::spawn().await;
    for i in 0..2 {
        let m = p
            .family(&format!("mp-{i}"), Some(&format!("oa-{i}")), true, 0)
            .await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), 2);
    let second = p.rows().await[1].id;
    p.fake.inject(
        TEMPLATE_SEND,
        Fault::Delay(std::time::Duration::from_millis(300)),
        1,
    );
    let sender = p.sender();
    let drain = sender.drain();
    let cancel_meanwhile = async {
        p.calls_reached(TEMPLATE_SEND, 1).await;
        // The first row is at WeChat; the second was claimed with it.
        assert!(p.rows().await[1].claimed_by.is_some());
        cancel(&p, second).await;
    };
    let (report, ()) = tokio::join!(drain, cancel_meanwhile);
    let report = report.unwrap();
    assert_eq!((report.sent(), report.lost), (1, 1), "{report:?}");
    assert_eq!(p.fake.calls(TEMPLATE_SEND), 1);
    let rows = p.rows().await;
    assert_eq!(rows[0].status, "sent");
    assert_eq!(
        (rows[1].status.as_str(), rows[1].last_error.as_deref()),
        ("cancelled", Some("doses recorded"))
    );
    p.finish().await;
}

/// Families who follow the account, a baby each with HepB 2 due on DUE, planned.
async fn followers_planned(p: &PushApp, n: usize) {
    for i in 0..n {
        let m = p
            .family(&format!("mp-{i}"), Some(&format!("oa-{i}")), true, 0)
            .await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), n as u64);
}

#[actix_web::test]
async fn a_window_of_sends_is_at_wechat_at_once_and_recorded_after_it() {
    let p = PushApp::spawn_with(|s| s.push.in_flight = 4).await;
    followers_planned(&p, 4).await;
    // The first send answers late: the other three go out meanwhile.
    p.fake.inject(
        TEMPLATE_SEND,
        Fault::Delay(std::time::Duration::from_millis(500)),
        1,
    );
    let sender = p.sender();
    let drain = sender.drain();
    let watch = async {
        p.calls_reached(TEMPLATE_SEND, 4).await;
        // All four at WeChat, none recorded yet (one send still waits for its answer).
        let rows = p.rows().await;
        assert!(rows.iter().all(|r| r.status == "pending"), "{rows:?}");
    };
    let (report, ()) = tokio::join!(drain, watch);
    let report = report.unwrap();
    assert_eq!((report.claimed, report.sent_template), (4, 4), "{report:?}");
    let rows = p.rows().await;
    assert!(
        rows.iter()
            .all(|r| r.status == "sent" && r.attempts == 1 && r.claimed_until.is_none()),
        "{rows:?}"
    );
    p.finish().await;
}

#[actix_web::test]
async fn with_several_sends_in_flight_and_two_senders_each_row_is_sent_once() {
    let p = PushApp::spawn_with(|s| {
        s.push.in_flight = 4;
        s.push.batch_size = 5;
    })
    .await;
    for i in 0..11 {
        let m = p
            .family(&format!("mp-{i}"), Some(&format!("oa-{i}")), true, 0)
            .await;
        p.baby(m, "宝宝", BIRTH).await;
    }
    let nobody = p.family("mp-x", None, false, 0).await;
    p.baby(nobody, "宝宝", BIRTH).await;
    p.set_now(DUE, 10, 0);
    assert_eq!(p.plan(DUE).await.total_planned(), 12);
    // Slow answers, so that windows of both senders overlap.
    p.fake.inject(
        TEMPLATE_SEND,
        Fault::Delay(std::time::Duration::from_millis(20)),
        11,
    );
    let (a, b) = (p.sender(), p.sender());
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        (
            ra.claimed + rb.claimed,
            ra.sent() + rb.sent(),
            ra.undeliverable + rb.undeliverable,
            ra.lost + rb.lost
        ),
        (12, 11, 1, 0),
        "{ra:?} {rb:?}"
    );
    // Each row went to WeChat once: no second call, not even one WeChat would drop.
    assert_eq!(p.fake.calls(TEMPLATE_SEND), 11);
    let mut to = p.recipients();
    to.dedup();
    assert_eq!(to.len(), 11);
    let rows = p.rows().await;
    let sent: Vec<_> = rows.iter().filter(|r| r.status == "sent").collect();
    assert_eq!(sent.len(), 11, "{rows:?}");
    let mut msgids: Vec<i64> = sent.iter().filter_map(|r| r.wechat_msgid).collect();
    msgids.sort_unstable();
    msgids.dedup();
    assert_eq!(msgids.len(), 11);
    assert!(
        rows.iter()
            .all(|r| r.claimed_until.is_none() && r.attempts == i32::from(r.status == "sent")),
        "{rows:?}"
    );
    p.finish().await;
}

#[actix_web::test]
async fn a_failed_send_in_a_window_settles_only_its_own_row() {
    let p = PushApp::spawn_with(|s| s.push.in_flight = 4).await;
    followers_planned(&p, 4).await;
    // One of the window's sends finds its follower gone.
    p.fake.inject(TEMPLATE_SEND, Fault::Errcode(43004), 1);
    let report = p.send().await;
    assert_eq!(
        (report.claimed, report.sent_template, report.failed),
        (4, 3, 1),
        "{report:?}"
    );
    let rows = p.rows().await;
    let failed: Vec<_> = rows.iter().filter(|r| r.status == "failed").collect();
    assert_eq!(failed.len(), 1, "{rows:?}");
    assert_eq!(
        (
            failed[0].error_code,
            failed[0].attempts,
            failed[0].wechat_msgid
        ),
        (Some(43004), 1, None)
    );
    let sent: Vec<_> = rows.iter().filter(|r| r.status == "sent").collect();
    assert_eq!(sent.len(), 3, "{rows:?}");
    assert!(
        sent.iter()
            .all(|r| r.attempts == 1 && r.wechat_msgid.is_some() && r.last_error.is_none())
    );
    assert_eq!(p.fake.sent_messages().len(), 3);
    p.finish().await;
}
