//! The paid membership: plans, your membership, buying a plan.

use actix_web::{HttpResponse, web};

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::commerce::membership::{
    self, MembershipView, OrderCreated, OrderRequest, PlanView,
};
use crate::state::AppState;

/// Membership plans
///
/// Tiers `basic`, `advanced`, `premium`; 1, 3 and 12 months; prices in fen; the benefits each
/// brings.
#[utoipa::path(
    get,
    path = "/api/v1/membership/plans",
    tag = "membership",
    responses((status = 200, description = "The plans", body = Vec<PlanView>)),
    security(("bearer" = []))
)]
pub async fn list_plans(_me: Member) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(membership::plans()))
}

/// Your membership
///
/// The active tier, when the benefits stop (the end of an Asia/Shanghai day, stacked periods
/// counted), every period and the benefits you have now.
#[utoipa::path(
    get,
    path = "/api/v1/membership",
    tag = "membership",
    responses((status = 200, description = "Your membership", body = MembershipView)),
    security(("bearer" = []))
)]
pub async fn get_membership(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    let view = membership::status(&state.db, me.member_id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Buy a plan
///
/// Creates the payment order and answers the parameters for `wx.requestPayment`. The same
/// `request_id` answers the same order. After paying, poll `GET /api/v1/pay-orders/{order_id}`.
#[utoipa::path(
    post,
    path = "/api/v1/membership/orders",
    tag = "membership",
    request_body = OrderRequest,
    responses(
        (status = 201, description = "The order and its payment parameters", body = OrderCreated),
        (status = 400, description = "`unknown_plan`, `invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 502, description = "`payment_unavailable`: retry with the same request_id", body = ApiErrorBody),
        (status = 503, description = "`payment_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_order(
    state: web::Data<AppState>,
    me: Member,
    body: Json<OrderRequest>,
) -> Result<HttpResponse, AppError> {
    let created = membership::order(
        &state.db,
        state.pay.as_ref(),
        me.member_id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}
