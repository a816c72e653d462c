//! The merchant API contract, generated from the handlers and types with utoipa, served at
//! `/merchant/v1/openapi.json` and committed as `miniprogram-api-spec/merchant-openapi.yaml` (a
//! test fails on drift; regenerate with `BABYVAX_UPDATE_SPEC=1 cargo test --test api
//! merchant::spec`).

use std::sync::LazyLock;

use actix_web::HttpResponse;
use utoipa::OpenApi;

use super::{auth, coupons, event_check_ins, redemptions, reports};
use crate::error::Doors;
use crate::routes::contract::{ApiErrorBody, DoorContract};

pub const SPEC_URL: &str = "/merchant/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "babyvax merchant API",
        version = "1.0.0",
        description = "The `/merchant/v1` door of babyvax, used by partner merchants' staff (owners and clerks).\n\nEvery route but `POST /merchant/v1/auth/login` needs `Authorization: Bearer <token>` from that login (12 hours). A disabled account's tokens answer 401 `account_disabled` at once. Errors are `{\"code\", \"message\"}` with a stable `code` (listed in the `ApiErrorBody` schema); times are UTC (RFC 3339). Generated from the code: do not edit by hand.",
    ),
    paths(
        auth::login,
        auth::get_me,
        coupons::create_template,
        coupons::list_templates,
        coupons::get_template,
        coupons::edit_template,
        coupons::submit_template,
        coupons::pause_template,
        coupons::resume_template,
        coupons::end_template,
        redemptions::preview,
        redemptions::redeem,
        reports::get_report,
        reports::get_report_csv,
        event_check_ins::check_in,
        event_check_ins::propose_event,
        event_check_ins::list_events,
    ),
    components(schemas(ApiErrorBody)),
    modifiers(&CONTRACT),
    tags(
        (name = "auth", description = "Login and your account"),
        (name = "coupons", description = "Your coupon templates (owners)"),
        (name = "redemptions", description = "The counter: preview and redeem parents' codes"),
        (name = "reports", description = "Claims, redemptions, face value and commission"),
        (name = "events", description = "Offline classes: check-in at the venue, owners' proposals"),
    ),
)]
pub struct MerchantApiDoc;

const CONTRACT: DoorContract = DoorContract {
    door: Doors::MERCHANT,
    bearer: "HS256 JWT from POST /merchant/v1/auth/login, valid for 12 hours",
    unauthorized: "`missing_token`, `invalid_token` (also a token of another door), `token_expired`, `account_disabled`: log in again",
};

pub(super) static SPEC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(MerchantApiDoc::openapi);

/// The contract as committed in `miniprogram-api-spec/merchant-openapi.yaml`.
pub fn openapi_yaml() -> Result<String, String> {
    SPEC.to_yaml().map_err(|e| e.to_string())
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(&*SPEC)
}
