//! Flash sales (秒杀): an operator carves a sale's stock out of a SKU when creating it (guarded:
//! never more than the SKU has), parents buy at the sale's price with `flash_sale_id`. An order
//! takes a unit only inside the sale's window, only while the sale's stock stays at or above
//! zero, and only while the member's units (a guarded counter per sale and member, counting
//! unpaid orders until they are cancelled) stay within the per-member limit; before the start
//! nothing is read into a hold and nothing is written. Unpaid sale orders give their unit back
//! to the sale while it runs; when it ends, the unsold stock goes back to the SKU, once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{
    shop_flash_purchases as purchases, shop_flash_sales as sales, shop_products, shop_skus,
    shop_stock_events,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalogue::stock_event;
use super::orders::out_of_stock;
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard, Outcome};
use crate::service::staff::audit::{self, Actor, Target};

pub const ACTIVE: &str = "active";
pub const ENDED: &str = "ended";

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SaleInput {
    pub sku_id: i32,
    /// 1 fen up to the SKU's price.
    pub price_fen: i64,
    /// Taken from the SKU's stock now: 1-100000.
    pub stock: i64,
    /// 1-100 units per member.
    pub per_member_limit: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleView {
    pub id: i32,
    pub sku_id: i32,
    pub product_id: i32,
    pub title: String,
    pub price_fen: i64,
    /// The SKU's own price.
    pub original_price_fen: i64,
    pub initial_stock: i64,
    /// Units left.
    pub stock: i64,
    pub per_member_limit: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `active` or `ended`.
    pub status: String,
    /// Started and not ended.
    pub running: bool,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidFlashSale, message)
}

fn not_found() -> AppError {
    AppError::new(ErrorCode::FlashSaleNotFound, "no flash sale has this id")
}

fn limit_reached(limit: i32) -> AppError {
    AppError::new(
        ErrorCode::PurchaseLimitReached,
        format!("one member may hold {limit} unit(s) of this sale"),
    )
}

async fn views(
    db: &DatabaseConnection,
    rows: Vec<sales::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<SaleView>, AppError> {
    let skus = shop_skus::Entity::find()
        .filter(shop_skus::Column::Id.is_in(rows.iter().map(|r| r.sku_id)))
        .all(db)
        .await?;
    let products = shop_products::Entity::find()
        .filter(shop_products::Column::Id.is_in(skus.iter().map(|s| s.product_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let sku = skus.iter().find(|s| s.id == r.sku_id)?;
            let product = products.iter().find(|p| p.id == sku.product_id)?;
            Some(SaleView {
                id: r.id,
                sku_id: r.sku_id,
                product_id: product.id,
                title: product.title.clone(),
                price_fen: r.price_fen,
                original_price_fen: sku.price_fen,
                initial_stock: r.initial_stock,
                stock: r.stock,
                per_member_limit: r.per_member_limit,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                running: r.status == ACTIVE && r.starts_at <= now && now < r.ends_at,
                status: r.status,
            })
        })
        .collect())
}

/// Creates a sale, its stock taken from the SKU in the same transaction (audited).
pub async fn create(
    db: &DatabaseConnection,
    by: &Actor,
    input: &SaleInput,
    now: DateTime<Utc>,
) -> Result<SaleView, AppError> {
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
    if !(1..=100_000).contains(&input.stock) {
        return Err(invalid("stock: 1-100000"));
    }
    if !(1..=100).contains(&input.per_member_limit) {
        return Err(invalid("per_member_limit: 1-100"));
    }
    if input.starts_at >= input.ends_at || input.ends_at <= now {
        return Err(invalid(
            "starts_at before ends_at, and ends_at in the future",
        ));
    }
    let txn = db.begin().await?;
    let sale = sales::ActiveModel {
        sku_id: Set(input.sku_id),
        price_fen: Set(input.price_fen),
        initial_stock: Set(input.stock),
        stock: Set(input.stock),
        per_member_limit: Set(input.per_member_limit),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        status: Set(ACTIVE.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    ledger::apply(
        &txn,
        Entry::new(stock_event(
            input.sku_id,
            -input.stock,
            "flash_sale",
            format!("flash_sale:{}", sale.id),
            Some(by.id),
            now,
        ))
        .keyed_by([shop_stock_events::Column::IdemKey])
        .guard(Guard::delta(
            shop_skus::Entity::update_many()
                .col_expr(shop_skus::Column::UpdatedAt, Expr::value(now))
                .filter(shop_skus::Column::Id.eq(input.sku_id)),
            shop_skus::Column::Stock,
            -input.stock,
            AppError::new(
                ErrorCode::OutOfStock,
                format!("stock: the SKU has {} left", sku.stock),
            ),
        )),
    )
    .await?;
    audit::record(
        &txn,
        by,
        "shop_flash_sale.create",
        Some(Target {
            kind: "shop_flash_sale",
            id: sale.id.to_string(),
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    let mut v = views(db, vec![sale], now).await?;
    v.pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("sale's SKU vanished")))
}

/// Sales not ended (running or to come), soonest first.
pub async fn list(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<SaleView>, AppError> {
    let rows = sales::Entity::find()
        .filter(sales::Column::Status.eq(ACTIVE))
        .filter(sales::Column::EndsAt.gt(now))
        .order_by_asc(sales::Column::StartsAt)
        .limit(100)
        .all(db)
        .await?;
    views(db, rows, now).await
}

pub async fn get(
    db: &DatabaseConnection,
    id: i32,
    now: DateTime<Utc>,
) -> Result<SaleView, AppError> {
    let row = sales::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    views(db, vec![row], now).await?.pop().ok_or_else(not_found)
}

/// The sale an order names, checked before anything is written: the items are its SKU, it
/// runs, and the quantity is within the per-member limit.
pub(crate) async fn open_sale(
    db: &DatabaseConnection,
    id: i32,
    wanted: &BTreeMap<i32, i32>,
    now: DateTime<Utc>,
) -> Result<sales::Model, AppError> {
    let sale = sales::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if wanted.len() != 1 || !wanted.contains_key(&sale.sku_id) {
        return Err(super::orders::invalid(format!(
            "items: exactly the flash sale's SKU {}",
            sale.sku_id
        )));
    }
    if now < sale.starts_at {
        return Err(AppError::new(
            ErrorCode::NotStarted,
            format!("the flash sale starts at {}", sale.starts_at.to_rfc3339()),
        ));
    }
    if sale.status != ACTIVE || now >= sale.ends_at {
        return Err(AppError::new(
            ErrorCode::FlashSaleEnded,
            "the flash sale has ended",
        ));
    }
    if wanted.values().sum::<i32>() > sale.per_member_limit {
        return Err(limit_reached(sale.per_member_limit));
    }
    Ok(sale)
}

/// The guards of an order's units: the member's counter within the limit, then the sale's
/// stock, while the sale runs.
pub(crate) fn guards(
    sale: &sales::Model,
    member_id: i32,
    quantity: i32,
    now: DateTime<Utc>,
) -> Vec<Guard> {
    vec![
        Guard::new(
            purchases::Entity::update_many()
                .col_expr(
                    purchases::Column::Quantity,
                    Expr::col(purchases::Column::Quantity).add(quantity),
                )
                .filter(purchases::Column::FlashSaleId.eq(sale.id))
                .filter(purchases::Column::MemberId.eq(member_id))
                .filter(
                    Expr::expr(Expr::col(purchases::Column::Quantity).add(quantity))
                        .lte(sale.per_member_limit),
                ),
            limit_reached(sale.per_member_limit),
        ),
        Guard::delta(
            sales::Entity::update_many()
                .col_expr(sales::Column::UpdatedAt, Expr::value(now))
                .filter(sales::Column::Id.eq(sale.id))
                .filter(sales::Column::Status.eq(ACTIVE))
                .filter(sales::Column::StartsAt.lte(now))
                .filter(sales::Column::EndsAt.gt(now)),
            sales::Column::Stock,
            -i64::from(quantity),
            out_of_stock("the flash sale"),
        ),
    ]
}

/// Ends the sales past their end: `active → ended` (guarded, with a stock event keyed by the
/// sale), the unsold stock back to the SKU, once. Answers how many ended now.
pub async fn end_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u32, AppError> {
    let due: Vec<i32> = sales::Entity::find()
        .select_only()
        .column(sales::Column::Id)
        .filter(sales::Column::Status.eq(ACTIVE))
        .filter(sales::Column::EndsAt.lte(now))
        .into_tuple()
        .all(db)
        .await?;
    let mut ended = 0;
    for id in due {
        let txn = db.begin().await?;
        let moved = sales::Entity::update_many()
            .col_expr(sales::Column::Status, Expr::value(ENDED))
            .col_expr(sales::Column::UpdatedAt, Expr::value(now))
            .filter(sales::Column::Id.eq(id))
            .filter(sales::Column::Status.eq(ACTIVE))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 0 {
            continue;
        }
        // The row is ours until commit: its stock cannot move under us.
        let Some(sale) = sales::Entity::find_by_id(id).one(&txn).await? else {
            continue;
        };
        let outcome = ledger::apply(
            &txn,
            Entry::new(stock_event(
                sale.sku_id,
                sale.stock,
                "flash_sale_end",
                format!("flash_sale_end:{id}"),
                None,
                now,
            ))
            .keyed_by([shop_stock_events::Column::IdemKey])
            .guard(Guard::delta(
                shop_skus::Entity::update_many()
                    .col_expr(shop_skus::Column::UpdatedAt, Expr::value(now))
                    .filter(shop_skus::Column::Id.eq(sale.sku_id)),
                shop_skus::Column::Stock,
                sale.stock,
                AppError::Internal(anyhow::anyhow!("SKU {} missing", sale.sku_id)),
            ))
            .guard(Guard::new(
                sales::Entity::update_many()
                    .col_expr(sales::Column::Stock, Expr::value(0i64))
                    .filter(sales::Column::Id.eq(id)),
                AppError::Internal(anyhow::anyhow!("sale {id} missing")),
            )),
        )
        .await?;
        if let Outcome::Applied(_) = outcome {
            ended += 1;
        }
        txn.commit().await?;
    }
    Ok(ended)
}
