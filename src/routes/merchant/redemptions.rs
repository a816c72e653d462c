//! `/merchant/v1/redemptions`: the counter. Preview the coupon behind a parent's code, then
//! redeem it, exactly once. A clerk redeems at their store; an owner for the whole merchant.

use actix_web::{HttpResponse, web};

use crate::auth::MerchantStaff;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::coupons::redemptions::{
    self, Counter, Preview, PreviewRequest, RedeemRequest, RedemptionView,
};
use crate::state::AppState;

fn counter(me: &MerchantStaff) -> Counter {
    Counter {
        merchant_id: me.merchant_id,
        staff_id: me.staff_id,
        store_id: me.store_id,
    }
}

/// What a code is worth, without redeeming it
#[utoipa::path(
    post,
    path = "/merchant/v1/redemptions/preview",
    tag = "redemptions",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The coupon and the parent's masked nickname", body = Preview),
        (status = 400, description = "`invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`code_not_found` (also a code of another merchant's coupon)", body = ApiErrorBody),
        (status = 409, description = "`already_redeemed`, `coupon_expired`", body = ApiErrorBody),
        (status = 410, description = "`code_expired`: over 60 seconds old, or replaced by a newer code", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn preview(
    state: web::Data<AppState>,
    me: MerchantStaff,
    body: Json<PreviewRequest>,
) -> Result<HttpResponse, AppError> {
    let found = redemptions::preview(&state.db, counter(&me), &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Redeem a coupon, exactly once
///
/// Records the store, the staff member, the time and the order amount, writes the settlement
/// line and tells the parent. The same `request_id` again answers the same redemption (201).
#[utoipa::path(
    post,
    path = "/merchant/v1/redemptions",
    tag = "redemptions",
    request_body = RedeemRequest,
    responses(
        (status = 201, description = "Redeemed", body = RedemptionView),
        (status = 400, description = "`invalid_request_id`, `invalid_order_amount`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`code_not_found` (also a code of another merchant's coupon)", body = ApiErrorBody),
        (status = 409, description = "`already_redeemed`, `coupon_expired`, `redemptions_blocked`", body = ApiErrorBody),
        (status = 410, description = "`code_expired`: over 60 seconds old, or replaced by a newer code", body = ApiErrorBody),
        (status = 422, description = "`below_threshold`: the order is under the coupon's threshold", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn redeem(
    state: web::Data<AppState>,
    me: MerchantStaff,
    body: Json<RedeemRequest>,
) -> Result<HttpResponse, AppError> {
    let (done, _replayed) = redemptions::redeem(
        &state.db,
        counter(&me),
        &body,
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(done))
}
