//! Logging in at a staff door with a username and a password.
//!
//! - An unknown username and a wrong password answer the same 401 `invalid_credentials` after
//!   the same work: an unknown username is checked against a dummy argon2id hash.
//! - Five failures within 15 minutes lock the username (known or not, so the lock tells nothing
//!   about which usernames exist), and separately the client address, for 15 minutes from the
//!   fifth failure: every login there answers 429 `too_many_attempts` meanwhile, also with the
//!   right password. Attempts refused while locked do not count as failures. Both locks are per
//!   door.
//! - Each attempt is recorded as a failure *before* its password is checked and marked as a
//!   success afterwards, so parallel guesses count against the lock while they run instead of
//!   all slipping past it.
//! - The right password of a disabled account answers 401 `account_disabled`; with a wrong
//!   password it is `invalid_credentials` like any other.
//! - A success sets the account's `last_login_at` and writes an `auth.login` audit row in one
//!   transaction.

use chrono::{DateTime, Utc};
use entity::login_attempts;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::AccountKind;
use super::accounts::{self, LoginAccount};
use super::audit::{self, Actor, Origin, Target, action};
use super::password;
use crate::domain::staff::{LOCKOUT_LOOKBACK, locked_until, normalize_username};
use crate::error::{AppError, ErrorCode};

const FAILED: &str = "failed";
const SUCCEEDED: &str = "succeeded";
const LOCKED: &str = "locked";
const DISABLED: &str = "disabled";

/// Checks `username` and `password` at `kind`'s door and answers the account's id.
pub async fn log_in(
    db: &DatabaseConnection,
    kind: AccountKind,
    username: &str,
    password: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    // What cannot be a username names no account and no lock; it still costs a password check.
    let username = normalize_username(username);
    let attempt = login_attempts::ActiveModel {
        door: Set(kind.door().to_owned()),
        username: Set(username.clone()),
        client_addr: Set(origin.client_addr.clone()),
        outcome: Set(FAILED.to_owned()),
        account_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;

    let by_username = match &username {
        Some(name) => {
            let filter = login_attempts::Column::Username.eq(name.as_str());
            locked_until(&failures(db, kind, filter, attempt.id, now).await?, now)
        }
        None => None,
    };
    let by_address = {
        let filter = login_attempts::Column::ClientAddr.eq(origin.client_addr.as_str());
        locked_until(&failures(db, kind, filter, attempt.id, now).await?, now)
    };
    if let Some(until) = by_username.max(by_address) {
        set_outcome(db, attempt.id, LOCKED, None).await?;
        let minutes = ((until - now).num_seconds() + 59).div_euclid(60);
        return Err(AppError::new(
            ErrorCode::TooManyAttempts,
            format!(
                "too many failed logins for this account or address; try again in {minutes} minutes"
            ),
        ));
    }

    let account = match &username {
        Some(name) => accounts::login_account(db, kind, name).await?,
        None => None,
    };
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matched = password::verify(stored, password).await?;
    let account = match account {
        Some(account) if matched => account,
        _ => {
            return Err(AppError::new(
                ErrorCode::InvalidCredentials,
                "unknown username or wrong password",
            ));
        }
    };
    if account.disabled {
        set_outcome(db, attempt.id, DISABLED, Some(account.id)).await?;
        return Err(AppError::new(
            ErrorCode::AccountDisabled,
            "this account is disabled; ask an administrator",
        ));
    }
    succeed(db, kind, &account, attempt.id, origin, now).await?;
    Ok(account.id)
}

/// When recent failed logins at `kind`'s door matching `filter` happened, oldest first, leaving
/// out attempt `own`.
async fn failures(
    db: &DatabaseConnection,
    kind: AccountKind,
    filter: sea_orm::sea_query::SimpleExpr,
    own: i64,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    let mut times: Vec<DateTime<Utc>> = login_attempts::Entity::find()
        .select_only()
        .column(login_attempts::Column::CreatedAt)
        .filter(login_attempts::Column::Door.eq(kind.door()))
        .filter(filter)
        .filter(login_attempts::Column::Outcome.eq(FAILED))
        .filter(login_attempts::Column::Id.ne(own))
        .filter(login_attempts::Column::CreatedAt.gt(now - LOCKOUT_LOOKBACK))
        .filter(login_attempts::Column::CreatedAt.lte(now))
        .order_by_desc(login_attempts::Column::CreatedAt)
        // Locked attempts are not failures, so a window holds few; the bound is a guard.
        .limit(100)
        .into_tuple()
        .all(db)
        .await?;
    times.reverse();
    Ok(times)
}

async fn set_outcome(
    db: &impl sea_orm::ConnectionTrait,
    attempt: i64,
    outcome: &str,
    account_id: Option<i32>,
) -> Result<(), AppError> {
    login_attempts::Entity::update_many()
        .col_expr(login_attempts::Column::Outcome, Expr::value(outcome))
        .col_expr(login_attempts::Column::AccountId, Expr::value(account_id))
        .filter(login_attempts::Column::Id.eq(attempt))
        .exec(db)
        .await?;
    Ok(())
}

async fn succeed(
    db: &DatabaseConnection,
    kind: AccountKind,
    account: &LoginAccount,
    attempt: i64,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let actor = Actor {
        kind,
        id: account.id,
        role: account.role,
        origin: origin.clone(),
    };
    let txn = db.begin().await?;
    set_outcome(&txn, attempt, SUCCEEDED, Some(account.id)).await?;
    accounts::set_last_login(&txn, kind, account.id, now).await?;
    let target = Some(Target::account(kind, account.id));
    audit::record(&txn, &actor, action::LOGIN, target, now).await?;
    txn.commit().await?;
    Ok(())
}
