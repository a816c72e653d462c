//! Refunds: a stable `out_refund_no` per request, the amount reserved under a guard before
//! WeChat Pay is asked, the final state from the refund notification or the refund query.

use crate::service::staff::audit::{self, Actor, Target, action};
use chrono::{DateTime, Duration, Utc};
use entity::{pay_order_events as events, pay_orders as orders, pay_refunds};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};
use sha2::Digest;

use super::{Fulfil, event, state, unavailable};
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard, Outcome};
use crate::service::support::{optional_text, required_text};
use crate::wechat::pay::types::RefundStatus;
use crate::wechat::pay::{PayClient, PayError};

pub mod refund_state {
    /// Reserved here; WeChat Pay has not accepted it yet (retried with the same number).
    pub const REQUESTED: &str = "requested";
    pub const PROCESSING: &str = "processing";
    pub const ABNORMAL: &str = "abnormal";
    pub const SUCCESS: &str = "success";
    pub const CLOSED: &str = "closed";
}

pub struct RefundRequest<'a> {
    /// The operator asking: the refund is in the audit log with the reservation. None: no
    /// operator asked (a member's cancellation before its deadline, a group buy that did not
    /// fill); the feature that refunds records why in its own event rows.
    pub by: Option<&'a Actor>,
    pub amount_fen: i64,
    pub reason: Option<&'a str>,
    pub request_id: &'a str,
}

/// `R` + out_trade_no + 16 hex of SHA-256(request_id): the same on every retry.
fn out_refund_no(out_trade_no: &str, request_id: &str) -> String {
    let digest = sha2::Sha256::digest(request_id.as_bytes());
    format!("R{out_trade_no}{}", &hex::encode_upper(digest)[..16])
}

/// An operator's refund of a paid order.
pub async fn refund(
    db: &DatabaseConnection,
    pay: &PayClient,
    fulfil: &dyn Fulfil,
    order_id: i32,
    req: RefundRequest<'_>,
    now: DateTime<Utc>,
) -> Result<pay_refunds::Model, AppError> {
    if req.amount_fen <= 0 {
        return Err(AppError::new(
            ErrorCode::InvalidRefundAmount,
            "amount_fen must be a positive number of fen",
        ));
    }
    let request_id = required_text(
        req.request_id,
        64,
        ErrorCode::InvalidRefundRequestId,
        "request_id",
    )?;
    let reason = optional_text(req.reason, 80, ErrorCode::InvalidRefundReason, "reason")?;
    let order = super::order(db, order_id).await?;
    let no = out_refund_no(&order.out_trade_no, &request_id);
    let row = match pay_refunds::Entity::find()
        .filter(pay_refunds::Column::OutRefundNo.eq(no.as_str()))
        .one(db)
        .await?
    {
        Some(r) if r.amount_fen != req.amount_fen => {
            return Err(AppError::new(
                ErrorCode::RefundRequestMismatch,
                format!("request_id was used for a refund of {} fen", r.amount_fen),
            ));
        }
        Some(r) => r,
        None => {
            reserve(
                db,
                &order,
                &no,
                &request_id,
                req.amount_fen,
                reason,
                Requester::Asked(req.by),
                now,
            )
            .await?
        }
    };
    ask_wechat(db, pay, fulfil, &order, row, now).await
}

/// Who asks for a refund.
enum Requester<'a> {
    /// Nobody: a late payment goes back by itself.
    Automatic,
    /// An operator (audited), or the member (None).
    Asked(Option<&'a Actor>),
}

/// Reserves the amount (guarded) and records the refund row, once per `out_refund_no`.
#[allow(clippy::too_many_arguments)]
async fn reserve(
    db: &DatabaseConnection,
    order: &orders::Model,
    no: &str,
    request_id: &str,
    amount_fen: i64,
    reason: Option<String>,
    requester: Requester<'_>,
    now: DateTime<Utc>,
) -> Result<pay_refunds::Model, AppError> {
    // Nobody asked: a payment that arrived after the order closed goes back by itself.
    let (automatic, requested_by) = match requester {
        Requester::Automatic => (true, None),
        Requester::Asked(by) => (false, by),
    };
    let refundable: &[&str] = if automatic {
        &[state::CLOSED]
    } else {
        &[state::PAID, state::PARTIALLY_REFUNDED]
    };
    let txn = db.begin().await?;
    let reserved = Expr::col(orders::Column::RefundReservedFen).add(amount_fen);
    let outcome = ledger::apply(
        &txn,
        Entry::new(event(
            order.id,
            if automatic {
                "late_payment_refund"
            } else {
                "refund_requested"
            },
            format!("refund:{no}"),
            None,
            None,
            amount_fen,
            order.transaction_id.clone(),
            reason.clone(),
            now,
        ))
        .keyed_by([events::Column::IdemKey])
        .guard(Guard::new(
            orders::Entity::update_many()
                .col_expr(orders::Column::RefundReservedFen, reserved.clone())
                .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                .filter(orders::Column::Id.eq(order.id))
                .filter(orders::Column::State.is_in(refundable.iter().copied()))
                .filter(Expr::expr(reserved).lte(Expr::col(orders::Column::AmountFen))),
            if refundable.contains(&order.state.as_str()) {
                AppError::new(
                    ErrorCode::RefundExceedsPaid,
                    "the refunds asked for would exceed what was paid",
                )
            } else {
                AppError::new(
                    ErrorCode::OrderNotRefundable,
                    format!("the order is {}", order.state),
                )
            },
        )),
    )
    .await?;
    if let Outcome::Applied(_) = outcome {
        pay_refunds::ActiveModel {
            order_id: Set(order.id),
            out_refund_no: Set(no.to_owned()),
            request_id: Set(request_id.to_owned()),
            amount_fen: Set(amount_fen),
            reason: Set(reason),
            automatic: Set(automatic),
            state: Set(refund_state::REQUESTED.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(by) = requested_by {
            audit::record(
                &txn,
                by,
                action::PAY_REFUND,
                Some(Target::pay_order(order.id)),
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    pay_refunds::Entity::find()
        .filter(pay_refunds::Column::OutRefundNo.eq(no))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("refund row missing")))
}

/// Asks WeChat Pay for a refund still `requested`, and records its answer.
async fn ask_wechat(
    db: &DatabaseConnection,
    pay: &PayClient,
    fulfil: &dyn Fulfil,
    order: &orders::Model,
    row: pay_refunds::Model,
    now: DateTime<Utc>,
) -> Result<pay_refunds::Model, AppError> {
    if row.state != refund_state::REQUESTED {
        return Ok(row);
    }
    match pay
        .refund(
            &order.out_trade_no,
            &row.out_refund_no,
            row.amount_fen,
            order.amount_fen,
            row.reason.as_deref(),
        )
        .await
    {
        Ok(answer) => {
            settle_refund(
                db,
                fulfil,
                &row.out_refund_no,
                answer.status,
                Some(&answer.refund_id),
                now,
            )
            .await
        }
        // A definite refusal releases the reservation; anything else is retried with the
        // same out_refund_no by the reconciliation job.
        Err(e @ PayError::Status { status, .. })
            if (400..500).contains(&status) && e.code() != Some("SYSTEM_ERROR") =>
        {
            tracing::warn!(out_refund_no = row.out_refund_no, error = %e, "refund refused");
            settle_refund(
                db,
                fulfil,
                &row.out_refund_no,
                RefundStatus::Closed,
                None,
                now,
            )
            .await?;
            Err(unavailable(&e))
        }
        Err(e) => Err(unavailable(&e)),
    }
}

/// Applies a refund's state from WeChat Pay (answer, notification or query), once.
pub async fn settle_refund(
    db: &DatabaseConnection,
    fulfil: &dyn Fulfil,
    out_refund_no: &str,
    status: RefundStatus,
    refund_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<pay_refunds::Model, AppError> {
    let row = pay_refunds::Entity::find()
        .filter(pay_refunds::Column::OutRefundNo.eq(out_refund_no))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::PayOrderNotFound, "no such refund"))?;
    let open = [
        refund_state::REQUESTED,
        refund_state::PROCESSING,
        refund_state::ABNORMAL,
    ];
    let mut refund_update = pay_refunds::Entity::update_many()
        .col_expr(pay_refunds::Column::UpdatedAt, Expr::value(now))
        .filter(pay_refunds::Column::Id.eq(row.id))
        .filter(pay_refunds::Column::State.is_in(open));
    if let Some(id) = refund_id {
        refund_update = refund_update.col_expr(pay_refunds::Column::RefundId, Expr::value(id));
    }
    match status {
        RefundStatus::Processing | RefundStatus::Abnormal => {
            let to = if status == RefundStatus::Processing {
                refund_state::PROCESSING
            } else {
                refund_state::ABNORMAL
            };
            refund_update
                .col_expr(pay_refunds::Column::State, Expr::value(to))
                .exec(db)
                .await?;
        }
        RefundStatus::Success => {
            let txn = db.begin().await?;
            let refunded = Expr::col(orders::Column::RefundedFen).add(row.amount_fen);
            let outcome = ledger::apply(
                &txn,
                Entry::new(event(
                    row.order_id,
                    "refunded",
                    format!("refunded:{out_refund_no}"),
                    None,
                    None,
                    row.amount_fen,
                    None,
                    None,
                    now,
                ))
                .keyed_by([events::Column::IdemKey])
                .guard(Guard::new(
                    refund_update
                        .col_expr(
                            pay_refunds::Column::State,
                            Expr::value(refund_state::SUCCESS),
                        )
                        .col_expr(pay_refunds::Column::SettledAt, Expr::value(now)),
                    AppError::new(ErrorCode::OrderNotRefundable, "refund already final"),
                ))
                .guard(Guard::new(
                    orders::Entity::update_many()
                        .col_expr(orders::Column::State, super::refunded_state(row.amount_fen))
                        .col_expr(orders::Column::RefundedFen, refunded.clone())
                        .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                        .filter(orders::Column::Id.eq(row.order_id))
                        .filter(Expr::expr(refunded).lte(Expr::col(orders::Column::AmountFen))),
                    AppError::new(ErrorCode::RefundExceedsPaid, "refunded more than paid"),
                )),
            )
            .await;
            match outcome {
                Ok(Outcome::Applied(_)) => {
                    let order = orders::Entity::find_by_id(row.order_id)
                        .one(&txn)
                        .await?
                        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
                    let settled = pay_refunds::Entity::find_by_id(row.id)
                        .one(&txn)
                        .await?
                        .unwrap_or_else(|| row.clone());
                    if !settled.automatic {
                        fulfil.refunded(&txn, &order, &settled, now).await?;
                    }
                    txn.commit().await?;
                }
                Ok(Outcome::Replayed(_)) | Err(AppError::Client { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        RefundStatus::Closed => {
            let reserved = Expr::col(orders::Column::RefundReservedFen).sub(row.amount_fen);
            let outcome = ledger::apply(
                db,
                Entry::new(event(
                    row.order_id,
                    "refund_closed",
                    format!("refund_closed:{out_refund_no}"),
                    None,
                    None,
                    row.amount_fen,
                    None,
                    None,
                    now,
                ))
                .keyed_by([events::Column::IdemKey])
                .guard(Guard::new(
                    refund_update
                        .col_expr(
                            pay_refunds::Column::State,
                            Expr::value(refund_state::CLOSED),
                        )
                        .col_expr(pay_refunds::Column::SettledAt, Expr::value(now)),
                    AppError::new(ErrorCode::OrderNotRefundable, "refund already final"),
                ))
                .guard(Guard::new(
                    orders::Entity::update_many()
                        .col_expr(orders::Column::RefundReservedFen, reserved)
                        .filter(orders::Column::Id.eq(row.order_id)),
                    AppError::new(ErrorCode::OrderNotRefundable, "order vanished"),
                )),
            )
            .await;
            match outcome {
                Ok(_) | Err(AppError::Client { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(pay_refunds::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .unwrap_or(row))
}

/// A payment for an order closed locally: refunded in full, once (`A<out_trade_no>`).
pub(super) async fn refund_late_payment(
    db: &DatabaseConnection,
    pay: &PayClient,
    order: &orders::Model,
    transaction_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    // Record the transaction on the closed order (once), then reserve and ask.
    orders::Entity::update_many()
        .col_expr(orders::Column::TransactionId, Expr::value(transaction_id))
        .filter(orders::Column::Id.eq(order.id))
        .filter(orders::Column::TransactionId.is_null())
        .exec(db)
        .await?;
    let order = super::order(db, order.id).await?;
    let no = format!("A{}", order.out_trade_no);
    let row = reserve(
        db,
        &order,
        &no,
        "automatic",
        order.amount_fen,
        Some("paid after the order was closed".into()),
        Requester::Automatic,
        now,
    )
    .await?;
    struct Nothing;
    impl Fulfil for Nothing {
        fn paid<'a>(
            &'a self,
            _: &'a sea_orm::DatabaseTransaction,
            _: &'a orders::Model,
            _: DateTime<Utc>,
        ) -> futures_util::future::BoxFuture<'a, Result<(), AppError>> {
            Box::pin(async { Ok(()) })
        }
        fn refunded<'a>(
            &'a self,
            _: &'a sea_orm::DatabaseTransaction,
            _: &'a orders::Model,
            _: &'a pay_refunds::Model,
            _: DateTime<Utc>,
        ) -> futures_util::future::BoxFuture<'a, Result<(), AppError>> {
            Box::pin(async { Ok(()) })
        }
    }
    // WeChat Pay unreachable: the reconciliation job asks again with the same number.
    if let Err(e) = ask_wechat(db, pay, &Nothing, &order, row, now).await {
        tracing::warn!(order = order.id, error = %e, "automatic refund not accepted yet");
    }
    Ok(())
}

/// Refunds without a final state: `requested` ones are asked again (same number), others are
/// queried.
pub(super) async fn reconcile_refunds(
    db: &DatabaseConnection,
    pay: &PayClient,
    fulfil: &dyn Fulfil,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u32, AppError> {
    let open = pay_refunds::Entity::find()
        .filter(pay_refunds::Column::State.is_in([
            refund_state::REQUESTED,
            refund_state::PROCESSING,
            refund_state::ABNORMAL,
        ]))
        .filter(pay_refunds::Column::UpdatedAt.lte(now - Duration::minutes(1)))
        .limit(batch)
        .all(db)
        .await?;
    let mut settled = 0;
    for row in open {
        let order = super::order(db, row.order_id).await?;
        let result = if row.state == refund_state::REQUESTED {
            ask_wechat(db, pay, fulfil, &order, row.clone(), now).await
        } else {
            match pay.query_refund(&row.out_refund_no).await {
                Ok(answer) => {
                    settle_refund(
                        db,
                        fulfil,
                        &row.out_refund_no,
                        answer.status,
                        Some(&answer.refund_id),
                        now,
                    )
                    .await
                }
                Err(e) => Err(unavailable(&e)),
            }
        };
        match result {
            Ok(r) if r.state == refund_state::SUCCESS || r.state == refund_state::CLOSED => {
                settled += 1;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(refund = row.id, error = %e, "refund still open"),
        }
    }
    Ok(settled)
}
