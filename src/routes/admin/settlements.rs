//! `/admin/v1/settlements`: monthly statements per merchant, their lines, closing a month, and
//! adjustments.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::merchants::{OPERATIONS, READERS};
use crate::auth::Operator;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::coupons::settlement::{
    self, CloseMonth, LineView, NewAdjustment, StatementView,
};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (Asia/Shanghai).
    pub month: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinesQuery {
    pub merchant_id: i32,
    /// `YYYY-MM` (Asia/Shanghai).
    pub month: String,
}

/// A month's statements, one per merchant (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/settlements",
    tag = "settlements",
    params(MonthQuery),
    responses(
        (status = 200, description = "By merchant", body = [StatementView]),
        (status = 400, description = "`invalid_month`, `invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_statements(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(settlement::statements(&state.db, &query.month).await?))
}

/// A merchant's lines of a month (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/settlements/lines",
    tag = "settlements",
    params(LinesQuery),
    responses(
        (status = 200, description = "Oldest first", body = [LineView]),
        (status = 400, description = "`invalid_month`, `invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`merchant_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_lines(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<LinesQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let lines = settlement::statement_lines(&state.db, query.merchant_id, &query.month).await?;
    Ok(HttpResponse::Ok().json(lines))
}

/// Close a month: its statements become final (admin, operator)
///
/// Lines written afterwards (late redemptions, corrections) land in the next month.
#[utoipa::path(
    post,
    path = "/admin/v1/settlements/close",
    tag = "settlements",
    request_body = CloseMonth,
    responses(
        (status = 200, description = "The closed statements", body = [StatementView]),
        (status = 400, description = "`invalid_month`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 409, description = "`month_already_closed`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn close_month(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<CloseMonth>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let closed = settlement::close_month(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(closed))
}

/// Add an adjustment line (admin, operator)
///
/// It lands in the current month, or the next open one if that is closed.
#[utoipa::path(
    post,
    path = "/admin/v1/settlements/adjustments",
    tag = "settlements",
    request_body = NewAdjustment,
    responses(
        (status = 201, description = "The line", body = LineView),
        (status = 400, description = "`invalid_settlement_adjustment`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`merchant_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_adjustment(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<NewAdjustment>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let line = settlement::adjust(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(line))
}
