//! [`TokenStore`] over the `wechat_access_tokens` table, for several instances sharing one
//! database. Each change is a single guarded statement, so two processes racing for the lease
//! cannot both win: on PostgreSQL the loser's UPDATE re-checks its WHERE after the winner
//! commits, and SQLite runs writes one at a time.

use chrono::{DateTime, Utc};
use entity::wechat_access_tokens::{ActiveModel, Column, Entity};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    TryInsertResult,
};
use secrecy::SecretString;

use super::error::StoreError;
use super::token_store::{BoxFuture, StoredToken, TokenStore};

#[derive(Clone)]
pub struct DbTokenStore {
    db: DatabaseConnection,
}

impl DbTokenStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl std::fmt::Debug for DbTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbTokenStore")
    }
}

impl TokenStore for DbTokenStore {
    fn load<'a>(
        &'a self,
        appid: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(async move {
            let row = Entity::find_by_id(appid)
                .one(&self.db)
                .await
                .map_err(StoreError::new)?;
            Ok(row
                .filter(|r| !r.access_token.is_empty())
                .map(|r| StoredToken {
                    access_token: SecretString::from(r.access_token),
                    expires_at: r.expires_at,
                }))
        })
    }

    fn try_acquire_lease<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            // First instance ever: the row is created with the lease already taken.
            let inserted = Entity::insert(ActiveModel {
                appid: Set(appid.to_owned()),
                access_token: Set(String::new()),
                expires_at: Set(DateTime::<Utc>::UNIX_EPOCH),
                lease_holder: Set(Some(holder.to_owned())),
                lease_until: Set(Some(until)),
                updated_at: Set(now),
            })
            .on_conflict(OnConflict::column(Column::Appid).do_nothing().to_owned())
            .do_nothing()
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::new)?;
            if matches!(inserted, TryInsertResult::Inserted(1)) {
                return Ok(true);
            }
            let free = Condition::any()
                .add(Column::LeaseUntil.is_null())
                .add(Column::LeaseUntil.lt(now));
            let taken = Entity::update_many()
                .col_expr(Column::LeaseHolder, Expr::value(holder))
                .col_expr(Column::LeaseUntil, Expr::value(until))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Appid.eq(appid))
                .filter(free)
                .exec(&self.db)
                .await
                .map_err(StoreError::new)?;
            Ok(taken.rows_affected == 1)
        })
    }

    fn store_and_release<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        token: &'a StoredToken,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        use secrecy::ExposeSecret;
        Box::pin(async move {
            let res = Entity::update_many()
                .col_expr(
                    Column::AccessToken,
                    Expr::value(token.access_token.expose_secret()),
                )
                .col_expr(Column::ExpiresAt, Expr::value(token.expires_at))
                .col_expr(Column::LeaseHolder, Expr::value(Option::<String>::None))
                .col_expr(
                    Column::LeaseUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Appid.eq(appid))
                .filter(Column::LeaseHolder.eq(holder))
                .exec(&self.db)
                .await
                .map_err(StoreError::new)?;
            Ok(res.rows_affected == 1)
        })
    }

    fn release_lease<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            Entity::update_many()
                .col_expr(Column::LeaseHolder, Expr::value(Option::<String>::None))
                .col_expr(
                    Column::LeaseUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Appid.eq(appid))
                .filter(Column::LeaseHolder.eq(holder))
                .exec(&self.db)
                .await
                .map_err(StoreError::new)?;
            Ok(())
        })
    }

    fn invalidate<'a>(
        &'a self,
        appid: &'a str,
        rejected: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let res = Entity::update_many()
                .col_expr(Column::ExpiresAt, Expr::value(now))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Appid.eq(appid))
                .filter(Column::AccessToken.eq(rejected))
                .filter(Column::ExpiresAt.gt(now))
                .exec(&self.db)
                .await
                .map_err(StoreError::new)?;
            Ok(res.rows_affected == 1)
        })
    }
}
