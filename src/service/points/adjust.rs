//! Operators' manual adjustments: once per `request_id`; a credit opens a lot like any credit,
//! a debit takes lots like a spend and never takes the balance below zero. The staff service
//! wraps this in the transaction that also writes the audit row.

use chrono::{DateTime, Utc};
use entity::points_ledger;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::points::{lot_expires_on, plan_spend};
use crate::domain::time::shanghai_date;
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::Outcome;

use super::book::{self, Move};
use super::views::{LedgerEntry, entry_view};
use super::{expiry_months, points_error};

/// Largest adjustment either way.
pub const MAX_ADJUSTMENT: i64 = 1_000_000;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// Points to add (positive) or take (negative); not 0, at most 1,000,000 either way.
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub delta: i64,
    /// Why, for the ledger and the audit: 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
    /// The client's id of this adjustment: the same id again adjusts once. 1-64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub request_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdjustmentResult {
    pub entry: LedgerEntry,
    /// The same request_id was adjusted before: nothing changed now.
    pub replayed: bool,
}

fn invalid(message: &str) -> AppError {
    AppError::new(ErrorCode::InvalidAdjustment, message)
}

fn text_ok(text: &str, max: usize) -> bool {
    let count = text.chars().count();
    (1..=max).contains(&count) && !text.chars().any(char::is_control) && !text.trim().is_empty()
}

/// Checks an adjustment's fields, naming the first one wrong.
pub fn checked(input: &AdjustmentInput) -> Result<(), AppError> {
    if input.delta == 0 || input.delta.abs() > MAX_ADJUSTMENT {
        return Err(invalid("delta: not 0, at most 1,000,000 either way"));
    }
    if !text_ok(&input.reason, 200) {
        return Err(invalid("reason: 1-200 characters, no control characters"));
    }
    if !text_ok(&input.request_id, 64) {
        return Err(invalid(
            "request_id: 1-64 characters, no control characters",
        ));
    }
    Ok(())
}

/// Adjusts the member's points by `input.delta`, joining `db`'s transaction. A debit beyond
/// the spendable balance is refused 409 `insufficient_points`, nothing written.
pub async fn adjust<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    operator_id: i32,
    input: &AdjustmentInput,
    now: DateTime<Utc>,
) -> Result<(Outcome<points_ledger::Model>, AdjustmentResult), AppError> {
    checked(input)?;
    let key = format!("adjustment:{}", input.request_id);
    let today = shanghai_date(now);
    let txn = db.begin().await?;
    let mut account = book::lock_account(&txn, member_id, now).await?;
    if let Some(first) = book::find_key(&txn, member_id, &key).await? {
        let result = AdjustmentResult {
            entry: entry_view(first.clone()),
            replayed: true,
        };
        return Ok((Outcome::Replayed(first), result));
    }
    let mut mv = Move {
        reason: "adjustment".to_owned(),
        reference: Some(input.request_id.clone()),
        key,
        delta: input.delta,
        note: Some(input.reason.trim().to_owned()),
        operator_id: Some(operator_id),
        ..Move::default()
    };
    if input.delta > 0 {
        mv.expires_on = Some(lot_expires_on(today, expiry_months()).map_err(points_error)?);
    } else {
        let (open, _) = book::sweep(&txn, &mut account, today, now).await?;
        mv.uses = plan_spend(&open, -input.delta, today).map_err(points_error)?;
    }
    let outcome = book::book(&txn, &mut account, mv, today, now).await?;
    txn.commit().await?;
    let result = AdjustmentResult {
        entry: entry_view(outcome.event().clone()),
        replayed: outcome.is_replay(),
    };
    Ok((outcome, result))
}
