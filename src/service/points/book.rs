//! The one way a points move is written: lock the member's account, then book the move through
//! the balance rule (`service::ledger::apply`), with the lots it opens or takes from.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{points_accounts, points_ledger, points_lots};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use crate::domain::points::{Lot, LotUse, PointsError, expired_remainders};
use crate::error::AppError;
use crate::service::ledger::{self, Entry, Guard, Outcome};

use super::points_error;

/// The member's account as locked by [`lock_account`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Account {
    pub member_id: i32,
    pub balance: i64,
    pub growth: i64,
}

/// Opens the member's account if missing and locks it for the rest of the transaction: a write
/// first (SQLite's write lock before any read; PostgreSQL's row lock), then the read.
pub(super) async fn lock_account<C: ConnectionTrait>(
    txn: &C,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<Account, AppError> {
    points_accounts::Entity::insert(points_accounts::ActiveModel {
        member_id: Set(member_id),
        balance: Set(0),
        growth: Set(0),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(points_accounts::Column::MemberId)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(txn)
    .await?;
    points_accounts::Entity::update_many()
        .col_expr(points_accounts::Column::UpdatedAt, Expr::value(now))
        .filter(points_accounts::Column::MemberId.eq(member_id))
        .exec(txn)
        .await?;
    let row = points_accounts::Entity::find_by_id(member_id)
        .one(txn)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("points account {member_id} vanished"))
        })?;
    Ok(Account {
        member_id,
        balance: row.balance,
        growth: row.growth,
    })
}

/// One move of a member's points (and growth).
#[derive(Debug, Clone, Default)]
pub(super) struct Move {
    pub reason: String,
    pub reference: Option<String>,
    pub key: String,
    pub delta: i64,
    pub growth: i64,
    pub campaign: Option<String>,
    /// Credits: the lot's last day (a lot is opened when `delta > 0`).
    pub expires_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub operator_id: Option<i32>,
    /// Spends: what each lot gives.
    pub uses: Vec<LotUse>,
    /// Expiry: the lot that expires and its whole remainder.
    pub expires: Option<(i64, i64)>,
}

/// The first booking of `key` for the member, if any.
pub(super) async fn find_key<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    key: &str,
) -> Result<Option<points_ledger::Model>, AppError> {
    Ok(points_ledger::Entity::find()
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .filter(points_ledger::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

fn refused(needed: i64, available: i64) -> AppError {
    points_error(PointsError::InsufficientPoints { needed, available })
}

/// Books `mv` on the locked `account` (updated in place when applied).
pub(super) async fn book<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    account: &mut Account,
    mv: Move,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Outcome<points_ledger::Model>, AppError> {
    let member_id = account.member_id;
    let event = points_ledger::ActiveModel {
        member_id: Set(Some(member_id)),
        delta: Set(mv.delta),
        balance_after: Set(account.balance + mv.delta),
        growth_delta: Set(mv.growth),
        growth_after: Set(account.growth + mv.growth),
        reason: Set(mv.reason),
        reference: Set(mv.reference),
        idempotency_key: Set(mv.key),
        campaign: Set(mv.campaign),
        expires_on: Set(if mv.delta > 0 { mv.expires_on } else { None }),
        day: Set(day),
        note: Set(mv.note),
        operator_id: Set(mv.operator_id),
        created_at: Set(now),
        ..Default::default()
    };
    let mut entry = Entry::new(event)
        .keyed_by([
            points_ledger::Column::MemberId,
            points_ledger::Column::IdempotencyKey,
        ])
        .guard(Guard::delta(
            points_accounts::Entity::update_many()
                .col_expr(
                    points_accounts::Column::Growth,
                    Expr::col(points_accounts::Column::Growth).add(mv.growth),
                )
                .col_expr(points_accounts::Column::UpdatedAt, Expr::value(now))
                .filter(points_accounts::Column::MemberId.eq(member_id)),
            points_accounts::Column::Balance,
            mv.delta,
            refused(-mv.delta, account.balance),
        ));
    for lot_use in &mv.uses {
        entry = entry.guard(Guard::delta(
            points_lots::Entity::update_many()
                .filter(points_lots::Column::Id.eq(lot_use.lot_id))
                .filter(points_lots::Column::MemberId.eq(member_id)),
            points_lots::Column::Remaining,
            -lot_use.points,
            refused(-mv.delta, account.balance),
        ));
    }
    if let Some((lot_id, points)) = mv.expires {
        entry = entry.guard(Guard::new(
            points_lots::Entity::update_many()
                .col_expr(points_lots::Column::Remaining, Expr::value(0i64))
                .filter(points_lots::Column::Id.eq(lot_id))
                .filter(points_lots::Column::MemberId.eq(member_id))
                .filter(points_lots::Column::Remaining.eq(points)),
            AppError::Internal(anyhow::anyhow!("lot {lot_id} changed under its lock")),
        ));
    }
    let outcome = ledger::apply(txn, entry).await?;
    if let Outcome::Applied(row) = &outcome {
        account.balance = row.balance_after;
        account.growth = row.growth_after;
        if let (true, Some(expires_on)) = (row.delta > 0, row.expires_on) {
            points_lots::ActiveModel {
                id: Set(row.id),
                member_id: Set(member_id),
                points: Set(row.delta),
                remaining: Set(row.delta),
                expires_on: Set(expires_on),
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(outcome)
}

/// The member's lots with something left, earliest expiry first.
pub(super) async fn open_lots<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Vec<Lot>, AppError> {
    Ok(points_lots::Entity::find()
        .filter(points_lots::Column::MemberId.eq(member_id))
        .filter(points_lots::Column::Remaining.gt(0))
        .order_by_asc(points_lots::Column::ExpiresOn)
        .order_by_asc(points_lots::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|lot| Lot {
            id: lot.id,
            remaining: lot.remaining,
            expires_on: lot.expires_on,
        })
        .collect())
}

/// Writes an `expire` row for each of the member's lots that expired before `today`, on the
/// locked account; answers the lots still open and how many rows were written.
pub(super) async fn sweep<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    account: &mut Account,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Vec<Lot>, Vec<i64>), AppError> {
    let lots = open_lots(txn, account.member_id).await?;
    let mut expired = Vec::new();
    for expiry in expired_remainders(&lots, today) {
        let mv = Move {
            reason: "expire".to_owned(),
            reference: Some(expiry.expires_on.to_string()),
            key: expiry.idempotency_key(),
            delta: -expiry.points,
            expires: Some((expiry.lot_id, expiry.points)),
            ..Move::default()
        };
        if let Outcome::Applied(_) = book(txn, account, mv, today, now).await? {
            expired.push(expiry.points);
        }
    }
    let open = lots
        .into_iter()
        .filter(|lot| lot.expires_on >= today)
        .collect();
    Ok((open, expired))
}
