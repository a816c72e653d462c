//! A baby's doses, self-paid opt-ins and schedule, and the vaccine catalogue.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiErrorBody;
use crate::auth::{Member, UncheckedMember};
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::care::doses::{self, DoseInput, DoseView};
use crate::service::care::opt_ins::{self, OptInsInput, OptInsView};
use crate::service::care::schedule::{self, ScheduleView, VaccineCatalogue};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ScheduleQuery {
    /// YYYY-MM-DD; today in Asia/Shanghai when omitted.
    pub as_of: Option<NaiveDate>,
}

/// Vaccines and products of the schedule edition
#[utoipa::path(
    get,
    path = "/api/v1/vaccines",
    tag = "vaccinations",
    responses((status = 200, description = "The catalogue", body = VaccineCatalogue)),
    security(("bearer" = []))
)]
pub async fn list_vaccines(_me: Member) -> HttpResponse {
    HttpResponse::Ok().json(schedule::catalogue())
}

/// Record a dose
#[utoipa::path(
    post,
    path = "/api/v1/babies/{baby_id}/doses",
    tag = "vaccinations",
    params(("baby_id" = i32, Path)),
    request_body = DoseInput,
    responses(
        (status = 201, description = "Recorded", body = DoseView),
        (status = 400, description = "`unknown_vaccine`, `unknown_dose`, `dose_before_birth`, `dose_in_future`, `invalid_clinic`, `date_out_of_range`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
        (status = 409, description = "`duplicate_dose`: that dose is already recorded (also through a combination product)", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_dose(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<DoseInput>,
) -> Result<HttpResponse, AppError> {
    let dose = doses::add_dose(
        &state.db,
        me.member_id,
        path.into_inner(),
        &body,
        state.clock.today_shanghai(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(dose))
}

/// Recorded doses, by date
#[utoipa::path(
    get,
    path = "/api/v1/babies/{baby_id}/doses",
    tag = "vaccinations",
    params(("baby_id" = i32, Path)),
    responses(
        (status = 200, description = "The doses", body = [DoseView]),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_doses(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let doses = doses::list_doses(&state.db, me.member_id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(doses))
}

/// Correct a recorded dose
#[utoipa::path(
    put,
    path = "/api/v1/babies/{baby_id}/doses/{dose_id}",
    tag = "vaccinations",
    params(("baby_id" = i32, Path), ("dose_id" = i32, Path)),
    request_body = DoseInput,
    responses(
        (status = 200, description = "Corrected", body = DoseView),
        (status = 400, description = "`unknown_vaccine`, `unknown_dose`, `dose_before_birth`, `dose_in_future`, `invalid_clinic`, `date_out_of_range`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`, `dose_not_found`", body = ApiErrorBody),
        (status = 409, description = "`duplicate_dose`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn correct_dose(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<(i32, i32)>,
    body: Json<DoseInput>,
) -> Result<HttpResponse, AppError> {
    let (baby_id, dose_id) = path.into_inner();
    let dose = doses::correct_dose(
        &state.db,
        me.member_id,
        baby_id,
        dose_id,
        &body,
        state.clock.today_shanghai(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(dose))
}

/// Delete a recorded dose
#[utoipa::path(
    delete,
    path = "/api/v1/babies/{baby_id}/doses/{dose_id}",
    tag = "vaccinations",
    params(("baby_id" = i32, Path), ("dose_id" = i32, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`baby_not_found`, `dose_not_found`", body = ApiErrorBody),
        (status = 409, description = "`recorded_history_invalid`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_dose(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (baby_id, dose_id) = path.into_inner();
    doses::delete_dose(
        &state.db,
        me.member_id,
        baby_id,
        dose_id,
        state.clock.today_shanghai(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Choose the self-paid vaccines for a baby
///
/// Replaces the list. Opted-in vaccines join the schedule with `programme: self_paid`.
#[utoipa::path(
    put,
    path = "/api/v1/babies/{baby_id}/opt-ins",
    tag = "vaccinations",
    params(("baby_id" = i32, Path)),
    request_body = OptInsInput,
    responses(
        (status = 200, description = "The opt-ins now", body = OptInsView),
        (status = 400, description = "`unknown_vaccine`, `vaccine_not_optional`, `too_many_opt_ins`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_opt_ins(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<OptInsInput>,
) -> Result<HttpResponse, AppError> {
    let opt_ins = opt_ins::set_opt_ins(
        &state.db,
        me.member_id,
        path.into_inner(),
        &body,
        state.clock.today_shanghai(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(opt_ins))
}

/// The baby's vaccination schedule
#[utoipa::path(
    get,
    path = "/api/v1/babies/{baby_id}/schedule",
    tag = "vaccinations",
    params(("baby_id" = i32, Path), ScheduleQuery),
    responses(
        (status = 200, description = "Every dose with its status and dates", body = ScheduleView),
        (status = 400, description = "`invalid_query`, `date_out_of_range`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
        (status = 409, description = "`recorded_history_invalid`: a recorded dose no longer fits the schedule edition", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_schedule(
    state: web::Data<AppState>,
    // `schedule::schedule` checks the member in its one statement.
    me: UncheckedMember,
    path: web::Path<i32>,
    query: web::Query<ScheduleQuery>,
) -> Result<HttpResponse, AppError> {
    let schedule = schedule::schedule(
        &state.db,
        me.member_id,
        path.into_inner(),
        query.as_of,
        state.clock.today_shanghai(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(schedule))
}
