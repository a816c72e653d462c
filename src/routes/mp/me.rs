//! `/api/v1/me`: the member's profile, phone number, privacy consent, export and erasure.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::audience::consent::{self, ConsentView};
use crate::service::audience::members::{self, MemberView, ProfileUpdate};
use crate::service::privacy::member_data::{self, ErasureCounts, MemberExport};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PhoneRequest {
    /// The code from a `getPhoneNumber` button's event.
    #[schema(schema_with = members::code_schema)]
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentRequest {
    #[schema(schema_with = consent::policy_version_schema)]
    pub privacy_policy_version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureResponse {
    pub erased: ErasureCounts,
}

/// Your profile
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "me",
    responses((status = 200, description = "The member", body = MemberView)),
    security(("bearer" = []))
)]
pub async fn get_me(state: web::Data<AppState>, me: Member) -> Result<HttpResponse, AppError> {
    let member = members::profile(&state.db, me.member_id).await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Replace your nickname and region
#[utoipa::path(
    put,
    path = "/api/v1/me",
    tag = "me",
    request_body = ProfileUpdate,
    responses(
        (status = 200, description = "Updated", body = MemberView),
        (status = 400, description = "`invalid_nickname`, `invalid_region`, `invalid_json`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_me(
    state: web::Data<AppState>,
    me: Member,
    body: Json<ProfileUpdate>,
) -> Result<HttpResponse, AppError> {
    let member = members::update_profile(&state.db, me.member_id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Store your phone number from a getPhoneNumber code
#[utoipa::path(
    post,
    path = "/api/v1/me/phone",
    tag = "me",
    request_body = PhoneRequest,
    responses(
        (status = 200, description = "Stored", body = MemberView),
        (status = 400, description = "`missing_code`, `invalid_phone_code` (WeChat 40029), `phone_code_used` (40163), `invalid_json`", body = ApiErrorBody),
        (status = 429, description = "`wechat_rate_limited`", body = ApiErrorBody),
        (status = 502, description = "`wechat_error`", body = ApiErrorBody),
        (status = 503, description = "`mini_program_not_configured`, `wechat_unavailable`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_phone(
    state: web::Data<AppState>,
    me: Member,
    body: Json<PhoneRequest>,
) -> Result<HttpResponse, AppError> {
    let member = members::set_phone(
        &state.db,
        state.mini_program.as_ref(),
        me.member_id,
        &body.code,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Consent to the current privacy policy
///
/// Required before adding a baby or accepting an invite (children's health data). Consenting
/// again to the same version answers the first consent.
#[utoipa::path(
    post,
    path = "/api/v1/me/consent",
    tag = "me",
    request_body = ConsentRequest,
    responses(
        (status = 200, description = "Recorded", body = ConsentView),
        (status = 400, description = "`privacy_policy_version_mismatch`, `invalid_json`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn consent_to_privacy_policy(
    state: web::Data<AppState>,
    me: Member,
    body: Json<ConsentRequest>,
) -> Result<HttpResponse, AppError> {
    let consent = consent::record_consent(
        &state.db,
        me.member_id,
        &body.privacy_policy_version,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(consent))
}

/// Everything we hold about you
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    tag = "me",
    responses((status = 200, description = "All your data", body = MemberExport)),
    security(("bearer" = []))
)]
pub async fn export_my_data(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    let data = member_data::export(&state.db, me.member_id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(data))
}

/// Erase your account and your data
///
/// Removes you, your consents and subscription allowances, the babies you own with everything
/// recorded about them, and your access to babies others share with you (their babies stay).
/// Your token stops working (`member_not_found`).
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "me",
    responses((status = 200, description = "Erased; how many rows of each kind", body = ErasureResponse)),
    security(("bearer" = []))
)]
pub async fn erase_me(state: web::Data<AppState>, me: Member) -> Result<HttpResponse, AppError> {
    let erased = member_data::erase(
        &state.db,
        me.member_id,
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ErasureResponse { erased }))
}
