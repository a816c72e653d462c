//! The mini-program API contract, generated from the handlers and types with utoipa, served at
//! `/api/v1/openapi.json` with a Swagger UI at `/docs`, and committed as
//! `miniprogram-api-spec/openapi.yaml` (a test fails on drift; regenerate with
//! `BABYVAX_UPDATE_SPEC=1 cargo test --test api mp::spec`).

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::{
    auth, babies, content, coupons, events, me, membership, pay_orders, points, push, shop,
    subscriptions, vaccinations,
};
use crate::error::Doors;
pub use crate::routes::contract::ApiErrorBody;
use crate::routes::contract::DoorContract;

/// Where the contract is served, and the UI that reads it.
pub const SPEC_URL: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "babyvax mini-program API",
        version = "1.0.0",
        description = "The `/api/v1` door of babyvax, used by the WeChat mini-program: login, members, babies shared by families, doses, the vaccination schedule, stage content, subscribe-message allowances and points.\n\nEvery route but `POST /api/v1/auth/login` needs `Authorization: Bearer <token>` from that login. Errors are `{\"code\", \"message\"}` with a stable `code` (listed in the `ApiErrorBody` schema). Calendar dates are `YYYY-MM-DD` in Asia/Shanghai; times are UTC (RFC 3339). Generated from the code: do not edit by hand.",
    ),
    paths(
        auth::login,
        me::get_me,
        me::update_me,
        me::erase_me,
        me::set_phone,
        me::consent_to_privacy_policy,
        me::export_my_data,
        babies::create_baby,
        babies::list_babies,
        babies::get_baby,
        babies::update_baby,
        babies::delete_baby,
        babies::create_invite,
        babies::accept_invite,
        babies::list_caregivers,
        babies::remove_caregiver,
        vaccinations::list_vaccines,
        vaccinations::add_dose,
        vaccinations::list_doses,
        vaccinations::correct_dose,
        vaccinations::delete_dose,
        vaccinations::set_opt_ins,
        vaccinations::get_schedule,
        content::baby_feed,
        content::get_article,
        subscriptions::report_consents,
        subscriptions::list_allowances,
        push::get_push_preferences,
        push::set_push_preferences,
        push::list_undelivered,
        membership::list_plans,
        membership::get_membership,
        membership::create_order,
        pay_orders::get_pay_order,
        coupons::list_available,
        coupons::claim,
        coupons::list_coupons,
        coupons::create_code,
        events::list_events,
        events::get_event,
        events::book,
        events::join_waitlist,
        events::list_waitlist,
        events::accept_offer,
        events::leave_waitlist,
        events::list_bookings,
        events::cancel_booking,
        events::create_check_in_code,
        points::get_points,
        points::get_ledger,
        points::check_in,
        points::get_tasks,
        shop::list_categories,
        shop::list_products,
        shop::get_product,
        shop::get_recommendations,
        shop::create_order,
        shop::list_orders,
        shop::get_order,
        shop::cancel_order,
        shop::receive_order,
        shop::request_refund,
        shop::list_flash_sales,
        shop::list_mall_items,
        shop::exchange,
        shop::list_group_buys,
        shop::get_group,
    ),
    components(schemas(ApiErrorBody)),
    modifiers(&CONTRACT),
    tags(
        (name = "auth", description = "Login with wx.login"),
        (name = "me", description = "Your profile, privacy consent, export and erasure"),
        (name = "babies", description = "Babies you own or that are shared with you"),
        (name = "families", description = "Sharing a baby: invites and caregivers"),
        (name = "vaccinations", description = "Doses, self-paid opt-ins and the schedule"),
        (name = "content", description = "Stage content and articles"),
        (name = "subscriptions", description = "Subscribe-message consents and allowances"),
        (name = "push", description = "Reminder preferences, quiet hours, and messages no channel could carry"),
        (name = "membership", description = "Paid membership: plans, your membership, orders paid with WeChat Pay"),
        (name = "coupons", description = "Partner merchants' coupons: claim, your coupons, redemption codes"),
        (name = "points", description = "Points, growth and levels: balance, ledger, daily check-in, tasks"),
        (name = "shop", description = "The shop: products for your baby's age, orders, flash sales, the points mall"),
        (name = "events", description = "Expert lectures and offline classes: booking, waitlist, cancelling, check-in codes"),
    )
)]
pub struct MpApiDoc;

/// What the derive cannot say: the bearer scheme, the 401s and the door's error codes.
const CONTRACT: DoorContract = DoorContract {
    door: Doors::MP,
    bearer: "HS256 JWT from POST /api/v1/auth/login, valid for 24 hours",
    unauthorized: "`missing_token`, `invalid_token`, `token_expired`, `member_not_found`: log in again",
};

pub(super) static SPEC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(MpApiDoc::openapi);

/// The contract as committed in `miniprogram-api-spec/openapi.yaml`.
pub fn openapi_yaml() -> Result<String, String> {
    SPEC.to_yaml().map_err(|e| e.to_string())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(DOCS_PATH).route(web::get().to(|| async {
        HttpResponse::PermanentRedirect()
            .insert_header(("Location", "/docs/"))
            .finish()
    })))
    .service(SwaggerUi::new("/docs/{_:.*}").url(SPEC_URL, SPEC.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_generates() {
        let yaml = openapi_yaml().unwrap();
        assert!(yaml.contains("/api/v1/babies/{baby_id}/schedule"));
        assert!(yaml.contains("baby_not_found"));
    }
}
