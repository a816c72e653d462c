//! `/admin/v1/merchants`: onboarding partner merchants, their stores and staff, and suspension
//! (operators and admins). Every change is audited.

use actix_web::{HttpResponse, web};

use crate::auth::Operator;
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::merchants::{
    self, MerchantStatusChange, MerchantView, NewMerchant, NewStaff, NewStore, StoreView,
};
use crate::service::staff::accounts::MerchantStaffView;
use crate::state::AppState;

pub(super) const OPERATIONS: &[OperatorRole] = &[OperatorRole::Admin, OperatorRole::Operator];
pub(super) const READERS: &[OperatorRole] = &[
    OperatorRole::Admin,
    OperatorRole::Operator,
    OperatorRole::Analyst,
];

/// Onboard a merchant (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/merchants",
    tag = "merchants",
    request_body = NewMerchant,
    responses(
        (status = 201, description = "Created, active", body = MerchantView),
        (status = 400, description = "`invalid_merchant_name`, `invalid_merchant_kind`, `invalid_contact_name`, `invalid_contact_phone`, `invalid_commission_bps`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_merchant(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<NewMerchant>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let created = merchants::create(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Every merchant (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/merchants",
    tag = "merchants",
    responses(
        (status = 200, description = "Oldest first", body = [MerchantView]),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_merchants(
    state: web::Data<AppState>,
    me: Operator,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(merchants::list(&state.db).await?))
}

/// Suspend a merchant, or make it active again (admin, operator)
///
/// A suspended merchant's live coupons stop being claimable; its unused coupons stay redeemable
/// unless `block_redemptions` is true.
#[utoipa::path(
    post,
    path = "/admin/v1/merchants/{merchant_id}/status",
    tag = "merchants",
    params(("merchant_id" = i32, Path)),
    request_body = MerchantStatusChange,
    responses(
        (status = 200, description = "Changed", body = MerchantView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`merchant_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_merchant_status(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<MerchantStatusChange>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let changed = merchants::set_status(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// Add a store (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/merchants/{merchant_id}/stores",
    tag = "merchants",
    params(("merchant_id" = i32, Path)),
    request_body = NewStore,
    responses(
        (status = 201, description = "Created", body = StoreView),
        (status = 400, description = "`invalid_store_name`, `invalid_store_address`, `invalid_store_city`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`merchant_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_store(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<NewStore>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let created = merchants::add_store(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// A merchant's stores (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/merchants/{merchant_id}/stores",
    tag = "merchants",
    params(("merchant_id" = i32, Path)),
    responses(
        (status = 200, description = "Oldest first", body = [StoreView]),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`merchant_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_stores(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(merchants::stores(&state.db, path.into_inner()).await?))
}

/// Create a staff account for a merchant (admin, operator)
///
/// An `owner` runs the whole merchant; a `clerk` works at one of its stores (`store_id`).
#[utoipa::path(
    post,
    path = "/admin/v1/merchants/{merchant_id}/staff",
    tag = "merchants",
    params(("merchant_id" = i32, Path)),
    request_body = NewStaff,
    responses(
        (status = 201, description = "Created", body = MerchantStaffView),
        (status = 400, description = "`invalid_username`, `weak_password`, `invalid_role`, `clerk_needs_store`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`merchant_not_found`, `store_not_found`", body = ApiErrorBody),
        (status = 409, description = "`username_taken`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_staff(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<NewStaff>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let created = merchants::add_staff(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}
