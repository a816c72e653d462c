//! `/admin/v1/shop/...`: the catalogue (categories, products, SKUs' stock), orders (shipping,
//! refund requests), flash sales and the points mall (admin, operator; reads also analyst and
//! support). Every write is audited.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::merchants::{OPERATIONS, READERS};
use crate::auth::Operator;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::shop::catalogue::{
    self, CategoryInput, CategoryView, Listing, ProductInput, ProductPage, ProductView, SkuView,
    StockInput,
};
use crate::service::commerce::shop::flash::{self, SaleInput, SaleView};
use crate::service::commerce::shop::groups::{self, GroupBuyInput, GroupBuyView};
use crate::service::commerce::shop::lifecycle;
use crate::service::commerce::shop::mall::{self, ItemInput, ItemView};
use crate::service::commerce::shop::orders::{self, ShopOrderView};
use crate::state::AppState;

/// Create a category (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/shop/categories",
    tag = "shop",
    request_body = CategoryInput,
    responses(
        (status = 201, description = "Created", body = CategoryView),
        (status = 400, description = "`invalid_category_name`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 409, description = "`category_exists`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_category(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = catalogue::create_category(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Every category (admin, operator, analyst, support)
#[utoipa::path(
    get,
    path = "/admin/v1/shop/categories",
    tag = "shop",
    responses(
        (status = 200, description = "Every category", body = [CategoryView]),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_categories(
    state: web::Data<AppState>,
    me: Operator,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(catalogue::categories(&state.db).await?))
}

/// Create a product with its SKUs, as a draft (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/shop/products",
    tag = "shop",
    request_body = ProductInput,
    responses(
        (status = 201, description = "The draft, with each SKU's id", body = ProductView),
        (status = 400, description = "`invalid_product` (the message names the field), `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`category_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_product(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<ProductInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = catalogue::create_product(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    /// `draft`, `on_sale` or `off_sale`; all when absent.
    pub status: Option<String>,
    pub category: Option<i32>,
    pub cursor: Option<String>,
    /// 1-100, default 50.
    pub limit: Option<u64>,
}

/// Every product, newest first (admin, operator, analyst, support)
#[utoipa::path(
    get,
    path = "/admin/v1/shop/products",
    tag = "shop",
    params(ProductsQuery),
    responses(
        (status = 200, description = "A page", body = ProductPage),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_products(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let q = query.into_inner();
    let page = catalogue::list(
        &state.db,
        &Listing {
            category: q.category,
            age_days: None,
            cursor: q.cursor,
            limit: q.limit.unwrap_or(50),
            status: q.status,
            tier: None,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A product (admin, operator, analyst, support)
#[utoipa::path(
    get,
    path = "/admin/v1/shop/products/{product_id}",
    tag = "shop",
    params(("product_id" = i32, Path)),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`product_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_product(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(catalogue::product_for_staff(&state.db, path.into_inner()).await?))
}

/// Edit a product and its SKUs' specs and prices; add SKUs (admin, operator)
///
/// SKUs named by `id` are edited, SKUs without `id` are added (with their stock), SKUs left
/// out stay. Stock of an existing SKU changes through `PUT /admin/v1/shop/skus/{sku_id}/stock`.
/// Orders already made keep their prices and payable.
#[utoipa::path(
    put,
    path = "/admin/v1/shop/products/{product_id}",
    tag = "shop",
    params(("product_id" = i32, Path)),
    request_body = ProductInput,
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 400, description = "`invalid_product`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`product_not_found`, `category_not_found`, `sku_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn edit_product(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<ProductInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = catalogue::edit_product(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Put a product on sale (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/shop/products/{product_id}/publish",
    tag = "shop",
    params(("product_id" = i32, Path)),
    responses(
        (status = 200, description = "On sale", body = ProductView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`product_not_found`", body = ApiErrorBody),
        (status = 409, description = "`product_state_conflict`: already on sale", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn publish_product(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = catalogue::set_on_sale(
        &state.db,
        &me.actor(),
        path.into_inner(),
        true,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Take a product off sale (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/shop/products/{product_id}/unpublish",
    tag = "shop",
    params(("product_id" = i32, Path)),
    responses(
        (status = 200, description = "Off sale", body = ProductView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`product_not_found`", body = ApiErrorBody),
        (status = 409, description = "`product_state_conflict`: not on sale", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn unpublish_product(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = catalogue::set_on_sale(
        &state.db,
        &me.actor(),
        path.into_inner(),
        false,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Set a SKU's stock (admin, operator)
///
/// Compare-and-set: applies only while the stock is still `expected_stock` (orders move it).
#[utoipa::path(
    put,
    path = "/admin/v1/shop/skus/{sku_id}/stock",
    tag = "shop",
    params(("sku_id" = i32, Path)),
    request_body = StockInput,
    responses(
        (status = 200, description = "The SKU", body = SkuView),
        (status = 400, description = "`invalid_product`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`sku_not_found`", body = ApiErrorBody),
        (status = 409, description = "`stock_changed`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_stock(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<StockInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = catalogue::set_stock(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only orders in this status (`paid`: to ship; `refund_requested`: to decide).
    pub status: Option<String>,
    pub cursor: Option<i32>,
    /// 1-100, default 50.
    pub limit: Option<u64>,
}

/// Shop orders, newest first (admin, operator, analyst, support)
#[utoipa::path(
    get,
    path = "/admin/v1/shop/orders",
    tag = "shop",
    params(OrdersQuery),
    responses(
        (status = 200, description = "A page", body = [ShopOrderView]),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_orders(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let q = query.into_inner();
    let list = orders::list(
        &state.db,
        None,
        q.status.as_deref(),
        q.cursor,
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A shop order (admin, operator, analyst, support)
#[utoipa::path(
    get,
    path = "/admin/v1/shop/orders/{order_id}",
    tag = "shop",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "The order", body = ShopOrderView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_order(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(orders::get(&state.db, None, path.into_inner()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ShipBody {
    /// 1-64 characters.
    pub tracking_no: String,
}

/// Ship a paid order (admin, operator)
///
/// The parent has 10 days to confirm receipt; then it is received automatically.
#[utoipa::path(
    post,
    path = "/admin/v1/shop/orders/{order_id}/ship",
    tag = "shop",
    params(("order_id" = i32, Path)),
    request_body = ShipBody,
    responses(
        (status = 200, description = "Shipped", body = ShopOrderView),
        (status = 400, description = "`invalid_tracking_no`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_state_conflict`: not paid (or nothing to ship)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn ship_order(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<ShipBody>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let id = path.into_inner();
    lifecycle::ship(
        &state.db,
        &me.actor(),
        id,
        &body.tracking_no,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(orders::get(&state.db, None, id).await?))
}

/// Approve a refund request (admin, operator)
///
/// The whole payable is refunded through WeChat Pay (approve again to retry after a
/// `payment_unavailable`); the order is `refunded` when the refund is confirmed. Then the
/// points paid with come back, the coupon is `unused` again, the stock goes back if the order
/// had not shipped, and the points the purchase earned are taken back as far as the balance
/// goes.
#[utoipa::path(
    post,
    path = "/admin/v1/shop/orders/{order_id}/refund/approve",
    tag = "shop",
    params(("order_id" = i32, Path)),
    responses(
        (status = 200, description = "Refunding (or refunded)", body = ShopOrderView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_state_conflict`, `refund_exceeds_paid`", body = ApiErrorBody),
        (status = 502, description = "`payment_unavailable`: approve again", body = ApiErrorBody),
        (status = 503, description = "`payment_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve_refund(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let id = path.into_inner();
    lifecycle::approve_refund(
        &state.db,
        state.pay.as_ref(),
        &me.actor(),
        id,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(orders::get(&state.db, None, id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefuseBody {
    /// Why, 1-200 characters (the parent sees it).
    pub reason: String,
}

/// Refuse a refund request, with a reason (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/shop/orders/{order_id}/refund/refuse",
    tag = "shop",
    params(("order_id" = i32, Path)),
    request_body = RefuseBody,
    responses(
        (status = 200, description = "Back where it was", body = ShopOrderView),
        (status = 400, description = "`invalid_reject_reason`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`shop_order_not_found`", body = ApiErrorBody),
        (status = 409, description = "`order_state_conflict`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refuse_refund(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<RefuseBody>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let id = path.into_inner();
    lifecycle::refuse_refund(&state.db, &me.actor(), id, &body.reason, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(orders::get(&state.db, None, id).await?))
}

/// Create a flash sale (admin, operator)
///
/// Its stock is taken from the SKU's stock now, and the unsold rest given back when it ends.
#[utoipa::path(
    post,
    path = "/admin/v1/shop/flash-sales",
    tag = "shop",
    request_body = SaleInput,
    responses(
        (status = 201, description = "The sale", body = SaleView),
        (status = 400, description = "`invalid_flash_sale`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`sku_not_found`", body = ApiErrorBody),
        (status = 409, description = "`out_of_stock`: the SKU has less", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_flash_sale(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<SaleInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = flash::create(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// A flash sale (admin, operator, analyst, support)
#[utoipa::path(
    get,
    path = "/admin/v1/shop/flash-sales/{sale_id}",
    tag = "shop",
    params(("sale_id" = i32, Path)),
    responses(
        (status = 200, description = "The sale", body = SaleView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`flash_sale_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_flash_sale(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(flash::get(&state.db, path.into_inner(), state.clock.now()).await?))
}

/// Create a points-mall item, on sale (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/shop/mall/items",
    tag = "shop",
    request_body = ItemInput,
    responses(
        (status = 201, description = "The item", body = ItemView),
        (status = 400, description = "`invalid_mall_item`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_mall_item(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<ItemInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = mall::create_item(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Create a group buy (admin, operator)
///
/// Groups of `group_size` (2-10) that must fill within `time_limit_hours` (24 by default);
/// when one runs out unfilled, every paid member is refunded automatically.
#[utoipa::path(
    post,
    path = "/admin/v1/shop/group-buys",
    tag = "shop",
    request_body = GroupBuyInput,
    responses(
        (status = 201, description = "The group buy", body = GroupBuyView),
        (status = 400, description = "`invalid_group_buy`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`sku_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_group_buy(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<GroupBuyInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let view = groups::create(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(view))
}
