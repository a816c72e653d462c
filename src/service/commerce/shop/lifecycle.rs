//! What happens to a shop order after it is made: paid (by WeChat Pay, or at once when nothing
//! is left to pay), cancelled (by the parent, or by the job at its persisted `pay_due_at`),
//! shipped, received (by the parent, or by the job 10 days after shipping), refund requested,
//! refunded or refused. Every change is a guarded transition plus an event row through
//! [`ledger::apply`], keyed by what must happen once.
//!
//! The refund rule: an approved refund returns the whole payable through WeChat Pay; when it is
//! confirmed, the points paid with are given back, the coupon goes back to `unused` (usable
//! until its own end), the stock goes back to the SKU (or the mall item) only if the order had
//! not shipped (a shipped parcel comes back by post, outside the system), the member's flash-sale
//! units are freed, and the points the purchase earned are taken back as far as the balance
//! goes (points already spent stay spent).

use chrono::{DateTime, Utc};
use entity::{
    coupons, pay_orders, pay_refunds, shop_flash_purchases, shop_flash_sales, shop_mall_items,
    shop_order_events as events, shop_order_items as items, shop_orders as orders, shop_skus,
};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::status::{
    CANCELLED, PAID, PENDING_PAYMENT, RECEIVED, REFUND_REQUESTED, REFUNDED, REFUNDING, SHIPPED,
};
use super::{AUTO_CONFIRM_AFTER, PURPOSE};
use crate::error::{AppError, ErrorCode};
use crate::service::commerce::coupons::state::{LOCKED, UNUSED, USED};
use crate::service::commerce::payments::{self, Fulfil};
use crate::service::ledger::{self, Entry, Guard, Outcome};
use crate::service::points;
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::required_text;

pub(crate) fn not_found() -> AppError {
    AppError::new(ErrorCode::ShopOrderNotFound, "no such shop order")
}

pub(crate) fn conflict(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::OrderStateConflict, message)
}

fn target(id: i32) -> Option<Target> {
    Some(Target {
        kind: "shop_order",
        id: id.to_string(),
    })
}

/// The points reference of an order's spend and its return.
pub(crate) fn points_reference(order_id: i32) -> String {
    format!("order:{order_id}")
}

pub(crate) fn event(
    order_id: i32,
    kind: &str,
    key: String,
    from: Option<&str>,
    to: Option<&str>,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> events::ActiveModel {
    events::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind.to_owned()),
        idem_key: Set(key),
        from_status: Set(from.map(str::to_owned)),
        to_status: Set(to.map(str::to_owned)),
        detail: Set(detail),
        created_at: Set(now),
        ..Default::default()
    }
}

/// `from → to` on the order, with its event keyed `<kind>:<id>`; `update` may set more columns.
pub(crate) fn transition(
    order_id: i32,
    kind: &str,
    from: &str,
    to: &str,
    detail: Option<String>,
    update: sea_orm::UpdateMany<orders::Entity>,
    now: DateTime<Utc>,
) -> Entry<events::ActiveModel> {
    Entry::new(event(
        order_id,
        kind,
        format!("{kind}:{order_id}"),
        Some(from),
        Some(to),
        detail,
        now,
    ))
    .keyed_by([events::Column::IdemKey])
    .guard(Guard::transition(
        update
            .col_expr(orders::Column::UpdatedAt, Expr::value(now))
            .filter(orders::Column::Id.eq(order_id)),
        orders::Column::Status,
        from,
        to,
        conflict(format!("the order is not {from}")),
    ))
}

async fn order_items<C: ConnectionTrait>(
    db: &C,
    order_id: i32,
) -> Result<Vec<items::Model>, AppError> {
    Ok(items::Entity::find()
        .filter(items::Column::OrderId.eq(order_id))
        .order_by_asc(items::Column::Id)
        .all(db)
        .await?)
}

/// `pending_payment → paid` inside `txn`: the coupon `locked → used`, and the points the
/// payment earns (`paid` set: a WeChat Pay payment of that many fen, once per out_trade_no).
pub(crate) async fn mark_paid(
    txn: &DatabaseTransaction,
    order: &orders::Model,
    paid: Option<&pay_orders::Model>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    // A group order waits for its group; the group's filling moves it on.
    let (kind, to) = if order.group_id.is_some() {
        ("group_paid", super::status::AWAITING_GROUP)
    } else {
        ("paid", PAID)
    };
    let mut entry = transition(
        order.id,
        kind,
        PENDING_PAYMENT,
        to,
        paid.map(|p| p.out_trade_no.clone()),
        orders::Entity::update_many().col_expr(orders::Column::PaidAt, Expr::value(now)),
        now,
    );
    if let Some(coupon) = order.coupon_id {
        entry = entry.guard(Guard::transition(
            coupons::Entity::update_many()
                .col_expr(coupons::Column::UsedAt, Expr::value(now))
                .filter(coupons::Column::Id.eq(coupon)),
            coupons::Column::Status,
            LOCKED,
            USED,
            AppError::Internal(anyhow::anyhow!(
                "coupon {coupon} of order {} not locked",
                order.id
            )),
        ));
    }
    if ledger::apply(txn, entry).await?.is_replay() {
        return Ok(());
    }
    if let Some(group_id) = order.group_id {
        super::groups::paid(txn, group_id, now).await?;
    }
    if let (Some(member_id), Some(paid)) = (order.member_id, paid) {
        // A reward, not part of the payment: a refusal or fault is logged, the payment stands.
        match points::earn::credit_purchase(
            txn,
            member_id,
            &paid.out_trade_no,
            paid.amount_fen,
            now,
        )
        .await
        {
            Ok(Some(earned)) if earned.points > 0 && !earned.replayed => {
                orders::Entity::update_many()
                    .col_expr(orders::Column::PointsEarned, Expr::value(earned.points))
                    .filter(orders::Column::Id.eq(order.id))
                    .exec(txn)
                    .await?;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(order = order.id, error = %e, "points for a shop purchase failed")
            }
        }
    }
    Ok(())
}

/// Applies payments and refunds of `shop` pay orders (see `checkout::Purposes`).
pub struct Fulfilment;

fn order_id_of(order: &pay_orders::Model) -> Result<i32, AppError> {
    order.reference.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "shop pay order {} with reference {:?}",
            order.id,
            order.reference
        ))
    })
}

impl Fulfil for Fulfilment {
    fn paid<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(async move {
            let id = order_id_of(order)?;
            let shop = orders::Entity::find_by_id(id)
                .one(txn)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("shop order {id} missing")))?;
            // A cancel closes the pay order in its own transaction, so a paid pay order's shop
            // order is always awaiting payment.
            if shop.status != PENDING_PAYMENT {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "shop order {id} is {} but its pay order was paid",
                    shop.status
                )));
            }
            mark_paid(txn, &shop, Some(order), now).await
        })
    }

    fn refunded<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        order: &'a pay_orders::Model,
        refund: &'a pay_refunds::Model,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(async move {
            let id = order_id_of(order)?;
            let Some(shop) = orders::Entity::find_by_id(id).one(txn).await? else {
                return Ok(());
            };
            if shop.status == REFUNDING {
                finish_refund(txn, &shop, now).await?;
            } else {
                // The automatic refund of a payment after the cancel, or an operator's refund
                // through the pay-orders route: nothing of the order changes.
                tracing::info!(order = id, refund = refund.id, status = %shop.status, "refund of a shop pay order outside the shop's refund flow");
            }
            Ok(())
        })
    }
}

/// Puts back what an order held (stock, flash-sale units, coupon, points) in `txn`, after its
/// transition was applied. `restock`: the goods go back to stock.
async fn give_back(
    txn: &DatabaseTransaction,
    order: &orders::Model,
    restock: bool,
    coupon_from: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let lines = order_items(txn, order.id).await?;
    let quantity: i64 = lines.iter().map(|l| i64::from(l.quantity)).sum();
    if let (Some(sale_id), Some(member_id)) = (order.flash_sale_id, order.member_id) {
        shop_flash_purchases::Entity::update_many()
            .col_expr(
                shop_flash_purchases::Column::Quantity,
                Expr::col(shop_flash_purchases::Column::Quantity).sub(quantity),
            )
            .filter(shop_flash_purchases::Column::FlashSaleId.eq(sale_id))
            .filter(shop_flash_purchases::Column::MemberId.eq(member_id))
            .filter(shop_flash_purchases::Column::Quantity.gte(quantity))
            .exec(txn)
            .await?;
    }
    if restock {
        if let Some(sale_id) = order.flash_sale_id {
            // The unit goes back to the sale while it runs, else to the SKU.
            let back = shop_flash_sales::Entity::update_many()
                .col_expr(
                    shop_flash_sales::Column::Stock,
                    Expr::col(shop_flash_sales::Column::Stock).add(quantity),
                )
                .col_expr(shop_flash_sales::Column::UpdatedAt, Expr::value(now))
                .filter(shop_flash_sales::Column::Id.eq(sale_id))
                .filter(shop_flash_sales::Column::Status.eq(super::flash::ACTIVE))
                .filter(shop_flash_sales::Column::EndsAt.gt(now))
                .exec(txn)
                .await?;
            if back.rows_affected == 0 {
                for l in &lines {
                    restock_sku(txn, l, now).await?;
                }
            }
        } else if let Some(item) = order.mall_item_id {
            shop_mall_items::Entity::update_many()
                .col_expr(
                    shop_mall_items::Column::Stock,
                    Expr::col(shop_mall_items::Column::Stock).add(quantity),
                )
                .filter(shop_mall_items::Column::Id.eq(item))
                .exec(txn)
                .await?;
        } else {
            for l in &lines {
                restock_sku(txn, l, now).await?;
            }
        }
    }
    if let Some(coupon) = order.coupon_id {
        coupons::Entity::update_many()
            .col_expr(coupons::Column::Status, Expr::value(UNUSED))
            .col_expr(
                coupons::Column::UsedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(coupons::Column::Id.eq(coupon))
            .filter(coupons::Column::Status.eq(coupon_from))
            .exec(txn)
            .await?;
    }
    if let Some(member_id) = order.member_id
        && order.points > 0
    {
        points::spend::give_back(txn, member_id, PURPOSE, &points_reference(order.id), now).await?;
    }
    Ok(())
}

async fn restock_sku(
    txn: &DatabaseTransaction,
    line: &items::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(sku) = line.sku_id {
        shop_skus::Entity::update_many()
            .col_expr(
                shop_skus::Column::Stock,
                Expr::col(shop_skus::Column::Stock).add(i64::from(line.quantity)),
            )
            .col_expr(shop_skus::Column::UpdatedAt, Expr::value(now))
            .filter(shop_skus::Column::Id.eq(sku))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Cancels an unpaid order (the member's, when `member_id` is given): its pay order closed in
/// the same transaction (a payment that arrives later is refunded by payments), then stock,
/// flash-sale unit, coupon and points given back, once. `false`: cancelled before.
/// 409 `order_state_conflict` when it is not awaiting payment (paid meanwhile).
pub async fn cancel(
    db: &DatabaseConnection,
    order_id: i32,
    member_id: Option<i32>,
    why: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let mut find = orders::Entity::find_by_id(order_id);
    if let Some(m) = member_id {
        find = find.filter(orders::Column::MemberId.eq(m));
    }
    let order = find.one(db).await?.ok_or_else(not_found)?;
    if order.status == CANCELLED {
        return Ok(false);
    }
    if order.status != PENDING_PAYMENT {
        return Err(conflict(format!("the order is {}", order.status)));
    }
    let txn = db.begin().await?;
    // Locks in the order a payment takes them: the pay order's row, then the shop order's.
    // (On SQLite the first write takes the database's write lock before anything is read.)
    if let Some(po_id) = order.pay_order_id {
        pay_orders::Entity::update_many()
            .col_expr(
                pay_orders::Column::UpdatedAt,
                Expr::col(pay_orders::Column::UpdatedAt).into(),
            )
            .filter(pay_orders::Column::Id.eq(po_id))
            .exec(&txn)
            .await?;
        let po = pay_orders::Entity::find_by_id(po_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("pay order {po_id} missing")))?;
        if !payments::close_unpaid(&txn, &po, why, now).await? {
            let state = pay_orders::Entity::find_by_id(po_id)
                .one(&txn)
                .await?
                .map(|p| p.state)
                .unwrap_or_default();
            // Closed already (payments' reconciliation closes unpaid orders at the same due
            // time): the cancel goes on. Otherwise it was paid meanwhile.
            if state != payments::state::CLOSED {
                return Err(conflict("the order was paid meanwhile"));
            }
        }
    } else {
        orders::Entity::update_many()
            .col_expr(
                orders::Column::UpdatedAt,
                Expr::col(orders::Column::UpdatedAt).into(),
            )
            .filter(orders::Column::Id.eq(order_id))
            .exec(&txn)
            .await?;
    }
    let entry = transition(
        order_id,
        "cancelled",
        PENDING_PAYMENT,
        CANCELLED,
        Some(why.to_owned()),
        orders::Entity::update_many(),
        now,
    );
    match ledger::apply(&txn, entry).await {
        Ok(Outcome::Applied(_)) => {}
        Ok(Outcome::Replayed(_)) => return Ok(false),
        Err(AppError::Client { .. }) => {
            let now_status = orders::Entity::find_by_id(order_id)
                .one(&txn)
                .await?
                .map(|o| o.status)
                .unwrap_or_default();
            if now_status == CANCELLED {
                return Ok(false);
            }
            return Err(conflict(format!("the order is {now_status}")));
        }
        Err(e) => return Err(e),
    }
    give_back(&txn, &order, true, LOCKED, now).await?;
    super::groups::released(&txn, &order, now).await?;
    txn.commit().await?;
    Ok(true)
}

/// What one pass of the shop job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub cancelled: u32,
    pub confirmed: u32,
    pub sales_ended: u32,
    pub groups_failed: u32,
}

/// Unpaid orders past `pay_due_at` cancelled; shipped orders past `confirm_due_at` received;
/// flash sales past their end ended (unsold stock back to the SKU). Safe to run on several
/// instances at once: every change is a guarded transition.
pub async fn sweep(
    db: &DatabaseConnection,
    pay: Option<&crate::wechat::pay::PayClient>,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Swept, AppError> {
    let mut done = Swept::default();
    let due: Vec<i32> = orders::Entity::find()
        .select_only()
        .column(orders::Column::Id)
        .filter(orders::Column::Status.eq(PENDING_PAYMENT))
        .filter(orders::Column::PayDueAt.lte(now))
        .order_by_asc(orders::Column::PayDueAt)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    for id in due {
        match cancel(db, id, None, "unpaid after 30 minutes", now).await {
            Ok(true) => done.cancelled += 1,
            Ok(false) | Err(AppError::Client { .. }) => {}
            Err(e) => tracing::warn!(order = id, error = %e, "shop cancel failed; next pass"),
        }
    }
    let confirm: Vec<i32> = orders::Entity::find()
        .select_only()
        .column(orders::Column::Id)
        .filter(orders::Column::Status.eq(SHIPPED))
        .filter(orders::Column::ConfirmDueAt.lte(now))
        .order_by_asc(orders::Column::ConfirmDueAt)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    for id in confirm {
        match receive(
            db,
            id,
            None,
            "confirmed automatically 10 days after shipping",
            now,
        )
        .await
        {
            Ok(_) => done.confirmed += 1,
            Err(AppError::Client { .. }) => {}
            Err(e) => tracing::warn!(order = id, error = %e, "shop auto-confirm failed; next pass"),
        }
    }
    done.sales_ended = super::flash::end_due(db, now).await?;
    done.groups_failed = super::groups::sweep(db, pay, now).await?;
    super::mall::deliver_coupons(db, now, batch).await?;
    Ok(done)
}

/// `shipped → received`, by the parent (`member_id`) or the job.
pub async fn receive(
    db: &DatabaseConnection,
    order_id: i32,
    member_id: Option<i32>,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    owned(db, order_id, member_id).await?;
    ledger::apply(
        db,
        transition(
            order_id,
            "received",
            SHIPPED,
            RECEIVED,
            Some(why.to_owned()),
            orders::Entity::update_many().col_expr(orders::Column::ReceivedAt, Expr::value(now)),
            now,
        ),
    )
    .await?;
    Ok(())
}

async fn owned(
    db: &DatabaseConnection,
    order_id: i32,
    member_id: Option<i32>,
) -> Result<orders::Model, AppError> {
    let mut find = orders::Entity::find_by_id(order_id);
    if let Some(m) = member_id {
        find = find.filter(orders::Column::MemberId.eq(m));
    }
    find.one(db).await?.ok_or_else(not_found)
}

/// `paid → shipped` with the tracking number, by an operator (audited); the parent has
/// [`AUTO_CONFIRM_AFTER`] to confirm receipt.
pub async fn ship(
    db: &DatabaseConnection,
    by: &Actor,
    order_id: i32,
    tracking_no: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let tracking_no = required_text(tracking_no, 64, ErrorCode::InvalidTrackingNo, "tracking_no")?;
    let order = owned(db, order_id, None).await?;
    if order.address.is_none() {
        return Err(conflict("the order has nothing to ship"));
    }
    let txn = db.begin().await?;
    ledger::apply(
        &txn,
        transition(
            order_id,
            "shipped",
            PAID,
            SHIPPED,
            Some(tracking_no.clone()),
            orders::Entity::update_many()
                .col_expr(orders::Column::TrackingNo, Expr::value(tracking_no))
                .col_expr(orders::Column::ShippedAt, Expr::value(now))
                .col_expr(
                    orders::Column::ConfirmDueAt,
                    Expr::value(now + AUTO_CONFIRM_AFTER),
                ),
            now,
        ),
    )
    .await?;
    audit::record(&txn, by, "shop_order.ship", target(order_id), now).await?;
    txn.commit().await?;
    Ok(())
}

/// The parent asks for a refund of a paid, shipped or received order, with a reason.
pub async fn request_refund(
    db: &DatabaseConnection,
    member_id: i32,
    order_id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let reason = required_text(reason, 200, ErrorCode::InvalidRefundRequest, "reason")?;
    let order = owned(db, order_id, Some(member_id)).await?;
    let from = order.status.clone();
    if ![PAID, SHIPPED, RECEIVED].contains(&from.as_str()) {
        return Err(conflict(format!("a {from} order cannot be refunded")));
    }
    // Keyed by the attempt: a refused request may be followed by another one.
    let attempt = events::Entity::find()
        .filter(events::Column::OrderId.eq(order_id))
        .filter(events::Column::Kind.eq("refund_requested"))
        .count(db)
        .await?;
    ledger::apply(
        db,
        Entry::new(event(
            order_id,
            "refund_requested",
            format!("refund_requested:{order_id}:{attempt}"),
            Some(&from),
            Some(REFUND_REQUESTED),
            Some(reason.clone()),
            now,
        ))
        .keyed_by([events::Column::IdemKey])
        .guard(Guard::transition(
            orders::Entity::update_many()
                .col_expr(orders::Column::RefundFrom, Expr::value(from.clone()))
                .col_expr(orders::Column::RefundReason, Expr::value(reason))
                .col_expr(
                    orders::Column::RefuseReason,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                .filter(orders::Column::Id.eq(order_id)),
            orders::Column::Status,
            &from,
            REFUND_REQUESTED,
            conflict("the order changed meanwhile"),
        )),
    )
    .await?;
    Ok(())
}

/// An operator refuses a refund request, with a reason: the order goes back to where it was.
pub async fn refuse_refund(
    db: &DatabaseConnection,
    by: &Actor,
    order_id: i32,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let reason = required_text(reason, 200, ErrorCode::InvalidRejectReason, "reason")?;
    let order = owned(db, order_id, None).await?;
    if order.status != REFUND_REQUESTED {
        return Err(conflict(format!("the order is {}", order.status)));
    }
    let back = order.refund_from.clone().unwrap_or_else(|| PAID.to_owned());
    let refusals = events::Entity::find()
        .filter(events::Column::OrderId.eq(order_id))
        .filter(events::Column::Kind.eq("refund_refused"))
        .count(db)
        .await?;
    let txn = db.begin().await?;
    ledger::apply(
        &txn,
        Entry::new(event(
            order_id,
            "refund_refused",
            format!("refund_refused:{order_id}:{refusals}"),
            Some(REFUND_REQUESTED),
            Some(&back),
            Some(reason.clone()),
            now,
        ))
        .keyed_by([events::Column::IdemKey])
        .guard(Guard::transition(
            orders::Entity::update_many()
                .col_expr(orders::Column::RefuseReason, Expr::value(reason))
                .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                .filter(orders::Column::Id.eq(order_id)),
            orders::Column::Status,
            REFUND_REQUESTED,
            &back,
            conflict("the order changed meanwhile"),
        )),
    )
    .await?;
    audit::record(&txn, by, "shop_order.refund_refuse", target(order_id), now).await?;
    txn.commit().await?;
    Ok(())
}

/// An operator approves a refund request: `refund_requested → refunding`, then the whole
/// payable is refunded through WeChat Pay (retried with the same `out_refund_no` when approved
/// again after a failure); the order becomes `refunded` when the refund is confirmed. An order
/// paid with nothing left to pay is refunded at once.
pub async fn approve_refund(
    db: &DatabaseConnection,
    pay: Option<&crate::wechat::pay::PayClient>,
    by: &Actor,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let order = owned(db, order_id, None).await?;
    if order.status != REFUND_REQUESTED && order.status != REFUNDING {
        return Err(conflict(format!("the order is {}", order.status)));
    }
    if order.payable_fen > 0 && pay.is_none() {
        return Err(payments::disabled());
    }
    let txn = db.begin().await?;
    if order.status == REFUND_REQUESTED {
        ledger::apply(
            &txn,
            transition(
                order_id,
                "refunding",
                REFUND_REQUESTED,
                REFUNDING,
                order.refund_reason.clone(),
                orders::Entity::update_many(),
                now,
            ),
        )
        .await?;
    }
    audit::record(&txn, by, "shop_order.refund_approve", target(order_id), now).await?;
    if order.payable_fen == 0 || order.pay_order_id.is_none() {
        let current = owned_in(&txn, order_id).await?;
        finish_refund(&txn, &current, now).await?;
        txn.commit().await?;
        return Ok(());
    }
    txn.commit().await?;
    let po_id = order.pay_order_id.unwrap_or_default();
    let reason = order
        .refund_reason
        .as_deref()
        .map(|r| r.chars().take(80).collect::<String>());
    crate::service::commerce::checkout::refund(
        db,
        pay,
        po_id,
        payments::RefundRequest {
            by: Some(by),
            amount_fen: order.payable_fen,
            reason: reason.as_deref(),
            request_id: &format!("shop-refund-{order_id}"),
        },
        now,
    )
    .await?;
    Ok(())
}

async fn owned_in(txn: &DatabaseTransaction, order_id: i32) -> Result<orders::Model, AppError> {
    orders::Entity::find_by_id(order_id)
        .one(txn)
        .await?
        .ok_or_else(not_found)
}

/// `refunding → refunded` and the refund rule (module doc), once.
pub(crate) async fn finish_refund(
    txn: &DatabaseTransaction,
    order: &orders::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let outcome = ledger::apply(
        txn,
        transition(
            order.id,
            "refunded",
            REFUNDING,
            REFUNDED,
            None,
            orders::Entity::update_many(),
            now,
        ),
    )
    .await?;
    if outcome.is_replay() {
        return Ok(());
    }
    let shipped = order.refund_from.as_deref() != Some(PAID) || order.shipped_at.is_some();
    give_back(txn, order, !shipped, USED, now).await?;
    if let Some(member_id) = order.member_id
        && order.points_earned > 0
    {
        points::spend::take_back(
            txn,
            member_id,
            order.points_earned,
            &format!("shop:{}", order.id),
            now,
        )
        .await?;
    }
    Ok(())
}
