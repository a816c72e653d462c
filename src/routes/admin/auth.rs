//! `POST /admin/v1/auth/login` and `GET /admin/v1/me`.

use actix_web::{HttpResponse, web};

use crate::auth::{ClientOrigin, Operator};
use crate::error::AppError;
use crate::routes::contract::ApiErrorBody;
use crate::routes::staff::{self, StaffLoginRequest, StaffLoginResponse};
use crate::service::staff::accounts::OperatorView;
use crate::service::staff::{AccountKind, accounts};
use crate::state::AppState;

/// Log in as an operator
///
/// An unknown username and a wrong password get the same answer. Five failed logins within 15
/// minutes lock the username, and separately the client address, for 15 minutes (429 meanwhile,
/// also with the right password). The token lasts 12 hours.
#[utoipa::path(
    post,
    path = "/admin/v1/auth/login",
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
    staff::log_in(&state, AccountKind::Operator, origin, &body).await
}

/// Your operator account
#[utoipa::path(
    get,
    path = "/admin/v1/me",
    tag = "auth",
    responses((status = 200, description = "The operator the token names", body = OperatorView)),
    security(("bearer" = []))
)]
pub async fn get_me(state: web::Data<AppState>, me: Operator) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(accounts::operator(&state.db, me.operator_id).await?))
}
