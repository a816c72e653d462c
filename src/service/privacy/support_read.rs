//! Staff reading a member's data (children's health data): the member's own export, answered
//! only once the read is in the audit log.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::member_data::{self, MemberExport};
use crate::error::{AppError, ErrorCode};
use crate::service::staff::audit::{self, Actor, Target, action};

/// Everything held about member `member_id`, as their own export shows it, read by `by`.
pub async fn read_member(
    db: &DatabaseConnection,
    by: &Actor,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<MemberExport, AppError> {
    let export =
        member_data::export(db, member_id, now)
            .await
            .map_err(|e| match e.error_code() {
                // At the member's door "not found" means "your account is gone"; here it is a 404.
                ErrorCode::MemberNotFound => {
                    AppError::new(ErrorCode::UnknownMember, "no member has this id")
                }
                _ => e,
            })?;
    audit::record(
        db,
        by,
        action::MEMBER_READ,
        Some(Target::member(member_id)),
        now,
    )
    .await?;
    Ok(export)
}
