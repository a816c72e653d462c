//! What the parent receives: push preferences, and the messages no channel could carry.

use actix_web::{HttpResponse, web};

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::service::messaging::outbox::{self, Undelivered};
use crate::service::push::preferences::{self, PreferencesInput, PreferencesView};
use crate::state::AppState;

/// Which messages you get, and your quiet hours
#[utoipa::path(
    get,
    path = "/api/v1/me/push-preferences",
    tag = "push",
    responses((status = 200, description = "Current preferences (defaults if never set)", body = PreferencesView)),
    security(("bearer" = []))
)]
pub async fn get_push_preferences(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    let current = preferences::get(&state.db, me.member_id, state.settings.push.quiet).await?;
    Ok(HttpResponse::Ok().json(preferences::view(&current)))
}

/// Change which messages you get, your quiet hours, or stop all
///
/// Absent fields keep their value. Quiet hours are `HH:MM` in Asia/Shanghai; messages planned
/// inside them wait until they end. Equal start and end mean no quiet hours.
#[utoipa::path(
    put,
    path = "/api/v1/me/push-preferences",
    tag = "push",
    request_body = PreferencesInput,
    responses(
        (status = 200, description = "Preferences after the change", body = PreferencesView),
        (status = 400, description = "`invalid_quiet_start`, `invalid_quiet_end`, `invalid_json`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_push_preferences(
    state: web::Data<AppState>,
    me: Member,
    body: Json<PreferencesInput>,
) -> Result<HttpResponse, AppError> {
    let view = preferences::set(
        &state.db,
        me.member_id,
        &body,
        state.settings.push.quiet,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reminders we could not deliver
///
/// Neither a followed official account nor a subscribe allowance could carry them. Show them,
/// and ask for consent with `wx.requestSubscribeMessage` on `subscribe_template_ids`.
#[utoipa::path(
    get,
    path = "/api/v1/me/undelivered",
    tag = "push",
    responses((status = 200, description = "Undelivered messages, newest first", body = Undelivered)),
    security(("bearer" = []))
)]
pub async fn list_undelivered(
    state: web::Data<AppState>,
    me: Member,
) -> Result<HttpResponse, AppError> {
    let undelivered =
        outbox::undelivered(&state.db, me.member_id, &state.settings.push.templates).await?;
    Ok(HttpResponse::Ok().json(undelivered))
}
