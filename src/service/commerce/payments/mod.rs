//! Payments through WeChat Pay: one `pay_orders` table for everything that is paid (membership
//! now, shop orders next). Knows nothing of what was bought: a [`Fulfil`] given by the caller
//! applies a payment or a refund to its purpose, in the transaction that records it.
//!
//! - States: `created → paid → partially_refunded → refunded`, `created → closed`; every
//!   transition is a guarded update plus a `pay_order_events` row through [`ledger::apply`],
//!   keyed by what must happen once (`paid:<transaction_id>`, `refund:<out_refund_no>`, ...).
//! - A notification is verified, decrypted and compared (`mchid`, `appid`, `out_trade_no`,
//!   `amount.total`) before anything is applied; a mismatch is a `pay_alarms` row.
//! - A payment for an order closed locally is refunded automatically, once (`out_refund_no`
//!   `A<out_trade_no>`).
//! - Unpaid orders close at their persisted `close_due_at` (30 minutes); [`reconcile`] asks
//!   WeChat Pay about orders and refunds whose notification has not come.
//! - Refunds reserve their amount with `refund_reserved_fen + x <= amount_fen` before WeChat Pay
//!   is asked, so parallel partial refunds never exceed what was paid.

pub mod notify;
mod refunds;

use chrono::{DateTime, Duration, Utc};
use entity::{pay_alarms, pay_order_events as events, pay_orders as orders, pay_refunds};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;

use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard, Outcome};
use crate::wechat::pay::{PayClient, PayError, PayParams, types::Transaction};

pub use refunds::{RefundRequest, refund, settle_refund};

pub const CLOSE_AFTER: Duration = Duration::minutes(30);

pub mod state {
    pub const CREATED: &str = "created";
    pub const PAID: &str = "paid";
    pub const PARTIALLY_REFUNDED: &str = "partially_refunded";
    pub const REFUNDED: &str = "refunded";
    pub const CLOSED: &str = "closed";
}

/// Applies a payment or a refund to what was bought, inside the transaction that records it.
pub trait Fulfil: Send + Sync {
    fn paid<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a orders::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>>;

    /// A refund confirmed by WeChat Pay; `order.refunded_fen` already includes it.
    fn refunded<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a orders::Model,
        refund: &'a pay_refunds::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>>;
}

pub fn disabled() -> AppError {
    AppError::new(
        ErrorCode::PaymentDisabled,
        "WeChat Pay is not configured on this server",
    )
}

pub(crate) fn unavailable(e: &PayError) -> AppError {
    tracing::warn!(error = %e, "WeChat Pay call failed");
    AppError::new(ErrorCode::PaymentUnavailable, format!("WeChat Pay: {e}"))
}

/// What a member's order looks like to them and to operators.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i32,
    pub out_trade_no: String,
    pub purpose: String,
    pub reference: String,
    pub amount_fen: i64,
    pub refunded_fen: i64,
    /// `created`, `paid`, `partially_refunded`, `refunded` or `closed`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&orders::Model> for OrderView {
    fn from(o: &orders::Model) -> Self {
        Self {
            id: o.id,
            out_trade_no: o.out_trade_no.clone(),
            purpose: o.purpose.clone(),
            reference: o.reference.clone(),
            amount_fen: o.amount_fen,
            refunded_fen: o.refunded_fen,
            state: o.state.clone(),
            created_at: o.created_at,
            paid_at: o.paid_at,
            closed_at: o.closed_at,
        }
    }
}

pub struct NewOrder<'a> {
    pub member_id: i32,
    pub openid: &'a str,
    pub purpose: &'a str,
    pub reference: &'a str,
    pub amount_fen: i64,
    pub description: &'a str,
    pub request_id: &'a str,
    /// How long the parent has to pay: WeChat Pay's `time_expire` and our `close_due_at`
    /// ([`CLOSE_AFTER`] unless what is bought holds something for less, such as a seat).
    pub pay_within: Duration,
}

pub struct Created {
    pub order: orders::Model,
    pub pay_params: PayParams,
}

fn new_out_trade_no(now: DateTime<Utc>) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "BV{}{}",
        now.format("%Y%m%d%H%M%S"),
        hex::encode_upper(bytes)
    )
}

#[allow(clippy::too_many_arguments)]
fn event(
    order_id: i32,
    kind: &str,
    key: String,
    from: Option<&str>,
    to: Option<&str>,
    amount_fen: i64,
    transaction_id: Option<String>,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> events::ActiveModel {
    events::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind.to_owned()),
        idem_key: Set(key),
        from_state: Set(from.map(str::to_owned)),
        to_state: Set(to.map(str::to_owned)),
        amount_fen: Set(amount_fen),
        transaction_id: Set(transaction_id),
        detail: Set(detail),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Creates (or, for a `request_id` seen before, finds) the member's order and its prepay id,
/// and answers the `wx.requestPayment` parameters.
pub async fn create_order(
    db: &DatabaseConnection,
    pay: &PayClient,
    new: NewOrder<'_>,
    now: DateTime<Utc>,
) -> Result<Created, AppError> {
    let existing = orders::Entity::find()
        .filter(orders::Column::MemberId.eq(new.member_id))
        .filter(orders::Column::Purpose.eq(new.purpose))
        .filter(orders::Column::RequestId.eq(new.request_id))
        .one(db)
        .await?;
    let order = match existing {
        Some(o) => o,
        None => {
            let txn = db.begin().await?;
            let order = insert_order(&txn, &new, now).await?;
            txn.commit().await?;
            order
        }
    };
    prepay(db, pay, order, now).await
}

/// Inserts the member's order (or finds the one of the same `request_id`) inside the caller's
/// transaction, without asking WeChat Pay: for what is bought in the same transaction as its
/// order is made (a shop order holds its stock, coupon and points there). [`prepay`] next.
pub async fn insert_order<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    new: &NewOrder<'_>,
    now: DateTime<Utc>,
) -> Result<orders::Model, AppError> {
    let find = || {
        orders::Entity::find()
            .filter(orders::Column::MemberId.eq(new.member_id))
            .filter(orders::Column::Purpose.eq(new.purpose))
            .filter(orders::Column::RequestId.eq(new.request_id))
    };
    // The write first (SQLite's write lock before any read), then the read.
    let inserted = orders::Entity::insert(orders::ActiveModel {
        out_trade_no: Set(new_out_trade_no(now)),
        purpose: Set(new.purpose.to_owned()),
        reference: Set(new.reference.to_owned()),
        member_id: Set(Some(new.member_id)),
        openid: Set(Some(new.openid.to_owned())),
        request_id: Set(Some(new.request_id.to_owned())),
        description: Set(new.description.to_owned()),
        amount_fen: Set(new.amount_fen),
        refund_reserved_fen: Set(0),
        refunded_fen: Set(0),
        state: Set(state::CREATED.to_owned()),
        close_due_at: Set(now + new.pay_within),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            orders::Column::MemberId,
            orders::Column::Purpose,
            orders::Column::RequestId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .do_nothing()
    .exec(txn)
    .await?;
    if let sea_orm::TryInsertResult::Inserted(r) = inserted {
        let id = r.last_insert_id;
        ledger::apply(
            txn,
            Entry::new(event(
                id,
                "created",
                format!("created:{id}"),
                None,
                Some(state::CREATED),
                new.amount_fen,
                None,
                None,
                now,
            ))
            .keyed_by([events::Column::IdemKey]),
        )
        .await?;
    }
    find()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))
}

/// Asks WeChat Pay for the order's prepay id (once; kept on the order) and answers the
/// `wx.requestPayment` parameters. Refused when the order is not awaiting payment.
pub async fn prepay(
    db: &DatabaseConnection,
    pay: &PayClient,
    order: orders::Model,
    now: DateTime<Utc>,
) -> Result<Created, AppError> {
    if order.state != state::CREATED {
        return Err(AppError::new(
            ErrorCode::PaymentUnavailable,
            format!("order {} is {}", order.out_trade_no, order.state),
        ));
    }
    let prepay_id = match &order.prepay_id {
        Some(id) => id.clone(),
        None => {
            let expire = order
                .close_due_at
                .with_timezone(&crate::domain::time::shanghai())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let openid = order.openid.clone().unwrap_or_default();
            let id = pay
                .jsapi_prepay(
                    &order.out_trade_no,
                    &order.description,
                    order.amount_fen,
                    &openid,
                    Some(expire),
                )
                .await
                .map_err(|e| unavailable(&e))?;
            orders::Entity::update_many()
                .col_expr(orders::Column::PrepayId, Expr::value(id.clone()))
                .filter(orders::Column::Id.eq(order.id))
                .exec(db)
                .await?;
            id
        }
    };
    let pay_params = pay.config().pay_params(&prepay_id, now.timestamp());
    let order = orders::Entity::find_by_id(order.id)
        .one(db)
        .await?
        .unwrap_or(order);
    Ok(Created { order, pay_params })
}

/// The member's own order; another member's is not found.
pub async fn order_of_member(
    db: &DatabaseConnection,
    member_id: i32,
    order_id: i32,
) -> Result<orders::Model, AppError> {
    orders::Entity::find_by_id(order_id)
        .filter(orders::Column::MemberId.eq(member_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::PayOrderNotFound, "no such order among yours"))
}

pub async fn order(db: &DatabaseConnection, order_id: i32) -> Result<orders::Model, AppError> {
    orders::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::PayOrderNotFound, "no such order"))
}

pub async fn orders_of_member(
    db: &DatabaseConnection,
    member_id: i32,
) -> Result<Vec<orders::Model>, AppError> {
    Ok(orders::Entity::find()
        .filter(orders::Column::MemberId.eq(member_id))
        .order_by_desc(orders::Column::Id)
        .all(db)
        .await?)
}

pub async fn refunds_of_order(
    db: &DatabaseConnection,
    order_id: i32,
) -> Result<Vec<pay_refunds::Model>, AppError> {
    Ok(pay_refunds::Entity::find()
        .filter(pay_refunds::Column::OrderId.eq(order_id))
        .order_by_asc(pay_refunds::Column::Id)
        .all(db)
        .await?)
}

pub async fn alarms(db: &DatabaseConnection) -> Result<Vec<pay_alarms::Model>, AppError> {
    Ok(pay_alarms::Entity::find()
        .order_by_asc(pay_alarms::Column::Id)
        .all(db)
        .await?)
}

async fn alarm(
    db: &impl ConnectionTrait,
    kind: &str,
    out_trade_no: Option<&str>,
    transaction_id: Option<&str>,
    detail: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tracing::error!(kind, out_trade_no, transaction_id, %detail, "payment alarm");
    pay_alarms::ActiveModel {
        kind: Set(kind.to_owned()),
        out_trade_no: Set(out_trade_no.map(str::to_owned)),
        transaction_id: Set(transaction_id.map(str::to_owned)),
        detail: Set(detail),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What applying a transaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Paid now (and fulfilled).
    Paid,
    /// Seen before: nothing changed.
    Repeat,
    /// Paid after the order was closed: refunded automatically.
    LateRefunded,
    /// Did not match the order: an alarm, nothing applied.
    Mismatch,
    /// WeChat Pay says it is not paid (query answers only).
    NotPaid,
}

/// Compares a transaction (from a notification or a query) with the local order and applies it.
pub async fn apply_transaction(
    db: &DatabaseConnection,
    pay: &PayClient,
    tx: &Transaction,
    fulfil: &dyn Fulfil,
    now: DateTime<Utc>,
) -> Result<Applied, AppError> {
    let cfg = pay.config();
    let Some(order) = orders::Entity::find()
        .filter(orders::Column::OutTradeNo.eq(tx.out_trade_no.as_str()))
        .one(db)
        .await?
    else {
        alarm(
            db,
            "unknown_order",
            Some(&tx.out_trade_no),
            tx.transaction_id.as_deref(),
            "a transaction for an out_trade_no we never issued".into(),
            now,
        )
        .await?;
        return Ok(Applied::Mismatch);
    };
    if tx.trade_state != "SUCCESS" {
        return Ok(Applied::NotPaid);
    }
    let total = tx.amount.as_ref().map(|a| a.total);
    let mismatch = if tx.mchid != cfg.signer.mchid {
        Some(("mchid_mismatch", format!("mchid {} is not ours", tx.mchid)))
    } else if tx.appid != cfg.appid {
        Some(("appid_mismatch", format!("appid {} is not ours", tx.appid)))
    } else if total != Some(order.amount_fen) {
        Some((
            "amount_mismatch",
            format!(
                "amount.total {total:?} but the order is {} fen",
                order.amount_fen
            ),
        ))
    } else if tx.transaction_id.as_deref().is_none_or(str::is_empty) {
        Some((
            "no_transaction_id",
            "SUCCESS without a transaction_id".into(),
        ))
    } else {
        None
    };
    if let Some((kind, detail)) = mismatch {
        alarm(
            db,
            kind,
            Some(&tx.out_trade_no),
            tx.transaction_id.as_deref(),
            detail,
            now,
        )
        .await?;
        return Ok(Applied::Mismatch);
    }
    let transaction_id = tx.transaction_id.clone().unwrap_or_default();
    if order
        .transaction_id
        .as_deref()
        .is_some_and(|t| t != transaction_id)
    {
        alarm(
            db,
            "second_transaction",
            Some(&tx.out_trade_no),
            Some(&transaction_id),
            format!("order already paid by {:?}", order.transaction_id),
            now,
        )
        .await?;
        return Ok(Applied::Mismatch);
    }
    let txn = db.begin().await?;
    let outcome = ledger::apply(
        &txn,
        Entry::new(event(
            order.id,
            "paid",
            format!("paid:{transaction_id}"),
            Some(state::CREATED),
            Some(state::PAID),
            order.amount_fen,
            Some(transaction_id.clone()),
            None,
            now,
        ))
        .keyed_by([events::Column::IdemKey])
        .guard(Guard::transition(
            orders::Entity::update_many()
                .col_expr(
                    orders::Column::TransactionId,
                    Expr::value(transaction_id.clone()),
                )
                .col_expr(orders::Column::PaidAt, Expr::value(now))
                .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                .filter(orders::Column::Id.eq(order.id)),
            orders::Column::State,
            state::CREATED,
            state::PAID,
            AppError::new(ErrorCode::OrderNotRefundable, "not awaiting payment"),
        )),
    )
    .await;
    match outcome {
        Ok(Outcome::Applied(_)) => {
            let paid = orders::Entity::find_by_id(order.id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
            fulfil.paid(&txn, &paid, now).await?;
            txn.commit().await?;
            Ok(Applied::Paid)
        }
        Ok(Outcome::Replayed(_)) => {
            txn.commit().await?;
            Ok(Applied::Repeat)
        }
        Err(AppError::Client { .. }) => {
            drop(txn);
            // Not awaiting payment: closed locally (a late payment), or paid by this very
            // transaction in a race we lost.
            let current = orders::Entity::find_by_id(order.id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
            if current.state == state::CLOSED {
                refunds::refund_late_payment(db, pay, &current, &transaction_id, now).await?;
                Ok(Applied::LateRefunded)
            } else {
                Ok(Applied::Repeat)
            }
        }
        Err(e) => Err(e),
    }
}

/// Closes an unpaid order here, inside the caller's transaction, for the purpose that gives up
/// what it held (an unpaid shop order cancelled, a seat released). `false` when it is not
/// awaiting payment any more: paid meanwhile, so the caller must keep what was bought. A
/// payment that arrives after the close is refunded automatically ([`apply_transaction`]).
pub async fn close_unpaid<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    order: &orders::Model,
    why: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    close_locally(db, order, why, now).await
}

/// Closes `order` locally (guarded: only from `created`).
async fn close_locally<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    order: &orders::Model,
    why: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let outcome = ledger::apply(
        db,
        Entry::new(event(
            order.id,
            "closed",
            format!("closed:{}", order.id),
            Some(state::CREATED),
            Some(state::CLOSED),
            0,
            None,
            Some(why.to_owned()),
            now,
        ))
        .keyed_by([events::Column::IdemKey])
        .guard(Guard::transition(
            orders::Entity::update_many()
                .col_expr(orders::Column::ClosedAt, Expr::value(now))
                .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                .filter(orders::Column::Id.eq(order.id)),
            orders::Column::State,
            state::CREATED,
            state::CLOSED,
            AppError::new(ErrorCode::OrderNotRefundable, "not open"),
        )),
    )
    .await;
    match outcome {
        Ok(Outcome::Applied(_)) => Ok(true),
        Ok(Outcome::Replayed(_)) | Err(AppError::Client { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What one [`reconcile`] pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub paid: u32,
    pub closed: u32,
    pub refunds_settled: u32,
}

/// Orders still `created` a while after they were made are asked about: paid ones are applied
/// (a lost notification costs no one their purchase); unpaid ones past `close_due_at` are
/// closed at WeChat Pay, then here. Refunds without a final state are asked about too.
pub async fn reconcile(
    db: &DatabaseConnection,
    pay: &PayClient,
    fulfil: &dyn Fulfil,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Reconciled, AppError> {
    let mut done = Reconciled::default();
    let open = orders::Entity::find()
        .filter(orders::Column::State.eq(state::CREATED))
        .filter(orders::Column::CreatedAt.lte(now - Duration::minutes(2)))
        .order_by_asc(orders::Column::CloseDueAt)
        .limit(batch)
        .all(db)
        .await?;
    for order in open {
        let tx = match pay.query_by_out_trade_no(&order.out_trade_no).await {
            Ok(tx) => Some(tx),
            Err(e) if e.code() == Some("ORDER_NOT_EXIST") => None,
            Err(e) => {
                tracing::warn!(order = order.id, error = %e, "query failed; next pass");
                continue;
            }
        };
        if let Some(tx) = &tx
            && tx.trade_state == "SUCCESS"
        {
            if apply_transaction(db, pay, tx, fulfil, now).await? == Applied::Paid {
                done.paid += 1;
            }
            continue;
        }
        if order.close_due_at > now {
            continue;
        }
        if tx.is_some() {
            match pay.close(&order.out_trade_no).await {
                Ok(()) => {}
                // Paid meanwhile: the next pass (or the notification) applies it.
                Err(e) if e.code() == Some("ORDER_PAID") => continue,
                Err(e) => {
                    tracing::warn!(order = order.id, error = %e, "close failed; next pass");
                    continue;
                }
            }
        }
        if close_locally(db, &order, "unpaid after 30 minutes", now).await? {
            done.closed += 1;
        }
    }
    done.refunds_settled = refunds::reconcile_refunds(db, pay, fulfil, now, batch).await?;
    Ok(done)
}

/// `state` after a confirmed refund: closed orders stay closed.
fn refunded_state(refund_fen: i64) -> SimpleExpr {
    Expr::case(
        Expr::col(orders::Column::State).eq(state::CLOSED),
        state::CLOSED,
    )
    .case(
        Expr::expr(Expr::col(orders::Column::RefundedFen).add(refund_fen))
            .gte(Expr::col(orders::Column::AmountFen)),
        state::REFUNDED,
    )
    .finally(state::PARTIALLY_REFUNDED)
    .into()
}
