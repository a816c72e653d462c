//! The balance rule, written once. Anything that changes a balance (subscribe allowances; points,
//! coupon stock, product stock and membership periods as they come) goes through [`apply`], which
//! does three things in one transaction, or none of them:
//!
//! 1. **Claims the idempotency key.** The key names the effect the caller wants once, scoped to
//!    whose balance it moves: the client's `request_id` for a report, WeChat's transaction id for
//!    a payment, an order id for a purchase. It lives in columns of the event row under a unique
//!    index, so appending the event *is* the claim; two requests with one key cannot both
//!    append, on SQLite (one writer at a time) or PostgreSQL (the second waits on the index entry
//!    and sees the first's row once it commits). A key column left NULL claims nothing: NULLs
//!    never collide. Use that only where the caller's own transaction already makes the effect
//!    happen once (the sender spends an allowance in the transaction that marks its outbox row).
//! 2. **Applies the guarded updates** ([`Guard`]): a balance moves by `delta` only while
//!    `balance + delta >= 0`; a status moves only from the state it must be in (`WHERE status =
//!    'unused'`). An update that matches no row refuses the whole entry.
//! 3. **Appends the event row**: the append-only history of the balance, which adds up to it.
//!
//! Outcomes:
//! - **Applied**: key claimed, balance moved, event appended; answers the new event.
//! - **Replayed**: the key was claimed before (a retried request, a redelivered notification).
//!   Nothing changes; the first call's event is answered again, so the caller answers what the
//!   first call answered.
//! - **Refused**: a guard matched no row (not enough balance, coupon already used). The caller's
//!   domain error is returned and nothing is written: not the event, not the key, so a retry
//!   after a top-up can succeed.
//!
//! Each feature keeps its own tables: an event entity with the key columns under a unique index
//! and a balance table (or a status column). [`apply`] opens a transaction on whatever it is
//! given, a savepoint inside a caller's transaction, so a move can join a larger change.

use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, SimpleExpr, UpdateStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, IntoActiveModel,
    QueryFilter, QueryTrait, TransactionTrait, TryInsertResult, UpdateMany,
};

use crate::error::AppError;

/// A guarded update: it must change at least one row, or the entry is refused with `refusal`.
pub struct Guard {
    update: UpdateStatement,
    refusal: AppError,
}

impl Guard {
    /// `update` as given: its filters are the guard.
    pub fn new<E: EntityTrait>(update: UpdateMany<E>, refusal: AppError) -> Self {
        Guard {
            update: update.into_query(),
            refusal,
        }
    }

    /// Moves `balance` by `delta` on the rows `update` filters, only while `balance + delta >= 0`.
    /// Other columns `update` sets (`updated_at`) move with it.
    pub fn delta<E: EntityTrait>(
        update: UpdateMany<E>,
        balance: E::Column,
        delta: i64,
        refusal: AppError,
    ) -> Self {
        let moved: SimpleExpr = Expr::col(balance).add(delta);
        Self::new(
            update
                .col_expr(balance, moved.clone())
                .filter(Expr::expr(moved).gte(0)),
            refusal,
        )
    }

    /// Sets `status` to `to` on the rows `update` filters that are in `from`.
    pub fn transition<E: EntityTrait>(
        update: UpdateMany<E>,
        status: E::Column,
        from: &str,
        to: &str,
        refusal: AppError,
    ) -> Self {
        Self::new(
            update
                .col_expr(status, Expr::value(to))
                .filter(status.eq(from)),
            refusal,
        )
    }
}

/// One move of a balance: the event to append, the columns of its unique index that hold the
/// idempotency key, the balance rows to open if missing, and the guarded updates.
pub struct Entry<A: ActiveModelTrait> {
    event: A,
    key: Vec<<A::Entity as EntityTrait>::Column>,
    opens: Vec<InsertStatement>,
    guards: Vec<Guard>,
}

impl<A: ActiveModelTrait> Entry<A> {
    /// An event with no key: see the module doc for when that is right.
    pub fn new(event: A) -> Self {
        Entry {
            event,
            key: Vec::new(),
            opens: Vec::new(),
            guards: Vec::new(),
        }
    }

    /// The event's columns that hold the idempotency key: exactly the columns of a unique index.
    pub fn keyed_by(
        mut self,
        columns: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
    ) -> Self {
        self.key = columns.into_iter().collect();
        self
    }

    /// Inserts `row` (a balance at zero) unless a row with the same `unique` columns exists, before
    /// the guards run: for balances that start on their first credit.
    pub fn opening<B: ActiveModelTrait>(
        mut self,
        row: B,
        unique: impl IntoIterator<Item = <B::Entity as EntityTrait>::Column>,
    ) -> Self {
        self.opens.push(
            B::Entity::insert(row)
                .on_conflict(OnConflict::columns(unique).do_nothing().to_owned())
                .into_query(),
        );
        self
    }

    pub fn guard(mut self, guard: Guard) -> Self {
        self.guards.push(guard);
        self
    }
}

/// What [`apply`] did; both carry the event row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<M> {
    /// Applied now.
    Applied(M),
    /// The key was claimed before: the first call's event; nothing changed.
    Replayed(M),
}

impl<M> Outcome<M> {
    pub fn event(&self) -> &M {
        match self {
            Outcome::Applied(m) | Outcome::Replayed(m) => m,
        }
    }

    pub fn is_replay(&self) -> bool {
        matches!(self, Outcome::Replayed(_))
    }
}

type Model<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// Claims the key, applies the guards and appends the event in one transaction (a savepoint
/// when `db` is a transaction); see the module doc.
pub async fn apply<C, A>(db: &C, entry: Entry<A>) -> Result<Outcome<Model<A>>, AppError>
where
    C: ConnectionTrait + TransactionTrait,
    A: ActiveModelTrait + Send,
    Model<A>: IntoActiveModel<A>,
{
    let Entry {
        event,
        key,
        opens,
        guards,
    } = entry;
    // Where the first call's event is, should the key be taken.
    let first = if key.is_empty() {
        None
    } else {
        let mut find = A::Entity::find();
        for column in &key {
            let value = event.get(*column).into_value().ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "ledger entry without a value for its key column {}",
                    column.as_str()
                ))
            })?;
            find = find.filter(column.eq(value));
        }
        Some(find)
    };
    let mut insert = A::Entity::insert(event);
    if !key.is_empty() {
        insert = insert.on_conflict(OnConflict::columns(key).do_nothing().to_owned());
    }

    let txn = db.begin().await?;
    let id = match insert.do_nothing().exec(&txn).await? {
        TryInsertResult::Inserted(inserted) => inserted.last_insert_id,
        TryInsertResult::Conflicted => {
            let first = match first {
                Some(find) => find.one(&txn).await?,
                None => None,
            };
            return first.map(Outcome::Replayed).ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("ledger key taken, but no event holds it"))
            });
        }
        TryInsertResult::Empty => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "ledger entry with an empty event"
            )));
        }
    };
    let backend = txn.get_database_backend();
    for open in opens {
        txn.execute(backend.build(&open)).await?;
    }
    for guard in guards {
        let moved = txn.execute(backend.build(&guard.update)).await?;
        if moved.rows_affected() == 0 {
            // Dropping the transaction rolls back the event and the key with it.
            return Err(guard.refusal);
        }
    }
    let appended = A::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("ledger event vanished")))?;
    txn.commit().await?;
    Ok(Outcome::Applied(appended))
}

#[cfg(test)]
mod tests {
    use entity::subscription_allowances as allowances;
    use sea_orm::DbBackend;

    use super::*;
    use crate::error::ErrorCode;

    fn sql(guard: &Guard, backend: DbBackend) -> String {
        backend.build(&guard.update).to_string()
    }

    #[test]
    fn a_delta_guard_keeps_the_balance_non_negative() {
        let guard = Guard::delta(
            allowances::Entity::update_many().filter(allowances::Column::MemberId.eq(7)),
            allowances::Column::Remaining,
            -1,
            AppError::new(ErrorCode::NoSubscribeAllowance, "none left"),
        );
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            assert_eq!(
                sql(&guard, backend),
                r#"UPDATE "subscription_allowances" SET "remaining" = "remaining" + -1 WHERE "subscription_allowances"."member_id" = 7 AND "remaining" + -1 >= 0"#
            );
        }
    }

    #[test]
    fn a_transition_guard_moves_only_from_the_expected_status() {
        let guard = Guard::transition(
            allowances::Entity::update_many().filter(allowances::Column::Id.eq(3)),
            allowances::Column::TemplateId,
            "unused",
            "used",
            AppError::new(ErrorCode::NoSubscribeAllowance, "used"),
        );
        assert_eq!(
            sql(&guard, DbBackend::Postgres),
            r#"UPDATE "subscription_allowances" SET "template_id" = 'used' WHERE "subscription_allowances"."id" = 3 AND "subscription_allowances"."template_id" = 'unused'"#
        );
    }
}
