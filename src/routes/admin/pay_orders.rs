//! `/admin/v1/pay-orders`: an order, and refunds of it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::Operator;
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::checkout;
use crate::service::commerce::membership::admin::RefundView;
use crate::service::commerce::payments::{self, OrderView, RefundRequest};
use crate::state::AppState;

/// A payment order (admin, operator, support)
#[utoipa::path(
    get,
    path = "/admin/v1/pay-orders/{order_id}",
    tag = "membership",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`pay_order_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_pay_order(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(&[
        OperatorRole::Admin,
        OperatorRole::Operator,
        OperatorRole::Support,
    ])?;
    let order = payments::order(&state.db, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(&order)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefundBody {
    /// Fen to refund; all refunds of an order together never exceed what was paid.
    pub amount_fen: i64,
    pub reason: Option<String>,
    /// The operator's id of this refund: a retry with it asks WeChat Pay with the same
    /// `out_refund_no`, so it refunds once.
    pub request_id: String,
}

/// Refund a paid order (admin, operator)
///
/// Answers the refund; its `state` becomes `success` or `closed` when WeChat Pay's refund
/// notification (or the reconciliation's query) says so.
#[utoipa::path(
    post,
    path = "/admin/v1/pay-orders/{order_id}/refunds",
    tag = "membership",
    params(("order_id" = i32, Path)),
    request_body = RefundBody,
    responses(
        (status = 201, description = "The refund, as WeChat Pay accepted it", body = RefundView),
        (status = 400, description = "`invalid_refund_amount`, `invalid_refund_reason`, `invalid_refund_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`pay_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_not_refundable`, `refund_exceeds_paid`, `refund_request_mismatch`", body = ApiErrorBody),
        (status = 502, description = "`payment_unavailable`: retry with the same request_id", body = ApiErrorBody),
        (status = 503, description = "`payment_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refund_pay_order(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<RefundBody>,
) -> Result<HttpResponse, AppError> {
    me.require(&[OperatorRole::Admin, OperatorRole::Operator])?;
    let refund = checkout::refund(
        &state.db,
        state.pay.as_ref(),
        path.into_inner(),
        RefundRequest {
            by: Some(&me.actor()),
            amount_fen: body.amount_fen,
            reason: body.reason.as_deref(),
            request_id: &body.request_id,
        },
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(RefundView::from(&refund)))
}
