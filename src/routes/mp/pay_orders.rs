//! Your payment orders: what the mini-program polls after `wx.requestPayment`.

use actix_web::{HttpResponse, web};

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::service::commerce::payments::{self, OrderView};
use crate::state::AppState;

/// A payment order of yours
///
/// `state` is `created` until WeChat Pay's notification (or our query) confirms the payment,
/// then `paid` (`partially_refunded`, `refunded`), or `closed` when unpaid after 30 minutes.
#[utoipa::path(
    get,
    path = "/api/v1/pay-orders/{order_id}",
    tag = "membership",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "`pay_order_not_found` (also for another member's order)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_pay_order(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let order = payments::order_of_member(&state.db, me.member_id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(&order)))
}
