//! Shop orders: items at the member's price (or the flash sale's), a platform coupon's
//! deduction (its threshold checked, never more than the goods), points (100 points = 1 yuan,
//! at most half of what is left), and in ONE transaction: the order, its `created` event, the
//! stock taken (guarded, never below zero), the coupon locked, the points spent, and the pay
//! order; a refusal of any of them writes nothing. The same `request_id` answers the same
//! order. Nothing left to pay: paid at once, without WeChat Pay.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{
    coupon_templates, coupons, members, pay_orders, shop_flash_purchases,
    shop_order_events as events, shop_order_items as items, shop_orders as orders, shop_products,
    shop_skus,
};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalogue::{spec_of, unit_price};
use super::lifecycle::{self, conflict, event, mark_paid, not_found, points_reference};
use super::product_status::ON_SALE;
use super::status::PENDING_PAYMENT;
use super::{MAX_POINTS_SHARE_BPS, PAY_WITHIN, POINTS_PER_YUAN, PURPOSE};
use crate::domain::coupons::{CouponKind, face_value};
use crate::error::{AppError, ErrorCode};
use crate::service::audience::membership::tier_on;
use crate::service::commerce::coupons::checked_request_id;
use crate::service::commerce::coupons::state::{LOCKED, UNUSED};
use crate::service::commerce::payments::{self, NewOrder};
use crate::service::ledger::{self, Entry, Guard};
use crate::service::points;
use crate::service::support::required_text;
use crate::wechat::pay::{PayClient, PayParams};

const MAX_ITEMS: usize = 20;
const MAX_QUANTITY: i32 = 99;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemInput {
    pub sku_id: i32,
    pub quantity: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub name: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OrderRequest {
    pub items: Vec<ItemInput>,
    /// Buy at a flash sale's price: one item, the sale's SKU.
    pub flash_sale_id: Option<i32>,
    /// Open a group of this group buy (one unit of its SKU, at the group price).
    pub group_buy_id: Option<i32>,
    /// Join this open group (shared by its leader).
    pub group_id: Option<i32>,
    /// One of your platform coupons (`merchant_id` null), unused.
    pub coupon_id: Option<i64>,
    /// Points to pay with: 100 points = 1 yuan, at most half of what is left after the coupon.
    #[serde(default)]
    pub points: i64,
    /// Where to ship: required (every product ships).
    pub address: Option<Address>,
    /// The client's id of this purchase: the same id answers the same order.
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdown {
    /// The items at your price (member price, or the flash sale's).
    pub goods_fen: i64,
    pub coupon_fen: i64,
    pub points: i64,
    pub points_fen: i64,
    pub payable_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub sku_id: Option<i32>,
    pub product_id: Option<i32>,
    pub title: String,
    #[schema(value_type = Object)]
    pub spec: BTreeMap<String, String>,
    pub quantity: i32,
    pub unit_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShopOrderView {
    pub id: i32,
    /// `goods` or `mall` (a points-mall exchange).
    pub kind: String,
    /// `pending_payment`, `paid`, `shipped`, `received`, `cancelled`, `refund_requested`,
    /// `refunding` or `refunded`.
    pub status: String,
    pub items: Vec<ItemView>,
    pub breakdown: Breakdown,
    pub payable_fen: i64,
    pub coupon_id: Option<i64>,
    pub flash_sale_id: Option<i32>,
    pub mall_item_id: Option<i32>,
    /// The group (拼团) this order opened or joined: `GET /api/v1/shop/groups/{group_id}`.
    pub group_id: Option<i32>,
    pub address: Option<Address>,
    pub tracking_no: Option<String>,
    pub refund_reason: Option<String>,
    pub refuse_reason: Option<String>,
    /// Unpaid orders are cancelled at this time.
    pub pay_due_at: Option<DateTime<Utc>>,
    /// Shipped orders are received automatically at this time.
    pub confirm_due_at: Option<DateTime<Utc>>,
    pub points_earned: i64,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderCreated {
    pub id: i32,
    /// `pending_payment`, or `paid` when nothing is left to pay.
    pub status: String,
    pub payable_fen: i64,
    pub breakdown: Breakdown,
    /// Pass to `wx.requestPayment` as they are; null when nothing is left to pay (or the
    /// order is no longer awaiting payment).
    #[schema(value_type = Option<Object>)]
    pub pay_params: Option<PayParams>,
}

pub(crate) fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidOrder, message)
}

pub(crate) fn check_address(address: Option<&Address>) -> Result<Address, AppError> {
    let a = address.ok_or_else(|| invalid("address: required (the order ships)"))?;
    let f = |v: &str, max: usize, name: &str| {
        required_text(v, max, ErrorCode::InvalidOrder, &format!("address.{name}"))
    };
    let phone = f(&a.phone, 20, "phone")?;
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || c == '+' || c == '-' || c == ' ')
        || phone.chars().filter(char::is_ascii_digit).count() < 5
    {
        return Err(invalid("address.phone: 5-20 digits"));
    }
    Ok(Address {
        name: f(&a.name, 32, "name")?,
        phone,
        province: f(&a.province, 16, "province")?,
        city: f(&a.city, 16, "city")?,
        district: f(&a.district, 16, "district")?,
        detail: f(&a.detail, 120, "detail")?,
    })
}

pub(crate) fn out_of_stock(what: &str) -> AppError {
    AppError::new(
        ErrorCode::OutOfStock,
        format!("not enough stock for {what}"),
    )
}

fn coupon_unavailable(why: &str) -> AppError {
    AppError::new(ErrorCode::CouponUnavailable, format!("coupon_id: {why}"))
}

pub(crate) fn view(order: &orders::Model, lines: &[items::Model]) -> ShopOrderView {
    ShopOrderView {
        id: order.id,
        kind: order.kind.clone(),
        status: order.status.clone(),
        items: lines
            .iter()
            .map(|l| ItemView {
                sku_id: l.sku_id,
                product_id: l.product_id,
                title: l.title.clone(),
                spec: serde_json::from_str(&l.spec).unwrap_or_default(),
                quantity: l.quantity,
                unit_fen: l.unit_fen,
            })
            .collect(),
        breakdown: breakdown(order),
        payable_fen: order.payable_fen,
        coupon_id: order.coupon_id,
        flash_sale_id: order.flash_sale_id,
        mall_item_id: order.mall_item_id,
        group_id: order.group_id,
        address: order
            .address
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok()),
        tracking_no: order.tracking_no.clone(),
        refund_reason: order.refund_reason.clone(),
        refuse_reason: order.refuse_reason.clone(),
        pay_due_at: order.pay_due_at,
        confirm_due_at: order.confirm_due_at,
        points_earned: order.points_earned,
        created_at: order.created_at,
        paid_at: order.paid_at,
        shipped_at: order.shipped_at,
        received_at: order.received_at,
    }
}

fn breakdown(order: &orders::Model) -> Breakdown {
    Breakdown {
        goods_fen: order.goods_fen,
        coupon_fen: order.coupon_fen,
        points: order.points,
        points_fen: order.points_fen,
        payable_fen: order.payable_fen,
    }
}

/// Fen that `points` pay for.
pub fn points_fen(points: i64) -> i64 {
    points * 100 / POINTS_PER_YUAN
}

/// The most points that may pay for `after_coupon_fen`.
pub fn max_points(after_coupon_fen: i64) -> i64 {
    after_coupon_fen * MAX_POINTS_SHARE_BPS / 10_000 * POINTS_PER_YUAN / 100
}

/// A line to buy: what it is, at which price, and the guard that takes its stock.
pub(crate) struct Line {
    pub sku_id: Option<i32>,
    pub product_id: Option<i32>,
    pub title: String,
    pub spec: String,
    pub quantity: i32,
    pub unit_fen: i64,
}

/// What an order takes, decided before its transaction.
pub(crate) struct Plan {
    pub kind: &'static str,
    pub lines: Vec<Line>,
    pub guards: Vec<Guard>,
    pub flash: Option<(i32, i32)>,
    pub mall_item_id: Option<i32>,
    pub group: Option<super::groups::Join>,
    pub coupon: Option<i64>,
    pub goods_fen: i64,
    pub coupon_fen: i64,
    pub points: i64,
    pub points_fen: i64,
    pub payable_fen: i64,
    pub address: Option<Address>,
    pub description: String,
}

async fn plan_goods(
    db: &DatabaseConnection,
    member_id: i32,
    req: &OrderRequest,
    now: DateTime<Utc>,
) -> Result<Plan, AppError> {
    if req.items.is_empty() || req.items.len() > MAX_ITEMS {
        return Err(invalid(format!("items: 1-{MAX_ITEMS}")));
    }
    let mut wanted: BTreeMap<i32, i32> = BTreeMap::new();
    for (i, item) in req.items.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(invalid(format!("items[{i}].quantity: 1-{MAX_QUANTITY}")));
        }
        let q = wanted.entry(item.sku_id).or_default();
        *q += item.quantity;
        if *q > MAX_QUANTITY {
            return Err(invalid(format!("items: at most {MAX_QUANTITY} of one SKU")));
        }
    }
    let address = check_address(req.address.as_ref())?;
    let skus = shop_skus::Entity::find()
        .filter(shop_skus::Column::Id.is_in(wanted.keys().copied()))
        .all(db)
        .await?;
    let products = shop_products::Entity::find()
        .filter(shop_products::Column::Id.is_in(skus.iter().map(|s| s.product_id)))
        .all(db)
        .await?;
    let tier = tier_on(db, member_id, now).await?;
    if req.flash_sale_id.is_some() && (req.group_buy_id.is_some() || req.group_id.is_some()) {
        return Err(invalid("flash_sale_id and a group: not both"));
    }
    let group =
        super::groups::plan(db, member_id, req.group_buy_id, req.group_id, &wanted, now).await?;
    let sale = match req.flash_sale_id {
        Some(id) => Some(super::flash::open_sale(db, id, &wanted, now).await?),
        None => None,
    };
    let mut lines = Vec::new();
    let mut guards = Vec::new();
    for (&sku_id, &quantity) in &wanted {
        let sku = skus.iter().find(|s| s.id == sku_id);
        let product = sku.and_then(|s| products.iter().find(|p| p.id == s.product_id));
        let (Some(sku), Some(product)) = (sku, product) else {
            return Err(AppError::new(
                ErrorCode::SkuUnavailable,
                format!("SKU {sku_id} does not exist"),
            ));
        };
        if product.status != ON_SALE {
            return Err(AppError::new(
                ErrorCode::SkuUnavailable,
                format!("SKU {sku_id} ({}) is not on sale", product.title),
            ));
        }
        let what = format!("SKU {sku_id} ({})", product.title);
        let unit_fen = match &sale {
            Some(sale) => sale.price_fen,
            None => {
                guards.push(Guard::delta(
                    shop_skus::Entity::update_many()
                        .col_expr(shop_skus::Column::UpdatedAt, Expr::value(now))
                        .filter(shop_skus::Column::Id.eq(sku_id)),
                    shop_skus::Column::Stock,
                    -i64::from(quantity),
                    out_of_stock(&what),
                ));
                match &group {
                    Some(join) => join.offer().price_fen,
                    None => unit_price(sku, tier),
                }
            }
        };
        lines.push(Line {
            sku_id: Some(sku_id),
            product_id: Some(product.id),
            title: product.title.clone(),
            spec: serde_json::to_string(&spec_of(sku)).map_err(|e| AppError::Internal(e.into()))?,
            quantity,
            unit_fen,
        });
    }
    let mut flash = None;
    if let Some(sale) = &sale {
        let quantity: i32 = wanted.values().sum();
        guards.extend(super::flash::guards(sale, member_id, quantity, now));
        flash = Some((sale.id, quantity));
    }
    let goods_fen: i64 = lines
        .iter()
        .map(|l| l.unit_fen * i64::from(l.quantity))
        .sum();
    let description = match lines.as_slice() {
        [one] => format!("babyvax shop: {}", one.title),
        more => format!(
            "babyvax shop: {} and {} more",
            more[0].title,
            more.len() - 1
        ),
    };
    let mut plan = Plan {
        kind: "goods",
        lines,
        guards,
        flash,
        mall_item_id: None,
        group,
        coupon: None,
        goods_fen,
        coupon_fen: 0,
        points: 0,
        points_fen: 0,
        payable_fen: goods_fen,
        address: Some(address),
        description: description.chars().take(120).collect(),
    };
    apply_coupon(db, member_id, req.coupon_id, &mut plan, now).await?;
    apply_points(req.points, &mut plan)?;
    Ok(plan)
}

async fn apply_coupon(
    db: &DatabaseConnection,
    member_id: i32,
    coupon_id: Option<i64>,
    plan: &mut Plan,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(coupon_id) = coupon_id else {
        return Ok(());
    };
    let coupon = coupons::Entity::find_by_id(coupon_id)
        .filter(coupons::Column::MemberId.eq(member_id))
        .one(db)
        .await?
        .ok_or_else(|| coupon_unavailable("no such coupon of yours"))?;
    if coupon.merchant_id.is_some() {
        return Err(coupon_unavailable(
            "a merchant's coupon is redeemed at its counter",
        ));
    }
    if coupon.status != UNUSED {
        return Err(coupon_unavailable(&format!(
            "the coupon is {}",
            coupon.status
        )));
    }
    if now < coupon.valid_from || now >= coupon.valid_until {
        return Err(coupon_unavailable("outside its validity"));
    }
    let template = coupon_templates::Entity::find_by_id(coupon.template_id)
        .one(db)
        .await?
        .ok_or_else(|| coupon_unavailable("its template is gone"))?;
    let kind = CouponKind::parse(&template.kind)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored coupon kind")))?;
    if kind == CouponKind::Gift {
        return Err(coupon_unavailable(
            "a gift coupon takes nothing off an order",
        ));
    }
    if plan.goods_fen < template.threshold_fen {
        return Err(coupon_unavailable(&format!(
            "the goods ({} fen) are under its threshold ({} fen)",
            plan.goods_fen, template.threshold_fen
        )));
    }
    let off = face_value(
        kind,
        template.amount_fen,
        template.percent_off,
        template.max_off_fen,
        plan.goods_fen,
    )
    .clamp(0, plan.goods_fen);
    plan.coupon = Some(coupon_id);
    plan.coupon_fen = off;
    plan.payable_fen = plan.goods_fen - off;
    // Held in the order's transaction: `unused → locked` only while it is still unused and
    // valid, so one coupon on two parallel orders goes to one of them.
    plan.guards.push(Guard::transition(
        coupons::Entity::update_many()
            .filter(coupons::Column::Id.eq(coupon_id))
            .filter(coupons::Column::MemberId.eq(member_id))
            .filter(coupons::Column::MerchantId.is_null())
            .filter(coupons::Column::ValidUntil.gt(now)),
        coupons::Column::Status,
        UNUSED,
        LOCKED,
        coupon_unavailable("used or locked by another order meanwhile"),
    ));
    Ok(())
}

pub(crate) fn apply_points(points: i64, plan: &mut Plan) -> Result<(), AppError> {
    if points < 0 {
        return Err(invalid("points: not negative"));
    }
    if points == 0 {
        return Ok(());
    }
    let most = max_points(plan.payable_fen);
    if points > most {
        return Err(AppError::new(
            ErrorCode::PointsOverLimit,
            format!(
                "points: at most {most} on this order ({POINTS_PER_YUAN} points = 1 yuan, at most {}% of {} fen)",
                MAX_POINTS_SHARE_BPS / 100,
                plan.payable_fen
            ),
        ));
    }
    plan.points = points;
    plan.points_fen = points_fen(points);
    plan.payable_fen = (plan.payable_fen - plan.points_fen).max(0);
    Ok(())
}

async fn find(
    db: &impl sea_orm::ConnectionTrait,
    member_id: i32,
    request_id: &str,
) -> Result<Option<orders::Model>, AppError> {
    Ok(orders::Entity::find()
        .filter(orders::Column::MemberId.eq(member_id))
        .filter(orders::Column::RequestId.eq(request_id))
        .one(db)
        .await?)
}

fn request_id_of(given: Option<&str>) -> Result<String, AppError> {
    match given {
        Some(r) => checked_request_id(r),
        None => Ok(format!("auto-{:032x}", rand::random::<u128>())),
    }
}

/// Creates (or, for a `request_id` seen before, answers) the member's order.
pub async fn create(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    req: &OrderRequest,
    now: DateTime<Utc>,
) -> Result<OrderCreated, AppError> {
    let request_id = request_id_of(req.request_id.as_deref())?;
    if let Some(existing) = find(db, member_id, &request_id).await? {
        return answer(db, pay, existing, now).await;
    }
    let plan = plan_goods(db, member_id, req, now).await?;
    place(db, pay, member_id, &request_id, plan, now).await
}

/// Writes the order of `plan` in one transaction (see the module doc) and answers it.
pub(crate) async fn place(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    member_id: i32,
    request_id: &str,
    plan: Plan,
    now: DateTime<Utc>,
) -> Result<OrderCreated, AppError> {
    if plan.payable_fen > 0 && pay.is_none() {
        return Err(payments::disabled());
    }
    let address = match &plan.address {
        Some(a) => Some(serde_json::to_string(a).map_err(|e| AppError::Internal(e.into()))?),
        None => None,
    };
    let txn = db.begin().await?;
    let inserted = orders::Entity::insert(orders::ActiveModel {
        member_id: Set(Some(member_id)),
        request_id: Set(request_id.to_owned()),
        kind: Set(plan.kind.to_owned()),
        status: Set(PENDING_PAYMENT.to_owned()),
        goods_fen: Set(plan.goods_fen),
        coupon_id: Set(plan.coupon),
        coupon_fen: Set(plan.coupon_fen),
        points: Set(plan.points),
        points_fen: Set(plan.points_fen),
        points_earned: Set(0),
        payable_fen: Set(plan.payable_fen),
        flash_sale_id: Set(plan.flash.map(|(id, _)| id)),
        mall_item_id: Set(plan.mall_item_id),
        address: Set(address),
        pay_due_at: Set(Some(now + PAY_WITHIN)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([orders::Column::MemberId, orders::Column::RequestId])
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(&txn)
    .await?;
    let order_id = match inserted {
        TryInsertResult::Inserted(r) => r.last_insert_id,
        _ => {
            drop(txn);
            let existing = find(db, member_id, request_id)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
            return answer(db, pay, existing, now).await;
        }
    };
    for line in &plan.lines {
        items::Entity::insert(items::ActiveModel {
            order_id: Set(order_id),
            sku_id: Set(line.sku_id),
            product_id: Set(line.product_id),
            title: Set(line.title.clone()),
            spec: Set(line.spec.clone()),
            quantity: Set(line.quantity),
            unit_fen: Set(line.unit_fen),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    if let Some(join) = &plan.group {
        let group_id = super::groups::hold(&txn, member_id, order_id, join, now).await?;
        orders::Entity::update_many()
            .col_expr(orders::Column::GroupId, Expr::value(group_id))
            .filter(orders::Column::Id.eq(order_id))
            .exec(&txn)
            .await?;
    }
    let mut entry = Entry::new(event(
        order_id,
        "created",
        format!("created:{order_id}"),
        None,
        Some(PENDING_PAYMENT),
        Some(format!(
            "goods {} - coupon {} - points {} = {} fen",
            plan.goods_fen, plan.coupon_fen, plan.points_fen, plan.payable_fen
        )),
        now,
    ))
    .keyed_by([events::Column::IdemKey]);
    if let Some((sale_id, _)) = plan.flash {
        entry = entry.opening(
            shop_flash_purchases::ActiveModel {
                flash_sale_id: Set(sale_id),
                member_id: Set(member_id),
                quantity: Set(0),
            },
            [
                shop_flash_purchases::Column::FlashSaleId,
                shop_flash_purchases::Column::MemberId,
            ],
        );
    }
    for guard in plan.guards {
        entry = entry.guard(guard);
    }
    ledger::apply(&txn, entry).await?;
    if plan.points > 0 {
        points::spend::spend(
            &txn,
            member_id,
            plan.points,
            PURPOSE,
            &points_reference(order_id),
            now,
        )
        .await?;
    }
    let order = orders::Entity::find_by_id(order_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
    if plan.payable_fen > 0 {
        let member = members::Entity::find_by_id(member_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::MemberNotFound, "log in again"))?;
        let po = payments::insert_order(
            &txn,
            &NewOrder {
                member_id,
                openid: &member.openid,
                purpose: PURPOSE,
                reference: &order_id.to_string(),
                amount_fen: plan.payable_fen,
                description: &plan.description,
                request_id: &format!("shop:{order_id}"),
                pay_within: PAY_WITHIN,
            },
            now,
        )
        .await?;
        orders::Entity::update_many()
            .col_expr(orders::Column::PayOrderId, Expr::value(po.id))
            .filter(orders::Column::Id.eq(order_id))
            .exec(&txn)
            .await?;
    } else {
        mark_paid(&txn, &order, None, now).await?;
    }
    txn.commit().await?;
    let order = orders::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order vanished")))?;
    if order.kind == "mall" && order.status == super::status::PAID {
        super::mall::deliver(db, &order, now).await?;
    }
    answer(db, pay, order, now).await
}

/// The order as created, with fresh payment parameters while it awaits payment.
async fn answer(
    db: &DatabaseConnection,
    pay: Option<&PayClient>,
    order: orders::Model,
    now: DateTime<Utc>,
) -> Result<OrderCreated, AppError> {
    let mut pay_params = None;
    if order.status == PENDING_PAYMENT
        && let Some(po_id) = order.pay_order_id
    {
        let pay = pay.ok_or_else(payments::disabled)?;
        let po = pay_orders::Entity::find_by_id(po_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("pay order {po_id} missing")))?;
        if po.state == payments::state::CREATED {
            pay_params = Some(payments::prepay(db, pay, po, now).await?.pay_params);
        }
    }
    let order = orders::Entity::find_by_id(order.id)
        .one(db)
        .await?
        .unwrap_or(order);
    Ok(OrderCreated {
        id: order.id,
        status: order.status.clone(),
        payable_fen: order.payable_fen,
        breakdown: breakdown(&order),
        pay_params,
    })
}

/// The member's order; another member's is not found.
pub async fn get(
    db: &DatabaseConnection,
    member_id: Option<i32>,
    order_id: i32,
) -> Result<ShopOrderView, AppError> {
    let mut find = orders::Entity::find_by_id(order_id);
    if let Some(m) = member_id {
        find = find.filter(orders::Column::MemberId.eq(m));
    }
    let order = find.one(db).await?.ok_or_else(not_found)?;
    let lines = items::Entity::find()
        .filter(items::Column::OrderId.eq(order_id))
        .order_by_asc(items::Column::Id)
        .all(db)
        .await?;
    Ok(view(&order, &lines))
}

/// A page of orders, newest first (the member's, or every member's for operators, optionally
/// in one status).
pub async fn list(
    db: &DatabaseConnection,
    member_id: Option<i32>,
    status: Option<&str>,
    cursor: Option<i32>,
    limit: u64,
) -> Result<Vec<ShopOrderView>, AppError> {
    if !(1..=100).contains(&limit) || cursor.is_some_and(|c| c <= 0) {
        return Err(AppError::new(
            ErrorCode::InvalidCursor,
            "cursor: a positive id; limit: 1-100",
        ));
    }
    let mut q = orders::Entity::find().order_by_desc(orders::Column::Id);
    if let Some(m) = member_id {
        q = q.filter(orders::Column::MemberId.eq(m));
    }
    if let Some(s) = status {
        q = q.filter(orders::Column::Status.eq(s));
    }
    if let Some(c) = cursor {
        q = q.filter(orders::Column::Id.lt(c));
    }
    let rows = q.limit(limit).all(db).await?;
    let ids: Vec<i32> = rows.iter().map(|o| o.id).collect();
    let lines = if ids.is_empty() {
        Vec::new()
    } else {
        items::Entity::find()
            .filter(items::Column::OrderId.is_in(ids))
            .order_by_asc(items::Column::Id)
            .all(db)
            .await?
    };
    Ok(rows
        .iter()
        .map(|o| {
            let mine: Vec<_> = lines
                .iter()
                .filter(|l| l.order_id == o.id)
                .cloned()
                .collect();
            view(o, &mine)
        })
        .collect())
}

/// The parent cancels their unpaid order.
pub async fn cancel(
    db: &DatabaseConnection,
    member_id: i32,
    order_id: i32,
    now: DateTime<Utc>,
) -> Result<ShopOrderView, AppError> {
    let done = lifecycle::cancel(
        db,
        order_id,
        Some(member_id),
        "cancelled by the parent",
        now,
    )
    .await?;
    let order = get(db, Some(member_id), order_id).await?;
    if !done && order.status != super::status::CANCELLED {
        return Err(conflict(format!("the order is {}", order.status)));
    }
    Ok(order)
}

/// Every order of the member, oldest first (their data export).
pub async fn all_of_member(
    db: &impl sea_orm::ConnectionTrait,
    member_id: i32,
) -> Result<Vec<ShopOrderView>, AppError> {
    let rows = orders::Entity::find()
        .filter(orders::Column::MemberId.eq(member_id))
        .order_by_asc(orders::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|o| o.id).collect();
    let lines = if ids.is_empty() {
        Vec::new()
    } else {
        items::Entity::find()
            .filter(items::Column::OrderId.is_in(ids))
            .order_by_asc(items::Column::Id)
            .all(db)
            .await?
    };
    Ok(rows
        .iter()
        .map(|o| {
            let mine: Vec<_> = lines
                .iter()
                .filter(|l| l.order_id == o.id)
                .cloned()
                .collect();
            view(o, &mine)
        })
        .collect())
}

/// Erasure: the member's orders stay for the accounts, unlinked, without their address and
/// reasons; their flash-sale holds go. Answers the orders anonymised.
pub async fn anonymise_member(
    txn: &impl sea_orm::ConnectionTrait,
    member_id: i32,
) -> Result<u64, AppError> {
    shop_flash_purchases::Entity::delete_many()
        .filter(shop_flash_purchases::Column::MemberId.eq(member_id))
        .exec(txn)
        .await?;
    entity::shop_group_members::Entity::delete_many()
        .filter(entity::shop_group_members::Column::MemberId.eq(member_id))
        .exec(txn)
        .await?;
    Ok(orders::Entity::update_many()
        .col_expr(orders::Column::MemberId, Expr::value(Option::<i32>::None))
        .col_expr(orders::Column::Address, Expr::value(Option::<String>::None))
        .col_expr(
            orders::Column::RefundReason,
            Expr::value(Option::<String>::None),
        )
        .filter(orders::Column::MemberId.eq(member_id))
        .exec(txn)
        .await?
        .rows_affected)
}
