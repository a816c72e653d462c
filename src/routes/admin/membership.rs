//! `/admin/v1/memberships`: members by tier and activity, a member's periods, payments and
//! refunds.

use actix_web::{HttpResponse, web};

use crate::auth::Operator;
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::membership::admin::{
    self, MemberDetail, MemberMembership, MembershipFilter,
};
use crate::state::AppState;

/// Members with a membership (admin, operator, support)
#[utoipa::path(
    get,
    path = "/admin/v1/memberships",
    tag = "membership",
    params(MembershipFilter),
    responses(
        (status = 200, description = "Members with a membership, by member id", body = Vec<MemberMembership>),
        (status = 400, description = "`invalid_membership_filter`, `invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_memberships(
    state: web::Data<AppState>,
    me: Operator,
    query: web::Query<MembershipFilter>,
) -> Result<HttpResponse, AppError> {
    me.require(&[
        OperatorRole::Admin,
        OperatorRole::Operator,
        OperatorRole::Support,
    ])?;
    let list = admin::list(&state.db, &query, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A member's membership: periods, payments and refunds (admin, operator, support)
#[utoipa::path(
    get,
    path = "/admin/v1/members/{member_id}/membership",
    tag = "membership",
    params(("member_id" = i32, Path)),
    responses(
        (status = 200, description = "Periods, payment orders and refunds", body = MemberDetail),
        (status = 403, description = "`role_forbidden`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_member_membership(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(&[
        OperatorRole::Admin,
        OperatorRole::Operator,
        OperatorRole::Support,
    ])?;
    let detail = admin::member(&state.db, path.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(detail))
}
