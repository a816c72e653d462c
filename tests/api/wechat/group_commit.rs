//! The callback door's group commit, its in-memory reply rules and the retention of old bodies:
//! a crash between a batch's commit and its replies, redeliveries racing their first delivery,
//! rules edited through one instance seen by another, the pruning of old deliveries, and a
//! delivery the database refuses in the middle of a batch.

use babyvax::clock::Clock;
use babyvax::service::audience::followers;
use babyvax::service::messaging::inbound::{self, Delivery, InboundWriter};
use babyvax::service::messaging::reply_rules::RuleCache;
use babyvax::telemetry::Metrics;
use babyvax::wechat::message;
use chrono::Duration;
use entity::{inbound_messages, reply_rules};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::helpers::{ACCOUNT, SAMPLE_TIMESTAMP, TestApp, TestDatabase, babyvax_test_xml::fields};

fn text_xml(from: &str, msg_id: u64, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{SAMPLE_TIMESTAMP}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

fn follow_xml(from: &str, scene: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{SAMPLE_TIMESTAMP}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_ch:{scene}]]></EventKey></xml>"
    )
}

async fn inbound_count(app: &TestApp) -> u64 {
    inbound_messages::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

async fn history_len(app: &TestApp, openid: &str) -> usize {
    followers::history(&app.db, openid)
        .await
        .unwrap()
        .map_or(0, |(_, history)| history.len())
}

#[actix_web::test]
async fn a_crash_between_the_batch_commit_and_the_replies_loses_no_message() {
    let app = TestApp::spawn().await;
    let xmls = [
        text_xml("crash-1", 1, "帮助"),
        text_xml("crash-2", 2, "宝宝什么时候打疫苗"),
        text_xml("crash-3", 3, "zzz"),
        follow_xml("crash-4", "clinic-1"),
        // The same message twice in one batch: one row, one reply.
        text_xml("crash-1", 1, "帮助"),
    ];
    let batch: Vec<Delivery> = xmls
        .iter()
        .map(|xml| Delivery {
            inbound: message::parse(xml).unwrap(),
            now: app.clock.now(),
        })
        .collect();
    // The writer's own commit; the process then "dies": none of these replies leaves.
    let outcomes = inbound::commit_batch(&app.db, &RuleCache::new(), &batch).await;
    let replies: Vec<Option<String>> = outcomes
        .into_iter()
        .map(|o| o.expect("batch committed").reply_xml)
        .collect();
    assert!(replies.iter().all(Option::is_some), "{replies:?}");
    assert_eq!(replies[0], replies[4]);
    assert_eq!(inbound_count(&app).await, 4);

    // A new process on the same database gets WeChat's redeliveries and answers the stored
    // replies, with no second effect.
    let restarted = TestApp::spawn_with(app.database.clone(), |_| {}).await;
    restarted.clock.set(app.clock.now() + Duration::seconds(5));
    for (xml, reply) in xmls.iter().zip(&replies) {
        let body = restarted.post_plain(xml).await.text().await.unwrap();
        assert_eq!(Some(&body), reply.as_ref());
        // Safe mode: the same reply inside a new envelope.
        let opened =
            restarted.open_safe_reply(&restarted.post_safe(xml).await.text().await.unwrap());
        assert_eq!(Some(&opened), reply.as_ref());
    }
    assert_eq!(inbound_count(&app).await, 4);
    assert_eq!(history_len(&app, "crash-4").await, 1);
    assert!(fields(replies[3].as_deref().unwrap())["Content"].contains("欢迎关注"));
    app.finish().await;
}

#[actix_web::test]
async fn redeliveries_racing_their_first_delivery_get_its_reply_and_count_once() {
    let app = TestApp::spawn().await;
    let mut xmls = Vec::new();
    for i in 0..16u64 {
        let words = ["帮助", "疫苗", "hello", "月龄"][(i % 4) as usize];
        xmls.push(text_xml(&format!("race-{}", i % 5), 100 + i, words));
    }
    for i in 0..4 {
        xmls.push(follow_xml(&format!("race-follow-{i}"), "poster-2"));
    }
    // Every message three times, all at once: the copies land in the same batch or in
    // different ones, first or not.
    let client = &app;
    let requests = xmls
        .iter()
        .flat_map(|xml| std::iter::repeat_n(xml, 3))
        .map(|xml| async move {
            let res = client.post_plain(xml).await;
            assert_eq!(res.status(), 200);
            (xml.clone(), res.text().await.unwrap())
        });
    let answered = futures_util::future::join_all(requests).await;
    for xml in &xmls {
        let bodies: Vec<&String> = answered
            .iter()
            .filter(|(sent, _)| sent == xml)
            .map(|(_, body)| body)
            .collect();
        assert_eq!(bodies.len(), 3);
        // Every copy gets the first delivery's reply (or `success` if it outwaited the budget).
        let reply = bodies
            .iter()
            .find(|b| b.as_str() != "success")
            .expect("some copy got the reply");
        assert!(
            bodies.iter().all(|b| b == reply || b.as_str() == "success"),
            "{bodies:?}"
        );
        let stored = inbound::find(&app.db, &message::parse(xml).unwrap().dedup_key())
            .await
            .unwrap()
            .expect("one row");
        assert_eq!(stored.reply_xml.as_ref(), Some(*reply));
    }
    assert_eq!(inbound_count(&app).await, 20);
    for i in 0..4 {
        assert_eq!(history_len(&app, &format!("race-follow-{i}")).await, 1);
    }
    app.finish().await;
}

/// Changes the text the `help` rule answers, through `app`'s database handle.
async fn set_help_reply(app: &TestApp, content: &str) {
    let reply = serde_json::json!({"type": "text", "content": content}).to_string();
    reply_rules::Entity::update_many()
        .col_expr(reply_rules::Column::Reply, Expr::value(reply))
        .filter(reply_rules::Column::Pattern.eq("help"))
        .exec(&app.db)
        .await
        .unwrap();
}

#[actix_web::test]
async fn reply_rules_edited_through_one_instance_are_seen_by_another() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_with(first.database.clone(), |_| {}).await;
    let content = |body: String| fields(&body)["Content"].clone();
    // The second instance answers (and now holds the rules in memory).
    let before = content(
        second
            .post_plain(&text_xml("edit", 1, "help"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(before.starts_with("Reply 疫苗"), "{before}");

    // An operator changes the rule through the first instance's database handle.
    set_help_reply(&first, "edited help").await;
    let after = content(
        second
            .post_plain(&text_xml("edit", 2, "help"))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(after, "edited help");

    // A new rule, then its removal.
    let now = first.clock.now();
    let added = reply_rules::ActiveModel {
        match_kind: Set("exact".into()),
        pattern: Set("新规则".into()),
        priority: Set(1),
        reply: Set(serde_json::json!({"type": "text", "content": "new rule"}).to_string()),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&first.db)
    .await
    .unwrap();
    let body = second
        .post_plain(&text_xml("edit", 3, "新规则"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(content(body), "new rule");
    reply_rules::Entity::delete_by_id(added.id)
        .exec(&first.db)
        .await
        .unwrap();
    let body = second
        .post_plain(&text_xml("edit", 4, "新规则"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        content(body).contains("帮助"),
        "the default rule answers again"
    );

    // A redelivery that meets an edit still gets the first delivery's reply.
    set_help_reply(&first, "edited again").await;
    let again = second
        .post_plain(&text_xml("edit", 2, "help"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(content(again), "edited help");
    first.finish().await;
}

#[actix_web::test]
async fn retention_clears_old_bodies_and_replies_and_keeps_dedup() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.post_plain(&text_xml("old", i, "帮助")).await;
    }
    app.clock.advance(Duration::days(31));
    let recent = text_xml("new", 1, "帮助");
    let recent_reply = app.post_plain(&recent).await.text().await.unwrap();

    let cutoff = app.clock.now() - Duration::days(30);
    // Two ids per write transaction: five old rows take three, and the recent row is untouched.
    let report = inbound::prune(&app.db, cutoff, 0, 2, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.rows, 5);
    assert_eq!(report.batches, 3);
    let rows = inbound_messages::Entity::find()
        .order_by_asc(inbound_messages::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 6);
    for old in &rows[..5] {
        assert_eq!(old.summary, "");
        assert_eq!(old.reply_xml, None);
        assert_eq!(old.openid, "old");
    }
    assert_eq!(rows[5].summary, "帮助");
    assert_eq!(rows[5].reply_xml.as_deref(), Some(recent_reply.as_str()));

    // A second run starts after its cursor and finds nothing to do.
    let again = inbound::prune(&app.db, cutoff, report.cursor, 2, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(again.rows, 0);
    // The dedup row is still there: a (very) late redelivery is still one message.
    let late = app.post_plain(&text_xml("old", 0, "帮助")).await;
    assert_eq!(late.text().await.unwrap(), "success");
    assert_eq!(inbound_count(&app).await, 6);
    // The recent row keeps its reply for its redeliveries.
    assert_eq!(
        app.post_plain(&recent).await.text().await.unwrap(),
        recent_reply
    );
    app.finish().await;
}

/// Makes the database refuse every delivery from `openid` (a trigger), as a full disk or a
/// constraint would refuse one row of a batch.
async fn refuse_deliveries_from(app: &TestApp, openid: &str) {
    let statements = match app.db.get_database_backend() {
        DbBackend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_delivery BEFORE INSERT ON inbound_messages \
             WHEN NEW.openid = '{openid}' BEGIN SELECT RAISE(ABORT, 'refused delivery'); END"
        )],
        _ => vec![
            format!(
                "CREATE FUNCTION refuse_delivery() RETURNS trigger AS $$ BEGIN \
                 IF NEW.openid = '{openid}' THEN RAISE EXCEPTION 'refused delivery'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse_delivery BEFORE INSERT ON inbound_messages \
             FOR EACH ROW EXECUTE FUNCTION refuse_delivery()"
                .to_owned(),
        ],
    };
    for statement in statements {
        app.db.execute_unprepared(&statement).await.unwrap();
    }
}

#[actix_web::test]
async fn a_delivery_the_database_refuses_fails_alone_and_leaves_the_writer_usable() {
    let app = TestApp::spawn().await;
    refuse_deliveries_from(&app, "refused").await;
    // A writer of its own, so that all three deliveries are queued before it takes its batch.
    let writer = InboundWriter::spawn(app.db.clone(), Metrics::new().unwrap()).unwrap();
    let xmls = [
        text_xml("batch-a", 1, "帮助"),
        text_xml("refused", 2, "帮助"),
        text_xml("batch-b", 3, "hello"),
    ];
    let mut queued = Vec::new();
    for xml in &xmls {
        let inbound = message::parse(xml).unwrap();
        queued.push(writer.enqueue(inbound, app.clock.now()).await.unwrap());
    }
    let mut outcomes = Vec::new();
    for q in queued {
        outcomes.push(q.outcome().await);
    }
    assert!(outcomes[0].as_ref().unwrap().reply_xml.is_some());
    assert!(outcomes[1].is_err(), "{:?}", outcomes[1]);
    assert!(outcomes[2].as_ref().unwrap().reply_xml.is_some());
    assert_eq!(inbound_count(&app).await, 2);

    // No transaction was left open on the writer's connection: another connection writes
    // (it would wait out the busy timeout and fail otherwise), and the writer goes on.
    let other = Delivery {
        inbound: message::parse(&text_xml("batch-c", 4, "hello")).unwrap(),
        now: app.clock.now(),
    };
    let written = inbound::commit_batch(&app.db, &RuleCache::new(), &[other]).await;
    assert!(written[0].as_ref().unwrap().reply_xml.is_some());
    let next = writer
        .enqueue(
            message::parse(&text_xml("batch-d", 5, "帮助")).unwrap(),
            app.clock.now(),
        )
        .await
        .unwrap();
    assert!(next.outcome().await.unwrap().reply_xml.is_some());
    assert_eq!(inbound_count(&app).await, 4);
    // WeChat's retry of the refused delivery is refused again, and nothing else changed.
    let retried = app.post_plain(&xmls[1]).await;
    assert_eq!(retried.status(), 500);
    assert_eq!(inbound_count(&app).await, 4);
    app.finish().await;
}

fn unfollow_xml(from: &str, create_time: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>"
    )
}

/// On PostgreSQL the writer commits several batches at once. A batch carrying an effect still
/// waits for those in flight: a follow whose commit is slow and the unfollow queued after it
/// apply in that order, and the parent ends up not following.
#[actix_web::test]
async fn effects_apply_in_arrival_order_while_other_batches_commit() {
    let app = TestApp::spawn().await;
    if app.db.get_database_backend() == DbBackend::Postgres {
        for statement in [
            "CREATE FUNCTION slow_follow() RETURNS trigger AS $$ BEGIN \
             IF NEW.event = 'subscribe' THEN PERFORM pg_sleep(0.3); END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER slow_follow BEFORE INSERT ON inbound_messages \
             FOR EACH ROW EXECUTE FUNCTION slow_follow()",
        ] {
            app.db.execute_unprepared(statement).await.unwrap();
        }
    }
    let writer = InboundWriter::spawn(app.db.clone(), Metrics::new().unwrap()).unwrap();
    let now = app.clock.now();
    let enqueue = |xml: String| {
        let writer = writer.clone();
        async move {
            writer
                .enqueue(message::parse(&xml).unwrap(), now)
                .await
                .unwrap()
        }
    };
    let follow = enqueue(follow_xml("parent", "c1")).await;
    // The writer takes the follow as a batch of its own before the rest arrives.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let chat = enqueue(text_xml("other", 77, "hello")).await;
    let unfollow = enqueue(unfollow_xml("parent", SAMPLE_TIMESTAMP + 5)).await;
    for queued in [follow, chat, unfollow] {
        queued.outcome().await.unwrap();
    }
    let (follower, history) = followers::history(&app.db, "parent")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !follower.subscribed,
        "the unfollow applied before the follow"
    );
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["subscribe", "unsubscribe"]);
    assert_eq!(inbound_count(&app).await, 3);
    app.finish().await;
}

#[actix_web::test]
async fn deliveries_stored_under_the_previous_key_order_are_still_recognised_after_the_upgrade() {
    use migration::{Migrator, MigratorTrait};

    let database = TestDatabase::fresh().await;
    let db = database.connect().await;
    // Every migration but the one that reorders the keys, then rows as the release before it
    // stored them: sender first.
    let before_reorder = u32::try_from(Migrator::migrations().len() - 1).unwrap();
    Migrator::up(&db, Some(before_reorder)).await.unwrap();
    let ts = SAMPLE_TIMESTAMP;
    let stored = [
        ("msg:old-1:41".to_owned(), "old-1", "text", None),
        (
            format!("event:old-2:{ts}:subscribe"),
            "old-2",
            "event",
            Some("subscribe"),
        ),
        (
            format!("other:old-3:{ts}:notsure"),
            "old-3",
            "notsure",
            None,
        ),
    ];
    for (key, openid, msg_type, event) in &stored {
        inbound_messages::ActiveModel {
            dedup_key: Set(key.clone()),
            openid: Set((*openid).to_owned()),
            msg_type: Set((*msg_type).to_owned()),
            event: Set(event.map(str::to_owned)),
            create_time: Set(ts),
            summary: Set(String::new()),
            reply_xml: Set(Some(format!("<xml>first reply to {openid}</xml>"))),
            received_at: Set(chrono::DateTime::from_timestamp(ts, 0).unwrap()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }

    // The upgraded process migrates the rest and recognises WeChat's redeliveries.
    let app = TestApp::spawn_with(database, |_| {}).await;
    let keys = || async {
        inbound_messages::Entity::find()
            .order_by_asc(inbound_messages::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.dedup_key)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys().await,
        [
            "msg:41:old-1".to_owned(),
            format!("event:{ts}:old-2:subscribe"),
            format!("other:{ts}:old-3:notsure"),
        ]
    );
    for (xml, openid) in [
        (text_xml("old-1", 41, "帮助"), "old-1"),
        (follow_xml("old-2", "clinic-1"), "old-2"),
    ] {
        let body = app.post_plain(&xml).await.text().await.unwrap();
        assert_eq!(body, format!("<xml>first reply to {openid}</xml>"));
    }
    assert_eq!(inbound_count(&app).await, 3);
    // The follow was taken before the upgrade: its redelivery has no second effect.
    assert_eq!(history_len(&app, "old-2").await, 0);

    // Rolling the migration back restores the previous order.
    Migrator::down(&app.db, Some(1)).await.unwrap();
    assert_eq!(
        keys().await,
        stored
            .iter()
            .map(|(key, ..)| key.clone())
            .collect::<Vec<_>>()
    );
    app.finish().await;
}
