//! The points mall: items priced in points, or points plus cash. An exchange is a shop order of
//! kind `mall`: in one transaction the item's stock moves down only while it stays at or above
//! zero (an item of stock 1 sells exactly once, of stock 0 never) and the points are spent
//! through the points ledger; the cash part is paid like any order. Physical items ship like
//! orders; coupon items are delivered by granting a coupon through the coupons feature
//! (`claims::grant`, keyed by the order, so once), then the order is `received`.

use chrono::{DateTime, Utc};
use entity::{coupon_templates, shop_mall_items as mall_items, shop_orders as orders_entity};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lifecycle::event;
use super::orders::{self, Address, Line, OrderCreated, Plan, check_address, out_of_stock};
use super::status::{PAID, RECEIVED};
use crate::error::{AppError, ErrorCode};
use crate::service::commerce::coupons::checked_request_id;
use crate::service::commerce::coupons::claims;
use crate::service::ledger::{self, Entry, Guard};
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::required_text;
use crate::wechat::pay::PayClient;

pub const PHYSICAL: &str = "physical";
pub const COUPON: &str = "coupon";
const ON_SALE: &str = "on_sale";

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemInput {
    pub title: String,
    /// `physical` or `coupon`.
    pub kind: String,
    /// 1-10000000 points.
    pub points: i64,
    /// The cash part, 0-100000000 fen.
    #[serde(default)]
    pub cash_fen: i64,
    /// 0-1000000.
    pub stock: i64,
    /// For `coupon` items: a platform template, live or paused.
    pub coupon_template_id: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i32,
    pub title: String,
    pub kind: String,
    pub points: i64,
    pub cash_fen: i64,
    pub stock: i64,
    pub coupon_template_id: Option<i32>,
    pub status: String,
}

impl From<mall_items::Model> for ItemView {
    fn from(r: mall_items::Model) -> Self {
        ItemView {
            id: r.id,
            title: r.title,
            kind: r.kind,
            points: r.points,
            cash_fen: r.cash_fen,
            stock: r.stock,
            coupon_template_id: r.coupon_template_id,
            status: r.status,
        }
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidMallItem, message)
}

fn not_found() -> AppError {
    AppError::new(
        ErrorCode::MallItemNotFound,
        "no such item in the points mall",
    )
}

pub async fn create_item(
    db: &DatabaseConnection,
    by: &Actor,
    input: &ItemInput,
    now: DateTime<Utc>,
) -> Result<ItemView, AppError> {
    let title = required_text(&input.title, 64, ErrorCode::InvalidMallItem, "title")?;
    if !(1..=10_000_000).contains(&input.points) {
        return Err(invalid("points: 1-10000000"));
    }
    if !(0..=100_000_000).contains(&input.cash_fen) {
        return Err(invalid("cash_fen: 0-100000000"));
    }
    if !(0..=1_000_000).contains(&input.stock) {
        return Err(invalid("stock: 0-1000000"));
    }
    match (input.kind.as_str(), input.coupon_template_id) {
        (PHYSICAL, None) => {}
        (COUPON, Some(t)) => {
            let template = coupon_templates::Entity::find_by_id(t)
                .one(db)
                .await?
                .ok_or_else(|| invalid("coupon_template_id: no such template"))?;
            if template.merchant_id.is_some() {
                return Err(invalid("coupon_template_id: a platform template"));
            }
        }
        _ => {
            return Err(invalid(
                "kind: physical (no coupon_template_id) or coupon (with coupon_template_id)",
            ));
        }
    }
    let txn = db.begin().await?;
    let row = mall_items::ActiveModel {
        title: Set(title),
        kind: Set(input.kind.clone()),
        points: Set(input.points),
        cash_fen: Set(input.cash_fen),
        stock: Set(input.stock),
        coupon_template_id: Set(input.coupon_template_id),
        status: Set(ON_SALE.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        by,
        "shop_mall_item.create",
        Some(Target {
            kind: "shop_mall_item",
            id: row.id.to_string(),
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

pub async fn items(db: &DatabaseConnection) -> Result<Vec<ItemView>, AppError> {
    Ok(mall_items::Entity::find()
        .filter(mall_items::Column::Status.eq(ON_SALE))
        .order_by_desc(mall_items::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExchangeRequest {
    pub item_id: i32,
    /// Required for physical items.
    pub address: Option<Address>,
    /// The same id answers the same exchange.
    pub request_id: Option<String>,
}

/// Exchanges points (and cash) for an item: a shop order of kind `mall`.
pub async fn exchange(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    req: &ExchangeRequest,
    now: DateTime<Utc>,
) -> Result<OrderCreated, AppError> {
    let request_id = match req.request_id.as_deref() {
        Some(r) => checked_request_id(r)?,
        None => format!("auto-{:032x}", rand::random::<u128>()),
    };
    let item = mall_items::Entity::find_by_id(req.item_id)
        .filter(mall_items::Column::Status.eq(ON_SALE))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let address = if item.kind == PHYSICAL {
        Some(check_address(req.address.as_ref())?)
    } else {
        None
    };
    let plan = Plan {
        kind: "mall",
        lines: vec![Line {
            sku_id: None,
            product_id: None,
            title: item.title.clone(),
            spec: "{}".to_owned(),
            quantity: 1,
            unit_fen: item.cash_fen,
        }],
        guards: vec![Guard::delta(
            mall_items::Entity::update_many()
                .col_expr(mall_items::Column::UpdatedAt, Expr::value(now))
                .filter(mall_items::Column::Id.eq(item.id))
                .filter(mall_items::Column::Status.eq(ON_SALE)),
            mall_items::Column::Stock,
            -1,
            out_of_stock(&format!("mall item {} ({})", item.id, item.title)),
        )],
        flash: None,
        mall_item_id: Some(item.id),
        group: None,
        coupon: None,
        goods_fen: item.cash_fen,
        coupon_fen: 0,
        // The points are the price here, not a deduction.
        points: item.points,
        points_fen: 0,
        payable_fen: item.cash_fen,
        address,
        description: format!("babyvax points mall: {}", item.title)
            .chars()
            .take(120)
            .collect(),
    };
    orders::place(db, pay, member_id, &request_id, plan, now).await
}

/// Delivers a paid coupon item: grants the coupon (keyed by the order, so once), then
/// `paid → received`. Physical items are left to ship.
pub(crate) async fn deliver(
    db: &DatabaseConnection,
    order: &orders_entity::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (Some(item_id), Some(member_id)) = (order.mall_item_id, order.member_id) else {
        return Ok(());
    };
    let Some(item) = mall_items::Entity::find_by_id(item_id).one(db).await? else {
        return Ok(());
    };
    let (COUPON, Some(template)) = (item.kind.as_str(), item.coupon_template_id) else {
        return Ok(());
    };
    let report = claims::grant(
        db,
        template,
        &format!("mall:{}", order.id),
        &[member_id],
        now,
    )
    .await?;
    if report.granted + report.already == 0 {
        tracing::error!(
            order = order.id,
            template,
            "points-mall coupon could not be granted (sold out?); the order stays paid for an operator"
        );
        return Ok(());
    }
    ledger::apply(
        db,
        Entry::new(event(
            order.id,
            "received",
            format!("received:{}", order.id),
            Some(PAID),
            Some(RECEIVED),
            Some(format!("coupon of template {template} granted")),
            now,
        ))
        .keyed_by([entity::shop_order_events::Column::IdemKey])
        .guard(Guard::transition(
            orders_entity::Entity::update_many()
                .col_expr(orders_entity::Column::ReceivedAt, Expr::value(now))
                .col_expr(orders_entity::Column::UpdatedAt, Expr::value(now))
                .filter(orders_entity::Column::Id.eq(order.id)),
            orders_entity::Column::Status,
            PAID,
            RECEIVED,
            super::lifecycle::conflict("not paid"),
        )),
    )
    .await
    .map(|_| ())
    .or_else(|e| match e {
        AppError::Client { .. } => Ok(()),
        e => Err(e),
    })
}

/// Paid coupon-item exchanges not yet delivered (a payment by WeChat Pay lands in its
/// notification's transaction, which cannot call the coupons feature's grant): delivered here.
pub(crate) async fn deliver_coupons(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<(), AppError> {
    let due = orders_entity::Entity::find()
        .filter(orders_entity::Column::Kind.eq("mall"))
        .filter(orders_entity::Column::Status.eq(PAID))
        .filter(orders_entity::Column::Address.is_null())
        .limit(batch)
        .all(db)
        .await?;
    for order in due {
        if let Err(e) = deliver(db, &order, now).await {
            tracing::warn!(order = order.id, error = %e, "points-mall delivery failed; next pass");
        }
    }
    Ok(())
}
