//! Crediting an earning reason: the rule in force, the member's level and tier, the campaigns
//! of the day and what the member already earned today for the reason (the caps) decide the
//! points and growth; the move is keyed `reason:reference`, so the same action earns once.

use chrono::{DateTime, NaiveDate, Utc};
use entity::points_ledger;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::points::{
    Base, Credit, EarnedToday, Earner, EarningRule, Reason, compute_credit, idempotency_key,
    lot_expires_on,
};
use crate::domain::time::shanghai_date;
use crate::error::AppError;
use crate::service::ledger::Outcome;

use super::book::{self, Account, Move};
use super::{config, expiry_months, points_error};
use crate::service::audience::membership::tier_on;

/// What a credit did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Earned {
    /// The ledger row (the first one, on a replay).
    pub entry_id: i64,
    pub points: i64,
    pub growth: i64,
    pub campaign: Option<String>,
    /// Credited before (same action again): nothing changed now.
    pub replayed: bool,
    pub balance_after: i64,
}

impl Earned {
    fn of(outcome: &Outcome<points_ledger::Model>) -> Self {
        let row = outcome.event();
        Earned {
            entry_id: row.id,
            points: row.delta,
            growth: row.growth_delta,
            campaign: row.campaign.clone(),
            replayed: outcome.is_replay(),
            balance_after: row.balance_after,
        }
    }
}

/// What the member already earned for `reason` on `day`.
pub(super) async fn earned_on<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    reason: Reason,
    day: NaiveDate,
) -> Result<EarnedToday, AppError> {
    let sums: Option<(Option<i64>, Option<i64>)> = points_ledger::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(delta) AS BIGINT)"), "points")
        .column_as(Expr::cust("CAST(SUM(growth_delta) AS BIGINT)"), "growth")
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .filter(points_ledger::Column::Reason.eq(reason.as_str()))
        .filter(points_ledger::Column::Day.eq(day))
        .into_tuple()
        .one(db)
        .await?;
    let (points, growth) = sums.unwrap_or_default();
    Ok(EarnedToday {
        points: points.unwrap_or(0),
        growth: growth.unwrap_or(0),
    })
}

/// The credit `rule` gives for `base` to the locked account on `day`.
pub(super) async fn compute<C: ConnectionTrait>(
    txn: &C,
    account: &Account,
    rule: &EarningRule,
    base: Base,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Credit, AppError> {
    let levels = config::levels(txn).await?;
    let level = levels.level_for(account.growth);
    let tier = tier_on(txn, account.member_id, now).await?;
    let campaigns = config::campaigns_on(txn, day).await?;
    let earned = earned_on(txn, account.member_id, rule.reason, day).await?;
    compute_credit(rule, base, &Earner { level, tier }, day, &campaigns, earned)
        .map_err(points_error)
}

/// The move of a computed credit.
pub(super) fn credit_move(
    reason: Reason,
    reference: &str,
    key: String,
    credit: Credit,
    day: NaiveDate,
) -> Result<Move, AppError> {
    Ok(Move {
        reason: reason.as_str().to_owned(),
        reference: Some(reference.to_owned()),
        key,
        delta: credit.points,
        growth: credit.growth,
        campaign: credit.campaign.filter(|_| credit.points > 0),
        expires_on: Some(lot_expires_on(day, expiry_months()).map_err(points_error)?),
        ..Move::default()
    })
}

/// Credits `reason` for the action named by `reference` (see [`Reason`] for each reason's
/// reference), joining `db`'s transaction if it is one. Once per reference: the same action
/// again answers the first credit, `replayed`. A switched-off rule credits nothing (`None`).
/// A credit the daily cap cuts to nothing is still written (zero), claiming the action.
pub async fn credit<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    reason: Reason,
    reference: &str,
    base: Base,
    now: DateTime<Utc>,
) -> Result<Option<Earned>, AppError> {
    let key = idempotency_key(reason, reference).map_err(points_error)?;
    let day = shanghai_date(now);
    // Everything on a savepoint when `db` is a transaction: a failure here undoes only this.
    let txn = db.begin().await?;
    // The lock first: on SQLite a read before the first write could not upgrade later.
    let mut account = book::lock_account(&txn, member_id, now).await?;
    let rules = config::rules(&txn).await?;
    let rule = rules.rule(reason);
    if !rule.enabled {
        return Ok(None);
    }
    if let Some(first) = book::find_key(&txn, member_id, &key).await? {
        return Ok(Some(Earned::of(&Outcome::Replayed(first))));
    }
    let credit = compute(&txn, &account, rule, base, day, now).await?;
    let mv = credit_move(reason, reference, key, credit, day)?;
    let outcome = book::book(&txn, &mut account, mv, day, now).await?;
    txn.commit().await?;
    Ok(Some(Earned::of(&outcome)))
}

/// Credits a paid order: points per whole yuan of `paid_fen`, once per `out_trade_no`.
pub async fn credit_purchase<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    out_trade_no: &str,
    paid_fen: i64,
    now: DateTime<Utc>,
) -> Result<Option<Earned>, AppError> {
    credit(
        db,
        member_id,
        Reason::Purchase,
        out_trade_no,
        Base::PaidFen(paid_fen),
        now,
    )
    .await
}

/// Credits a reason where its action happens, never failing the action: a refusal or fault is
/// logged, and the action stands (the credit is a reward, not part of the action).
pub async fn reward<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    member_id: i32,
    reason: Reason,
    reference: &str,
    now: DateTime<Utc>,
) -> Option<Earned> {
    match credit(db, member_id, reason, reference, Base::Event, now).await {
        Ok(earned) => earned,
        Err(e) => {
            tracing::error!(member = member_id, %reason, reference, error = %e, "points credit failed");
            None
        }
    }
}
