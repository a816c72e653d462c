//! `/merchant/v1/coupon-templates`: a merchant's coupon templates, managed by its owner. A
//! template is created as a draft and goes live once an operator approves it.

use actix_web::{HttpResponse, web};

use crate::auth::MerchantStaff;
use crate::domain::coupons::TemplateInput;
use crate::domain::staff::MerchantRole;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::coupons::TemplateView;
use crate::service::commerce::coupons::templates::{self, Action, Scope};
use crate::state::AppState;

const OWNER: &[MerchantRole] = &[MerchantRole::Owner];

/// Create a coupon template (owner)
///
/// Created as a `draft`; submit it for an operator's approval. Every rule names its field's
/// error code.
#[utoipa::path(
    post,
    path = "/merchant/v1/coupon-templates",
    tag = "coupons",
    request_body = TemplateInput,
    responses(
        (status = 201, description = "The draft", body = TemplateView),
        (status = 400, description = "`invalid_title`, `invalid_description`, `invalid_coupon_kind`, `invalid_amount_fen`, `invalid_threshold_fen`, `invalid_percent_off`, `invalid_max_off_fen`, `invalid_validity`, `invalid_total_stock`, `invalid_per_member_limit`, `invalid_claim_window`, `invalid_age_band`, `invalid_cities`, `invalid_points_cost`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    body: Json<TemplateInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OWNER)?;
    let created = templates::create(
        &state.db,
        &me.actor(),
        Scope::Merchant(me.merchant_id),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Your merchant's coupon templates
#[utoipa::path(
    get,
    path = "/merchant/v1/coupon-templates",
    tag = "coupons",
    responses((status = 200, description = "Newest first", body = [TemplateView])),
    security(("bearer" = []))
)]
pub async fn list_templates(
    state: web::Data<AppState>,
    me: MerchantStaff,
) -> Result<HttpResponse, AppError> {
    let list = templates::list(&state.db, Scope::Merchant(me.merchant_id), None).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One of your merchant's coupon templates
#[utoipa::path(
    get,
    path = "/merchant/v1/coupon-templates/{template_id}",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 404, description = "`coupon_template_not_found` (also another merchant's)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let found = templates::get(
        &state.db,
        Scope::Merchant(me.merchant_id),
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Edit a draft or rejected template (owner)
///
/// Every field is replaced and checked as on creation; submit it again afterwards.
#[utoipa::path(
    put,
    path = "/merchant/v1/coupon-templates/{template_id}",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    request_body = TemplateInput,
    responses(
        (status = 200, description = "The template as edited", body = TemplateView),
        (status = 400, description = "`invalid_title`, `invalid_description`, `invalid_coupon_kind`, `invalid_amount_fen`, `invalid_threshold_fen`, `invalid_percent_off`, `invalid_max_off_fen`, `invalid_validity`, `invalid_total_stock`, `invalid_per_member_limit`, `invalid_claim_window`, `invalid_age_band`, `invalid_cities`, `invalid_points_cost`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not a draft or rejected", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn edit_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    path: web::Path<i32>,
    body: Json<TemplateInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OWNER)?;
    let edited = templates::edit(
        &state.db,
        &me.actor(),
        me.merchant_id,
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(edited))
}

async fn act(
    state: &AppState,
    me: &MerchantStaff,
    id: i32,
    action: Action,
) -> Result<HttpResponse, AppError> {
    me.require(OWNER)?;
    let changed = templates::act(
        &state.db,
        &me.actor(),
        Scope::Merchant(me.merchant_id),
        id,
        action,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Submit a draft (or rejected) template for approval (owner)
#[utoipa::path(
    post,
    path = "/merchant/v1/coupon-templates/{template_id}/submit",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `pending`", body = TemplateView),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not a draft or rejected", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::Submit).await
}

/// Pause a live template (owner): nobody can claim it until it resumes
#[utoipa::path(
    post,
    path = "/merchant/v1/coupon-templates/{template_id}/pause",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `paused`", body = TemplateView),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not live", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn pause_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::Pause).await
}

/// Resume a paused template (owner)
#[utoipa::path(
    post,
    path = "/merchant/v1/coupon-templates/{template_id}/resume",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "`live` again", body = TemplateView),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not paused", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::Resume).await
}

/// End a template for good (owner); coupons already claimed stay valid
#[utoipa::path(
    post,
    path = "/merchant/v1/coupon-templates/{template_id}/end",
    tag = "coupons",
    params(("template_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `ended`", body = TemplateView),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`template_state_conflict`: not live or paused", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn end_template(
    state: web::Data<AppState>,
    me: MerchantStaff,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    act(&state, &me, path.into_inner(), Action::End).await
}
