//! The seam between payments and what is bought: a payment or refund is applied to its order's
//! purpose (the membership, the shop, event bookings). Routes and jobs call these.

use chrono::{DateTime, Utc};
use entity::{pay_orders, pay_refunds};
use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::payments::{self, Fulfil, RefundRequest, notify};
use super::{events, membership, shop};
use crate::error::AppError;
use crate::wechat::pay::{PayClient, SignedHeaders};

/// Dispatches on `pay_orders.purpose`.
pub struct Purposes;

impl Fulfil for Purposes {
    fn paid<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        match order.purpose.as_str() {
            membership::PURPOSE => membership::Fulfilment.paid(txn, order, now),
            shop::PURPOSE => shop::Fulfilment.paid(txn, order, now),
            events::PURPOSE => events::Fulfilment.paid(txn, order, now),
            other => {
                let other = other.to_owned();
                Box::pin(async move {
                    Err(AppError::Internal(anyhow::anyhow!(
                        "paid order of unknown purpose {other}"
                    )))
                })
            }
        }
    }

    fn refunded<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        refund: &'a pay_refunds::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        match order.purpose.as_str() {
            membership::PURPOSE => membership::Fulfilment.refunded(txn, order, refund, now),
            shop::PURPOSE => shop::Fulfilment.refunded(txn, order, refund, now),
            events::PURPOSE => events::Fulfilment.refunded(txn, order, refund, now),
            _ => Box::pin(async { Ok(()) }),
        }
    }
}

pub async fn pay_notify(
    db: &DatabaseConnection,
    pay: &PayClient,
    headers: SignedHeaders<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<notify::Answer, AppError> {
    notify::handle(db, pay, &Purposes, headers, body, now).await
}

pub async fn reconcile(
    db: &DatabaseConnection,
    pay: &PayClient,
    now: DateTime<Utc>,
) -> Result<payments::Reconciled, AppError> {
    payments::reconcile(db, pay, &Purposes, now, 100).await
}

pub async fn refund(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    order_id: i32,
    req: RefundRequest<'_>,
    now: DateTime<Utc>,
) -> Result<pay_refunds::Model, AppError> {
    let pay = pay.ok_or_else(payments::disabled)?;
    payments::refund(db, pay, &Purposes, order_id, req, now).await
}
