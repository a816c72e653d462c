//! Your points: balance, growth and level, the ledger, the daily check-in and the tasks.

use actix_web::{HttpResponse, web};

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::service::points::check_in::{self, CheckedIn};
use crate::service::points::views::{self, LedgerPage, PageQuery, PointsSummary, Tasks};
use crate::state::AppState;

/// Your points, growth and level
///
/// Also what expires in the next 30 days and today's check-in.
#[utoipa::path(
    get,
    path = "/api/v1/points",
    tag = "points",
    responses((status = 200, description = "Your points", body = PointsSummary)),
    security(("bearer" = []))
)]
pub async fn get_points(state: web::Data<AppState>, me: Member) -> Result<HttpResponse, AppError> {
    let summary = views::summary(&state.db, me.member_id, state.clock.today_shanghai()).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Your points ledger, newest first
///
/// Pages of `limit` entries; pass `next_cursor` as `cursor` for the next page.
#[utoipa::path(
    get,
    path = "/api/v1/points/ledger",
    tag = "points",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the ledger", body = LedgerPage),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_ledger(
    state: web::Data<AppState>,
    me: Member,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = views::ledger_page(&state.db, me.member_id, &query).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Check in for today
///
/// Once per Asia/Shanghai day; consecutive days climb the streak ladder, a missed day starts
/// it again at day 1.
#[utoipa::path(
    post,
    path = "/api/v1/points/check-ins",
    tag = "points",
    responses(
        (status = 201, description = "Checked in", body = CheckedIn),
        (status = 409, description = "`already_checked_in`, `earning_disabled`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check_in(state: web::Data<AppState>, me: Member) -> Result<HttpResponse, AppError> {
    let checked_in = check_in::check_in(&state.db, me.member_id, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(checked_in))
}

/// Ways to earn points, with what you did today and ever
#[utoipa::path(
    get,
    path = "/api/v1/points/tasks",
    tag = "points",
    responses((status = 200, description = "Each earning rule", body = Tasks)),
    security(("bearer" = []))
)]
pub async fn get_tasks(state: web::Data<AppState>, me: Member) -> Result<HttpResponse, AppError> {
    let tasks = views::tasks(&state.db, me.member_id, state.clock.today_shanghai()).await?;
    Ok(HttpResponse::Ok().json(tasks))
}
