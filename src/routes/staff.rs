//! What the two staff doors (`/admin/v1`, `/merchant/v1`) share: logging in with a username
//! and a password for a 12-hour bearer token.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Audience, ClientOrigin};
use crate::error::AppError;
use crate::service::staff::{AccountKind, login};
use crate::state::AppState;

/// A username and a password.
// No `Debug`: it holds a password.
#[derive(Deserialize, ToSchema)]
pub struct StaffLoginRequest {
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffLoginResponse {
    /// Send as `Authorization: Bearer <token>` on every other route of this door.
    pub token: String,
    /// 12 hours after the login.
    pub expires_at: DateTime<Utc>,
}

pub(super) async fn log_in(
    state: &AppState,
    kind: AccountKind,
    origin: ClientOrigin,
    body: &StaffLoginRequest,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let account_id = login::log_in(
        &state.db,
        kind,
        &body.username,
        &body.password,
        &origin.0,
        now,
    )
    .await?;
    let audience = match kind {
        AccountKind::Operator => Audience::Operator,
        AccountKind::MerchantStaff => Audience::MerchantStaff,
    };
    let issued = state.jwt.issue(audience, account_id, now)?;
    Ok(HttpResponse::Ok().json(StaffLoginResponse {
        token: issued.token,
        expires_at: issued.expires_at,
    }))
}
