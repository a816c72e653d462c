//! The catalogue: categories, products with SKUs (spec values, price, member price per tier,
//! stock), images, a baby age band, tags linking a product to vaccines or stages; operators
//! create, edit (audited), publish and unpublish; stock changes are compare-and-set with an
//! event row; parents see products on sale, those for their baby's age first.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{shop_categories, shop_products, shop_skus, shop_stock_events};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::product_status::{DRAFT, OFF_SALE, ON_SALE};
use crate::domain::membership::Tier;
use crate::error::{AppError, ErrorCode};
use crate::service::ledger::{self, Entry, Guard};
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::{is_unique_violation, required_text};

pub const MAX_AGE_DAYS: i32 = 6575;
const MAX_PRICE_FEN: i64 = 100_000_000;
const MAX_STOCK: i64 = 1_000_000;

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidProduct, message)
}

pub(crate) fn product_not_found() -> AppError {
    AppError::new(ErrorCode::ProductNotFound, "no such product")
}

fn target(kind: &'static str, id: i32) -> Target {
    Target {
        kind,
        id: id.to_string(),
    }
}

// ---------------------------------------------------------------- categories

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CategoryInput {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: i32,
    pub name: String,
}

pub async fn create_category(
    db: &DatabaseConnection,
    by: &Actor,
    input: &CategoryInput,
    now: DateTime<Utc>,
) -> Result<CategoryView, AppError> {
    let name = required_text(&input.name, 32, ErrorCode::InvalidCategoryName, "name")?;
    let txn = db.begin().await?;
    let row = shop_categories::ActiveModel {
        name: Set(name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::new(
                ErrorCode::CategoryExists,
                "a category already has this name",
            )
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        by,
        "shop_category.create",
        Some(target("shop_category", row.id)),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(CategoryView {
        id: row.id,
        name: row.name,
    })
}

pub async fn categories(db: &DatabaseConnection) -> Result<Vec<CategoryView>, AppError> {
    Ok(shop_categories::Entity::find()
        .order_by_asc(shop_categories::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CategoryView {
            id: c.id,
            name: c.name,
        })
        .collect())
}

// ---------------------------------------------------------------- products

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgeBand {
    /// Days since birth, inclusive.
    pub min: i32,
    /// Days since birth, inclusive.
    pub max: i32,
}

/// A member price per paid tier, in fen; absent: the next lower tier's, then the price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberPrices {
    pub basic: Option<i64>,
    pub advanced: Option<i64>,
    pub premium: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SkuInput {
    /// On `PUT`: the SKU edited; absent: a new SKU.
    pub id: Option<i32>,
    /// Spec values, e.g. `{"size": "M", "colour": "blue"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub spec: BTreeMap<String, String>,
    pub price_fen: i64,
    #[serde(default)]
    pub member_prices: MemberPrices,
    /// Stock of a new SKU (0-1000000). An existing SKU's stock changes only through
    /// `PUT /admin/v1/shop/skus/{id}/stock` (orders move it meanwhile).
    pub stock: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProductInput {
    pub title: String,
    pub category_id: i32,
    #[serde(default)]
    pub description: String,
    /// Image URLs (https), up to 9.
    #[serde(default)]
    pub images: Vec<String>,
    /// The baby age band in days; absent: every age.
    pub baby_age_days: Option<AgeBand>,
    /// Vaccines or stages the product goes with, e.g. `before DTaP`, `teething`,
    /// `feeding_start_solids`; up to 10.
    #[serde(default)]
    pub tags: Vec<String>,
    pub skus: Vec<SkuInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuView {
    pub id: i32,
    #[schema(value_type = Object)]
    pub spec: BTreeMap<String, String>,
    pub price_fen: i64,
    pub member_prices: MemberPrices,
    /// What you pay, with your membership tier now.
    pub your_price_fen: i64,
    pub stock: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductView {
    pub id: i32,
    pub category_id: i32,
    pub title: String,
    pub description: String,
    pub images: Vec<String>,
    pub baby_age_days: Option<AgeBand>,
    pub tags: Vec<String>,
    /// `draft`, `on_sale` or `off_sale`.
    pub status: String,
    pub skus: Vec<SkuView>,
    /// In the age band of the baby asked about (listing with `baby_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_your_baby: Option<bool>,
    pub updated_at: DateTime<Utc>,
}

/// What `tier` pays for `sku`: its member price (or the next lower tier's), else the price.
pub fn unit_price(sku: &shop_skus::Model, tier: Option<Tier>) -> i64 {
    let price = match tier {
        Some(Tier::Premium) => sku.premium_fen.or(sku.advanced_fen).or(sku.basic_fen),
        Some(Tier::Advanced) => sku.advanced_fen.or(sku.basic_fen),
        Some(Tier::Basic) => sku.basic_fen,
        None => None,
    };
    price.unwrap_or(sku.price_fen).min(sku.price_fen)
}

pub(crate) fn spec_of(row: &shop_skus::Model) -> BTreeMap<String, String> {
    serde_json::from_str(&row.spec).unwrap_or_default()
}

fn strings(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(crate) fn band_of(row: &shop_products::Model) -> Option<AgeBand> {
    match (row.age_min_days, row.age_max_days) {
        (Some(min), Some(max)) => Some(AgeBand { min, max }),
        _ => None,
    }
}

pub(crate) fn tags_of(row: &shop_products::Model) -> Vec<String> {
    strings(&row.tags)
}

pub(crate) fn view(
    row: &shop_products::Model,
    skus: &[shop_skus::Model],
    tier: Option<Tier>,
    age_days: Option<i64>,
) -> ProductView {
    let band = band_of(row);
    ProductView {
        id: row.id,
        category_id: row.category_id,
        title: row.title.clone(),
        description: row.description.clone(),
        images: strings(&row.images),
        baby_age_days: band,
        tags: tags_of(row),
        status: row.status.clone(),
        skus: skus
            .iter()
            .map(|s| SkuView {
                id: s.id,
                spec: spec_of(s),
                price_fen: s.price_fen,
                member_prices: MemberPrices {
                    basic: s.basic_fen,
                    advanced: s.advanced_fen,
                    premium: s.premium_fen,
                },
                your_price_fen: unit_price(s, tier),
                stock: s.stock,
            })
            .collect(),
        for_your_baby: age_days.map(|age| in_band(band, age)),
        updated_at: row.updated_at,
    }
}

fn in_band(band: Option<AgeBand>, age_days: i64) -> bool {
    band.is_some_and(|b| i64::from(b.min) <= age_days && age_days <= i64::from(b.max))
}

fn clean_list(
    values: &[String],
    max_items: usize,
    max_chars: usize,
    field: &str,
    url: bool,
) -> Result<Vec<String>, AppError> {
    if values.len() > max_items {
        return Err(invalid(format!("{field}: at most {max_items}")));
    }
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let v = required_text(
            v,
            max_chars,
            ErrorCode::InvalidProduct,
            &format!("{field}[{i}]"),
        )?;
        if url && !v.starts_with("https://") {
            return Err(invalid(format!("{field}[{i}]: an https:// URL")));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

struct CheckedSku {
    id: Option<i32>,
    spec: String,
    price_fen: i64,
    prices: MemberPrices,
    stock: Option<i64>,
}

fn check_sku(i: usize, sku: &SkuInput) -> Result<CheckedSku, AppError> {
    let field = |name: &str| format!("skus[{i}].{name}");
    if sku.spec.len() > 5 {
        return Err(invalid(format!("{}: at most 5 spec values", field("spec"))));
    }
    for (k, v) in &sku.spec {
        required_text(k, 16, ErrorCode::InvalidProduct, &field("spec key"))?;
        required_text(v, 32, ErrorCode::InvalidProduct, &field("spec value"))?;
    }
    if !(1..=MAX_PRICE_FEN).contains(&sku.price_fen) {
        return Err(invalid(format!(
            "{}: 1-{MAX_PRICE_FEN} fen",
            field("price_fen")
        )));
    }
    let prices = sku.member_prices;
    for (tier, p) in [
        ("basic", prices.basic),
        ("advanced", prices.advanced),
        ("premium", prices.premium),
    ] {
        if let Some(p) = p
            && !(1..=sku.price_fen).contains(&p)
        {
            return Err(invalid(format!(
                "{}.{tier}: 1 fen up to the price ({} fen)",
                field("member_prices"),
                sku.price_fen
            )));
        }
    }
    if let Some(stock) = sku.stock
        && !(0..=MAX_STOCK).contains(&stock)
    {
        return Err(invalid(format!("{}: 0-{MAX_STOCK}", field("stock"))));
    }
    if sku.id.is_some() && sku.stock.is_some() {
        return Err(invalid(format!(
            "{}: change an existing SKU's stock with PUT /admin/v1/shop/skus/{{id}}/stock",
            field("stock")
        )));
    }
    if sku.id.is_none() && sku.stock.is_none() {
        return Err(invalid(format!(
            "{}: required for a new SKU",
            field("stock")
        )));
    }
    let spec = serde_json::to_string(&sku.spec).map_err(|e| AppError::Internal(e.into()))?;
    Ok(CheckedSku {
        id: sku.id,
        spec,
        price_fen: sku.price_fen,
        prices,
        stock: sku.stock,
    })
}

struct Checked {
    title: String,
    description: String,
    images: String,
    band: Option<AgeBand>,
    tags: String,
    skus: Vec<CheckedSku>,
}

fn check(input: &ProductInput) -> Result<Checked, AppError> {
    let title = required_text(&input.title, 64, ErrorCode::InvalidProduct, "title")?;
    let description = input.description.trim().to_owned();
    if description.chars().count() > 2000 {
        return Err(invalid("description: at most 2000 characters"));
    }
    let images = clean_list(&input.images, 9, 512, "images", true)?;
    let tags = clean_list(&input.tags, 10, 32, "tags", false)?;
    if let Some(b) = input.baby_age_days
        && !(0 <= b.min && b.min <= b.max && b.max <= MAX_AGE_DAYS)
    {
        return Err(invalid(format!(
            "baby_age_days: 0 <= min <= max <= {MAX_AGE_DAYS}"
        )));
    }
    if input.skus.is_empty() || input.skus.len() > 50 {
        return Err(invalid("skus: 1-50"));
    }
    let skus = input
        .skus
        .iter()
        .enumerate()
        .map(|(i, s)| check_sku(i, s))
        .collect::<Result<Vec<_>, _>>()?;
    let json = |v: &Vec<String>| serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()));
    Ok(Checked {
        title,
        description,
        images: json(&images)?,
        band: input.baby_age_days,
        tags: json(&tags)?,
        skus,
    })
}

async fn require_category<C: ConnectionTrait>(db: &C, id: i32) -> Result<(), AppError> {
    shop_categories::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::new(ErrorCode::CategoryNotFound, "category_id: no such category"))
}

pub(crate) fn stock_event(
    sku_id: i32,
    delta: i64,
    reason: &str,
    key: String,
    operator_id: Option<i32>,
    now: DateTime<Utc>,
) -> shop_stock_events::ActiveModel {
    shop_stock_events::ActiveModel {
        sku_id: Set(sku_id),
        delta: Set(delta),
        reason: Set(reason.to_owned()),
        idem_key: Set(key),
        operator_id: Set(operator_id),
        created_at: Set(now),
        ..Default::default()
    }
}

async fn insert_sku<C: ConnectionTrait>(
    txn: &C,
    product_id: i32,
    sku: &CheckedSku,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let stock = sku.stock.unwrap_or(0);
    let row = shop_skus::ActiveModel {
        product_id: Set(product_id),
        spec: Set(sku.spec.clone()),
        price_fen: Set(sku.price_fen),
        basic_fen: Set(sku.prices.basic),
        advanced_fen: Set(sku.prices.advanced),
        premium_fen: Set(sku.prices.premium),
        stock: Set(stock),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    stock_event(
        row.id,
        stock,
        "initial",
        format!("initial:{}", row.id),
        Some(by.id),
        now,
    )
    .insert(txn)
    .await?;
    Ok(())
}

async fn load(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<(shop_products::Model, Vec<shop_skus::Model>), AppError> {
    let product = shop_products::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(product_not_found)?;
    let skus = shop_skus::Entity::find()
        .filter(shop_skus::Column::ProductId.eq(id))
        .order_by_asc(shop_skus::Column::Id)
        .all(db)
        .await?;
    Ok((product, skus))
}

/// Creates a product and its SKUs, as a draft.
pub async fn create_product(
    db: &DatabaseConnection,
    by: &Actor,
    input: &ProductInput,
    now: DateTime<Utc>,
) -> Result<ProductView, AppError> {
    let checked = check(input)?;
    if checked.skus.iter().any(|s| s.id.is_some()) {
        return Err(invalid("skus[].id: only on PUT"));
    }
    let txn = db.begin().await?;
    require_category(&txn, input.category_id).await?;
    let row = shop_products::ActiveModel {
        category_id: Set(input.category_id),
        title: Set(checked.title),
        description: Set(checked.description),
        images: Set(checked.images),
        age_min_days: Set(checked.band.map(|b| b.min)),
        age_max_days: Set(checked.band.map(|b| b.max)),
        tags: Set(checked.tags),
        status: Set(DRAFT.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for sku in &checked.skus {
        insert_sku(&txn, row.id, sku, by, now).await?;
    }
    audit::record(
        &txn,
        by,
        "shop_product.create",
        Some(target("shop_product", row.id)),
        now,
    )
    .await?;
    let (product, skus) = load(&txn, row.id).await?;
    txn.commit().await?;
    Ok(view(&product, &skus, None, None))
}

/// Replaces a product's fields and its SKUs' specs and prices (SKUs named by `id`; new ones
/// added with their stock; SKUs left out stay). A price change applies to orders made after
/// it; an order keeps the prices it was made with (and its payable).
pub async fn edit_product(
    db: &DatabaseConnection,
    by: &Actor,
    id: i32,
    input: &ProductInput,
    now: DateTime<Utc>,
) -> Result<ProductView, AppError> {
    let checked = check(input)?;
    let txn = db.begin().await?;
    // The write first: the product row's lock.
    let moved = shop_products::Entity::update_many()
        .col_expr(
            shop_products::Column::CategoryId,
            Expr::value(input.category_id),
        )
        .col_expr(shop_products::Column::Title, Expr::value(checked.title))
        .col_expr(
            shop_products::Column::Description,
            Expr::value(checked.description),
        )
        .col_expr(shop_products::Column::Images, Expr::value(checked.images))
        .col_expr(
            shop_products::Column::AgeMinDays,
            Expr::value(checked.band.map(|b| b.min)),
        )
        .col_expr(
            shop_products::Column::AgeMaxDays,
            Expr::value(checked.band.map(|b| b.max)),
        )
        .col_expr(shop_products::Column::Tags, Expr::value(checked.tags))
        .col_expr(shop_products::Column::UpdatedAt, Expr::value(now))
        .filter(shop_products::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(product_not_found());
    }
    require_category(&txn, input.category_id).await?;
    for sku in &checked.skus {
        match sku.id {
            Some(sku_id) => {
                let moved = shop_skus::Entity::update_many()
                    .col_expr(shop_skus::Column::Spec, Expr::value(sku.spec.clone()))
                    .col_expr(shop_skus::Column::PriceFen, Expr::value(sku.price_fen))
                    .col_expr(shop_skus::Column::BasicFen, Expr::value(sku.prices.basic))
                    .col_expr(
                        shop_skus::Column::AdvancedFen,
                        Expr::value(sku.prices.advanced),
                    )
                    .col_expr(
                        shop_skus::Column::PremiumFen,
                        Expr::value(sku.prices.premium),
                    )
                    .col_expr(shop_skus::Column::UpdatedAt, Expr::value(now))
                    .filter(shop_skus::Column::Id.eq(sku_id))
                    .filter(shop_skus::Column::ProductId.eq(id))
                    .exec(&txn)
                    .await?;
                if moved.rows_affected == 0 {
                    return Err(AppError::new(
                        ErrorCode::SkuNotFound,
                        format!("skus[].id {sku_id}: not a SKU of this product"),
                    ));
                }
            }
            None => insert_sku(&txn, id, sku, by, now).await?,
        }
    }
    audit::record(
        &txn,
        by,
        "shop_product.edit",
        Some(target("shop_product", id)),
        now,
    )
    .await?;
    let (product, skus) = load(&txn, id).await?;
    txn.commit().await?;
    Ok(view(&product, &skus, None, None))
}

/// `draft`/`off_sale` → `on_sale` (publish) or `on_sale` → `off_sale` (unpublish), audited.
pub async fn set_on_sale(
    db: &DatabaseConnection,
    by: &Actor,
    id: i32,
    on_sale: bool,
    now: DateTime<Utc>,
) -> Result<ProductView, AppError> {
    let (from, to, action): (&[&str], &str, &str) = if on_sale {
        (&[DRAFT, OFF_SALE], ON_SALE, "shop_product.publish")
    } else {
        (&[ON_SALE], OFF_SALE, "shop_product.unpublish")
    };
    let txn = db.begin().await?;
    let moved = shop_products::Entity::update_many()
        .col_expr(shop_products::Column::Status, Expr::value(to))
        .col_expr(shop_products::Column::UpdatedAt, Expr::value(now))
        .filter(shop_products::Column::Id.eq(id))
        .filter(shop_products::Column::Status.is_in(from.iter().copied()))
        .exec(&txn)
        .await?;
    let (product, skus) = load(&txn, id).await?;
    if moved.rows_affected == 0 {
        return Err(AppError::new(
            ErrorCode::ProductStateConflict,
            format!("the product is {}", product.status),
        ));
    }
    audit::record(&txn, by, action, Some(target("shop_product", id)), now).await?;
    txn.commit().await?;
    Ok(view(&product, &skus, None, None))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StockInput {
    /// The new stock, 0-1000000.
    pub stock: i64,
    /// The stock you read: the change applies only if it is still that (orders move it).
    pub expected_stock: i64,
}

/// Sets a SKU's stock, compare-and-set against what the operator read, with a stock event and
/// an audit row.
pub async fn set_stock(
    db: &DatabaseConnection,
    by: &Actor,
    sku_id: i32,
    input: &StockInput,
    now: DateTime<Utc>,
) -> Result<SkuView, AppError> {
    if !(0..=MAX_STOCK).contains(&input.stock) {
        return Err(invalid(format!("stock: 0-{MAX_STOCK}")));
    }
    let sku = shop_skus::Entity::find_by_id(sku_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::SkuNotFound, "no SKU has this id"))?;
    let delta = input.stock - input.expected_stock;
    let txn = db.begin().await?;
    let key = format!(
        "set:{sku_id}:{}:{:016x}",
        now.timestamp_micros(),
        rand::random::<u64>()
    );
    ledger::apply(
        &txn,
        Entry::new(stock_event(
            sku_id,
            delta,
            "operator",
            key,
            Some(by.id),
            now,
        ))
        .guard(Guard::new(
            shop_skus::Entity::update_many()
                .col_expr(shop_skus::Column::Stock, Expr::value(input.stock))
                .col_expr(shop_skus::Column::UpdatedAt, Expr::value(now))
                .filter(shop_skus::Column::Id.eq(sku_id))
                .filter(shop_skus::Column::Stock.eq(input.expected_stock)),
            AppError::new(
                ErrorCode::StockChanged,
                format!("the stock is no longer {}", input.expected_stock),
            ),
        )),
    )
    .await?;
    audit::record(
        &txn,
        by,
        "shop_sku.stock",
        Some(target("shop_sku", sku_id)),
        now,
    )
    .await?;
    let row = shop_skus::Entity::find_by_id(sku_id)
        .one(&txn)
        .await?
        .unwrap_or(sku);
    txn.commit().await?;
    let (product, skus) = load(db, row.product_id).await?;
    let v = view(&product, &skus, None, None);
    v.skus
        .into_iter()
        .find(|s| s.id == sku_id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("sku vanished")))
}

/// Any product, for operators.
pub async fn product_for_staff(db: &DatabaseConnection, id: i32) -> Result<ProductView, AppError> {
    let (product, skus) = load(db, id).await?;
    Ok(view(&product, &skus, None, None))
}

/// A product on sale, for parents (priced for `tier`).
pub async fn product_on_sale(
    db: &DatabaseConnection,
    id: i32,
    tier: Option<Tier>,
) -> Result<ProductView, AppError> {
    let (product, skus) = load(db, id).await?;
    if product.status != ON_SALE {
        return Err(product_not_found());
    }
    Ok(view(&product, &skus, tier, None))
}

/// A page of products; `next_cursor` continues it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductView>,
    pub next_cursor: Option<String>,
}

pub struct Listing {
    pub category: Option<i32>,
    /// The baby's age in days: products of its band first.
    pub age_days: Option<i64>,
    pub cursor: Option<String>,
    pub limit: u64,
    /// Operators see every status (or the one asked for); parents only `on_sale`.
    pub status: Option<String>,
    pub tier: Option<Tier>,
}

/// The cursor: `<phase>.<last id>`; phase `a` (the baby's band) then `b` (the rest).
fn parse_cursor(cursor: Option<&str>) -> Result<(bool, Option<i32>), AppError> {
    let bad = || {
        AppError::new(
            ErrorCode::InvalidCursor,
            "cursor: as answered in next_cursor",
        )
    };
    match cursor {
        None => Ok((true, None)),
        Some(c) => {
            let (phase, id) = c.split_once('.').ok_or_else(bad)?;
            let id: i32 = id.parse().map_err(|_| bad())?;
            match phase {
                "a" => Ok((true, Some(id))),
                "b" => Ok((false, Some(id))),
                _ => Err(bad()),
            }
        }
    }
}

fn band_condition(age: i64) -> Condition {
    Condition::all()
        .add(shop_products::Column::AgeMinDays.lte(age))
        .add(shop_products::Column::AgeMaxDays.gte(age))
}

/// Newest first; with an age, the products of its band first, then the others.
pub async fn list(db: &DatabaseConnection, q: &Listing) -> Result<ProductPage, AppError> {
    if !(1..=100).contains(&q.limit) {
        return Err(AppError::new(ErrorCode::InvalidCursor, "limit: 1-100"));
    }
    let (mut first_phase, mut after) = parse_cursor(q.cursor.as_deref())?;
    if q.age_days.is_none() {
        first_phase = false;
    }
    let base = || {
        let mut s = shop_products::Entity::find();
        if let Some(status) = &q.status {
            s = s.filter(shop_products::Column::Status.eq(status.as_str()));
        }
        if let Some(c) = q.category {
            s = s.filter(shop_products::Column::CategoryId.eq(c));
        }
        s.order_by_desc(shop_products::Column::Id)
    };
    let mut rows: Vec<(bool, shop_products::Model)> = Vec::new();
    if let (true, Some(age)) = (first_phase, q.age_days) {
        let mut s = base().filter(band_condition(age));
        if let Some(a) = after {
            s = s.filter(shop_products::Column::Id.lt(a));
        }
        rows.extend(
            s.limit(q.limit + 1)
                .all(db)
                .await?
                .into_iter()
                .map(|r| (true, r)),
        );
        after = None;
    }
    if rows.len() as u64 <= q.limit {
        let mut s = base();
        if let Some(age) = q.age_days {
            // Products without a band are for every age: in the second part.
            s = s.filter(
                Condition::any()
                    .add(band_condition(age).not())
                    .add(shop_products::Column::AgeMinDays.is_null())
                    .add(shop_products::Column::AgeMaxDays.is_null()),
            );
        }
        if let Some(a) = after {
            s = s.filter(shop_products::Column::Id.lt(a));
        }
        let wanted = q.limit + 1 - rows.len() as u64;
        rows.extend(
            s.limit(wanted)
                .all(db)
                .await?
                .into_iter()
                .map(|r| (false, r)),
        );
    }
    let more = rows.len() as u64 > q.limit;
    rows.truncate(q.limit as usize);
    // After a last row of the band's part, the next page finishes the band's part (nothing
    // more) and starts the rest from the top.
    let next_cursor = if more {
        rows.last()
            .map(|(a, r)| format!("{}.{}", if *a { "a" } else { "b" }, r.id))
    } else {
        None
    };
    let ids: Vec<i32> = rows.iter().map(|(_, r)| r.id).collect();
    let mut skus: HashMap<i32, Vec<shop_skus::Model>> = HashMap::new();
    if !ids.is_empty() {
        for s in shop_skus::Entity::find()
            .filter(shop_skus::Column::ProductId.is_in(ids))
            .order_by_asc(shop_skus::Column::Id)
            .all(db)
            .await?
        {
            skus.entry(s.product_id).or_default().push(s);
        }
    }
    let items = rows
        .iter()
        .map(|(_, r)| {
            view(
                r,
                skus.get(&r.id).map(Vec::as_slice).unwrap_or(&[]),
                q.tier,
                q.age_days,
            )
        })
        .collect();
    Ok(ProductPage { items, next_cursor })
}

/// The listing parents see: products on sale, priced for the member's tier now; with
/// `baby_id` (a baby shared with the member), those of the baby's age band first.
pub async fn list_for_member(
    db: &DatabaseConnection,
    member_id: i32,
    category: Option<i32>,
    baby_id: Option<i32>,
    cursor: Option<String>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<ProductPage, AppError> {
    let age_days = match baby_id {
        Some(baby) => {
            let baby = crate::service::care::access::access(db, member_id, baby)
                .await?
                .baby;
            Some(crate::domain::time::age_days(
                baby.birth_date,
                crate::domain::time::shanghai_date(now),
            ))
        }
        None => None,
    };
    let tier = crate::service::audience::membership::tier_on(db, member_id, now).await?;
    list(
        db,
        &Listing {
            category,
            age_days,
            cursor,
            limit,
            status: Some(ON_SALE.to_owned()),
            tier,
        },
    )
    .await
}

/// A product on sale, priced for the member's tier now.
pub async fn product_for_member(
    db: &DatabaseConnection,
    member_id: i32,
    id: i32,
    now: DateTime<Utc>,
) -> Result<ProductView, AppError> {
    let tier = crate::service::audience::membership::tier_on(db, member_id, now).await?;
    product_on_sale(db, id, tier).await
}
