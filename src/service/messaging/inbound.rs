//! Processing of callback deliveries: deduplicate, apply their effects, choose their replies,
//! and commit them in groups.
//!
//! # Group commit
//!
//! The door hands every checked delivery to one [`InboundWriter`] per process and waits. The
//! writer takes whatever deliveries are queued (up to [`MAX_BATCH`]; no waiting for more: the
//! batch is what arrived while the batches before it were committing) and runs [`commit_batch`].
//! On PostgreSQL up to [`POSTGRES_BATCHES_IN_FLIGHT`] batches commit at once; a batch carrying an
//! effect waits for those in flight and runs alone, so that effects apply in arrival order. On
//! SQLite one batch at a time.
//!
//! 1. each delivery's reply, chosen in memory from the rules held ([`RuleCache`]);
//! 2. a batch with an effect (follow, unfollow, scan, TEMPLATESENDJOBFINISH) first reads
//!    `reply_rules_version` (the rules themselves only if it moved), then runs one transaction:
//!    the plain messages' dedup rows in multi-row `INSERT ... ON CONFLICT (dedup_key) DO NOTHING
//!    RETURNING dedup_key`, each delivery with an effect inserted one at a time with its effect,
//!    the stored replies of the deliveries whose row already existed (redeliveries) read back;
//! 3. commit; only then is each waiting request woken with its outcome.
//!
//! A batch of plain messages (the common case) is one INSERT outside a transaction, which
//! commits before it answers, and which checks the rules' version itself: it selects its rows
//! from their VALUES only while `reply_rules_version` is still the version the replies were
//! chosen under. One round trip per batch, and no statement journal on SQLite. An INSERT that
//! wrote nothing reads the version: if it moved, the rules are read again and the batch runs
//! again with replies chosen under them, so an edit committed before a batch's INSERT is what
//! the batch answers with. On SQLite the writer has a connection of its own ([`own_connection`]).
//!
//! The contract of the single-delivery version holds: a reply leaves only after its dedup row
//! (holding that reply) is committed; a redelivery finds the row and gets the first reply with
//! no second effect, also when both copies land in the same batch (the second is answered with
//! the first's reply) or race from different instances (PostgreSQL's unique index makes the
//! second insert wait for the first's commit; SQLite has one writer). If the process dies after
//! a commit and before the replies leave, WeChat redelivers and gets the stored replies.
//!
//! Failures stay per delivery: if any statement of a batch fails, or its commit does, the batch is
//! rolled back and its deliveries are committed one by one, each in its own transaction, so one
//! bad delivery fails alone (its request answers 500 and WeChat retries it) and the others are
//! answered normally. Nothing is acknowledged before it is durable.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use entity::inbound_messages;
use sea_orm::SqlxSqliteConnector;
use sea_orm::sea_query::Expr;
use sea_orm::sqlx::sqlite::SqlitePoolOptions;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, Statement, TransactionTrait, Value,
};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::AppError;
use crate::service::audience::followers::{self, FollowChange};
use crate::service::messaging::reply_rules::{self, RuleCache, RuleSet, Trigger};
use crate::service::support::push_placeholder;
use crate::telemetry::Metrics;
use crate::wechat::message::{Event, Inbound, InboundKind};

const SUMMARY_LIMIT: usize = 500;
/// The most deliveries one transaction commits.
pub const MAX_BATCH: usize = 512;
/// Rows per multi-row INSERT (8 bound values each, well under SQLite's variable limit).
const INSERT_CHUNK: usize = 200;
/// Deliveries waiting for the writer before `submit` itself waits (back-pressure).
const QUEUE: usize = 4096;
/// Batches a PostgreSQL writer commits at once: while one waits for its commit's WAL flush, the
/// next is already on its way (at c32 a single lane left the door waiting on the disk). More lanes
/// make smaller batches, and each batch costs a statement: 2 beat 3, 4 and 8 at c32 on two cores.
/// SQLite has one writer connection, so one batch at a time there.
const POSTGRES_BATCHES_IN_FLIGHT: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The plaintext passive reply, or `None` to answer `success`.
    pub reply_xml: Option<String>,
    pub duplicate: bool,
}

/// One checked delivery and the time it was received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub inbound: Inbound,
    pub now: DateTime<Utc>,
}

struct Job {
    delivery: Delivery,
    done: oneshot::Sender<Result<Outcome, AppError>>,
}

/// The process's one writer of callback deliveries (cheap to clone: a queue handle).
#[derive(Clone)]
pub struct InboundWriter {
    queue: mpsc::Sender<Job>,
}

impl InboundWriter {
    /// Starts the writer on the current tokio runtime; it stops when the last handle is dropped.
    pub fn spawn(db: DatabaseConnection, metrics: Metrics) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| anyhow::anyhow!("the inbound writer needs a tokio runtime: {e}"))?;
        let (queue, jobs) = mpsc::channel(QUEUE);
        runtime.spawn(write(own_connection(db), metrics, jobs));
        Ok(Self { queue })
    }

    /// Queues a delivery, waiting for room if the queue is full. Once this has answered, the
    /// delivery will be committed whether or not anyone waits for [`Queued::outcome`]; if the
    /// future is dropped before it answers, nothing was queued.
    pub async fn enqueue(&self, inbound: Inbound, now: DateTime<Utc>) -> Result<Queued, AppError> {
        let (done, outcome) = oneshot::channel();
        self.queue
            .send(Job {
                delivery: Delivery { inbound, now },
                done,
            })
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the inbound writer has stopped")))?;
        Ok(Queued { outcome })
    }
}

/// A queued delivery.
pub struct Queued {
    outcome: oneshot::Receiver<Result<Outcome, AppError>>,
}

impl Queued {
    /// Waits until the delivery's batch is committed (or has failed).
    pub async fn outcome(self) -> Result<Outcome, AppError> {
        self.outcome.await.map_err(|_| {
            AppError::Internal(anyhow::anyhow!(
                "the inbound writer gave up on a delivery (its batch task failed)"
            ))
        })?
    }
}

/// On SQLite the writer gets a connection of its own (opened lazily, with the pool's options).
/// A pooled connection finds its page cache emptied whenever another connection has written, and
/// prepares its statements again: as the only writer on one connection, the batches find the
/// index pages they touch and their INSERT statements still cached. PostgreSQL keeps its pool.
fn own_connection(db: DatabaseConnection) -> DatabaseConnection {
    if !matches!(db, DatabaseConnection::SqlxSqlitePoolConnection(_)) {
        return db;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .test_before_acquire(false)
        .connect_lazy_with((*options).clone());
    SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
}

async fn write(db: DatabaseConnection, metrics: Metrics, mut jobs: mpsc::Receiver<Job>) {
    let lanes = match db.get_database_backend() {
        DatabaseBackend::Postgres => POSTGRES_BATCHES_IN_FLIGHT,
        _ => 1,
    };
    let lanes_free = Arc::new(Semaphore::new(lanes));
    let rules = Arc::new(RuleCache::new());
    let mut taken = Vec::with_capacity(MAX_BATCH);
    loop {
        // A lane first, then the batch: it takes all that queued while every lane was busy.
        let Ok(mut lane) = lanes_free.clone().acquire_owned().await else {
            break;
        };
        if jobs.recv_many(&mut taken, MAX_BATCH).await == 0 {
            break;
        }
        let (deliveries, waiting): (Vec<Delivery>, Vec<_>) =
            taken.drain(..).map(|job| (job.delivery, job.done)).unzip();
        if lanes > 1 && deliveries.iter().any(|d| has_effect(&d.inbound)) {
            // Effects apply in arrival order: such a batch waits for the batches in flight and
            // runs alone.
            let Ok(rest) = lanes_free
                .clone()
                .acquire_many_owned(lanes as u32 - 1)
                .await
            else {
                break;
            };
            lane.merge(rest);
        }
        metrics.inbound_batch(deliveries.len());
        let db = db.clone();
        let rules = rules.clone();
        tokio::spawn(async move {
            // The commit runs in a task of its own so that a panic fails its deliveries (their
            // requests answer 500), not the writer.
            let batch = tokio::spawn(async move { commit_batch(&db, &rules, &deliveries).await });
            match batch.await {
                Ok(outcomes) => {
                    for (done, outcome) in waiting.into_iter().zip(outcomes) {
                        // The request may have stopped waiting (reply budget); its row stays.
                        let _ = done.send(outcome);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "an inbound batch task failed; its deliveries answer 500");
                }
            }
            drop(lane);
        });
    }
    // The last batches finish before the writer is gone.
    let _ = lanes_free.acquire_many(lanes as u32).await;
}

/// Attempts of a plain batch that finds the reply rules edited under it before it falls back
/// to committing its deliveries one by one.
const RULES_MOVED_RETRIES: usize = 3;

/// Commits `batch` (see the module doc) and answers each delivery's outcome, in order.
pub async fn commit_batch(
    db: &DatabaseConnection,
    rules: &RuleCache,
    batch: &[Delivery],
) -> Vec<Result<Outcome, AppError>> {
    // A batch of plain messages checks the rules' version inside its INSERT: no read before it
    // while the rules held are current.
    let plain_only = !batch.iter().any(|d| has_effect(&d.inbound));
    let mut held = rules.held_now().filter(|_| plain_only);
    for _ in 0..RULES_MOVED_RETRIES {
        let (version, rule_set) = match held.take() {
            Some(held) => held,
            None => match rules.current(db).await {
                Ok(current) => current,
                Err(e) => return failed_all(batch, &e),
            },
        };
        let replies: Vec<Option<String>> = batch.iter().map(|d| reply_for(&rule_set, d)).collect();
        let checked = plain_only.then_some(version);
        match try_batch(db, batch, &replies, checked).await {
            Ok(Some(outcomes)) => return outcomes.into_iter().map(Ok).collect(),
            // The rules were edited since they were read: nothing was written; read them again.
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    size = batch.len(),
                    "inbound batch failed; committing its deliveries one by one"
                );
                return one_by_one(db, batch, replies).await;
            }
        }
    }
    // Edited under every attempt: one by one, with the rules as they are now.
    match rules.current(db).await {
        Ok((_, rule_set)) => {
            let replies = batch.iter().map(|d| reply_for(&rule_set, d)).collect();
            one_by_one(db, batch, replies).await
        }
        Err(e) => failed_all(batch, &e),
    }
}

/// Each delivery in its own transaction, so that a bad one fails alone.
async fn one_by_one(
    db: &DatabaseConnection,
    batch: &[Delivery],
    replies: Vec<Option<String>>,
) -> Vec<Result<Outcome, AppError>> {
    let mut outcomes = Vec::with_capacity(batch.len());
    for (delivery, reply) in batch.iter().zip(replies) {
        outcomes.push(commit_one(db, delivery, reply).await);
    }
    outcomes
}

fn failed_all(batch: &[Delivery], e: &AppError) -> Vec<Result<Outcome, AppError>> {
    batch
        .iter()
        .map(|_| {
            Err(AppError::Internal(anyhow::anyhow!(
                "reply rules unreadable: {e}"
            )))
        })
        .collect()
}

/// The reply a first delivery gets under `rules`.
fn reply_for(rules: &Arc<RuleSet>, delivery: &Delivery) -> Option<String> {
    let inbound = &delivery.inbound;
    let trigger = trigger(inbound)?;
    rules.choose(trigger).map(|reply| {
        reply.to_xml(
            &inbound.from_user,
            &inbound.to_user,
            delivery.now.timestamp(),
        )
    })
}

/// Whether the delivery changes anything beyond its own row.
fn has_effect(inbound: &Inbound) -> bool {
    matches!(
        &inbound.kind,
        InboundKind::Event(
            Event::Subscribe { .. }
                | Event::Unsubscribe
                | Event::Scan { .. }
                | Event::TemplateSendJobFinish { .. }
        )
    )
}

/// Commits a batch whose replies are `replies`. With `rules_version`, the plain messages' INSERT
/// writes only if the reply rules are still at that version, and `None` answers that they were
/// edited (nothing written).
async fn try_batch(
    db: &DatabaseConnection,
    batch: &[Delivery],
    replies: &[Option<String>],
    rules_version: Option<i64>,
) -> Result<Option<Vec<Outcome>>, AppError> {
    let keys: Vec<String> = batch.iter().map(|d| d.inbound.dedup_key()).collect();
    // The first copy of each key leads; later copies in the same batch are its redeliveries.
    let mut leader_of: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    let mut leader = Vec::with_capacity(batch.len());
    for (i, key) in keys.iter().enumerate() {
        leader.push(*leader_of.entry(key.as_str()).or_insert(i));
    }
    let mut claimed = vec![false; batch.len()];
    // In key order, so that two instances' batches never wait on each other in a cycle.
    let mut plain: Vec<usize> = (0..batch.len())
        .filter(|&i| leader[i] == i && !has_effect(&batch[i].inbound))
        .collect();
    plain.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let with_effects: Vec<usize> = (0..batch.len())
        .filter(|&i| leader[i] == i && has_effect(&batch[i].inbound))
        .collect();
    let existing = |claimed: &[bool]| -> Vec<&str> {
        (0..batch.len())
            .filter(|&i| leader[i] == i && !claimed[i])
            .map(|i| keys[i].as_str())
            .collect()
    };

    // One INSERT for the whole batch: MAX_BATCH rows of 8 values stay under SQLite's 32,766
    // bound values.
    let stored = if with_effects.is_empty() {
        // A single statement outside a transaction commits before it answers, on either
        // database: one round trip, and no BEGIN, COMMIT or (SQLite) statement journal.
        let inserted = db
            .query_all(plain_insert(db, batch, replies, &plain, rules_version))
            .await?;
        if let Some(expected) = rules_version
            && inserted.is_empty()
            && reply_rules::version(db).await? != expected
        {
            // Nothing inserted: every row was there already, or the rules moved (the INSERT
            // then wrote nothing). Either way nothing changed, so it can run again.
            return Ok(None);
        }
        mark_claimed(&inserted, &leader_of, &mut claimed)?;
        // Rows that were there before this batch are committed and no longer change (an insert
        // that met another's uncommitted row waited for its commit).
        stored_replies(db, &existing(&claimed)).await?
    } else {
        let txn = db.begin().await?;
        for chunk in plain.chunks(INSERT_CHUNK) {
            let inserted = txn
                .query_all(plain_insert(&txn, batch, replies, chunk, None))
                .await?;
            mark_claimed(&inserted, &leader_of, &mut claimed)?;
        }
        for &i in &with_effects {
            claimed[i] = insert_with_effects(&txn, &batch[i], replies[i].clone()).await?;
        }
        let stored = stored_replies(&txn, &existing(&claimed)).await?;
        txn.commit().await?;
        stored
    };

    Ok(Some(
        (0..batch.len())
            .map(|i| {
                let first = leader[i];
                let reply_xml = if claimed[first] {
                    replies[first].clone()
                } else {
                    stored.get(&keys[first]).cloned().flatten()
                };
                Outcome {
                    reply_xml,
                    duplicate: first != i || !claimed[first],
                }
            })
            .collect(),
    ))
}

/// Columns of a plain delivery's row, in the order [`plain_insert`] binds them.
const PLAIN_COLUMNS: &str =
    "dedup_key, openid, msg_type, event, create_time, summary, reply_xml, received_at";
const PLAIN_COLUMN_COUNT: usize = 8;

/// The multi-row `INSERT ... ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key` of the
/// deliveries `rows` (indexes into `batch`). With `rules_version`, the rows are selected from
/// their VALUES only while the reply rules are at that version, so that the check costs no round
/// trip of its own. Written out by hand: this is the door's hottest statement, and building it
/// through the query builder cost more than the database's own work on it.
fn plain_insert<C: ConnectionTrait>(
    db: &C,
    batch: &[Delivery],
    replies: &[Option<String>],
    rows: &[usize],
    rules_version: Option<i64>,
) -> Statement {
    let backend = db.get_database_backend();
    let mut values = Vec::with_capacity(rows.len() * PLAIN_COLUMN_COUNT + 1);
    let mut sql = String::with_capacity(160 + rows.len() * 60);
    sql.push_str("INSERT INTO inbound_messages (");
    sql.push_str(PLAIN_COLUMNS);
    sql.push_str(") ");
    if rules_version.is_some() {
        sql.push_str("SELECT * FROM (");
    }
    sql.push_str("VALUES ");
    for (n, &i) in rows.iter().enumerate() {
        let delivery = &batch[i];
        let inbound = &delivery.inbound;
        sql.push_str(if n == 0 { "(" } else { ", (" });
        for column in 0..PLAIN_COLUMN_COUNT {
            if column > 0 {
                sql.push_str(", ");
            }
            push_placeholder(&mut sql, backend, values.len() + column + 1);
        }
        sql.push(')');
        values.extend([
            Value::from(inbound.dedup_key()),
            Value::from(inbound.from_user.clone()),
            Value::from(inbound.msg_type()),
            Value::from(inbound.event_name().map(str::to_owned)),
            Value::from(inbound.create_time),
            Value::from(summary(inbound)),
            Value::from(replies[i].clone()),
            Value::from(delivery.now),
        ]);
    }
    if let Some(version) = rules_version {
        sql.push_str(") AS delivery WHERE ");
        sql.push_str(reply_rules::VERSION_SQL);
        sql.push_str(" = ");
        push_placeholder(&mut sql, backend, values.len() + 1);
        values.push(Value::from(version));
    }
    sql.push_str(" ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key");
    Statement::from_sql_and_values(backend, sql, values)
}

fn mark_claimed(
    inserted: &[QueryResult],
    leader_of: &HashMap<&str, usize>,
    claimed: &mut [bool],
) -> Result<(), AppError> {
    for row in inserted {
        let key: String = row.try_get("", "dedup_key")?;
        if let Some(&i) = leader_of.get(key.as_str()) {
            claimed[i] = true;
        }
    }
    Ok(())
}

/// The stored replies of rows that already existed.
async fn stored_replies<C: ConnectionTrait>(
    db: &C,
    keys: &[&str],
) -> Result<HashMap<String, Option<String>>, AppError> {
    let mut stored = HashMap::new();
    for chunk in keys.chunks(INSERT_CHUNK) {
        let rows: Vec<(String, Option<String>)> = inbound_messages::Entity::find()
            .select_only()
            .column(inbound_messages::Column::DedupKey)
            .column(inbound_messages::Column::ReplyXml)
            .filter(inbound_messages::Column::DedupKey.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        stored.extend(rows);
    }
    Ok(stored)
}

/// Inserts a delivery's row and, if the row is new, applies its effects; answers whether it was
/// new.
async fn insert_with_effects<C: ConnectionTrait>(
    txn: &C,
    delivery: &Delivery,
    reply_xml: Option<String>,
) -> Result<bool, AppError> {
    let insert = plain_insert(
        txn,
        std::slice::from_ref(delivery),
        std::slice::from_ref(&reply_xml),
        &[0],
        None,
    );
    if txn.query_all(insert).await?.is_empty() {
        return Ok(false);
    }
    apply_effects(txn, &delivery.inbound, delivery.now).await?;
    Ok(true)
}

/// One delivery in its own transaction: the fallback of a failed batch.
async fn commit_one(
    db: &DatabaseConnection,
    delivery: &Delivery,
    reply_xml: Option<String>,
) -> Result<Outcome, AppError> {
    let txn = db.begin().await?;
    if insert_with_effects(&txn, delivery, reply_xml.clone()).await? {
        txn.commit().await?;
        return Ok(Outcome {
            reply_xml,
            duplicate: false,
        });
    }
    txn.rollback().await?;
    let first = find(db, &delivery.inbound.dedup_key()).await?;
    Ok(Outcome {
        reply_xml: first.and_then(|m| m.reply_xml),
        duplicate: true,
    })
}

async fn apply_effects<C: ConnectionTrait>(
    db: &C,
    inbound: &Inbound,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let InboundKind::Event(event) = &inbound.kind else {
        return Ok(());
    };
    if let Event::TemplateSendJobFinish { msg_id, status } = event {
        super::outbox::record_delivery(db, msg_id, status, now).await?;
        return Ok(());
    }
    let change = match event {
        Event::Subscribe { .. } => FollowChange::Subscribe,
        Event::Unsubscribe => FollowChange::Unsubscribe,
        Event::Scan { .. } => FollowChange::Scan,
        _ => return Ok(()),
    };
    let channel = event.qr_scene().and_then(followers::channel_from_scene);
    let occurred_at = Utc
        .timestamp_opt(inbound.create_time, 0)
        .single()
        .unwrap_or(now);
    followers::record(db, &inbound.from_user, change, channel, occurred_at, now).await?;
    Ok(())
}

fn trigger(inbound: &Inbound) -> Option<Trigger<'_>> {
    match &inbound.kind {
        InboundKind::Text { content, .. } => Some(Trigger::Words(content)),
        InboundKind::Voice {
            recognition: Some(words),
            ..
        } => Some(Trigger::Words(words)),
        InboundKind::Event(Event::Click { key }) => Some(Trigger::Words(key)),
        InboundKind::Event(Event::Subscribe { .. }) => Some(Trigger::Subscribe),
        _ => None,
    }
}

fn summary(inbound: &Inbound) -> String {
    let text = match &inbound.kind {
        InboundKind::Text { content, .. } => content.clone(),
        InboundKind::Link { title, url, .. } => format!("{title} {url}"),
        InboundKind::Voice { recognition, .. } => recognition.clone().unwrap_or_default(),
        InboundKind::Event(Event::Subscribe { event_key, .. }) => {
            event_key.clone().unwrap_or_default()
        }
        InboundKind::Event(Event::Scan { scene, .. }) => scene.clone(),
        InboundKind::Event(Event::Click { key }) => key.clone(),
        InboundKind::Event(Event::View { url, .. }) => url.clone(),
        InboundKind::Event(Event::TemplateSendJobFinish { msg_id, status }) => {
            format!("{msg_id} {status}")
        }
        // Unknown types keep their whole document so that nothing WeChat adds is lost.
        InboundKind::Unknown { raw, .. } | InboundKind::Event(Event::Unknown { raw, .. }) => {
            return raw.clone();
        }
        _ => String::new(),
    };
    truncate_chars(text, SUMMARY_LIMIT)
}

/// The first `limit` characters of `text`, reusing its buffer.
fn truncate_chars(mut text: String, limit: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(limit) {
        text.truncate(cut);
    }
    text
}

/// Loads the stored record of a delivery, for tests and operators.
pub async fn find(
    db: &DatabaseConnection,
    dedup_key: &str,
) -> Result<Option<inbound_messages::Model>, AppError> {
    Ok(inbound_messages::Entity::find()
        .filter(inbound_messages::Column::DedupKey.eq(dedup_key))
        .one(db)
        .await?)
}

/// What one run of [`prune`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Rows whose body and stored reply were cleared.
    pub rows: u64,
    /// Write transactions used (each at most `batch` ids wide).
    pub batches: u64,
    /// The highest id looked at; the next run starts after it.
    pub cursor: i64,
}

/// Clears the body (`summary`) and the stored reply of deliveries received before `cutoff`,
/// keeping each row's dedup key, sender, type, event and times (what dedup and the follower
/// history need). Walks ids upward from `after_id` in ranges of `batch` ids, one short write
/// transaction per range, pausing `pause` between ranges so that the callback door's writer
/// always gets the write lock in between. Ids grow with arrival, so the walk stops at the first
/// row received at or after `cutoff`.
pub async fn prune(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
    after_id: i64,
    batch: i64,
    pause: std::time::Duration,
) -> Result<PruneReport, AppError> {
    let batch = batch.max(1);
    let first_kept: Option<i64> = inbound_messages::Entity::find()
        .select_only()
        .column(inbound_messages::Column::Id)
        .filter(inbound_messages::Column::ReceivedAt.gte(cutoff))
        .order_by_asc(inbound_messages::Column::ReceivedAt)
        .into_tuple()
        .one(db)
        .await?;
    let last: Option<i64> = match first_kept {
        Some(id) => Some(id - 1),
        None => inbound_messages::Entity::find()
            .select_only()
            .column_as(inbound_messages::Column::Id.max(), "max_id")
            .into_tuple::<Option<i64>>()
            .one(db)
            .await?
            .flatten(),
    };
    let mut report = PruneReport {
        cursor: after_id,
        ..PruneReport::default()
    };
    let Some(last) = last else { return Ok(report) };
    if report.cursor < last {
        // Skip the ids below the table's first row (a fresh cursor starts at 0).
        let lowest: Option<i64> = inbound_messages::Entity::find()
            .select_only()
            .column_as(inbound_messages::Column::Id.min(), "min_id")
            .into_tuple::<Option<i64>>()
            .one(db)
            .await?
            .flatten();
        if let Some(lowest) = lowest {
            report.cursor = report.cursor.max(lowest - 1);
        }
    }
    while report.cursor < last {
        let upto = report.cursor.saturating_add(batch).min(last);
        let cleared = inbound_messages::Entity::update_many()
            .col_expr(inbound_messages::Column::Summary, Expr::value(""))
            .col_expr(
                inbound_messages::Column::ReplyXml,
                Expr::value(Option::<String>::None),
            )
            .filter(inbound_messages::Column::Id.gt(report.cursor))
            .filter(inbound_messages::Column::Id.lte(upto))
            .filter(inbound_messages::Column::ReceivedAt.lt(cutoff))
            .filter(
                inbound_messages::Column::ReplyXml
                    .is_not_null()
                    .or(inbound_messages::Column::Summary.ne("")),
            )
            .exec(db)
            .await?;
        report.rows += cleared.rows_affected;
        report.batches += 1;
        report.cursor = upto;
        if report.cursor < last && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn summaries_are_cut_at_a_character_count_not_inside_a_character() {
        assert_eq!(truncate_chars("宝宝打疫苗".to_owned(), 3), "宝宝打");
        assert_eq!(truncate_chars("宝宝".to_owned(), 3), "宝宝");
        assert_eq!(truncate_chars("abc".to_owned(), 3), "abc");
        assert_eq!(truncate_chars(String::new(), 0), "");
    }
}
