//! Spending points: joins the caller's transaction (a coupon's cost is paid in the transaction
//! that issues the coupon), sweeps the member's expired lots, takes the earliest-expiring lots
//! first, and refuses 409 `insufficient_points` with nothing written.

use chrono::{DateTime, Utc};
use entity::points_ledger;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::points::{PointsError, plan_spend};
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::ledger::Outcome;

use super::book::{self, Move};
use super::points_error;

/// What a spend did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Spent {
    pub entry_id: i64,
    /// Points taken (positive).
    pub points: i64,
    pub balance_after: i64,
    /// Spent before with the same purpose and reference: nothing changed now.
    pub replayed: bool,
}

fn spent(outcome: &Outcome<points_ledger::Model>) -> Spent {
    let row = outcome.event();
    Spent {
        entry_id: row.id,
        points: -row.delta,
        balance_after: row.balance_after,
        replayed: outcome.is_replay(),
    }
}

fn checked_label(label: &str) -> Result<(), AppError> {
    let length = label.chars().count();
    if (1..=64).contains(&length) && !label.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(points_error(PointsError::InvalidReference))
    }
}

/// Takes `points` from the member for `purpose` (e.g. `coupon`), once per `reference` (e.g. the
/// coupon's grant key): the same purpose and reference again answers the first spend.
pub async fn spend<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    points: i64,
    purpose: &str,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Spent, AppError> {
    if points <= 0 {
        return Err(points_error(PointsError::InvalidAmount { amount: points }));
    }
    checked_label(purpose)?;
    checked_label(reference)?;
    let key = format!("spend:{purpose}:{reference}");
    let today = shanghai_date(now);
    let txn = db.begin().await?;
    let mut account = book::lock_account(&txn, member_id, now).await?;
    if let Some(first) = book::find_key(&txn, member_id, &key).await? {
        return Ok(spent(&Outcome::Replayed(first)));
    }
    let (open, _) = book::sweep(&txn, &mut account, today, now).await?;
    // Dropping the transaction on a refusal undoes the sweep too: nothing is written.
    let uses = plan_spend(&open, points, today).map_err(points_error)?;
    let mv = Move {
        reason: "spend".to_owned(),
        reference: Some(reference.to_owned()),
        key,
        delta: -points,
        note: Some(purpose.to_owned()),
        uses,
        ..Move::default()
    };
    let outcome = book::book(&txn, &mut account, mv, today, now).await?;
    txn.commit().await?;
    Ok(spent(&outcome))
}

/// Gives back what [`spend`] took for `purpose` and `reference` (an order cancelled or refunded),
/// once: a credit of the same points as a new lot (expiring like any credit), keyed
/// `return:<purpose>:<reference>`. Nothing was spent (or it was given back before): `None`.
pub async fn give_back<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    purpose: &str,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Option<Spent>, AppError> {
    checked_label(purpose)?;
    checked_label(reference)?;
    let today = shanghai_date(now);
    let txn = db.begin().await?;
    let account = book::lock_account(&txn, member_id, now).await?;
    let Some(spent_row) =
        book::find_key(&txn, member_id, &format!("spend:{purpose}:{reference}")).await?
    else {
        return Ok(None);
    };
    let key = format!("return:{purpose}:{reference}");
    if book::find_key(&txn, member_id, &key).await?.is_some() {
        return Ok(None);
    }
    let mut account = account;
    let mv = Move {
        reason: "return".to_owned(),
        reference: Some(reference.to_owned()),
        key,
        delta: -spent_row.delta,
        note: Some(purpose.to_owned()),
        expires_on: Some(
            crate::domain::points::lot_expires_on(today, super::expiry_months())
                .map_err(points_error)?,
        ),
        ..Move::default()
    };
    let outcome = book::book(&txn, &mut account, mv, today, now).await?;
    txn.commit().await?;
    Ok(Some(spent(&outcome)))
}

/// Takes back points a purchase earned (its refund), once per `reference`, as far as the
/// member's spendable balance goes (points already spent stay spent): keyed
/// `take_back:<reference>`. Answers the points taken.
pub async fn take_back<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    earned: i64,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    checked_label(reference)?;
    if earned <= 0 {
        return Ok(0);
    }
    let today = shanghai_date(now);
    let txn = db.begin().await?;
    let mut account = book::lock_account(&txn, member_id, now).await?;
    let key = format!("take_back:{reference}");
    if book::find_key(&txn, member_id, &key).await?.is_some() {
        return Ok(0);
    }
    let (open, _) = book::sweep(&txn, &mut account, today, now).await?;
    let available: i64 = open.iter().map(|lot| lot.remaining).sum();
    let points = earned.min(available);
    if points <= 0 {
        txn.commit().await?;
        return Ok(0);
    }
    let uses = plan_spend(&open, points, today).map_err(points_error)?;
    let mv = Move {
        reason: "take_back".to_owned(),
        reference: Some(reference.to_owned()),
        key,
        delta: -points,
        note: Some("refund of a purchase".to_owned()),
        uses,
        ..Move::default()
    };
    book::book(&txn, &mut account, mv, today, now).await?;
    txn.commit().await?;
    Ok(points)
}
