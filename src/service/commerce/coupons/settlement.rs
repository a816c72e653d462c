//! The settlement between us and each merchant. Every redemption writes a line (face value,
//! our commission at the merchant's rate); operators add adjustment lines for corrections. A
//! line belongs to the month (Asia/Shanghai) it was written in, unless that month is closed:
//! then it lands in the next open month. Each merchant's month has a statement whose totals move
//! with each line, in the line's transaction, only while the statement is `open` (a guarded
//! update), so a statement always equals the sum of its lines; closing a month turns its
//! statements `closed`, and a closed statement never changes again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{
    merchants, settlement_lines as lines, settlement_months as months,
    settlement_statements as statements,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::coupons::{month_of, next_month, parse_month};
use crate::error::{AppError, ErrorCode};
use crate::service::commerce::merchants as merchant_service;
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::required_text;

const OPEN: &str = "open";
const CLOSED: &str = "closed";
/// How many closed months in a row a line may skip (closing is monthly: one or two at most).
const MAX_SKIPPED_MONTHS: usize = 24;

/// A line to write.
pub(crate) struct NewLine {
    pub merchant_id: i32,
    pub store_id: Option<i32>,
    pub template_id: Option<i32>,
    pub redemption_id: Option<i64>,
    pub kind: &'static str,
    pub face_value_fen: i64,
    pub commission_fen: i64,
    pub note: Option<String>,
}

/// Writes `line` into the first open month from now's, moving that month's statement with it.
/// `txn` is the transaction of what the line records.
pub(crate) async fn write_line<C: ConnectionTrait>(
    txn: &C,
    line: NewLine,
    now: DateTime<Utc>,
) -> Result<lines::Model, AppError> {
    let mut month = month_of(now);
    for _ in 0..MAX_SKIPPED_MONTHS {
        let closed = months::Entity::find_by_id(month.clone())
            .one(txn)
            .await?
            .is_some();
        if !closed {
            statements::Entity::insert(statements::ActiveModel {
                merchant_id: Set(line.merchant_id),
                month: Set(month.clone()),
                status: Set(OPEN.to_owned()),
                lines: Set(0),
                face_value_fen: Set(0),
                commission_fen: Set(0),
                closed_at: Set(None),
                closed_by: Set(None),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([statements::Column::MerchantId, statements::Column::Month])
                    .do_nothing()
                    .to_owned(),
            )
            .do_nothing()
            .exec(txn)
            .await?;
            let moved = statements::Entity::update_many()
                .col_expr(
                    statements::Column::Lines,
                    Expr::col(statements::Column::Lines).add(1),
                )
                .col_expr(
                    statements::Column::FaceValueFen,
                    Expr::col(statements::Column::FaceValueFen).add(line.face_value_fen),
                )
                .col_expr(
                    statements::Column::CommissionFen,
                    Expr::col(statements::Column::CommissionFen).add(line.commission_fen),
                )
                .filter(statements::Column::MerchantId.eq(line.merchant_id))
                .filter(statements::Column::Month.eq(month.as_str()))
                .filter(statements::Column::Status.eq(OPEN))
                .exec(txn)
                .await?;
            if moved.rows_affected == 1 {
                let row = lines::ActiveModel {
                    merchant_id: Set(line.merchant_id),
                    store_id: Set(line.store_id),
                    template_id: Set(line.template_id),
                    redemption_id: Set(line.redemption_id),
                    month: Set(month),
                    kind: Set(line.kind.to_owned()),
                    face_value_fen: Set(line.face_value_fen),
                    commission_fen: Set(line.commission_fen),
                    note: Set(line.note),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                return Ok(row);
            }
        }
        month = next_month(&month)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no month after {month}")))?;
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no open settlement month within {MAX_SKIPPED_MONTHS} months"
    )))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub merchant_id: i32,
    pub merchant_name: String,
    /// `YYYY-MM`, Asia/Shanghai.
    pub month: String,
    /// `open` or `closed` (final).
    pub status: String,
    pub lines: i32,
    pub face_value_fen: i64,
    pub commission_fen: i64,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    pub id: i64,
    pub merchant_id: i32,
    pub store_id: Option<i32>,
    pub template_id: Option<i32>,
    pub redemption_id: Option<i64>,
    pub month: String,
    /// `redemption` or `adjustment`.
    pub kind: String,
    pub face_value_fen: i64,
    pub commission_fen: i64,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn line_view(row: lines::Model) -> LineView {
    LineView {
        id: row.id,
        merchant_id: row.merchant_id,
        store_id: row.store_id,
        template_id: row.template_id,
        redemption_id: row.redemption_id,
        month: row.month,
        kind: row.kind,
        face_value_fen: row.face_value_fen,
        commission_fen: row.commission_fen,
        note: row.note,
        created_at: row.created_at,
    }
}

fn checked_month(month: &str) -> Result<String, AppError> {
    parse_month(month)
        .map(|_| month.to_owned())
        .ok_or_else(|| AppError::new(ErrorCode::InvalidMonth, "month must be YYYY-MM"))
}

/// The month's statements, one per merchant with lines (or closed with the month).
pub async fn statements(
    db: &DatabaseConnection,
    month: &str,
) -> Result<Vec<StatementView>, AppError> {
    let month = checked_month(month)?;
    let names: BTreeMap<i32, String> = merchants::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    Ok(statements::Entity::find()
        .filter(statements::Column::Month.eq(month))
        .order_by_asc(statements::Column::MerchantId)
        .all(db)
        .await?
        .into_iter()
        .map(|s| StatementView {
            merchant_name: names.get(&s.merchant_id).cloned().unwrap_or_default(),
            merchant_id: s.merchant_id,
            month: s.month,
            status: s.status,
            lines: s.lines,
            face_value_fen: s.face_value_fen,
            commission_fen: s.commission_fen,
            closed_at: s.closed_at,
        })
        .collect())
}

/// A merchant's lines of a month, oldest first.
pub async fn statement_lines(
    db: &DatabaseConnection,
    merchant_id: i32,
    month: &str,
) -> Result<Vec<LineView>, AppError> {
    let month = checked_month(month)?;
    merchant_service::find(db, merchant_id).await?;
    Ok(lines::Entity::find()
        .filter(lines::Column::MerchantId.eq(merchant_id))
        .filter(lines::Column::Month.eq(month))
        .order_by_asc(lines::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(line_view)
        .collect())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseMonth {
    /// `YYYY-MM`, not after the current month.
    pub month: String,
}

/// Closes a month: every merchant's statement of it becomes `closed` (a merchant without lines
/// gets an empty closed one), and lines written afterwards land in the next month.
pub async fn close_month(
    db: &DatabaseConnection,
    by: &Actor,
    input: &CloseMonth,
    now: DateTime<Utc>,
) -> Result<Vec<StatementView>, AppError> {
    let month = checked_month(&input.month)?;
    if month > month_of(now) {
        return Err(AppError::new(
            ErrorCode::InvalidMonth,
            "a month can be closed from its first day on, not before",
        ));
    }
    let txn = db.begin().await?;
    let inserted = months::Entity::insert(months::ActiveModel {
        month: Set(month.clone()),
        closed_at: Set(now),
        closed_by: Set(by.id),
    })
    .on_conflict(
        OnConflict::column(months::Column::Month)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(&txn)
    .await?;
    if !matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
        return Err(AppError::new(
            ErrorCode::MonthAlreadyClosed,
            format!("{month} was closed before; a closed statement never changes"),
        ));
    }
    let merchant_ids: Vec<i32> = merchants::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    for merchant_id in merchant_ids {
        statements::Entity::insert(statements::ActiveModel {
            merchant_id: Set(merchant_id),
            month: Set(month.clone()),
            status: Set(CLOSED.to_owned()),
            lines: Set(0),
            face_value_fen: Set(0),
            commission_fen: Set(0),
            closed_at: Set(Some(now)),
            closed_by: Set(Some(by.id)),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([statements::Column::MerchantId, statements::Column::Month])
                .do_nothing()
                .to_owned(),
        )
        .do_nothing()
        .exec(&txn)
        .await?;
    }
    statements::Entity::update_many()
        .col_expr(statements::Column::Status, Expr::value(CLOSED))
        .col_expr(statements::Column::ClosedAt, Expr::value(Some(now)))
        .col_expr(statements::Column::ClosedBy, Expr::value(Some(by.id)))
        .filter(statements::Column::Month.eq(month.as_str()))
        .filter(statements::Column::Status.eq(OPEN))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        by,
        "settlement.close",
        Some(Target {
            kind: "settlement_month",
            id: month.clone(),
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    statements(db, &month).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdjustment {
    pub merchant_id: i32,
    /// Signed: a negative line takes back face value (and commission with it).
    pub face_value_fen: i64,
    pub commission_fen: i64,
    /// 1-200 characters: what it corrects.
    pub note: String,
}

/// An operator's correction: an adjustment line in the first open month (a closed month's
/// correction lands in the next one).
pub async fn adjust(
    db: &DatabaseConnection,
    by: &Actor,
    input: &NewAdjustment,
    now: DateTime<Utc>,
) -> Result<LineView, AppError> {
    const LIMIT: i64 = 10_000_000_000;
    let invalid = || {
        AppError::new(
            ErrorCode::InvalidSettlementAdjustment,
            "an adjustment needs face_value_fen and commission_fen within ±10000000000, not both 0, and a note",
        )
    };
    if input.face_value_fen.abs() > LIMIT
        || input.commission_fen.abs() > LIMIT
        || (input.face_value_fen == 0 && input.commission_fen == 0)
    {
        return Err(invalid());
    }
    let note = required_text(
        &input.note,
        200,
        ErrorCode::InvalidSettlementAdjustment,
        "note",
    )?;
    merchant_service::find(db, input.merchant_id).await?;
    let txn = db.begin().await?;
    // First statement a write (SQLite's write lock before any read).
    audit::record(
        &txn,
        by,
        "settlement.adjust",
        Some(Target {
            kind: "merchant",
            id: input.merchant_id.to_string(),
        }),
        now,
    )
    .await?;
    let line = write_line(
        &txn,
        NewLine {
            merchant_id: input.merchant_id,
            store_id: None,
            template_id: None,
            redemption_id: None,
            kind: "adjustment",
            face_value_fen: input.face_value_fen,
            commission_fen: input.commission_fen,
            note: Some(note),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(line_view(line))
}
