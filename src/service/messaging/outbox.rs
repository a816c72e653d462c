//! The outbox table's operations: putting messages in ([`enqueue`], the one way in, for
//! reminders, campaigns and whatever else sends), claiming rows with a lease, recording
//! outcomes, delivery reports from TEMPLATESENDJOBFINISH, and the summary `babyvax push status`
//! prints.
//!
//! Claiming: one statement marks up to `limit` due, unclaimed (or lease-expired) pending rows
//! with this claim's token and lease end, and returns them. On PostgreSQL the inner select
//! is `FOR UPDATE SKIP LOCKED`, so concurrent senders take disjoint rows without waiting; on
//! SQLite the single UPDATE runs under the database's write lock, which makes it atomic.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::push_outbox;
use sea_orm::sea_query::{Alias, CommonTableExpression, Expr, WithClause};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QueryTrait, Statement,
    TransactionTrait, Value,
};
use serde::Serialize;

use crate::domain::push::{DoseRef, OutboxStatus, QuietHours, parse_kind};
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::support::push_placeholder;

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recipient {
    /// A mini-program member (reached through their follower, or a subscribe allowance).
    Member(i32),
    /// An official-account follower who is not a member.
    Follower(i32),
}

/// What a message is about, for cancelling, narrowing and listing it; all optional.
#[derive(Debug, Clone, Default)]
pub struct About {
    pub baby_id: Option<i32>,
    pub campaign_id: Option<i32>,
    /// The doses a reminder names.
    pub doses: Vec<DoseRef>,
    pub stage_id: Option<String>,
    /// The date it is about (a dose's earliest or complete-by date, a stage's start ...).
    pub event_date: Option<NaiveDate>,
}

/// A message for the outbox: what the caller chooses. Every new row starts the same way
/// otherwise: pending (or suppressed when `held`), no channel yet, no attempts.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Unique: a second message with a key already in the outbox is not added.
    pub dedup_key: String,
    /// The stored kind name (`due_today`, `campaign` ...).
    pub kind: String,
    pub recipient: Recipient,
    /// Our template fields (see `domain::push::templates`).
    pub payload: serde_json::Value,
    /// The day (Asia/Shanghai) the message was planned for.
    pub planned_for: NaiveDate,
    /// Not sent before (the end of the recipient's quiet hours ...).
    pub not_before: DateTime<Utc>,
    /// Held back by the recipient's preferences: kept as `suppressed` with this reason.
    pub held: Option<String>,
    pub about: About,
}

impl NewMessage {
    /// A notice about the member's own account (a coupon about to expire or just redeemed, a
    /// membership about to end). It rides the announcement templates (the `campaign` kind with
    /// `campaign_kind: announcement`), so the sender's channels, the member's announcement
    /// preference and quiet hours apply as to any announcement.
    pub fn account_notice(
        dedup_key: String,
        member_id: i32,
        title: &str,
        summary: String,
        page: &str,
        quiet: QuietHours,
        now: DateTime<Utc>,
    ) -> NewMessage {
        let today = shanghai_date(now);
        NewMessage {
            dedup_key,
            kind: "campaign".into(),
            recipient: Recipient::Member(member_id),
            payload: serde_json::json!({
                "campaign_kind": "announcement",
                "title": title,
                "summary": summary,
                "kind_text": title,
                "baby_name": "",
                "date": today.to_string(),
                "page": page,
            }),
            planned_for: today,
            not_before: quiet.not_before(now),
            held: None,
            about: About::default(),
        }
    }

    /// The message's bound values, in [`ENQUEUE_COLUMNS`] order.
    fn push_values(self, now: DateTime<Utc>, values: &mut Vec<Value>) {
        let (member_id, follower_id) = match self.recipient {
            Recipient::Member(id) => (Some(id), None),
            Recipient::Follower(id) => (None, Some(id)),
        };
        let about = self.about;
        // One dose also in the plain columns, for readers of one-dose messages.
        let (vaccine, dose) = match about.doses.as_slice() {
            [one] => (Some(one.vaccine.clone()), Some(i32::from(one.dose))),
            _ => (None, None),
        };
        let status = if self.held.is_some() {
            OutboxStatus::Suppressed
        } else {
            OutboxStatus::Pending
        };
        values.extend([
            Value::from(self.dedup_key),
            Value::from(self.kind),
            Value::from(about.baby_id),
            Value::from(member_id),
            Value::from(follower_id),
            Value::from(about.campaign_id),
            Value::from(vaccine),
            Value::from(dose),
            Value::from((!about.doses.is_empty()).then(|| DoseRef::join(&about.doses))),
            Value::from(about.stage_id),
            Value::from(about.event_date),
            Value::from(self.planned_for),
            Value::from(self.payload.to_string()),
            Value::from(status.as_str()),
            Value::from(self.held),
            Value::from(self.not_before),
            Value::from(now),
            Value::from(now),
        ]);
    }
}

/// Messages per INSERT: 18 values a message stay below either database's limit on bound values
/// (SQLite 32,766, PostgreSQL 65,535).
const ENQUEUE_CHUNK: usize = 1000;

/// The columns bound per message.
const ENQUEUE_COLUMNS: [&str; 18] = [
    "dedup_key",
    "kind",
    "baby_id",
    "member_id",
    "follower_id",
    "campaign_id",
    "vaccine",
    "dose",
    "doses",
    "stage_id",
    "event_date",
    "planned_for",
    "payload",
    "status",
    "last_error",
    "not_before",
    "created_at",
    "updated_at",
];

/// What every new row starts with whoever enqueues it (written into the statement, not bound):
/// no channel yet, no attempts, no claim.
const ENQUEUE_FIXED: [(&str, &str); 11] = [
    ("channel", "NULL"),
    ("template_id", "NULL"),
    ("openid", "NULL"),
    ("allowance_taken", "false"),
    ("attempts", "0"),
    ("claimed_until", "NULL"),
    ("claimed_by", "NULL"),
    ("error_code", "NULL"),
    ("wechat_msgid", "NULL"),
    ("delivery_status", "NULL"),
    ("sent_at", "NULL"),
];

/// `INSERT ... VALUES` of `rows` messages, skipping dedup keys already there, answering the new
/// rows' kind and status. Written by hand rather than through `insert_many`: building thousands
/// of rows through active models and the query builder cost more than the database's insert.
fn enqueue_sql(backend: DatabaseBackend, rows: usize) -> String {
    let width = ENQUEUE_COLUMNS.len();
    let mut sql = String::with_capacity(600 + rows * (width * 7 + 80));
    sql.push_str("INSERT INTO push_outbox (");
    let names = ENQUEUE_FIXED
        .iter()
        .map(|(name, _)| *name)
        .chain(ENQUEUE_COLUMNS);
    for (i, name) in names.enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(name);
    }
    sql.push_str(") VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (_, value) in ENQUEUE_FIXED {
            sql.push_str(value);
            sql.push_str(", ");
        }
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            push_placeholder(&mut sql, backend, 1 + row * width + column);
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (dedup_key) DO NOTHING RETURNING kind, status");
    sql
}

/// New rows by kind and whether they were held (`suppressed`), as [`enqueue_by_kind`] answers.
pub type Added = BTreeMap<(String, bool), u64>;

/// Puts messages into the outbox; a message whose dedup key is already there (an earlier run,
/// or another instance racing us) is left out. Answers how many were new.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    messages: Vec<NewMessage>,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(enqueue_by_kind(db, messages, now).await?.values().sum())
}

/// [`enqueue`], answering the new rows by kind and whether they were held (the planner's report,
/// from one call for messages of every kind).
pub async fn enqueue_by_kind<C: ConnectionTrait>(
    db: &C,
    messages: Vec<NewMessage>,
    now: DateTime<Utc>,
) -> Result<Added, AppError> {
    // A kind the sender cannot parse would be marked failed at send time: refuse it here.
    if let Some(unknown) = messages.iter().find(|m| parse_kind(&m.kind).is_none()) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "outbox message {} has a kind the sender does not know: {}",
            unknown.dedup_key,
            unknown.kind
        )));
    }
    let backend = db.get_database_backend();
    let suppressed = OutboxStatus::Suppressed.as_str();
    let mut added = Added::new();
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        let mut values = Vec::with_capacity(ENQUEUE_CHUNK * ENQUEUE_COLUMNS.len());
        let mut rows = 0;
        for message in messages.by_ref().take(ENQUEUE_CHUNK) {
            message.push_values(now, &mut values);
            rows += 1;
        }
        let statement = Statement::from_sql_and_values(backend, enqueue_sql(backend, rows), values);
        for row in db.query_all(statement).await? {
            let kind: String = row.try_get("", "kind")?;
            let status: String = row.try_get("", "status")?;
            *added.entry((kind, status == suppressed)).or_default() += 1;
        }
    }
    Ok(added)
}

// The claimed rows come back whole (RETURNING), in no particular order. The select is a CTE:
// as an `IN (...)` semi-join PostgreSQL plans it for every due row (a sort of all of them)
// instead of reading the first `limit` in index order.
const CLAIM_SQL_POSTGRES: &str = "WITH due AS (SELECT id FROM push_outbox WHERE status = $5 \
     AND not_before <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
     ORDER BY not_before, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     UPDATE push_outbox SET claimed_until = $1, claimed_by = $2 FROM due \
     WHERE push_outbox.id = due.id RETURNING push_outbox.*";

const CLAIM_SQL_SQLITE: &str = "UPDATE push_outbox SET claimed_until = ?, claimed_by = ? \
     WHERE id IN (SELECT id FROM push_outbox WHERE status = ? AND not_before <= ? \
     AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY not_before, id LIMIT ?) \
     RETURNING *";

/// Claims up to `limit` rows due at `now` for `token` until `lease_until`; answers them in
/// the order they came due.
pub async fn claim(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<push_outbox::Model>, AppError> {
    let backend = db.get_database_backend();
    let limit = i64::from(limit);
    let pending = OutboxStatus::Pending.as_str();
    let stmt = match backend {
        DatabaseBackend::Postgres => Statement::from_sql_and_values(
            backend,
            CLAIM_SQL_POSTGRES,
            [
                Value::from(lease_until),
                Value::from(token),
                Value::from(now),
                Value::from(limit),
                Value::from(pending),
            ],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            CLAIM_SQL_SQLITE,
            [
                Value::from(lease_until),
                Value::from(token),
                Value::from(pending),
                Value::from(now),
                Value::from(now),
                Value::from(limit),
            ],
        ),
    };
    let mut rows = push_outbox::Model::find_by_statement(stmt).all(db).await?;
    rows.sort_unstable_by_key(|r| (r.not_before, r.id));
    Ok(rows)
}

/// The guard "the row is still pending" of statements that name their rows by id. Written as an
/// expression no index matches: PostgreSQL's statistics see few pending rows (most are sent),
/// so for a plain `status = 'pending'` it picks the claim index on (status, not_before, id) and
/// reads every pending row (thousands while a day's messages go out) instead of looking the ids
/// up by primary key.
fn still_pending() -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Expr::cust("status || ''")).eq(OutboxStatus::Pending.as_str())
}

/// The statement [`renew`] runs: the leases on rows `ids` extended, guarded, answering them.
fn renew_query(
    ids: &[i64],
    token: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> sea_orm::sea_query::UpdateStatement {
    let mut update = push_outbox::Entity::update_many()
        .col_expr(push_outbox::Column::ClaimedUntil, Expr::value(lease_until))
        .filter(push_outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(push_outbox::Column::ClaimedBy.eq(token))
        .filter(still_pending())
        .filter(push_outbox::Column::ClaimedUntil.gt(now))
        .into_query();
    update.returning_all();
    update
}

/// Renews the lease on claimed rows just before they are sent, and answers the rows as they are
/// now (a reminder narrowed since the claim names fewer doses), in one statement, in the order
/// they came due. A row no longer ours to send (lease lost, or cancelled because its doses were
/// recorded meanwhile) is left out.
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    token: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<push_outbox::Model>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // sea-orm's own RETURNING path is off for SQLite (a build feature); both databases have it.
    let statement = db
        .get_database_backend()
        .build(&renew_query(ids, token, now, lease_until));
    let mut rows = push_outbox::Model::find_by_statement(statement)
        .all(db)
        .await?;
    rows.sort_unstable_by_key(|r| (r.not_before, r.id));
    Ok(rows)
}

/// Records each of `previous` (guarded as [`record_many`] is) and [`renew`]s rows `ids`,
/// atomically: the previous rows' outcomes are durable before a renewed row can be sent. On
/// PostgreSQL one autocommit statement (each record a data-modifying CTE of the renewal, or of
/// the last record when nothing is renewed); on SQLite, which has no such CTEs, one transaction.
pub async fn record_and_renew(
    db: &DatabaseConnection,
    previous: &[(i64, Outcome)],
    ids: &[i64],
    token: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<push_outbox::Model>, AppError> {
    let mut records: Vec<_> = previous
        .iter()
        .filter_map(|(id, outcome)| record_query(&[*id], token, outcome, now))
        .collect();
    if records.is_empty() {
        return renew(db, ids, token, now, lease_until).await;
    }
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        // PostgreSQL runs a data-modifying CTE to completion whether or not it is read; the
        // CTEs and the main statement touch distinct rows.
        let main = if ids.is_empty() { records.pop() } else { None };
        let records_left = records.len();
        let mut with = WithClause::new();
        for (i, record) in records.into_iter().enumerate() {
            let mut cte = CommonTableExpression::new();
            cte.table_name(Alias::new(format!("previous{i}")))
                .query(record);
            with.cte(cte);
        }
        if let Some(main) = main {
            if records_left == 0 {
                db.execute(backend.build(&main)).await?;
            } else {
                db.execute(backend.build(&main.with(with))).await?;
            }
            return Ok(Vec::new());
        }
        let query = renew_query(ids, token, now, lease_until).with(with);
        let mut rows = push_outbox::Model::find_by_statement(backend.build(&query))
            .all(db)
            .await?;
        rows.sort_unstable_by_key(|r| (r.not_before, r.id));
        return Ok(rows);
    }
    let txn = db.begin().await?;
    for record in &records {
        txn.execute(backend.build(record)).await?;
    }
    let renewed = renew(&txn, ids, token, now, lease_until).await?;
    txn.commit().await?;
    Ok(renewed)
}

/// What became of one send attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent {
        channel: &'static str,
        template_id: String,
        openid: String,
        msgid: Option<i64>,
    },
    /// Try again at `at` (transient error, or a quota pause when `count_attempt` is false).
    Retry {
        at: DateTime<Utc>,
        error: String,
        count_attempt: bool,
    },
    Failed {
        code: Option<i64>,
        reason: String,
    },
    Undeliverable(String),
    Suppressed(String),
    /// Someone else holds the row now; leave it alone.
    Lost,
}

/// The UPDATE that writes `outcome` on the rows `ids` claimed with `token`; None for
/// [`Outcome::Lost`] (nothing to write). Guarded by the token, and, except for a send (which
/// did happen), by the row still being pending: a row cancelled meanwhile stays cancelled.
fn record_query(
    ids: &[i64],
    token: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Option<sea_orm::sea_query::UpdateStatement> {
    let mut update = push_outbox::Entity::update_many()
        .col_expr(push_outbox::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            push_outbox::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    // Each row's own count plus one: one statement serves a batch.
    let attempted = || Expr::col(push_outbox::Column::Attempts).add(1);
    update = match outcome {
        Outcome::Lost => return None,
        Outcome::Sent {
            channel,
            template_id,
            openid,
            msgid,
        } => update
            .col_expr(
                push_outbox::Column::Status,
                Expr::value(OutboxStatus::Sent.as_str()),
            )
            .col_expr(push_outbox::Column::Channel, Expr::value(*channel))
            .col_expr(
                push_outbox::Column::TemplateId,
                Expr::value(template_id.clone()),
            )
            .col_expr(push_outbox::Column::Openid, Expr::value(openid.clone()))
            .col_expr(push_outbox::Column::WechatMsgid, Expr::value(*msgid))
            .col_expr(push_outbox::Column::Attempts, attempted())
            .col_expr(push_outbox::Column::SentAt, Expr::value(now)),
        Outcome::Retry {
            at,
            error,
            count_attempt,
        } => {
            let update = update
                .col_expr(push_outbox::Column::NotBefore, Expr::value(*at))
                .col_expr(push_outbox::Column::LastError, Expr::value(error.clone()));
            if *count_attempt {
                update.col_expr(push_outbox::Column::Attempts, attempted())
            } else {
                update
            }
        }
        Outcome::Failed { code, reason } => update
            .col_expr(
                push_outbox::Column::Status,
                Expr::value(OutboxStatus::Failed.as_str()),
            )
            .col_expr(push_outbox::Column::ErrorCode, Expr::value(*code))
            .col_expr(push_outbox::Column::LastError, Expr::value(reason.clone()))
            .col_expr(push_outbox::Column::Attempts, attempted()),
        Outcome::Undeliverable(reason) => update
            .col_expr(
                push_outbox::Column::Status,
                Expr::value(OutboxStatus::Undeliverable.as_str()),
            )
            .col_expr(push_outbox::Column::Channel, Expr::value("none"))
            .col_expr(push_outbox::Column::LastError, Expr::value(reason.clone())),
        Outcome::Suppressed(reason) => update
            .col_expr(
                push_outbox::Column::Status,
                Expr::value(OutboxStatus::Suppressed.as_str()),
            )
            .col_expr(push_outbox::Column::LastError, Expr::value(reason.clone())),
    };
    update = update
        .filter(push_outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(push_outbox::Column::ClaimedBy.eq(token));
    if !matches!(outcome, Outcome::Sent { .. }) {
        update = update.filter(still_pending());
    }
    Some(update.into_query())
}

/// Records one `outcome` on all the rows `ids` claimed with `token`, in one statement; a row
/// re-claimed by another token, or no longer pending (cancelled meanwhile), is left as it is
/// (except by a send, which happened). Answers the ids written.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    token: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let Some(mut update) = record_query(ids, token, outcome, now) else {
        return Ok(Vec::new());
    };
    update.returning_col(push_outbox::Column::Id);
    let rows = db
        .query_all(db.get_database_backend().build(&update))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.try_get::<i64>("", "id").ok())
        .collect())
}

/// Records on a claimed row that a subscribe allowance was spent for it (so a retry does not
/// spend another); false when the claim is lost.
pub async fn mark_allowance_taken<C: ConnectionTrait>(
    db: &C,
    id: i64,
    token: &str,
    template_id: &str,
) -> Result<bool, AppError> {
    let marked = push_outbox::Entity::update_many()
        .col_expr(push_outbox::Column::AllowanceTaken, Expr::value(true))
        .col_expr(push_outbox::Column::Channel, Expr::value("subscribe"))
        .col_expr(push_outbox::Column::TemplateId, Expr::value(template_id))
        .filter(push_outbox::Column::Id.eq(id))
        .filter(push_outbox::Column::ClaimedBy.eq(token))
        .exec(db)
        .await?;
    Ok(marked.rows_affected == 1)
}

/// TEMPLATESENDJOBFINISH: WeChat's final word on a template message (`success`,
/// `failed:user block`, `failed: system failed`). Unknown msgids are ignored (not ours, or
/// sent before the outbox existed). Answers whether a row was updated.
pub async fn record_delivery<C: ConnectionTrait>(
    db: &C,
    msg_id: &str,
    delivery: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Ok(msgid) = msg_id.trim().parse::<i64>() else {
        return Ok(false);
    };
    let status: String = delivery.chars().take(64).collect();
    let res = push_outbox::Entity::update_many()
        .col_expr(push_outbox::Column::DeliveryStatus, Expr::value(status))
        .col_expr(push_outbox::Column::UpdatedAt, Expr::value(now))
        .filter(push_outbox::Column::WechatMsgid.eq(msgid))
        .filter(push_outbox::Column::Channel.eq("template"))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Messages the mini-program should show because no channel could carry them (it then asks the
/// parent for subscribe consent).
pub async fn undeliverable_for_member<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Vec<push_outbox::Model>, AppError> {
    Ok(push_outbox::Entity::find()
        .filter(push_outbox::Column::MemberId.eq(member_id))
        .filter(push_outbox::Column::Status.eq(OutboxStatus::Undeliverable.as_str()))
        .order_by_desc(push_outbox::Column::Id)
        .all(db)
        .await?)
}

/// A message we could not deliver: the mini-program shows it and asks for consent with
/// `subscribe_template_ids` (wx.requestSubscribeMessage).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UndeliveredMessage {
    pub id: i64,
    /// `due_soon`, `due_today`, `overdue_7`, `overdue_30`, `catch_up`, `follow_up`, `stage`,
    /// `campaign`.
    pub kind: String,
    pub baby_id: Option<i32>,
    /// The dose, when the message names exactly one (see `doses`).
    pub vaccine: Option<String>,
    pub dose: Option<i32>,
    /// Every dose the message names (a reminder names the doses due together).
    pub doses: Vec<MessageDose>,
    /// The date the message is about (earliest date, complete-by date, planning day of a
    /// catch-up or follow-up, stage start).
    pub event_date: Option<chrono::NaiveDate>,
    pub planned_for: chrono::NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MessageDose {
    pub vaccine: String,
    pub dose: i32,
}

/// The doses a stored row names.
pub fn row_doses(row: &push_outbox::Model) -> Vec<DoseRef> {
    row.doses
        .as_deref()
        .and_then(DoseRef::parse_list)
        .unwrap_or_default()
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Undelivered {
    pub messages: Vec<UndeliveredMessage>,
    /// The configured mini-program templates: one accept for each lets the next message through.
    pub subscribe_template_ids: Vec<String>,
}

/// A member's undeliverable messages, newest first, with the templates to ask consent for.
pub async fn undelivered<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    templates: &crate::domain::push::templates::TemplateSet,
) -> Result<Undelivered, AppError> {
    let messages = undeliverable_for_member(db, member_id)
        .await?
        .into_iter()
        .map(|row| UndeliveredMessage {
            doses: row_doses(&row)
                .into_iter()
                .map(|d| MessageDose {
                    vaccine: d.vaccine,
                    dose: i32::from(d.dose),
                })
                .collect(),
            id: row.id,
            kind: row.kind,
            baby_id: row.baby_id,
            vaccine: row.vaccine,
            dose: row.dose,
            event_date: row.event_date,
            planned_for: row.planned_for,
        })
        .collect();
    let mut subscribe_template_ids: Vec<String> = [
        &templates.vaccine,
        &templates.stage,
        &templates.announcement,
    ]
    .iter()
    .filter_map(|c| c.mp.as_ref().map(|spec| spec.template_id.clone()))
    .collect();
    subscribe_template_ids.sort();
    subscribe_template_ids.dedup();
    Ok(Undelivered {
        messages,
        subscribe_template_ids,
    })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// status → count.
    pub by_status: BTreeMap<String, i64>,
    /// kind → status → count.
    pub by_kind: BTreeMap<String, BTreeMap<String, i64>>,
    /// channel → count, sent messages only.
    pub sent_by_channel: BTreeMap<String, i64>,
    /// TEMPLATESENDJOBFINISH status → count.
    pub delivery: BTreeMap<String, i64>,
    /// failure / undeliverable reason → count.
    pub reasons: BTreeMap<String, i64>,
    /// Pending rows that are due now.
    pub due_now: i64,
}

async fn grouped<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    columns: &[&str],
) -> Result<Vec<(Vec<String>, i64)>, AppError> {
    let backend = db.get_database_backend();
    let rows = db.query_all(Statement::from_string(backend, sql)).await?;
    let mut out = Vec::new();
    for row in rows {
        let n: i64 = row.try_get("", "n").unwrap_or(0);
        let mut keys = Vec::new();
        for col in columns {
            let v = row.try_get::<Option<String>>("", col).ok().flatten();
            keys.push(v.unwrap_or_else(|| "-".to_owned()));
        }
        out.push((keys, n));
    }
    Ok(out)
}

/// The outbox at a glance.
pub async fn summary<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<Summary, AppError> {
    let mut s = Summary::default();
    for (k, n) in grouped(
        db,
        "SELECT kind AS a, status AS b, COUNT(*) AS n FROM push_outbox GROUP BY kind, status",
        &["a", "b"],
    )
    .await?
    {
        if let [kind, st] = k.as_slice() {
            *s.by_status.entry(st.clone()).or_default() += n;
            *s.by_kind
                .entry(kind.clone())
                .or_default()
                .entry(st.clone())
                .or_default() += n;
        }
    }
    for (k, n) in grouped(
        db,
        &format!(
            "SELECT channel AS a, COUNT(*) AS n FROM push_outbox WHERE status = '{}' \
             GROUP BY channel",
            OutboxStatus::Sent.as_str()
        ),
        &["a"],
    )
    .await?
    {
        s.sent_by_channel.insert(k.join(""), n);
    }
    for (k, n) in grouped(
        db,
        "SELECT delivery_status AS a, COUNT(*) AS n FROM push_outbox \
         WHERE delivery_status IS NOT NULL GROUP BY delivery_status",
        &["a"],
    )
    .await?
    {
        s.delivery.insert(k.join(""), n);
    }
    for (k, n) in grouped(
        db,
        &format!(
            "SELECT last_error AS a, COUNT(*) AS n FROM push_outbox \
             WHERE status IN ('{}', '{}') GROUP BY last_error",
            OutboxStatus::Failed.as_str(),
            OutboxStatus::Undeliverable.as_str()
        ),
        &["a"],
    )
    .await?
    {
        s.reasons.insert(k.join(""), n);
    }
    s.due_now = push_outbox::Entity::find()
        .filter(push_outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
        .filter(push_outbox::Column::NotBefore.lte(now))
        .count(db)
        .await
        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))?;
    Ok(s)
}
