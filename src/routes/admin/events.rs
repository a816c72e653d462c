//! `/admin/v1/events`: expert lectures and offline classes: create (a draft), edit, publish
//! (also a merchant's proposal), cancel (every booking cancelled, paid ones refunded in full),
//! bookings and waitlist, attendance and no-shows, CSV (admin, operator write; analysts read).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::merchants::{OPERATIONS, READERS};
use crate::auth::Operator;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::events::admin::{self, AdminEventView, EventBookings, EventInput};
use crate::state::AppState;

const INPUT_ERRORS: &str = "`invalid_title`, `invalid_description`, `invalid_event_kind`, `invalid_speaker`, `invalid_event_venue`, `invalid_event_times`, `invalid_age_band`, `invalid_capacity`, `invalid_event_price`, `invalid_json`";

/// Create an event: a draft (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/events",
    tag = "events",
    request_body = EventInput,
    responses(
        (status = 201, description = "A draft", body = AdminEventView),
        (status = 400, description = INPUT_ERRORS, body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_event(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<EventInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let created = admin::create(&state.db, &me.actor(), &body, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events in this status (`proposed`: merchants' proposals awaiting approval).
    pub status: Option<String>,
}

/// Every event, soonest first, with its figures (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/events",
    tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "Soonest first", body = [AdminEventView]),
        (status = 400, description = "`invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_events(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let list = admin::list(&state.db, query.status.as_deref(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One event with its figures: bookings, waitlist, attendance, no-shows (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/events/{event_id}",
    tag = "events",
    params(("event_id" = i32, Path)),
    responses(
        (status = 200, description = "The event", body = AdminEventView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_event(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    Ok(HttpResponse::Ok().json(admin::get(&state.db, path.into_inner(), state.clock.now()).await?))
}

/// Edit an event not yet over (admin, operator)
///
/// The capacity cannot go below the seats taken; new prices apply to new bookings.
#[utoipa::path(
    put,
    path = "/admin/v1/events/{event_id}",
    tag = "events",
    params(("event_id" = i32, Path)),
    request_body = EventInput,
    responses(
        (status = 200, description = "Edited", body = AdminEventView),
        (status = 400, description = INPUT_ERRORS, body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
        (status = 409, description = "`event_state_conflict` (finished or cancelled), `capacity_below_taken`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn edit_event(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<EventInput>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let edited = admin::edit(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(edited))
}

/// Publish a draft, or approve a merchant's proposal (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/events/{event_id}/publish",
    tag = "events",
    params(("event_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `published`", body = AdminEventView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
        (status = 409, description = "`event_state_conflict`: not a draft or proposal", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn publish_event(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let done = admin::publish(&state.db, &me.actor(), path.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Cancel an event, or reject a proposal (admin, operator)
///
/// Every live booking is cancelled and paid ones are refunded in full; the waitlist closes;
/// members are told.
#[utoipa::path(
    post,
    path = "/admin/v1/events/{event_id}/cancel",
    tag = "events",
    params(("event_id" = i32, Path)),
    responses(
        (status = 200, description = "Now `cancelled`", body = AdminEventView),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
        (status = 409, description = "`event_state_conflict`: finished or cancelled already", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_event(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(OPERATIONS)?;
    let done = admin::cancel(
        &state.db,
        state.pay.as_ref(),
        &me.actor(),
        path.into_inner(),
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// An event's bookings and waitlist, with attendance (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/events/{event_id}/bookings",
    tag = "events",
    params(("event_id" = i32, Path)),
    responses(
        (status = 200, description = "Bookings oldest first; the waitlist in order", body = EventBookings),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_bookings(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let all = admin::bookings(&state.db, path.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(all))
}

/// The same as CSV (admin, operator, analyst)
#[utoipa::path(
    get,
    path = "/admin/v1/events/{event_id}/bookings.csv",
    tag = "events",
    params(("event_id" = i32, Path)),
    responses(
        (status = 200, description = "UTF-8 CSV: bookings, then the waitlist", content_type = "text/csv", body = String),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn bookings_csv(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(READERS)?;
    let id = path.into_inner();
    let csv = admin::bookings_csv(&state.db, id, state.clock.now()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"event-{id}-bookings.csv\""),
        ))
        .body(csv))
}
