//! `/merchant/v1/event-check-ins`: the venue checks a parent in at an offline class, exactly
//! once, with the code their booking shows. Clerks of the event's store (owners: any of their
//! stores); a code of another store's event does not exist for the clerk (404). And
//! `/merchant/v1/events`: owners propose offline classes at their stores for operators'
//! approval, and see their stores' events.

use actix_web::{HttpResponse, web};

use crate::auth::MerchantStaff;
use crate::domain::staff::MerchantRole;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::coupons::redemptions::Counter;
use crate::service::commerce::events::admin::{self, AdminEventView, EventInput};
use crate::service::commerce::events::check_in::{self, CheckInRequest, CheckInView};
use crate::state::AppState;

/// Check a parent in at an offline class, exactly once
///
/// The same `request_id` again answers the same check-in (201). Parallel scans of one code check
/// it in once; the others answer 409 `booking_checked_in`. The parent earns attendance points.
#[utoipa::path(
    post,
    path = "/merchant/v1/event-check-ins",
    tag = "events",
    request_body = CheckInRequest,
    responses(
        (status = 201, description = "Checked in", body = CheckInView),
        (status = 400, description = "`invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`code_not_found` (also a code of another store's event)", body = ApiErrorBody),
        (status = 409, description = "`booking_checked_in`", body = ApiErrorBody),
        (status = 410, description = "`code_expired`: over 60 seconds old, or replaced by a newer code", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check_in(
    state: web::Data<AppState>,
    me: MerchantStaff,
    body: Json<CheckInRequest>,
) -> Result<HttpResponse, AppError> {
    let counter = Counter {
        merchant_id: me.merchant_id,
        staff_id: me.staff_id,
        store_id: me.store_id,
    };
    let (done, _replayed) =
        check_in::check_in(&state.db, counter, &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(done))
}

/// Propose an offline class at one of your stores (owners)
///
/// `kind` must be `offline_class` and `store_id` one of your stores. It waits as `proposed`
/// until an operator publishes (approves) or cancels (rejects) it.
#[utoipa::path(
    post,
    path = "/merchant/v1/events",
    tag = "events",
    request_body = EventInput,
    responses(
        (status = 201, description = "Proposed", body = AdminEventView),
        (status = 400, description = "`invalid_title`, `invalid_description`, `invalid_event_kind`, `invalid_speaker`, `invalid_event_venue`, `invalid_event_times`, `invalid_age_band`, `invalid_capacity`, `invalid_event_price`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: owners only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn propose_event(
    state: web::Data<AppState>,
    me: MerchantStaff,
    body: Json<EventInput>,
) -> Result<HttpResponse, AppError> {
    me.require(&[MerchantRole::Owner])?;
    let proposed = admin::propose(
        &state.db,
        &me.actor(),
        me.merchant_id,
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(proposed))
}

/// Your stores' events and proposals, newest first (a clerk's: their store's)
#[utoipa::path(
    get,
    path = "/merchant/v1/events",
    tag = "events",
    responses((status = 200, description = "Newest first", body = [AdminEventView])),
    security(("bearer" = []))
)]
pub async fn list_events(
    state: web::Data<AppState>,
    me: MerchantStaff,
) -> Result<HttpResponse, AppError> {
    let list =
        admin::of_merchant(&state.db, me.merchant_id, me.store_id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(list))
}
