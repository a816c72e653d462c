//! The families that share a baby: invites (single use, expiring) by which the owner shares it,
//! caregivers and their revocation.

use chrono::{DateTime, Duration, Utc};
use entity::{baby_caregivers, baby_invites, members};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::access::{CaregiverRole, access, lock_for_write};
use super::babies::{BabyView, get};
use crate::error::{AppError, ErrorCode};
use crate::service::audience::consent::require_consent;
use crate::service::support::is_unique_violation;

/// How long an invite code can be accepted.
pub const INVITE_TTL: Duration = Duration::hours(72);
/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const INVITE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const INVITE_CODE_LEN: usize = 10;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InviteView {
    pub baby_id: i32,
    /// 10 characters; give it to the caregiver, who sends it to `POST /api/v1/invites/accept`.
    pub code: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_by: Option<i32>,
    pub accepted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaregiverView {
    pub member_id: i32,
    pub nickname: Option<String>,
    pub role: CaregiverRole,
    pub since: DateTime<Utc>,
}

fn new_invite_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..INVITE_CODE_LEN)
        .map(|_| char::from(INVITE_ALPHABET[rng.gen_range(0..INVITE_ALPHABET.len())]))
        .collect()
}

fn invite_view(row: baby_invites::Model) -> InviteView {
    InviteView {
        baby_id: row.baby_id,
        code: row.code,
        created_at: row.created_at,
        expires_at: row.expires_at,
        accepted_by: row.accepted_by,
        accepted_at: row.accepted_at,
    }
}

/// A single-use code, valid for [`INVITE_TTL`], that shares the baby with whoever accepts it.
pub async fn create_invite<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    now: DateTime<Utc>,
) -> Result<InviteView, AppError> {
    access(db, member_id, baby_id).await?.require_owner()?;
    // 32^10 codes: a collision is astronomically rare, but the unique index has the last word.
    for _ in 0..3 {
        let row = baby_invites::ActiveModel {
            baby_id: Set(baby_id),
            code: Set(new_invite_code()),
            created_by: Set(member_id),
            created_at: Set(now),
            expires_at: Set(now + INVITE_TTL),
            accepted_by: Set(None),
            accepted_at: Set(None),
            ..Default::default()
        };
        match row.insert(db).await {
            Ok(row) => return Ok(invite_view(row)),
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "three invite codes in a row collided"
    )))
}

/// Accepts an invite: the member becomes a caregiver of its baby. The code is spent by a
/// guarded update, so of two members racing for one code exactly one wins.
pub async fn accept_invite(
    db: &DatabaseConnection,
    member_id: i32,
    code: &str,
    now: DateTime<Utc>,
) -> Result<BabyView, AppError> {
    let code = code.trim().to_ascii_uppercase();
    let not_found = || AppError::new(ErrorCode::InviteNotFound, "no invite has this code");
    if code.is_empty() || code.len() > 16 {
        return Err(not_found());
    }
    let invite = baby_invites::Entity::find()
        .filter(baby_invites::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let used = || {
        AppError::new(
            ErrorCode::InviteAlreadyUsed,
            "this invite was already accepted",
        )
    };
    if invite.accepted_at.is_some() {
        return Err(used());
    }
    if invite.expires_at <= now {
        return Err(AppError::new(
            ErrorCode::InviteExpired,
            "this invite has expired; ask for a new one",
        ));
    }
    let already = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.eq(invite.baby_id))
        .filter(baby_caregivers::Column::MemberId.eq(member_id))
        .one(db)
        .await?;
    if already.is_some() {
        return Err(AppError::new(
            ErrorCode::AlreadyCaregiver,
            "this baby is already shared with you",
        ));
    }
    require_consent(db, member_id).await?;

    let txn = db.begin().await?;
    let spent = baby_invites::Entity::update_many()
        .col_expr(baby_invites::Column::AcceptedBy, Expr::value(member_id))
        .col_expr(baby_invites::Column::AcceptedAt, Expr::value(now))
        .filter(baby_invites::Column::Id.eq(invite.id))
        .filter(baby_invites::Column::AcceptedAt.is_null())
        .filter(baby_invites::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        return Err(used());
    }
    let link = baby_caregivers::ActiveModel {
        baby_id: Set(invite.baby_id),
        member_id: Set(member_id),
        role: Set(CaregiverRole::Caregiver.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    match link.insert(&txn).await {
        Ok(_) => {}
        // Shared by another invite meanwhile: keep this code for someone else.
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::new(
                ErrorCode::AlreadyCaregiver,
                "this baby is already shared with you",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    txn.commit().await?;
    get(db, member_id, invite.baby_id).await
}

/// The baby's family: owner first, then caregivers by seniority.
pub async fn caregivers<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<Vec<CaregiverView>, AppError> {
    access(db, member_id, baby_id).await?;
    caregivers_of(db, baby_id).await
}

pub async fn caregivers_of<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<Vec<CaregiverView>, AppError> {
    let links = baby_caregivers::Entity::find()
        .filter(baby_caregivers::Column::BabyId.eq(baby_id))
        .order_by_asc(baby_caregivers::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = links.iter().map(|l| l.member_id).collect();
    let people = members::Entity::find()
        .filter(members::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut views: Vec<CaregiverView> = links
        .into_iter()
        .map(|link| CaregiverView {
            member_id: link.member_id,
            nickname: people
                .iter()
                .find(|m| m.id == link.member_id)
                .and_then(|m| m.nickname.clone()),
            role: CaregiverRole::parse(&link.role),
            since: link.created_at,
        })
        .collect();
    views.sort_by_key(|v| v.role != CaregiverRole::Owner);
    Ok(views)
}

/// The owner revokes a caregiver, or a caregiver leaves (`caregiver_id` = themselves). The baby
/// is locked first, so a write by the revoked caregiver is either before this or refused.
pub async fn remove_caregiver(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    caregiver_id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let access = lock_for_write(&txn, member_id, baby_id, now).await?;
    if caregiver_id == member_id {
        if access.role == CaregiverRole::Owner {
            return Err(AppError::new(
                ErrorCode::OwnerCannotLeave,
                "the owner cannot leave their baby; delete the baby instead",
            ));
        }
    } else {
        access.require_owner()?;
    }
    let removed = baby_caregivers::Entity::delete_many()
        .filter(baby_caregivers::Column::BabyId.eq(baby_id))
        .filter(baby_caregivers::Column::MemberId.eq(caregiver_id))
        .filter(baby_caregivers::Column::Role.eq(CaregiverRole::Caregiver.as_str()))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::new(
            ErrorCode::CaregiverNotFound,
            "this member is not a caregiver of the baby",
        ));
    }
    super::reminders::on_caregiver_removed(&txn, baby_id, caregiver_id, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Invites of a baby, newest first; for the export.
pub async fn invites_of<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<Vec<InviteView>, AppError> {
    Ok(baby_invites::Entity::find()
        .filter(baby_invites::Column::BabyId.eq(baby_id))
        .order_by_desc(baby_invites::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(invite_view)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_codes_use_the_unambiguous_alphabet() {
        let code = new_invite_code();
        assert_eq!(code.len(), INVITE_CODE_LEN);
        assert!(code.bytes().all(|b| INVITE_ALPHABET.contains(&b)), "{code}");
        assert_ne!(code, new_invite_code());
    }
}
