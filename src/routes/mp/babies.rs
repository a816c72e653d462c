//! `/api/v1/babies`: babies, and the invites and caregivers by which families share them.
//! A baby not shared with you answers 404 `baby_not_found` on every route, as if it did not exist.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::care::babies::{self, BabyInput, BabyView};
use crate::service::care::caregivers::{self, CaregiverView, InviteView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInviteRequest {
    /// The invite code (case does not matter).
    pub code: String,
}

/// Add a baby
#[utoipa::path(
    post,
    path = "/api/v1/babies",
    tag = "babies",
    request_body = BabyInput,
    responses(
        (status = 201, description = "Created; you are its owner", body = BabyView),
        (status = 400, description = "`invalid_baby_name`, `birth_date_in_future`, `birth_date_too_old`, `invalid_preterm_weeks`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`privacy_consent_required`: POST /api/v1/me/consent first", body = ApiErrorBody),
        (status = 409, description = "`too_many_babies`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_baby(
    state: web::Data<AppState>,
    me: Member,
    body: Json<BabyInput>,
) -> Result<HttpResponse, AppError> {
    let baby = babies::create(
        &state.db,
        me.member_id,
        &body,
        state.clock.today_shanghai(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(baby))
}

/// Babies shared with you
#[utoipa::path(
    get,
    path = "/api/v1/babies",
    tag = "babies",
    responses((status = 200, description = "Yours and those shared with you, oldest first", body = [BabyView])),
    security(("bearer" = []))
)]
pub async fn list_babies(state: web::Data<AppState>, me: Member) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(babies::list(&state.db, me.member_id).await?))
}

/// One baby
#[utoipa::path(
    get,
    path = "/api/v1/babies/{baby_id}",
    tag = "babies",
    params(("baby_id" = i32, Path)),
    responses(
        (status = 200, description = "The baby", body = BabyView),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_baby(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let baby = babies::get(&state.db, me.member_id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(baby))
}

/// Replace a baby's details
///
/// Owner and caregivers. A new birth date must come before every recorded dose.
#[utoipa::path(
    put,
    path = "/api/v1/babies/{baby_id}",
    tag = "babies",
    params(("baby_id" = i32, Path)),
    request_body = BabyInput,
    responses(
        (status = 200, description = "Updated", body = BabyView),
        (status = 400, description = "`invalid_baby_name`, `birth_date_in_future`, `birth_date_too_old`, `invalid_preterm_weeks`, `dose_before_birth`, `invalid_json`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_baby(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
    body: Json<BabyInput>,
) -> Result<HttpResponse, AppError> {
    let baby = babies::update(
        &state.db,
        me.member_id,
        path.into_inner(),
        &body,
        state.clock.today_shanghai(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(baby))
}

/// Delete a baby and everything recorded about it (owner only)
#[utoipa::path(
    delete,
    path = "/api/v1/babies/{baby_id}",
    tag = "babies",
    params(("baby_id" = i32, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "`owner_only`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_baby(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    babies::delete(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Invite a caregiver (owner only)
///
/// Answers a single-use code valid for 72 hours.
#[utoipa::path(
    post,
    path = "/api/v1/babies/{baby_id}/invites",
    tag = "families",
    params(("baby_id" = i32, Path)),
    responses(
        (status = 201, description = "The invite", body = InviteView),
        (status = 403, description = "`owner_only`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_invite(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let invite = caregivers::create_invite(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(invite))
}

/// Accept an invite: the baby is shared with you
#[utoipa::path(
    post,
    path = "/api/v1/invites/accept",
    tag = "families",
    request_body = AcceptInviteRequest,
    responses(
        (status = 200, description = "You are now a caregiver of this baby", body = BabyView),
        (status = 400, description = "`invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`privacy_consent_required`", body = ApiErrorBody),
        (status = 404, description = "`invite_not_found`", body = ApiErrorBody),
        (status = 409, description = "`invite_already_used`, `already_caregiver`", body = ApiErrorBody),
        (status = 410, description = "`invite_expired`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn accept_invite(
    state: web::Data<AppState>,
    me: Member,
    body: Json<AcceptInviteRequest>,
) -> Result<HttpResponse, AppError> {
    let baby =
        caregivers::accept_invite(&state.db, me.member_id, &body.code, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(baby))
}

/// The baby's family: owner and caregivers
#[utoipa::path(
    get,
    path = "/api/v1/babies/{baby_id}/caregivers",
    tag = "families",
    params(("baby_id" = i32, Path)),
    responses(
        (status = 200, description = "Owner first", body = [CaregiverView]),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_caregivers(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let people = caregivers::caregivers(&state.db, me.member_id, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(people))
}

/// Revoke a caregiver (owner), or leave (a caregiver naming themselves)
#[utoipa::path(
    delete,
    path = "/api/v1/babies/{baby_id}/caregivers/{member_id}",
    tag = "families",
    params(("baby_id" = i32, Path), ("member_id" = i32, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "`owner_only`", body = ApiErrorBody),
        (status = 404, description = "`baby_not_found`, `caregiver_not_found`", body = ApiErrorBody),
        (status = 409, description = "`owner_cannot_leave`: you own this baby; delete it instead", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_caregiver(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (baby_id, caregiver_id) = path.into_inner();
    caregivers::remove_caregiver(
        &state.db,
        me.member_id,
        baby_id,
        caregiver_id,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
