//! Group buys (拼团): an operator offers a SKU at a group price for groups of 2-10 that must
//! fill within a time limit (24 hours unless set). A parent opens a group by ordering with
//! `group_buy_id` and paying; others join with `group_id` and pay. A group is `forming` while
//! its leader's order is unpaid, `open` once paid (its time limit starts), `filled` when as many
//! members paid as its size (every member's order moves `awaiting_group → paid` at once), or
//! `failed` when the time runs out: every paid order is refunded automatically, once (refund
//! request id `group-failed-<order>`). A seat is held from the order on (unpaid orders count,
//! never more than the size; a cancelled order frees it); a member is in a group once. A refund
//! of one member of a filled group is that member's own refund: the group and the others' orders
//! do not change.

use chrono::{DateTime, Duration, Utc};
use entity::{
    pay_orders, shop_group_buys as offers, shop_group_members as group_members,
    shop_groups as groups, shop_orders as orders, shop_products, shop_skus,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lifecycle::{self, event};
use super::status::{AWAITING_GROUP, PAID, REFUNDING};
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard};
use crate::service::staff::audit::{self, Actor, Target};
use crate::wechat::pay::PayClient;

pub const FORMING: &str = "forming";
pub const OPEN: &str = "open";
pub const FILLED: &str = "filled";
pub const FAILED: &str = "failed";
/// The mini-program page a group is shared with (`?id=<group id>` appended).
pub const SHARE_PATH: &str = "/pages/shop/group/index";
const DEFAULT_HOURS: i32 = 24;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GroupBuyInput {
    pub sku_id: i32,
    /// 1 fen up to the SKU's price.
    pub price_fen: i64,
    /// 2-10.
    pub group_size: i32,
    /// 1-72 hours; 24 when absent.
    pub time_limit_hours: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupBuyView {
    pub id: i32,
    pub sku_id: i32,
    pub product_id: i32,
    pub title: String,
    pub price_fen: i64,
    pub original_price_fen: i64,
    pub group_size: i32,
    pub time_limit_hours: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: i32,
    pub group_buy_id: i32,
    pub title: String,
    pub price_fen: i64,
    pub group_size: i32,
    /// `forming` (the leader has not paid), `open`, `filled` or `failed`.
    pub status: String,
    pub members_paid: i32,
    /// Places held, unpaid orders included.
    pub seats_taken: i32,
    pub expires_at: Option<DateTime<Utc>>,
    /// Share this mini-program path; others join with `group_id` on an order.
    pub share_path: String,
    /// You hold a place in it.
    pub joined: bool,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidGroupBuy, message)
}

fn offer_not_found() -> AppError {
    AppError::new(ErrorCode::GroupBuyNotFound, "no group buy has this id")
}

fn group_not_found() -> AppError {
    AppError::new(ErrorCode::GroupNotFound, "no group has this id")
}

fn not_open(why: &str) -> AppError {
    AppError::new(ErrorCode::GroupNotOpen, format!("the group {why}"))
}

async fn offer_view(
    db: &impl ConnectionTrait,
    offer: offers::Model,
) -> Result<GroupBuyView, AppError> {
    let sku = shop_skus::Entity::find_by_id(offer.sku_id)
        .one(db)
        .await?
        .ok_or_else(offer_not_found)?;
    let product = shop_products::Entity::find_by_id(sku.product_id)
        .one(db)
        .await?
        .ok_or_else(offer_not_found)?;
    Ok(GroupBuyView {
        id: offer.id,
        sku_id: offer.sku_id,
        product_id: product.id,
        title: product.title,
        price_fen: offer.price_fen,
        original_price_fen: sku.price_fen,
        group_size: offer.group_size,
        time_limit_hours: offer.time_limit_hours,
    })
}

pub async fn create(
    db: &DatabaseConnection,
    by: &Actor,
    input: &GroupBuyInput,
    now: DateTime<Utc>,
) -> Result<GroupBuyView, AppError> {
    let sku = shop_skus::Entity::find_by_id(input.sku_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::SkuNotFound, "sku_id: no such SKU"))?;
    if !(1..=sku.price_fen).contains(&input.price_fen) {
        return Err(invalid(format!(
            "price_fen: 1 up to the SKU's price ({} fen)",
            sku.price_fen
        )));
    }
    if !(2..=10).contains(&input.group_size) {
        return Err(invalid("group_size: 2-10"));
    }
    let hours = input.time_limit_hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=72).contains(&hours) {
        return Err(invalid("time_limit_hours: 1-72"));
    }
    let txn = db.begin().await?;
    let row = offers::ActiveModel {
        sku_id: Set(input.sku_id),
        price_fen: Set(input.price_fen),
        group_size: Set(input.group_size),
        time_limit_hours: Set(hours),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        by,
        "shop_group_buy.create",
        Some(Target {
            kind: "shop_group_buy",
            id: row.id.to_string(),
        }),
        now,
    )
    .await?;
    let view = offer_view(&txn, row).await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn offers(db: &DatabaseConnection) -> Result<Vec<GroupBuyView>, AppError> {
    let rows = offers::Entity::find()
        .order_by_desc(offers::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(offer_view(db, r).await?);
    }
    Ok(out)
}

/// A group, as any member sees it (it is shared).
pub async fn get(db: &DatabaseConnection, member_id: i32, id: i32) -> Result<GroupView, AppError> {
    let group = groups::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(group_not_found)?;
    let offer = offers::Entity::find_by_id(group.group_buy_id)
        .one(db)
        .await?
        .ok_or_else(group_not_found)?;
    let joined = group_members::Entity::find_by_id((id, member_id))
        .one(db)
        .await?
        .is_some();
    let offer = offer_view(db, offer).await?;
    Ok(GroupView {
        id,
        group_buy_id: offer.id,
        title: offer.title,
        price_fen: offer.price_fen,
        group_size: offer.group_size,
        status: group.status,
        members_paid: group.paid_count,
        seats_taken: group.seats,
        expires_at: group.expires_at,
        share_path: format!("{SHARE_PATH}?id={id}"),
        joined,
    })
}

/// What an order does with a group.
pub(crate) enum Join {
    Open(offers::Model),
    Join(groups::Model, offers::Model),
}

impl Join {
    pub fn offer(&self) -> &offers::Model {
        match self {
            Join::Open(o) | Join::Join(_, o) => o,
        }
    }
}

/// Checks an order's group before anything is written; answers the plan and the unit price.
pub(crate) async fn plan(
    db: &DatabaseConnection,
    member_id: i32,
    group_buy_id: Option<i32>,
    group_id: Option<i32>,
    wanted: &std::collections::BTreeMap<i32, i32>,
    now: DateTime<Utc>,
) -> Result<Option<Join>, AppError> {
    let join = match (group_buy_id, group_id) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(super::orders::invalid(
                "group_buy_id opens a group, group_id joins one: not both",
            ));
        }
        (Some(offer), None) => Join::Open(
            offers::Entity::find_by_id(offer)
                .one(db)
                .await?
                .ok_or_else(offer_not_found)?,
        ),
        (None, Some(group)) => {
            let group = groups::Entity::find_by_id(group)
                .one(db)
                .await?
                .ok_or_else(group_not_found)?;
            if group.status != OPEN {
                return Err(not_open(&format!("is {}", group.status)));
            }
            if group.expires_at.is_some_and(|e| e <= now) {
                return Err(not_open("has run out of time"));
            }
            if group_members::Entity::find_by_id((group.id, member_id))
                .one(db)
                .await?
                .is_some()
            {
                return Err(AppError::new(
                    ErrorCode::AlreadyInGroup,
                    "you are in this group already",
                ));
            }
            let offer = offers::Entity::find_by_id(group.group_buy_id)
                .one(db)
                .await?
                .ok_or_else(group_not_found)?;
            Join::Join(group, offer)
        }
    };
    let sku = join.offer().sku_id;
    if wanted.len() != 1 || wanted.get(&sku) != Some(&1) {
        return Err(super::orders::invalid(format!(
            "items: one unit of the group buy's SKU {sku}"
        )));
    }
    Ok(Some(join))
}

/// Holds the member's place in the order's transaction: a new group (opening) or a seat of an
/// open one (guarded: never more than the size, only while open and in time). Answers the
/// group id.
pub(crate) async fn hold(
    txn: &DatabaseTransaction,
    member_id: i32,
    order_id: i32,
    join: &Join,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    let group_id = match join {
        Join::Open(offer) => {
            groups::ActiveModel {
                group_buy_id: Set(offer.id),
                leader_member_id: Set(Some(member_id)),
                status: Set(FORMING.to_owned()),
                seats: Set(1),
                paid_count: Set(0),
                expires_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?
            .id
        }
        Join::Join(group, offer) => {
            let moved = groups::Entity::update_many()
                .col_expr(
                    groups::Column::Seats,
                    Expr::col(groups::Column::Seats).add(1),
                )
                .col_expr(groups::Column::UpdatedAt, Expr::value(now))
                .filter(groups::Column::Id.eq(group.id))
                .filter(groups::Column::Status.eq(OPEN))
                .filter(groups::Column::ExpiresAt.gt(now))
                .filter(Expr::expr(Expr::col(groups::Column::Seats).add(1)).lte(offer.group_size))
                .exec(txn)
                .await?;
            if moved.rows_affected == 0 {
                return Err(AppError::new(
                    ErrorCode::GroupFull,
                    "the group has no place left (or is no longer open)",
                ));
            }
            group.id
        }
    };
    let inserted = group_members::Entity::insert(group_members::ActiveModel {
        group_id: Set(group_id),
        member_id: Set(member_id),
        order_id: Set(order_id),
    })
    .on_conflict(
        OnConflict::columns([
            group_members::Column::GroupId,
            group_members::Column::MemberId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .do_nothing()
    .exec(txn)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(_)) {
        return Err(AppError::new(
            ErrorCode::AlreadyInGroup,
            "you are in this group already",
        ));
    }
    Ok(group_id)
}

/// A group order was paid (now `awaiting_group`): counts the member, opens the group on its
/// leader's payment, fills it when the last member paid (every member's order `paid`).
pub(crate) async fn paid(
    txn: &DatabaseTransaction,
    group_id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let group = groups::Entity::find_by_id(group_id)
        .one(txn)
        .await?
        .ok_or_else(group_not_found)?;
    let offer = offers::Entity::find_by_id(group.group_buy_id)
        .one(txn)
        .await?
        .ok_or_else(group_not_found)?;
    groups::Entity::update_many()
        .col_expr(
            groups::Column::PaidCount,
            Expr::col(groups::Column::PaidCount).add(1),
        )
        .col_expr(groups::Column::UpdatedAt, Expr::value(now))
        .filter(groups::Column::Id.eq(group_id))
        .exec(txn)
        .await?;
    // The leader's payment opens the group and starts its time.
    groups::Entity::update_many()
        .col_expr(groups::Column::Status, Expr::value(OPEN))
        .col_expr(
            groups::Column::ExpiresAt,
            Expr::value(now + Duration::hours(i64::from(offer.time_limit_hours))),
        )
        .filter(groups::Column::Id.eq(group_id))
        .filter(groups::Column::Status.eq(FORMING))
        .exec(txn)
        .await?;
    let filled = groups::Entity::update_many()
        .col_expr(groups::Column::Status, Expr::value(FILLED))
        .filter(groups::Column::Id.eq(group_id))
        .filter(groups::Column::Status.eq(OPEN))
        .filter(groups::Column::PaidCount.gte(offer.group_size))
        .exec(txn)
        .await?;
    if filled.rows_affected == 1 {
        let waiting: Vec<i32> = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(orders::Column::GroupId.eq(group_id))
            .filter(orders::Column::Status.eq(AWAITING_GROUP))
            .into_tuple()
            .all(txn)
            .await?;
        for id in waiting {
            ledger::apply(
                txn,
                lifecycle::transition(
                    id,
                    "paid",
                    AWAITING_GROUP,
                    PAID,
                    Some(format!("group {group_id} filled")),
                    orders::Entity::update_many(),
                    now,
                ),
            )
            .await?;
        }
    }
    Ok(())
}

/// An unpaid group order was cancelled: its place is freed; a forming group whose leader gave
/// up fails (nobody paid into it).
pub(crate) async fn released(
    txn: &DatabaseTransaction,
    order: &orders::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (Some(group_id), Some(member_id)) = (order.group_id, order.member_id) else {
        return Ok(());
    };
    group_members::Entity::delete_many()
        .filter(group_members::Column::GroupId.eq(group_id))
        .filter(group_members::Column::MemberId.eq(member_id))
        .exec(txn)
        .await?;
    groups::Entity::update_many()
        .col_expr(
            groups::Column::Seats,
            Expr::col(groups::Column::Seats).sub(1),
        )
        .col_expr(groups::Column::UpdatedAt, Expr::value(now))
        .filter(groups::Column::Id.eq(group_id))
        .filter(groups::Column::Seats.gt(0))
        .exec(txn)
        .await?;
    groups::Entity::update_many()
        .col_expr(groups::Column::Status, Expr::value(FAILED))
        .filter(groups::Column::Id.eq(group_id))
        .filter(groups::Column::Status.eq(FORMING))
        .filter(groups::Column::LeaderMemberId.eq(member_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Fails the open groups past their time, and refunds every paid order of a failed group once
/// (also a payment that lands after the failure). Answers the groups failed now.
pub async fn sweep(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    now: DateTime<Utc>,
) -> Result<u32, AppError> {
    let failed = groups::Entity::update_many()
        .col_expr(groups::Column::Status, Expr::value(FAILED))
        .col_expr(groups::Column::UpdatedAt, Expr::value(now))
        .filter(groups::Column::Status.eq(OPEN))
        .filter(groups::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected as u32;
    let failed_groups: Vec<i32> = groups::Entity::find()
        .select_only()
        .column(groups::Column::Id)
        .filter(groups::Column::Status.eq(FAILED))
        .into_tuple()
        .all(db)
        .await?;
    if failed_groups.is_empty() {
        return Ok(failed);
    }
    let to_refund = orders::Entity::find()
        .filter(orders::Column::GroupId.is_in(failed_groups))
        .filter(orders::Column::Status.is_in([AWAITING_GROUP, REFUNDING]))
        .all(db)
        .await?;
    for order in to_refund {
        if let Err(e) = refund_member(db, pay, &order, now).await {
            tracing::warn!(order = order.id, error = %e, "group refund failed; next pass");
        }
    }
    Ok(failed)
}

async fn refund_member(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    order: &orders::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    if order.status == AWAITING_GROUP {
        ledger::apply(
            &txn,
            Entry::new(event(
                order.id,
                "refunding",
                format!("refunding:{}", order.id),
                Some(AWAITING_GROUP),
                Some(REFUNDING),
                Some("the group did not fill in time".to_owned()),
                now,
            ))
            .keyed_by([entity::shop_order_events::Column::IdemKey])
            .guard(Guard::transition(
                orders::Entity::update_many()
                    .col_expr(orders::Column::RefundFrom, Expr::value(PAID))
                    .col_expr(
                        orders::Column::RefundReason,
                        Expr::value("the group did not fill in time"),
                    )
                    .col_expr(orders::Column::UpdatedAt, Expr::value(now))
                    .filter(orders::Column::Id.eq(order.id)),
                orders::Column::Status,
                AWAITING_GROUP,
                REFUNDING,
                lifecycle::conflict("changed meanwhile"),
            )),
        )
        .await?;
    }
    let Some(po_id) = order.pay_order_id.filter(|_| order.payable_fen > 0) else {
        let current = orders::Entity::find_by_id(order.id)
            .one(&txn)
            .await?
            .ok_or_else(lifecycle::not_found)?;
        lifecycle::finish_refund(&txn, &current, now).await?;
        txn.commit().await?;
        return Ok(());
    };
    txn.commit().await?;
    let po = pay_orders::Entity::find_by_id(po_id).one(db).await?;
    if po.is_some_and(|p| p.refund_reserved_fen >= p.amount_fen && p.refunded_fen >= p.amount_fen) {
        return Ok(());
    }
    crate::service::commerce::checkout::refund(
        db,
        pay,
        po_id,
        crate::service::commerce::payments::RefundRequest {
            by: None,
            amount_fen: order.payable_fen,
            reason: Some("group not filled"),
            request_id: &format!("group-failed-{}", order.id),
        },
        now,
    )
    .await?;
    Ok(())
}
