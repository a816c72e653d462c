//! `POST /merchant/v1/auth/login` and `GET /merchant/v1/me`.

use actix_web::{HttpResponse, web};

use crate::auth::{ClientOrigin, MerchantStaff};
use crate::error::AppError;
use crate::routes::contract::ApiErrorBody;
use crate::routes::staff::{self, StaffLoginRequest, StaffLoginResponse};
use crate::service::staff::AccountKind;
use crate::service::staff::accounts::{self, MerchantStaffView};
use crate::state::AppState;

/// Log in as a merchant's staff member
///
/// An unknown username and a wrong password get the same answer. Five failed logins within 15
/// minutes lock the username, and separately the client address, for 15 minutes (429 meanwhile,
/// also with the right password). The token lasts 12 hours.
#[utoipa::path(
    post,
    path = "/merchant/v1/auth/login",
    tag = "auth",
    request_body = StaffLoginRequest,
    responses(
        (status = 200, description = "Logged in", body = StaffLoginResponse),
        (status = 400, description = "`invalid_json`", body = ApiErrorBody),
        (status = 401, description = "`invalid_credentials` (unknown username or wrong password), `account_disabled` (right password, disabled account)", body = ApiErrorBody),
        (status = 429, description = "`too_many_attempts`: this username or address is locked for up to 15 minutes", body = ApiErrorBody),
    )
)]
pub async fn login(
    state: web::Data<AppState>,
    origin: ClientOrigin,
    body: web::Json<StaffLoginRequest>,
) -> Result<HttpResponse, AppError> {
    staff::log_in(&state, AccountKind::MerchantStaff, origin, &body).await
}

/// Your staff account
#[utoipa::path(
    get,
    path = "/merchant/v1/me",
    tag = "auth",
    responses((status = 200, description = "The staff member the token names", body = MerchantStaffView)),
    security(("bearer" = []))
)]
pub async fn get_me(
    state: web::Data<AppState>,
    me: MerchantStaff,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(accounts::merchant_staff(&state.db, me.staff_id).await?))
}
