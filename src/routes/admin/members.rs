//! `/admin/v1/members`: support's read of a member's data, recorded in the audit log.

use actix_web::{HttpResponse, web};

use crate::auth::Operator;
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::routes::contract::ApiErrorBody;
use crate::service::privacy::member_data::MemberExport;
use crate::service::privacy::support_read as members;
use crate::state::AppState;

/// A member's data (admin, support)
///
/// What the member's own export shows: profile, consents, babies with their doses and families,
/// subscribe-message allowances. Children's health data: every read is recorded in the audit
/// log (who, when, from where) before it is answered.
#[utoipa::path(
    get,
    path = "/admin/v1/members/{member_id}",
    tag = "members",
    params(("member_id" = i32, Path)),
    responses(
        (status = 200, description = "The member's data", body = MemberExport),
        (status = 403, description = "`role_forbidden`: admin or support only", body = ApiErrorBody),
        (status = 404, description = "`unknown_member`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_member(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(&[OperatorRole::Admin, OperatorRole::Support])?;
    let data =
        members::read_member(&state.db, &me.actor(), path.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(data))
}
