//! What members (and operators) see: the summary, the ledger page by page, the tasks.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{points_accounts, points_ledger};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::points::{Award, current_streak, expiring_within};
use crate::error::{AppError, ErrorCode};

use super::book;
use super::check_in::last_check_in;
use super::config;

/// "What expires soon" looks this many days ahead.
pub const EXPIRING_DAYS: u32 = 30;
pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelView {
    pub id: String,
    pub name: String,
    /// Growth from which the level holds.
    pub threshold: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextLevelView {
    pub id: String,
    pub name: String,
    pub threshold: i64,
    /// Growth still missing to reach it.
    pub missing: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Expiring {
    pub points: i64,
    /// The last day they can be spent.
    pub expires_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsSummary {
    pub balance: i64,
    pub growth: i64,
    pub level: LevelView,
    /// None at the top level.
    pub next_level: Option<NextLevelView>,
    /// Points expiring within the next 30 days, by day, soonest first.
    pub expiring: Vec<Expiring>,
    pub checked_in_today: bool,
    /// Days of the current check-in streak (0 once a day was missed).
    pub streak: i32,
}

pub async fn summary<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    today: NaiveDate,
) -> Result<PointsSummary, AppError> {
    let account = points_accounts::Entity::find_by_id(member_id)
        .one(db)
        .await?;
    let (balance, growth) = account.map_or((0, 0), |a| (a.balance, a.growth));
    let levels = config::levels(db).await?;
    let progress = levels.progress(growth);
    let lots = book::open_lots(db, member_id).await?;
    let last = last_check_in(db, member_id).await?;
    Ok(PointsSummary {
        balance,
        growth,
        level: LevelView {
            id: progress.level.id.clone(),
            name: progress.level.name.clone(),
            threshold: progress.level.threshold,
        },
        next_level: progress.next.map(|next| NextLevelView {
            id: next.level.id.clone(),
            name: next.level.name.clone(),
            threshold: next.level.threshold,
            missing: next.missing,
        }),
        expiring: expiring_within(&lots, today, EXPIRING_DAYS)
            .into_iter()
            .map(|e| Expiring {
                points: e.points,
                expires_on: e.expires_on,
            })
            .collect(),
        checked_in_today: last.is_some_and(|last| last.day == today),
        streak: i32::from(current_streak(last, today)),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntry {
    pub id: i64,
    pub delta: i64,
    pub balance_after: i64,
    pub growth_delta: i64,
    /// An earning reason (`check_in`, `dose_recorded`, ...), `spend`, `expire`, `adjustment`, `return` (spent points given back: a shop order
    /// cancelled or refunded) or `take_back` (a refunded purchase's points).
    pub reason: String,
    pub reference: Option<String>,
    /// The campaign that multiplied this credit.
    pub campaign: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Credits: the last day these points can be spent.
    pub expires_on: Option<NaiveDate>,
}

pub(super) fn entry_view(row: points_ledger::Model) -> LedgerEntry {
    LedgerEntry {
        id: row.id,
        delta: row.delta,
        balance_after: row.balance_after,
        growth_delta: row.growth_delta,
        reason: row.reason,
        reference: row.reference,
        campaign: row.campaign,
        created_at: row.created_at,
        expires_on: row.expires_on,
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `next_cursor` of the previous page; omit for the newest entries.
    #[param(minimum = 1)]
    pub cursor: Option<i64>,
    /// Entries per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerPage {
    /// Newest first.
    pub entries: Vec<LedgerEntry>,
    /// Pass as `cursor` for the next (older) page; none at the end.
    pub next_cursor: Option<i64>,
}

/// The member's ledger, newest first, a page at a time.
pub async fn ledger_page<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    page: &PageQuery,
) -> Result<LedgerPage, AppError> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) || page.cursor.is_some_and(|c| c < 1) {
        return Err(AppError::new(
            ErrorCode::InvalidCursor,
            "cursor is a positive id from next_cursor; limit is 1-100",
        ));
    }
    let mut find = points_ledger::Entity::find()
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .order_by_desc(points_ledger::Column::Id)
        .limit(limit + 1);
    if let Some(cursor) = page.cursor {
        find = find.filter(points_ledger::Column::Id.lt(cursor));
    }
    let mut rows = find.all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(LedgerPage {
        entries: rows.into_iter().map(entry_view).collect(),
        next_cursor,
    })
}

/// The member's whole ledger, oldest first; for the export.
pub async fn whole_ledger<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Vec<LedgerEntry>, AppError> {
    Ok(points_ledger::Entity::find()
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .order_by_asc(points_ledger::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(entry_view)
        .collect())
}

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Done {
    /// Ledger entries of this reason.
    pub times: i64,
    pub points: i64,
    pub growth: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub reason: String,
    /// Switched off: earns nothing now.
    pub enabled: bool,
    /// Points per action before multipliers (check-in: streak day 1's; purchase: per yuan).
    pub points: i64,
    /// Check-in only: the points of streak day 1, 2, ...
    pub streak_points: Option<Vec<i64>>,
    /// Purchase only: points per yuan paid.
    pub per_yuan: bool,
    pub growth: i64,
    pub daily_cap: Option<i64>,
    pub today: Done,
    pub ever: Done,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tasks {
    pub tasks: Vec<Task>,
}

async fn done_by_reason<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    day: Option<NaiveDate>,
) -> Result<HashMap<String, Done>, AppError> {
    let mut find = points_ledger::Entity::find()
        .select_only()
        .column(points_ledger::Column::Reason)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "times")
        .column_as(Expr::cust("CAST(SUM(delta) AS BIGINT)"), "points")
        .column_as(Expr::cust("CAST(SUM(growth_delta) AS BIGINT)"), "growth")
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .group_by(points_ledger::Column::Reason);
    if let Some(day) = day {
        find = find.filter(points_ledger::Column::Day.eq(day));
    }
    let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = find.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(reason, times, points, growth)| {
            (
                reason,
                Done {
                    times,
                    points: points.unwrap_or(0),
                    growth: growth.unwrap_or(0),
                },
            )
        })
        .collect())
}

/// Each earning rule with what the member did for it today and ever.
pub async fn tasks<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    today: NaiveDate,
) -> Result<Tasks, AppError> {
    let rules = config::rules(db).await?;
    let today_done = done_by_reason(db, member_id, Some(today)).await?;
    let ever_done = done_by_reason(db, member_id, None).await?;
    let tasks = rules
        .rules()
        .iter()
        .map(|rule| {
            let reason = rule.reason.as_str().to_owned();
            let (points, streak_points, per_yuan) = match &rule.award {
                Award::Fixed(points) => (*points, None, false),
                Award::PerYuan(points) => (*points, None, true),
                Award::Streak(ladder) => (
                    ladder.first().copied().unwrap_or(0),
                    Some(ladder.clone()),
                    false,
                ),
            };
            Task {
                enabled: rule.enabled,
                points,
                streak_points,
                per_yuan,
                growth: rule.growth,
                daily_cap: rule.daily_cap,
                today: today_done.get(&reason).copied().unwrap_or_default(),
                ever: ever_done.get(&reason).copied().unwrap_or_default(),
                reason,
            }
        })
        .collect();
    Ok(Tasks { tasks })
}
