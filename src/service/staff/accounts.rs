//! Operator and merchant staff accounts: creation (validated, argon2id-hashed), listing,
//! disabling, and the per-request check the staff doors' extractors make.
//!
//! Usernames are stored lowercase and are unique per kind of account. A disabled account (or one
//! that is gone) cannot log in, and its tokens answer 401 `account_disabled`.

use chrono::{DateTime, Utc};
use entity::{merchant_staff, operators};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::{self, Actor, Target, action};
use super::{AccountKind, password};
use crate::domain::staff::{
    MerchantRole, OperatorRole, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, normalize_username,
    password_length_ok,
};
use crate::error::{AppError, ErrorCode};
use crate::service::support::is_unique_violation;

/// A new operator account.
// No `Debug`: it holds a password.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewOperator {
    /// 3-32 ASCII letters, digits, '.', '_' or '-'; stored lowercase, unique.
    #[schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9._-]{3,32}$")]
    pub username: String,
    /// 10-128 characters.
    #[schema(min_length = 10, max_length = 128, format = Password)]
    pub password: String,
    #[schema(value_type = OperatorRole)]
    pub role: String,
}

/// A new merchant staff account (created by code for now; the merchant door's management of
/// staff comes later).
// No `Debug`: it holds a password.
#[derive(Clone)]
pub struct NewMerchantStaff {
    pub username: String,
    pub password: String,
    pub role: String,
    pub merchant_id: i32,
    /// One of the merchant's stores (the schema holds it to that), or None for the whole merchant.
    pub store_id: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperatorView {
    pub id: i32,
    pub username: String,
    pub role: OperatorRole,
    /// A disabled operator cannot log in, and their tokens are refused.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantStaffView {
    pub id: i32,
    pub username: String,
    pub role: MerchantRole,
    pub merchant_id: i32,
    /// The store they work at; null for staff of the whole merchant.
    pub store_id: Option<i32>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// What the merchant door's extractor needs of an active staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveMerchantStaff {
    pub merchant_id: i32,
    pub store_id: Option<i32>,
    pub role: MerchantRole,
}

fn stored_role<R>(parse: fn(&str) -> Option<R>, stored: &str) -> Result<R, AppError> {
    parse(stored)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown stored role {stored:?}")))
}

fn operator_view(row: operators::Model) -> Result<OperatorView, AppError> {
    Ok(OperatorView {
        role: stored_role(OperatorRole::parse, &row.role)?,
        id: row.id,
        username: row.username,
        disabled: row.disabled,
        created_at: row.created_at,
        last_login_at: row.last_login_at,
    })
}

fn merchant_staff_view(row: merchant_staff::Model) -> Result<MerchantStaffView, AppError> {
    Ok(MerchantStaffView {
        role: stored_role(MerchantRole::parse, &row.role)?,
        id: row.id,
        username: row.username,
        merchant_id: row.merchant_id,
        store_id: row.store_id,
        disabled: row.disabled,
        created_at: row.created_at,
        last_login_at: row.last_login_at,
    })
}

/// The checks every new account passes, in the order they are reported.
fn checked_username_and_password(username: &str, password: &str) -> Result<String, AppError> {
    let username = normalize_username(username).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidUsername,
            "username must be 3-32 ASCII letters, digits, '.', '_' or '-'",
        )
    })?;
    if !password_length_ok(password) {
        return Err(AppError::new(
            ErrorCode::WeakPassword,
            format!("password must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    Ok(username)
}

fn invalid_role<R: Copy>(roles: &[R], name: fn(R) -> &'static str) -> AppError {
    let known: Vec<&str> = roles.iter().map(|r| name(*r)).collect();
    AppError::new(
        ErrorCode::InvalidRole,
        format!("role must be one of {}", known.join(", ")),
    )
}

fn username_taken(err: DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::new(
            ErrorCode::UsernameTaken,
            "an account already has this username",
        )
    } else {
        err.into()
    }
}

/// Creates an operator. `by` is the operator who does it (audited), None from the command line.
pub async fn create_operator(
    db: &DatabaseConnection,
    input: &NewOperator,
    by: Option<&Actor>,
    now: DateTime<Utc>,
) -> Result<OperatorView, AppError> {
    let username = checked_username_and_password(&input.username, &input.password)?;
    let role = OperatorRole::parse(&input.role)
        .ok_or_else(|| invalid_role(&OperatorRole::ALL, OperatorRole::as_str))?;
    let password_hash = password::hash(&input.password).await?;
    let txn = db.begin().await?;
    let row = operators::ActiveModel {
        username: Set(username),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        disabled: Set(false),
        created_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(username_taken)?;
    if let Some(actor) = by {
        let target = Some(Target::operator(row.id));
        audit::record(&txn, actor, action::OPERATOR_CREATE, target, now).await?;
    }
    txn.commit().await?;
    operator_view(row)
}

/// Every operator, oldest first.
pub async fn list_operators(db: &DatabaseConnection) -> Result<Vec<OperatorView>, AppError> {
    operators::Entity::find()
        .order_by_asc(operators::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(operator_view)
        .collect()
}

pub async fn operator(db: &DatabaseConnection, id: i32) -> Result<OperatorView, AppError> {
    let row = operators::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(operator_not_found)?;
    operator_view(row)
}

fn operator_not_found() -> AppError {
    AppError::new(ErrorCode::OperatorNotFound, "no operator has this id")
}

/// Disables (or enables again) an operator; their tokens stop (or start) working at once. An
/// operator cannot disable themselves, so there is always someone left to enable accounts.
pub async fn set_operator_disabled(
    db: &DatabaseConnection,
    by: &Actor,
    operator_id: i32,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<OperatorView, AppError> {
    if disabled && by.kind == AccountKind::Operator && by.id == operator_id {
        return Err(AppError::new(
            ErrorCode::CannotDisableSelf,
            "you cannot disable your own account",
        ));
    }
    let txn = db.begin().await?;
    let updated = operators::Entity::update_many()
        .col_expr(operators::Column::Disabled, Expr::value(disabled))
        .filter(operators::Column::Id.eq(operator_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(operator_not_found());
    }
    let done = if disabled {
        action::OPERATOR_DISABLE
    } else {
        action::OPERATOR_ENABLE
    };
    audit::record(&txn, by, done, Some(Target::operator(operator_id)), now).await?;
    let row = operators::Entity::find_by_id(operator_id)
        .one(&txn)
        .await?
        .ok_or_else(operator_not_found)?;
    txn.commit().await?;
    operator_view(row)
}

/// Creates a merchant staff account. `by` is the staff member or operator who does it (audited).
pub async fn create_merchant_staff(
    db: &DatabaseConnection,
    input: &NewMerchantStaff,
    by: Option<&Actor>,
    now: DateTime<Utc>,
) -> Result<MerchantStaffView, AppError> {
    let username = checked_username_and_password(&input.username, &input.password)?;
    let role = MerchantRole::parse(&input.role)
        .ok_or_else(|| invalid_role(&MerchantRole::ALL, MerchantRole::as_str))?;
    let password_hash = password::hash(&input.password).await?;
    let txn = db.begin().await?;
    let row = merchant_staff::ActiveModel {
        username: Set(username),
        password_hash: Set(password_hash),
        merchant_id: Set(input.merchant_id),
        store_id: Set(input.store_id),
        role: Set(role.as_str().to_owned()),
        disabled: Set(false),
        created_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(username_taken)?;
    if let Some(actor) = by {
        let target = Some(Target::merchant_staff(row.id));
        audit::record(&txn, actor, action::MERCHANT_STAFF_CREATE, target, now).await?;
    }
    txn.commit().await?;
    merchant_staff_view(row)
}

pub async fn merchant_staff(
    db: &DatabaseConnection,
    id: i32,
) -> Result<MerchantStaffView, AppError> {
    let row = merchant_staff::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(account_disabled)?;
    merchant_staff_view(row)
}

fn account_disabled() -> AppError {
    AppError::new(
        ErrorCode::AccountDisabled,
        "this account is disabled; ask an administrator",
    )
}

/// The role of operator `id`, if the account may act (exists and is not disabled). One
/// primary-key read: the admin door's extractor makes it on every request.
pub async fn active_operator(db: &DatabaseConnection, id: i32) -> Result<OperatorRole, AppError> {
    match operators::Entity::find_by_id(id).one(db).await? {
        Some(row) if !row.disabled => stored_role(OperatorRole::parse, &row.role),
        _ => Err(account_disabled()),
    }
}

/// Staff member `id`'s merchant, store and role, if the account may act. One primary-key read:
/// the merchant door's extractor makes it on every request.
pub async fn active_merchant_staff(
    db: &DatabaseConnection,
    id: i32,
) -> Result<ActiveMerchantStaff, AppError> {
    match merchant_staff::Entity::find_by_id(id).one(db).await? {
        Some(row) if !row.disabled => Ok(ActiveMerchantStaff {
            merchant_id: row.merchant_id,
            store_id: row.store_id,
            role: stored_role(MerchantRole::parse, &row.role)?,
        }),
        _ => Err(account_disabled()),
    }
}

/// What logging in needs of an account.
pub(super) struct LoginAccount {
    pub id: i32,
    pub password_hash: String,
    /// As the audit log records it.
    pub role: &'static str,
    pub disabled: bool,
}

pub(super) async fn login_account(
    db: &DatabaseConnection,
    kind: AccountKind,
    username: &str,
) -> Result<Option<LoginAccount>, AppError> {
    Ok(match kind {
        AccountKind::Operator => match operators::Entity::find()
            .filter(operators::Column::Username.eq(username))
            .one(db)
            .await?
        {
            Some(row) => Some(LoginAccount {
                role: stored_role(OperatorRole::parse, &row.role)?.as_str(),
                id: row.id,
                password_hash: row.password_hash,
                disabled: row.disabled,
            }),
            None => None,
        },
        AccountKind::MerchantStaff => match merchant_staff::Entity::find()
            .filter(merchant_staff::Column::Username.eq(username))
            .one(db)
            .await?
        {
            Some(row) => Some(LoginAccount {
                role: stored_role(MerchantRole::parse, &row.role)?.as_str(),
                id: row.id,
                password_hash: row.password_hash,
                disabled: row.disabled,
            }),
            None => None,
        },
    })
}

pub(super) async fn set_last_login(
    conn: &impl ConnectionTrait,
    kind: AccountKind,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match kind {
        AccountKind::Operator => {
            operators::Entity::update_many()
                .col_expr(operators::Column::LastLoginAt, Expr::value(now))
                .filter(operators::Column::Id.eq(id))
                .exec(conn)
                .await?;
        }
        AccountKind::MerchantStaff => {
            merchant_staff::Entity::update_many()
                .col_expr(merchant_staff::Column::LastLoginAt, Expr::value(now))
                .filter(merchant_staff::Column::Id.eq(id))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}
