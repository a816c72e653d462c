//! The shop for parents: the catalogue, recommendations for a baby, orders (paid through WeChat
//! Pay, or at once when nothing is left to pay), flash sales and the points mall.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::{AppError, ErrorCode};
use crate::routes::body::Json;
use crate::service::commerce::shop::catalogue::{self, CategoryView, ProductPage, ProductView};
use crate::service::commerce::shop::flash::{self, SaleView};
use crate::service::commerce::shop::groups::{self, GroupBuyView, GroupView};
use crate::service::commerce::shop::lifecycle;
use crate::service::commerce::shop::mall::{self, ExchangeRequest, ItemView};
use crate::service::commerce::shop::orders::{self, OrderCreated, OrderRequest, ShopOrderView};
use crate::service::commerce::shop::recommend::{self, Recommendations};
use crate::state::AppState;

/// Shop categories
#[utoipa::path(
    get,
    path = "/api/v1/shop/categories",
    tag = "shop",
    responses((status = 200, description = "Every category", body = [CategoryView])),
    security(("bearer" = []))
)]
pub async fn list_categories(
    state: web::Data<AppState>,
    _me: Member,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(catalogue::categories(&state.db).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    /// Only this category.
    pub category: Option<i32>,
    /// A baby shared with you: products of its age band first (`for_your_baby`).
    pub baby_id: Option<i32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<u64>,
}

/// Products on sale
///
/// Newest first, priced for your membership tier (`your_price_fen`); with `baby_id`, the
/// products of the baby's age band first.
#[utoipa::path(
    get,
    path = "/api/v1/shop/products",
    tag = "shop",
    params(ProductsQuery),
    responses(
        (status = 200, description = "A page", body = ProductPage),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_products(
    state: web::Data<AppState>,
    me: Member,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let page = catalogue::list_for_member(
        &state.db,
        me.member_id,
        q.category,
        q.baby_id,
        q.cursor,
        q.limit.unwrap_or(20),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A product on sale
#[utoipa::path(
    get,
    path = "/api/v1/shop/products/{product_id}",
    tag = "shop",
    params(("product_id" = i32, Path)),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 404, description = "`product_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_product(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = catalogue::product_for_member(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationsQuery {
    /// A baby shared with you (required).
    pub baby_id: Option<i32>,
}

/// Recommendations for a baby
///
/// Products of the baby's age band, for the vaccines whose doses are due next (from the
/// schedule) and for the stages it is in or enters soon, each with its reasons.
#[utoipa::path(
    get,
    path = "/api/v1/shop/recommendations",
    tag = "shop",
    params(RecommendationsQuery),
    responses(
        (status = 200, description = "The recommendations", body = Recommendations),
        (status = 400, description = "`invalid_query`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_recommendations(
    state: web::Data<AppState>,
    me: Member,
    query: web::Query<RecommendationsQuery>,
) -> Result<HttpResponse, AppError> {
    let baby_id = query
        .baby_id
        .ok_or_else(|| AppError::new(ErrorCode::InvalidQuery, "baby_id: required"))?;
    let recs = recommend::for_baby(&state.db, me.member_id, baby_id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(recs))
}

/// Place an order
///
/// Items at your member price (or the flash sale's), a platform coupon, points (100 points =
/// 1 yuan, at most half of what is left after the coupon). The stock, the coupon and the
/// points are held together, or nothing is. `status` is `pending_payment` with `pay_params` for
/// `wx.requestPayment` (unpaid orders are cancelled after 30 minutes), or `paid` when nothing
/// is left to pay. The same `request_id` answers the same order.
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders",
    tag = "shop",
    request_body = OrderRequest,
    responses(
        (status = 201, description = "The order", body = OrderCreated),
        (status = 400, description = "`invalid_order`, `invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`flash_sale_not_found`", body = ApiErrorBody),
        (status = 409, description = "`out_of_stock` (naming the SKU), `sku_unavailable`, `coupon_unavailable`, `insufficient_points`, `points_over_limit`, `not_started`, `flash_sale_ended`, `purchase_limit_reached`", body = ApiErrorBody),
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
    let created = orders::create(
        &state.db,
        state.pay.as_ref(),
        me.member_id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only orders in this status.
    pub status: Option<String>,
    /// The last id of the previous page.
    pub cursor: Option<i32>,
    /// 1-100, default 20.
    pub limit: Option<u64>,
}

/// Your shop orders, newest first
#[utoipa::path(
    get,
    path = "/api/v1/shop/orders",
    tag = "shop",
    params(OrdersQuery),
    responses(
        (status = 200, description = "A page", body = [ShopOrderView]),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_orders(
    state: web::Data<AppState>,
    me: Member,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let list = orders::list(
        &state.db,
        Some(me.member_id),
        q.status.as_deref(),
        q.cursor,
        q.limit.unwrap_or(20),
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One of your shop orders
#[utoipa::path(
    get,
    path = "/api/v1/shop/orders/{order_id}",
    tag = "shop",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "The order", body = ShopOrderView),
        (status = 404, description = "`shop_order_not_found` (also another member's)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_order(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = orders::get(&state.db, Some(me.member_id), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Cancel your unpaid order
///
/// Stock, coupon and points come back; the payment order is closed (a payment arriving after
/// it is refunded automatically).
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders/{order_id}/cancel",
    tag = "shop",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "Cancelled", body = ShopOrderView),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_state_conflict`: not awaiting payment (paid meanwhile)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_order(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let view = orders::cancel(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm you received your order
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders/{order_id}/receive",
    tag = "shop",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "Received", body = ShopOrderView),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_state_conflict`: not shipped", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn receive_order(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    lifecycle::receive(
        &state.db,
        id,
        Some(me.member_id),
        "confirmed by the parent",
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(orders::get(&state.db, Some(me.member_id), id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefundRequestBody {
    /// Why, 1-200 characters.
    pub reason: String,
}

/// Ask for a refund of your order
///
/// An operator approves (the whole payable is refunded; the points you paid with and the
/// coupon come back) or refuses with a reason.
#[utoipa::path(
    post,
    path = "/api/v1/shop/orders/{order_id}/refund-request",
    tag = "shop",
    params(("order_id" = i32, Path)),
    request_body = RefundRequestBody,
    responses(
        (status = 200, description = "Requested", body = ShopOrderView),
        (status = 400, description = "`invalid_refund_request`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_state_conflict`: not paid, shipped or received", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn request_refund(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<RefundRequestBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    lifecycle::request_refund(&state.db, me.member_id, id, &body.reason, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(orders::get(&state.db, Some(me.member_id), id).await?))
}

/// Flash sales running or to come
#[utoipa::path(
    get,
    path = "/api/v1/shop/flash-sales",
    tag = "shop",
    responses((status = 200, description = "Soonest first", body = [SaleView])),
    security(("bearer" = []))
)]
pub async fn list_flash_sales(
    state: web::Data<AppState>,
    _me: Member,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(flash::list(&state.db, state.clock.now()).await?))
}

/// Points-mall items
#[utoipa::path(
    get,
    path = "/api/v1/shop/mall/items",
    tag = "shop",
    responses((status = 200, description = "Items on sale", body = [ItemView])),
    security(("bearer" = []))
)]
pub async fn list_mall_items(
    state: web::Data<AppState>,
    _me: Member,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(mall::items(&state.db).await?))
}

/// Exchange points (and cash) for a mall item
///
/// A shop order of kind `mall`: the points are spent and the stock taken together. Coupon
/// items are delivered at once when nothing is left to pay (the coupon is in your coupons).
#[utoipa::path(
    post,
    path = "/api/v1/shop/mall/exchanges",
    tag = "shop",
    request_body = ExchangeRequest,
    responses(
        (status = 201, description = "The order", body = OrderCreated),
        (status = 400, description = "`invalid_order` (address), `invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`mall_item_not_found`", body = ApiErrorBody),
        (status = 409, description = "`out_of_stock`, `insufficient_points`", body = ApiErrorBody),
        (status = 502, description = "`payment_unavailable`", body = ApiErrorBody),
        (status = 503, description = "`payment_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn exchange(
    state: web::Data<AppState>,
    me: Member,
    body: Json<ExchangeRequest>,
) -> Result<HttpResponse, AppError> {
    let created = mall::exchange(
        &state.db,
        state.pay.as_ref(),
        me.member_id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Group buys on offer
#[utoipa::path(
    get,
    path = "/api/v1/shop/group-buys",
    tag = "shop",
    responses((status = 200, description = "Newest first", body = [GroupBuyView])),
    security(("bearer" = []))
)]
pub async fn list_group_buys(
    state: web::Data<AppState>,
    _me: Member,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(groups::offers(&state.db).await?))
}

/// A group (拼团)
///
/// Its status (`forming` until its leader paid, `open`, `filled`, `failed`), members paid, the
/// time left, and `share_path`, the mini-program path to share it with. Join it by ordering
/// with `group_id`.
#[utoipa::path(
    get,
    path = "/api/v1/shop/groups/{group_id}",
    tag = "shop",
    params(("group_id" = i32, Path)),
    responses(
        (status = 200, description = "The group", body = GroupView),
        (status = 404, description = "`group_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_group(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(groups::get(&state.db, me.member_id, path.into_inner()).await?))
}
