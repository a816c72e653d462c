//! `/admin/v1/operators`: operator accounts, managed by admins. Every change is audited.

use actix_web::{HttpResponse, web};

use crate::auth::Operator;
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::routes::contract::ApiErrorBody;
use crate::service::staff::accounts::{self, NewOperator, OperatorView};
use crate::state::AppState;

const ADMIN: &[OperatorRole] = &[OperatorRole::Admin];

/// Create an operator (admin)
#[utoipa::path(
    post,
    path = "/admin/v1/operators",
    tag = "operators",
    request_body = NewOperator,
    responses(
        (status = 201, description = "Created", body = OperatorView),
        (status = 400, description = "`invalid_username`, `weak_password`, `invalid_role`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: admins only", body = ApiErrorBody),
        (status = 409, description = "`username_taken`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_operator(
    state: web::Data<AppState>,
    me: Operator,
    body: web::Json<NewOperator>,
) -> Result<HttpResponse, AppError> {
    me.require(ADMIN)?;
    let created =
        accounts::create_operator(&state.db, &body, Some(&me.actor()), state.clock.now()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Every operator (admin)
#[utoipa::path(
    get,
    path = "/admin/v1/operators",
    tag = "operators",
    responses(
        (status = 200, description = "Oldest first", body = [OperatorView]),
        (status = 403, description = "`role_forbidden`: admins only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_operators(
    state: web::Data<AppState>,
    me: Operator,
) -> Result<HttpResponse, AppError> {
    me.require(ADMIN)?;
    Ok(HttpResponse::Ok().json(accounts::list_operators(&state.db).await?))
}

/// Disable an operator (admin)
///
/// They can no longer log in, and their tokens are refused at once (`account_disabled`). You
/// cannot disable yourself.
#[utoipa::path(
    post,
    path = "/admin/v1/operators/{operator_id}/disable",
    tag = "operators",
    params(("operator_id" = i32, Path)),
    responses(
        (status = 200, description = "Disabled", body = OperatorView),
        (status = 403, description = "`role_forbidden`: admins only", body = ApiErrorBody),
        (status = 404, description = "`operator_not_found`", body = ApiErrorBody),
        (status = 409, description = "`cannot_disable_self`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn disable_operator(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    set_disabled(&state, &me, path.into_inner(), true).await
}

/// Enable an operator again (admin)
#[utoipa::path(
    post,
    path = "/admin/v1/operators/{operator_id}/enable",
    tag = "operators",
    params(("operator_id" = i32, Path)),
    responses(
        (status = 200, description = "Enabled", body = OperatorView),
        (status = 403, description = "`role_forbidden`: admins only", body = ApiErrorBody),
        (status = 404, description = "`operator_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn enable_operator(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    set_disabled(&state, &me, path.into_inner(), false).await
}

async fn set_disabled(
    state: &AppState,
    me: &Operator,
    operator_id: i32,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    me.require(ADMIN)?;
    let changed = accounts::set_operator_disabled(
        &state.db,
        &me.actor(),
        operator_id,
        disabled,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}
