//! `/admin/v1/coupon-templates`: every coupon template: the platform shop's own (created live),
//! approval of merchants' templates, pausing, ending, stock, and grants (admin, operator).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::merchants::{OPERATIONS, READERS};
use crate::auth::Operator;
use crate::domain::coupons::TemplateInput;
use crate::error::{AppError, ErrorCode};
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::coupons::TemplateView;
use crate::service::commerce::coupons::claims::{self, GrantReport, GrantRequest};
use crate::service::commerce::coupons::templates::{self, Action, Rejection, Scope, StockChange};
use crate::state::AppState;

/// Create a template for the platform's own shop (admin, operator)
///
/// Live at once (no merchant, no approval).
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates",
    tag = "coupons",
    request_body = TemplateInput,
    responses(
        (status = 201, description = "Live", body = TemplateView),
        (status = 400, description = "`invalid_title`, `invalid_description`, `invalid_coupon_kind`, `invalid_amount_fen`, `invalid_threshold_fen`, `invalid_percent_off`, `invalid_max_off_fen`, `invalid_validity`, `invalid_total_stock`, `invalid_per_member_limit`, `invalid_claim_window`, `invalid_age_band`, `invalid_cities`, `invalid_points_cost`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_template(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<TemplateInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let created = templates::create(
        &state.db,
        &me.actor(),
        Scope::Operator,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplatesQuery {
    /// Only templates in this status (`pending`: awaiting approval).
    pub status: Option<String>,
}

/// Every coupon template (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/coupon-templates",
    tag = "coupons",
    params(TemplatesQuery),
    responses(
        (status = 200, description = "Newest first", body = [TemplateView]),
        (status = 400, description = "`invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_templates(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<TemplatesQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let status = query.status.as_deref();
    if status
        .is_some_and(|s| !["draft", "pending", "live", "paused", "ended", "rejected"].contains(&s))
    {
        return Err(AppError::new(
            ErrorCode::InvalidQuery,
            "status must be draft, pending, live, paused, ended or rejected",
        ));
    }
    Ok(HttpResponse::Ok().json(templates::list(&state.db, Scope::Operator, status).await?))
}

async fn act(
    state: &AppState,
    me: &Operator,
    id: i32,
    action: Action,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let changed = templates::act(
        &state.db,
        &me.actor(),
        Scope::Operator,
        id,
        action,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Approve a pending template: it goes live (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/approve",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `live`", body = TemplateView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not pending", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve_template(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::Approve).await
}

/// Reject a pending template, with the reason the merchant sees (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/reject",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    request_body = Rejection,
    responses(
        (status = 200, description = "Now `rejected`", body = TemplateView),
        (status = 400, description = "`invalid_reject_reason`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not pending", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reject_template(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<Rejection>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let changed = templates::reject(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Pause a live template (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/pause",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `paused`", body = TemplateView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not live", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn pause_template(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::Pause).await
}

/// Resume a paused template (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/resume",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "`live` again", body = TemplateView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not paused", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume_template(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::Resume).await
}

/// End a template for good (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/end",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `ended`", body = TemplateView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not live or paused", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn end_template(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::End).await
}

/// Add stock, or withdraw unclaimed coupons (admin, operator)
///
/// The stock never goes below what was claimed.
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/stock",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    request_body = StockChange,
    responses(
        (status = 200, description = "Changed", body = TemplateView),
        (status = 400, description = "`invalid_stock_change`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`stock_below_claimed`, `template_state_conflict` (ended)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_stock(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<StockChange>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let changed = templates::change_stock(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Grant a template's coupons to members or a segment (admin, operator)
///
/// Idempotent per member and `grant_key`: a re-run grants nobody twice. Takes stock like a
/// claim; ignores the claim window, eligibility and the per-member limit.
#[utoipa::path(
    post,
    path = "/admin/v1/coupon-templates/{template_id}/grants",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    request_body = GrantRequest,
    responses(
        (status = 200, description = "Who got one", body = GrantReport),
        (status = 400, description = "`invalid_grant`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not live or paused", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn grant(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<GrantRequest>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let report = claims::grant_request(
        &state.db,
        path.into_inner(),
        &body,
        state.clock.now(),
        state.clock.today_shanghai(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
