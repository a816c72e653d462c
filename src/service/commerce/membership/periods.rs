//! What a paid or refunded membership order does to the member's periods, inside the
//! transaction that records the payment or the refund.

use chrono::{DateTime, Duration, Utc};
use entity::{membership_periods as periods_t, pay_orders, pay_refunds};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::{live_periods, period_state, tier_of};
use crate::domain::membership::{self as rules, RefundEffect};
use crate::error::AppError;
use crate::service::commerce::payments::Fulfil;

/// Membership's side of a payment: a period per paid order (once: `order_id` is unique).
pub struct Fulfilment;

impl Fulfil for Fulfilment {
    fn paid<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(add_period(txn, order, now))
    }

    fn refunded<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        _refund: &'a pay_refunds::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(apply_refund(txn, order, now))
    }
}

async fn add_period(
    txn: &DatabaseTransaction,
    order: &pay_orders::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(member_id) = order.member_id else {
        return Ok(());
    };
    let plan = rules::plan(&order.reference).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "paid order for unknown plan {}",
            order.reference
        ))
    })?;
    let live = live_periods(txn, member_id).await?;
    let current = tier_of(&live, now);
    let (starts_at, ends_at) = match current {
        Some(tier) if plan.tier > tier => {
            // Upgrade: lower-tier time still unused converts into days of the new tier.
            let mut unused = 0;
            for p in live.iter().filter(|p| p.ends_at > now) {
                let lower = rules::Tier::parse(&p.tier).is_some_and(|t| t < plan.tier);
                if !lower {
                    continue;
                }
                unused += rules::unused_fen(p.paid_fen, p.starts_at, p.ends_at, now);
                periods_t::Entity::update_many()
                    .col_expr(periods_t::Column::EndsAt, Expr::value(now.max(p.starts_at)))
                    .col_expr(
                        periods_t::Column::State,
                        Expr::value(period_state::SHORTENED),
                    )
                    .col_expr(periods_t::Column::UpdatedAt, Expr::value(now))
                    .filter(periods_t::Column::Id.eq(p.id))
                    .exec(txn)
                    .await?;
            }
            let same_or_higher_end = live
                .iter()
                .filter(|p| p.ends_at > p.starts_at)
                .filter(|p| rules::Tier::parse(&p.tier).is_some_and(|t| t >= plan.tier))
                .map(|p| p.ends_at)
                .max();
            let start = same_or_higher_end.filter(|e| *e > now).unwrap_or(now);
            let end = rules::period_end(now, same_or_higher_end, plan.months)
                + Duration::days(rules::upgrade_bonus_days(unused, plan));
            (start, end)
        }
        _ => {
            // Periods an upgrade emptied (start = end) do not hold a place.
            let latest = live
                .iter()
                .filter(|p| p.ends_at > p.starts_at)
                .map(|p| p.ends_at)
                .max();
            let start = latest.filter(|e| *e > now).unwrap_or(now);
            (start, rules::period_end(now, latest, plan.months))
        }
    };
    periods_t::Entity::insert(periods_t::ActiveModel {
        member_id: Set(Some(member_id)),
        order_id: Set(Some(order.id)),
        plan_id: Set(plan.id.to_owned()),
        tier: Set(plan.tier.as_str().to_owned()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        paid_fen: Set(order.amount_fen),
        state: Set(period_state::ACTIVE.to_owned()),
        reminded_early_at: Set(None),
        reminded_last_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(periods_t::Column::OrderId)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(txn)
    .await?;
    Ok(())
}

async fn apply_refund(
    txn: &DatabaseTransaction,
    order: &pay_orders::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(period) = periods_t::Entity::find()
        .filter(periods_t::Column::OrderId.eq(order.id))
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let effect = rules::refund_effect(
        order.amount_fen,
        order.refunded_fen,
        period.starts_at,
        // The period's length as bought; an upgrade may have ended it already.
        period.ends_at,
        order.paid_at.unwrap_or(order.created_at),
        now,
    );
    let (state, ends_at) = match effect {
        RefundEffect::Remove => (period_state::REMOVED, period.ends_at),
        RefundEffect::EndAt(end) => (period_state::SHORTENED, end.min(period.ends_at)),
    };
    periods_t::Entity::update_many()
        .col_expr(periods_t::Column::State, Expr::value(state))
        .col_expr(periods_t::Column::EndsAt, Expr::value(ends_at))
        .col_expr(periods_t::Column::UpdatedAt, Expr::value(now))
        .filter(periods_t::Column::Id.eq(period.id))
        .exec(txn)
        .await?;
    // Periods stacked after this one move up by the time it no longer covers, so the member
    // is not left without benefits between what stays and what they paid for after it.
    let covered_until = match effect {
        RefundEffect::Remove => period.starts_at,
        RefundEffect::EndAt(_) => ends_at,
    };
    let freed = period.ends_at - covered_until.max(now);
    if let (Some(member_id), true) = (period.member_id, freed > Duration::zero()) {
        let later = periods_t::Entity::find()
            .filter(periods_t::Column::MemberId.eq(member_id))
            .filter(periods_t::Column::State.ne(period_state::REMOVED))
            .filter(periods_t::Column::Id.ne(period.id))
            .filter(periods_t::Column::StartsAt.gte(period.ends_at))
            .all(txn)
            .await?;
        for stacked in later {
            periods_t::Entity::update_many()
                .col_expr(
                    periods_t::Column::StartsAt,
                    Expr::value(stacked.starts_at - freed),
                )
                .col_expr(
                    periods_t::Column::EndsAt,
                    Expr::value(stacked.ends_at - freed),
                )
                .col_expr(periods_t::Column::UpdatedAt, Expr::value(now))
                .filter(periods_t::Column::Id.eq(stacked.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}
