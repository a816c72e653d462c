//! `POST /api/v1/auth/login`: a `wx.login` code for a member token.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiErrorBody;
use crate::auth::Audience;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::audience::members::{self, MemberView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The code from `wx.login` (single use, valid for 5 minutes).
    #[schema(schema_with = members::code_schema)]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>` on every other /api/v1 call.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: DateTime<Utc>,
    /// This login created the member: show the privacy policy and ask for consent.
    pub new_member: bool,
    pub member: MemberView,
}

/// Log in with a `wx.login` code
///
/// Exchanges the code with WeChat (`jscode2session`), creates the member on first login and
/// links them by unionid to the official-account follower. The token lasts 24 hours.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 400, description = "`missing_code`, `invalid_json`", body = ApiErrorBody),
        (status = 401, description = "`invalid_login_code` (WeChat 40029), `login_code_used` (40163): call wx.login again", body = ApiErrorBody),
        (status = 403, description = "`login_blocked_by_wechat` (40226, high-risk user)", body = ApiErrorBody),
        (status = 429, description = "`wechat_rate_limited`", body = ApiErrorBody),
        (status = 502, description = "`wechat_error`: WeChat refused the call (our configuration, logged)", body = ApiErrorBody),
        (status = 503, description = "`mini_program_not_configured` (BABYVAX_MP_APPID / SECRET unset), `wechat_unavailable`", body = ApiErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let outcome = members::login(&state.db, state.mini_program.as_ref(), &body.code, now).await?;
    let issued = state.jwt.issue(Audience::Member, outcome.member.id, now)?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: issued.token,
        token_type: "Bearer".to_owned(),
        expires_at: issued.expires_at,
        new_member: outcome.new_member,
        member: outcome.member,
    }))
}
