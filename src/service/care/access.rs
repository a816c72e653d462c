//! Who may see and change a baby. A member sees a baby only through a `baby_caregivers` row
//! (the owner has one too). Any other baby id answers 404 `baby_not_found`, the same as a baby
//! that does not exist, so ids leak nothing. Owner-only actions by a caregiver (who can see the
//! baby) answer 403 `owner_only`.
//!
//! Writes check access inside their transaction, after taking the baby's lock
//! ([`lock_for_write`]): a caregiver revoked a moment earlier cannot write.

use chrono::{DateTime, Utc};
use entity::{babies, baby_caregivers};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaregiverRole {
    /// Created the baby: may invite, revoke caregivers and delete the baby.
    Owner,
    /// Accepted an invite: may read and record doses, opt-ins and details.
    Caregiver,
}

impl CaregiverRole {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CaregiverRole::Owner => "owner",
            CaregiverRole::Caregiver => "caregiver",
        }
    }

    pub(crate) fn parse(stored: &str) -> CaregiverRole {
        if stored == "owner" {
            CaregiverRole::Owner
        } else {
            CaregiverRole::Caregiver
        }
    }
}

/// A baby the member may see, and in which role.
#[derive(Debug, Clone)]
pub struct Access {
    pub baby: babies::Model,
    pub role: CaregiverRole,
}

impl Access {
    pub fn require_owner(&self) -> Result<(), AppError> {
        match self.role {
            CaregiverRole::Owner => Ok(()),
            CaregiverRole::Caregiver => Err(AppError::new(
                ErrorCode::OwnerOnly,
                "only the baby's owner may do this",
            )),
        }
    }
}

pub(crate) fn baby_not_found() -> AppError {
    AppError::new(
        ErrorCode::BabyNotFound,
        "no such baby among those shared with you",
    )
}

/// The baby `baby_id` if the member may see it; 404 `baby_not_found` otherwise.
pub async fn access<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<Access, AppError> {
    let link = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.eq(baby_id))
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .one(db)
        .await?
        .ok_or_else(baby_not_found)?;
    let baby = babies::Entity::find_by_id(baby_id)
        .one(db)
        .await?
        .ok_or_else(baby_not_found)?;
    Ok(Access {
        baby,
        role: CaregiverRole::parse(&link.role),
    })
}

/// First statement of every transaction that changes a baby's records: it takes the write lock
/// (SQLite) or the row lock (PostgreSQL), so concurrent changes to one baby's history are
/// validated one after the other, and a SQLite transaction never has to upgrade a read.
/// Answers the baby as it is under the lock.
pub async fn lock_for_update<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<babies::Model, AppError> {
    let touched = babies::Entity::update_many()
        .col_expr(babies::Column::UpdatedAt, Expr::value(now))
        .filter(babies::Column::Id.eq(baby_id))
        .exec(db)
        .await?;
    if touched.rows_affected == 0 {
        return Err(baby_not_found());
    }
    babies::Entity::find_by_id(baby_id)
        .one(db)
        .await?
        .ok_or_else(baby_not_found)
}

/// First statement of every transaction that changes a baby's records ([`lock_for_update`]),
/// then the member's access as it is under the lock.
pub async fn lock_for_write<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<Access, AppError> {
    lock_for_update(db, baby_id, now).await?;
    access(db, member_id, baby_id).await
}
