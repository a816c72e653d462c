//! The admin API contract, generated from the handlers and types with utoipa, served at
//! `/admin/v1/openapi.json` and committed as `miniprogram-api-spec/admin-openapi.yaml` (a test
//! fails on drift; regenerate with `BABYVAX_UPDATE_SPEC=1 cargo test --test api admin::spec`).

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::{
    auth, coupons, events, members, membership, merchants, operators, pay_orders, points,
    settlements, shop,
};
use crate::error::Doors;
use crate::routes::contract::{ApiErrorBody, DoorContract};

pub const SPEC_URL: &str = "/admin/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "babyvax admin API",
        version = "1.0.0",
        description = "The `/admin/v1` door of babyvax, used by the operations team: operator accounts, support's audited reads of members' data, and points (earning rules, levels, campaigns, adjustments).\n\nEvery route but `POST /admin/v1/auth/login` needs `Authorization: Bearer <token>` from that login (12 hours). Roles: `admin` (everything, including operator accounts), `operator`, `support` (reads members' data) and `analyst`; a route a role may not use answers 403 `role_forbidden`. A disabled account's tokens answer 401 `account_disabled` at once. Every write, and every read of a member's data, is recorded in the audit log. Errors are `{\"code\", \"message\"}` with a stable `code` (listed in the `ApiErrorBody` schema); times are UTC (RFC 3339). Generated from the code: do not edit by hand.",
    ),
    paths(
        auth::login,
        auth::get_me,
        operators::create_operator,
        operators::list_operators,
        operators::disable_operator,
        operators::enable_operator,
        members::get_member,
        membership::list_memberships,
        membership::get_member_membership,
        pay_orders::get_pay_order,
        pay_orders::refund_pay_order,
        merchants::create_merchant,
        merchants::list_merchants,
        merchants::set_merchant_status,
        merchants::create_store,
        merchants::list_stores,
        merchants::create_staff,
        coupons::create_template,
        coupons::list_templates,
        coupons::approve_template,
        coupons::reject_template,
        coupons::pause_template,
        coupons::resume_template,
        coupons::end_template,
        coupons::change_stock,
        coupons::grant,
        settlements::list_statements,
        settlements::list_lines,
        settlements::close_month,
        settlements::create_adjustment,
        points::get_rules,
        points::put_rules,
        points::get_levels,
        points::put_levels,
        points::list_campaigns,
        points::create_campaign,
        points::end_campaign,
        points::member_ledger,
        points::adjust_points,
        shop::create_category,
        shop::list_categories,
        shop::create_product,
        shop::list_products,
        shop::get_product,
        shop::edit_product,
        shop::publish_product,
        shop::unpublish_product,
        shop::set_stock,
        shop::list_orders,
        shop::get_order,
        shop::ship_order,
        shop::approve_refund,
        shop::refuse_refund,
        shop::create_flash_sale,
        shop::get_flash_sale,
        shop::create_mall_item,
        shop::create_group_buy,
        events::create_event,
        events::list_events,
        events::get_event,
        events::edit_event,
        events::publish_event,
        events::cancel_event,
        events::list_bookings,
        events::bookings_csv,
    ),
    components(schemas(ApiErrorBody)),
    modifiers(&CONTRACT),
    tags(
        (name = "auth", description = "Login and your account"),
        (name = "operators", description = "Operator accounts (admins)"),
        (name = "members", description = "Members' data, for support (audited)"),
        (name = "membership", description = "Paid memberships, payment orders and refunds"),
        (name = "merchants", description = "Partner merchants, their stores and staff"),
        (name = "coupons", description = "Coupon templates: approval, stock, grants"),
        (name = "settlements", description = "Monthly statements per merchant"),
        (name = "points", description = "Points: earning rules, levels, campaigns, members' ledgers and adjustments (admin, operator; audited)"),
        (name = "shop", description = "The shop: catalogue, stock, orders and refunds, flash sales, the points mall (audited)"),
        (name = "events", description = "Expert lectures and offline classes: events, merchants' proposals, bookings, waitlists, attendance"),
    )
)]
pub struct AdminApiDoc;

const CONTRACT: DoorContract = DoorContract {
    door: Doors::ADMIN,
    bearer: "HS256 JWT from POST /admin/v1/auth/login, valid for 12 hours",
    unauthorized: "`missing_token`, `invalid_token` (also a token of another door), `token_expired`, `account_disabled`: log in again",
};

pub(super) static SPEC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(AdminApiDoc::openapi);

/// The contract as committed in `miniprogram-api-spec/admin-openapi.yaml`.
pub fn openapi_yaml() -> Result<String, String> {
    SPEC.to_yaml().map_err(|e| e.to_string())
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(&*SPEC)
}
