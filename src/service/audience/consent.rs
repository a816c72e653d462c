//! Members' consent to the privacy policy: children's health data is only taken from (or shown
//! to) a member who consented to the current version.

use chrono::{DateTime, Utc};
use entity::privacy_consents;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::members::find;
use crate::error::{AppError, ErrorCode};
use crate::service::support::trimmed_pattern;

/// The privacy policy the mini-program shows. Babies (children's health data) can only be added
/// or shared with a member who consented to this version; a new version asks everyone again.
pub const PRIVACY_POLICY_VERSION: &str = "2026-11-01";

/// The version a consent must name, for the contract.
pub fn policy_version_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(trimmed_pattern(PRIVACY_POLICY_VERSION)))
        .examples([PRIVACY_POLICY_VERSION])
        .description(Some(format!(
            "The current version, {PRIVACY_POLICY_VERSION} (`privacy_policy_version_mismatch` \
             otherwise; `privacy_policy_version` of `GET /api/v1/me` says it too)."
        )))
        .build()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    pub privacy_policy_version: String,
    pub consented_at: DateTime<Utc>,
}

/// Records the member's consent to the current privacy policy. Consenting again to the same
/// version changes nothing and answers the first consent.
pub async fn record_consent<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    version: &str,
    now: DateTime<Utc>,
) -> Result<ConsentView, AppError> {
    if version.trim() != PRIVACY_POLICY_VERSION {
        return Err(AppError::new(
            ErrorCode::PrivacyPolicyVersionMismatch,
            format!(
                "the current privacy policy is version {PRIVACY_POLICY_VERSION}; show it and send that version"
            ),
        ));
    }
    find(db, member_id).await?;
    if let Some(existing) = current_consent(db, member_id).await? {
        return Ok(existing);
    }
    let row = privacy_consents::ActiveModel {
        member_id: Set(member_id),
        policy_version: Set(PRIVACY_POLICY_VERSION.to_owned()),
        consented_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(consent_view(row))
}

pub(crate) async fn current_consent<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
) -> Result<Option<ConsentView>, AppError> {
    Ok(privacy_consents::Entity::find()
        .filter(privacy_consents::Column::MemberId.eq(member_id))
        .filter(privacy_consents::Column::PolicyVersion.eq(PRIVACY_POLICY_VERSION))
        .order_by_asc(privacy_consents::Column::Id)
        .one(db)
        .await?
        .map(consent_view))
}

pub fn consent_view(row: privacy_consents::Model) -> ConsentView {
    ConsentView {
        privacy_policy_version: row.policy_version,
        consented_at: row.consented_at,
    }
}

/// Children's health data is only taken from (or shown to) a member who consented to the
/// current privacy policy.
pub async fn require_consent<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<(), AppError> {
    find(db, member_id).await?;
    match current_consent(db, member_id).await? {
        Some(_) => Ok(()),
        None => Err(AppError::new(
            ErrorCode::PrivacyConsentRequired,
            format!(
                "consent to privacy policy {PRIVACY_POLICY_VERSION} first (POST /api/v1/me/consent)"
            ),
        )),
    }
}
