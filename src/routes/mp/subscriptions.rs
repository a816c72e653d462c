//! Subscribe-message consents and the allowances they give.

use actix_web::{HttpResponse, web};

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::messaging::subscriptions::{self, Allowances, ConsentReport};
use crate::state::AppState;

/// Report what wx.requestSubscribeMessage returned
///
/// Each `accept` allows one message on that template. A retried report with the same
/// `request_id` counts once.
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions/consents",
    tag = "subscriptions",
    request_body = ConsentReport,
    responses(
        (status = 200, description = "Allowances after the report", body = Allowances),
        (status = 400, description = "`no_subscribe_results`, `invalid_subscribe_result`, `invalid_template_id`, `too_many_templates`, `invalid_request_id`, `invalid_json`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn report_consents(
    state: web::Data<AppState>,
    me: Member,
    body: Json<ConsentReport>,
) -> Result<HttpResponse, AppError> {
    let allowances =
        subscriptions::record(&state.db, me.member_id, &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(allowances))
}

/// Messages we may still send you, per template
#[utoipa::path(
    get,
    path = "/api/v1/subscriptions",
    tag = "subscriptions",
    responses((status = 200, description = "Remaining allowances", body = Allowances)),
    security(("bearer" = []))
)]
pub async fn list_allowances(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    let allowances = subscriptions::allowances(&state.db, me.member_id).await?;
    Ok(HttpResponse::Ok().json(allowances))
}
