//! Expert lectures and offline classes for parents: the list (for their baby's age first), one
//! event, booking, the waitlist, their bookings, cancelling, and check-in codes.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::{AppError, ErrorCode};
use crate::routes::body::Json;
use crate::service::commerce::coupons::codes::RedemptionCode;
use crate::service::commerce::events::bookings::{
    self, BookingCreated, BookingRequest, BookingView,
};
use crate::service::commerce::events::check_in;
use crate::service::commerce::events::listing::{self, EventPage, EventView};
use crate::service::commerce::events::waitlist::{
    self, AcceptRequest, WaitlistRequest, WaitlistView,
};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// `online_lecture` or `offline_class`; both when absent.
    pub kind: Option<String>,
    /// Put events for this baby's age first (one of your babies); all your babies when absent.
    pub baby_id: Option<i32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Upcoming lectures and classes
///
/// Events whose age band holds your baby come first, then the others; each group by start.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 400, description = "`invalid_query`, `invalid_cursor`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`: not one of your babies", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_events(
    state: web::Data<AppState>,
    me: Member,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, AppError> {
    let page = listing::list(
        &state.db,
        me.member_id,
        query.kind.as_deref(),
        query.baby_id,
        query.cursor.as_deref(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One lecture or class
///
/// Seats left, your price, and your booking or waitlist place.
#[utoipa::path(
    get,
    path = "/api/v1/events/{event_id}",
    tag = "events",
    params(("event_id" = i32, Path)),
    responses(
        (status = 200, description = "The event", body = EventView),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_event(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let event = listing::detail(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(event))
}

/// Book seats
///
/// Free (your tier's price is 0, or the event is free): confirmed at once. Otherwise the seats
/// are held for 15 minutes and the answer carries `pay_params` for `wx.requestPayment`; the
/// booking confirms when the payment arrives, or its seats go back. The same `request_id` again
/// answers the same booking. Parallel bookings never exceed the capacity. A full event answers
/// 409 `event_full` with `"waitlist_available": true` when you may join its waitlist.
#[utoipa::path(
    post,
    path = "/api/v1/events/{event_id}/bookings",
    tag = "events",
    params(("event_id" = i32, Path)),
    request_body = BookingRequest,
    responses(
        (status = 201, description = "Confirmed, or `pending_payment` with `pay_params`", body = BookingCreated),
        (status = 400, description = "`invalid_seats`, `invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`tier_required`: for members of a tier with a price only", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
        (status = 409, description = "`event_full` (with `waitlist_available`), `already_booked`, `booking_closed`", body = ApiErrorBody),
        (status = 502, description = "`payment_unavailable`: retry with the same request_id", body = ApiErrorBody),
        (status = 503, description = "`payment_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn book(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<BookingRequest>,
) -> Result<HttpResponse, AppError> {
    let event_id = path.into_inner();
    match bookings::book(
        &state.db,
        state.pay.as_ref(),
        me.member_id,
        event_id,
        &body,
        state.clock.now(),
    )
    .await
    {
        Ok(created) => Ok(HttpResponse::Created().json(created)),
        Err(e) if e.error_code() == ErrorCode::EventFull => {
            let open = waitlist::available(&state.db, event_id, state.clock.now()).await?;
            Ok(HttpResponse::Conflict().json(json!({
                "code": ErrorCode::EventFull.as_str(),
                "message": e.to_string(),
                "waitlist_available": open,
            })))
        }
        Err(e) => Err(e),
    }
}

/// Join the waitlist of a full event
///
/// In order; when seats free up they are offered to the head of the line (a message; two hours
/// to accept with `POST /api/v1/waitlist/{entry_id}/accept`). Joining again answers your place.
#[utoipa::path(
    post,
    path = "/api/v1/events/{event_id}/waitlist",
    tag = "events",
    params(("event_id" = i32, Path)),
    request_body = WaitlistRequest,
    responses(
        (status = 201, description = "Your place (1 = next)", body = WaitlistView),
        (status = 400, description = "`invalid_seats`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`tier_required`", body = ApiErrorBody),
        (status = 404, description = "`event_not_found`", body = ApiErrorBody),
        (status = 409, description = "`seats_available` (book instead), `already_booked`, `booking_closed`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn join_waitlist(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<WaitlistRequest>,
) -> Result<HttpResponse, AppError> {
    let place = waitlist::join(
        &state.db,
        me.member_id,
        path.into_inner(),
        &body,
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(place))
}

/// Your waitlist places
#[utoipa::path(
    get,
    path = "/api/v1/waitlist",
    tag = "events",
    responses((status = 200, description = "Newest first", body = [WaitlistView])),
    security(("bearer" = []))
)]
pub async fn list_waitlist(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(waitlist::mine(&state.db, me.member_id).await?))
}

/// Accept a waitlist offer
///
/// The seats held for you become your booking: confirmed when free, held 15 minutes for
/// payment otherwise (with `pay_params`).
#[utoipa::path(
    post,
    path = "/api/v1/waitlist/{entry_id}/accept",
    tag = "events",
    params(("entry_id" = i32, Path)),
    request_body = AcceptRequest,
    responses(
        (status = 201, description = "Your booking", body = BookingCreated),
        (status = 400, description = "`invalid_request_id`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`tier_required`", body = ApiErrorBody),
        (status = 404, description = "`waitlist_entry_not_found`", body = ApiErrorBody),
        (status = 409, description = "`offer_not_open` (expired, or none yet), `already_booked`", body = ApiErrorBody),
        (status = 502, description = "`payment_unavailable`", body = ApiErrorBody),
        (status = 503, description = "`payment_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn accept_offer(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<AcceptRequest>,
) -> Result<HttpResponse, AppError> {
    let created = waitlist::accept(
        &state.db,
        state.pay.as_ref(),
        me.member_id,
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Leave a waitlist
///
/// An open offer's seats go to the next in line.
#[utoipa::path(
    delete,
    path = "/api/v1/waitlist/{entry_id}",
    tag = "events",
    params(("entry_id" = i32, Path)),
    responses(
        (status = 200, description = "Your place, now `left`", body = WaitlistView),
        (status = 404, description = "`waitlist_entry_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn leave_waitlist(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let place = waitlist::leave_waitlist(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(place))
}

/// Your bookings
#[utoipa::path(
    get,
    path = "/api/v1/bookings",
    tag = "events",
    responses((status = 200, description = "Newest first", body = [BookingView])),
    security(("bearer" = []))
)]
pub async fn list_bookings(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(bookings::mine(&state.db, me.member_id).await?))
}

/// Cancel a booking
///
/// Before the event's `cancel_before` a paid booking is refunded in full; after it, nothing is
/// refunded (the event says so). The seats go to the waitlist. Not after the event started.
#[utoipa::path(
    delete,
    path = "/api/v1/bookings/{booking_id}",
    tag = "events",
    params(("booking_id" = i32, Path)),
    responses(
        (status = 200, description = "Cancelled, with the refund owed", body = BookingView),
        (status = 404, description = "`booking_not_found`", body = ApiErrorBody),
        (status = 409, description = "`booking_not_cancellable`: not live, or the event started", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_booking(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let cancelled = bookings::cancel(
        &state.db,
        state.pay.as_ref(),
        me.member_id,
        path.into_inner(),
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(cancelled))
}

/// A fresh check-in code for an offline class
///
/// For the QR code the venue scans; valid 60 seconds, single use; a new one replaces the last.
#[utoipa::path(
    post,
    path = "/api/v1/bookings/{booking_id}/code",
    tag = "events",
    params(("booking_id" = i32, Path)),
    responses(
        (status = 201, description = "The code", body = RedemptionCode),
        (status = 404, description = "`booking_not_found`", body = ApiErrorBody),
        (status = 409, description = "`no_check_in_code`: not a confirmed booking of an offline class not yet over or checked in", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_check_in_code(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let code = check_in::issue_code(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(code))
}
