//! Partner merchants as operators onboard them: the merchant (kind, contact, commission), its
//! stores (address, city) and staff accounts (an owner for the whole merchant, a clerk for one
//! store), and suspension. A suspended merchant's live coupons are not claimable; its unused
//! coupons stay redeemable until an operator blocks redemptions too. Every change is audited.

use chrono::{DateTime, Utc};
use entity::{merchant_stores, merchants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, ErrorCode};
use crate::service::staff::accounts::{self, MerchantStaffView, NewMerchantStaff};
use crate::service::staff::audit::{self, Actor, Target};
use crate::service::support::required_text;

pub const MERCHANT_KINDS: [&str; 5] = [
    "baby_shop",
    "photo_studio",
    "early_education",
    "clinic_neighbour",
    "other",
];

/// A merchant to onboard.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMerchant {
    /// 1-64 characters.
    pub name: String,
    /// `baby_shop`, `photo_studio`, `early_education`, `clinic_neighbour` or `other`.
    pub kind: String,
    /// 1-64 characters.
    pub contact_name: String,
    /// 5-20 digits; an optional leading `+`, `-` and spaces allowed.
    pub contact_phone: String,
    /// Our commission on each redemption's face value, 0-10000 basis points (500 = 5 %).
    #[schema(minimum = 0, maximum = 10000)]
    pub commission_bps: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantView {
    pub id: i32,
    pub name: String,
    pub kind: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub commission_bps: i32,
    /// `active` or `suspended`.
    pub status: String,
    /// Redemptions of its unused coupons are stopped.
    pub redemption_blocked: bool,
    pub created_at: DateTime<Utc>,
}

/// A store to add to a merchant.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    /// 1-64 characters.
    pub name: String,
    /// 1-128 characters.
    pub address: String,
    /// 1-32 characters, as members' profiles name cities (`上海市`).
    pub city: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreView {
    pub id: i32,
    pub merchant_id: i32,
    pub name: String,
    pub address: String,
    pub city: String,
    pub created_at: DateTime<Utc>,
}

/// A staff account to create for a merchant.
// No `Debug`: it holds a password.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// 3-32 ASCII letters, digits, '.', '_' or '-'; stored lowercase, unique.
    #[schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9._-]{3,32}$")]
    pub username: String,
    /// 10-128 characters.
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub password: String,
    /// `owner` (the whole merchant) or `clerk` (one store: `store_id` required).
    pub role: String,
    #[serde(default)]
    pub store_id: Option<i32>,
}

/// Suspension and the redemption block.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantStatusChange {
    /// Suspended: its live coupons stop being claimable.
    pub suspended: bool,
    /// Also stop redemptions of its unused coupons (default false: they stay redeemable).
    #[serde(default)]
    pub block_redemptions: bool,
}

pub mod action {
    pub const MERCHANT_CREATE: &str = "merchant.create";
    pub const MERCHANT_STATUS: &str = "merchant.status";
    pub const STORE_CREATE: &str = "merchant_store.create";
}

fn target(kind: &'static str, id: i32) -> Option<Target> {
    Some(Target {
        kind,
        id: id.to_string(),
    })
}

fn view(row: merchants::Model) -> MerchantView {
    MerchantView {
        id: row.id,
        name: row.name,
        kind: row.kind,
        contact_name: row.contact_name,
        contact_phone: row.contact_phone,
        commission_bps: row.commission_bps,
        status: row.status,
        redemption_blocked: row.redemption_blocked,
        created_at: row.created_at,
    }
}

fn store_view(row: merchant_stores::Model) -> StoreView {
    StoreView {
        id: row.id,
        merchant_id: row.merchant_id,
        name: row.name,
        address: row.address,
        city: row.city,
        created_at: row.created_at,
    }
}

fn phone_ok(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let rest_ok = phone
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (c == '+' && i == 0));
    (5..=20).contains(&digits) && rest_ok && phone.len() <= 32
}

pub(crate) fn merchant_not_found() -> AppError {
    AppError::new(ErrorCode::MerchantNotFound, "no merchant has this id")
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<merchants::Model, AppError> {
    merchants::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(merchant_not_found)
}

pub async fn create(
    db: &DatabaseConnection,
    by: &Actor,
    input: &NewMerchant,
    now: DateTime<Utc>,
) -> Result<MerchantView, AppError> {
    let name = required_text(&input.name, 64, ErrorCode::InvalidMerchantName, "name")?;
    if !MERCHANT_KINDS.contains(&input.kind.as_str()) {
        return Err(AppError::new(
            ErrorCode::InvalidMerchantKind,
            format!("kind must be one of {}", MERCHANT_KINDS.join(", ")),
        ));
    }
    let contact_name = required_text(
        &input.contact_name,
        64,
        ErrorCode::InvalidContactName,
        "contact_name",
    )?;
    let contact_phone = input.contact_phone.trim().to_owned();
    if !phone_ok(&contact_phone) {
        return Err(AppError::new(
            ErrorCode::InvalidContactPhone,
            "contact_phone must be 5-20 digits (a leading +, '-' and spaces allowed)",
        ));
    }
    let commission_bps = i32::try_from(input.commission_bps)
        .ok()
        .filter(|b| (0..=10_000).contains(b))
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidCommissionBps,
                "commission_bps must be 0-10000 basis points",
            )
        })?;
    let txn = db.begin().await?;
    let row = merchants::ActiveModel {
        name: Set(name),
        status: Set("active".to_owned()),
        created_at: Set(now),
        kind: Set(input.kind.clone()),
        contact_name: Set(contact_name),
        contact_phone: Set(contact_phone),
        commission_bps: Set(commission_bps),
        redemption_blocked: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        by,
        action::MERCHANT_CREATE,
        target("merchant", row.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(view(row))
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<MerchantView>, AppError> {
    Ok(merchants::Entity::find()
        .order_by_asc(merchants::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

pub async fn get(db: &DatabaseConnection, id: i32) -> Result<MerchantView, AppError> {
    Ok(view(find(db, id).await?))
}

pub async fn set_status(
    db: &DatabaseConnection,
    by: &Actor,
    id: i32,
    change: &MerchantStatusChange,
    now: DateTime<Utc>,
) -> Result<MerchantView, AppError> {
    let status = if change.suspended {
        "suspended"
    } else {
        "active"
    };
    let txn = db.begin().await?;
    let updated = merchants::Entity::update_many()
        .col_expr(merchants::Column::Status, Expr::value(status))
        .col_expr(
            merchants::Column::RedemptionBlocked,
            Expr::value(change.block_redemptions),
        )
        .filter(merchants::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(merchant_not_found());
    }
    audit::record(
        &txn,
        by,
        action::MERCHANT_STATUS,
        target("merchant", id),
        now,
    )
    .await?;
    let row = find(&txn, id).await?;
    txn.commit().await?;
    Ok(view(row))
}

pub async fn add_store(
    db: &DatabaseConnection,
    by: &Actor,
    merchant_id: i32,
    input: &NewStore,
    now: DateTime<Utc>,
) -> Result<StoreView, AppError> {
    let name = required_text(&input.name, 64, ErrorCode::InvalidStoreName, "name")?;
    let address = required_text(
        &input.address,
        128,
        ErrorCode::InvalidStoreAddress,
        "address",
    )?;
    let city = required_text(&input.city, 32, ErrorCode::InvalidStoreCity, "city")?;
    find(db, merchant_id).await?;
    let txn = db.begin().await?;
    let row = merchant_stores::ActiveModel {
        merchant_id: Set(merchant_id),
        name: Set(name),
        created_at: Set(now),
        address: Set(address),
        city: Set(city),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        by,
        action::STORE_CREATE,
        target("merchant_store", row.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(store_view(row))
}

pub async fn stores(db: &DatabaseConnection, merchant_id: i32) -> Result<Vec<StoreView>, AppError> {
    find(db, merchant_id).await?;
    Ok(merchant_stores::Entity::find()
        .filter(merchant_stores::Column::MerchantId.eq(merchant_id))
        .order_by_asc(merchant_stores::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(store_view)
        .collect())
}

/// Creates an owner (whole merchant) or a clerk (one of the merchant's stores).
pub async fn add_staff(
    db: &DatabaseConnection,
    by: &Actor,
    merchant_id: i32,
    input: &NewStaff,
    now: DateTime<Utc>,
) -> Result<MerchantStaffView, AppError> {
    find(db, merchant_id).await?;
    let store_id = match (input.role.as_str(), input.store_id) {
        ("clerk", None) => {
            return Err(AppError::new(
                ErrorCode::ClerkNeedsStore,
                "a clerk belongs to one store: give store_id",
            ));
        }
        (_, Some(store_id)) => {
            let store = merchant_stores::Entity::find_by_id(store_id)
                .one(db)
                .await?;
            if store.is_none_or(|s| s.merchant_id != merchant_id) {
                return Err(AppError::new(
                    ErrorCode::StoreNotFound,
                    "the merchant has no store with this id",
                ));
            }
            Some(store_id)
        }
        (_, None) => None,
    };
    let account = NewMerchantStaff {
        username: input.username.clone(),
        password: input.password.clone(),
        role: input.role.clone(),
        merchant_id,
        store_id,
    };
    accounts::create_merchant_staff(db, &account, Some(by), now).await
}
