//! Coupons for parents: what they may claim, claims, their coupons and redemption codes.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::{AppError, ErrorCode};
use crate::routes::body::Json;
use crate::service::commerce::coupons::claims::{
    self, AvailableTemplate, ClaimRequest, CouponView,
};
use crate::service::commerce::coupons::codes::{self, RedemptionCode};
use crate::state::AppState;

/// Coupons you may claim now
///
/// Live templates in their claim window with stock left, that you have not claimed as often as
/// one member may, whose age band one of your babies is in and whose cities include yours; each
/// says why it is shown.
#[utoipa::path(
    get,
    path = "/api/v1/coupons/available",
    tag = "coupons",
    responses((status = 200, description = "Soonest closing first", body = [AvailableTemplate])),
    security(("bearer" = []))
)]
pub async fn list_available(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    let list = claims::available(
        &state.db,
        me.member_id,
        state.clock.now(),
        state.clock.today_shanghai(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Claim a coupon
///
/// The same `request_id` again answers the same coupon (201 both times). Parallel claims never
/// exceed the stock or the per-member limit.
#[utoipa::path(
    post,
    path = "/api/v1/coupons/claims",
    tag = "coupons",
    request_body = ClaimRequest,
    responses(
        (status = 201, description = "Your coupon", body = CouponView),
        (status = 400, description = "`invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`not_eligible`: no baby in the age band, or not in one of the cities", body = ApiErrorBody),
        (status = 404, description = "`coupon_template_not_found`", body = ApiErrorBody),
        (status = 409, description = "`sold_out`, `claim_limit_reached`, `not_claimable` (not live, outside the claim window, merchant suspended), `insufficient_points` (the template's points cost, paid in the claim)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn claim(
    state: web::Data<AppState>,
    me: Member,
    body: Json<ClaimRequest>,
) -> Result<HttpResponse, AppError> {
    let (coupon, _replayed) = claims::claim(
        &state.db,
        me.member_id,
        &body,
        state.clock.now(),
        state.clock.today_shanghai(),
    )
    .await?;
    Ok(HttpResponse::Created().json(coupon))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CouponsQuery {
    /// `unused`, `locked` (held by an unpaid shop order), `used` or `expired`; all when absent.
    pub status: Option<String>,
}

/// Your coupons
#[utoipa::path(
    get,
    path = "/api/v1/coupons",
    tag = "coupons",
    params(CouponsQuery),
    responses(
        (status = 200, description = "Newest first", body = [CouponView]),
        (status = 400, description = "`invalid_query`: status not unused, locked, used or expired", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_coupons(
    state: web::Data<AppState>,
    me: Member,
    query: web::Query<CouponsQuery>,
) -> Result<HttpResponse, AppError> {
    let status = query.status.as_deref();
    if status.is_some_and(|s| !matches!(s, "unused" | "locked" | "used" | "expired")) {
        return Err(AppError::new(
            ErrorCode::InvalidQuery,
            "status must be unused, locked, used or expired",
        ));
    }
    let list = claims::mine(&state.db, me.member_id, status, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A fresh redemption code for a coupon
///
/// Valid 60 seconds, for one redemption of this coupon; asking again makes the previous code
/// stop working. Show it as a QR code and refresh it before it expires.
#[utoipa::path(
    post,
    path = "/api/v1/coupons/{coupon_id}/code",
    tag = "coupons",
    params(("coupon_id" = i64, Path)),
    responses(
        (status = 201, description = "The code", body = RedemptionCode),
        (status = 404, description = "`coupon_not_found`", body = ApiErrorBody),
        (status = 409, description = "`coupon_used`, `coupon_expired`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_code(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let code = codes::issue(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(code))
}
