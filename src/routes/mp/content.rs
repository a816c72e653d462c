//! Stage content: a baby's feed and the articles in it.

use actix_web::{HttpResponse, web};

use super::ApiErrorBody;
use crate::auth::Member;
use crate::error::AppError;
use crate::service::care::feed::{self, Article, Feed};
use crate::state::AppState;

/// What fits the baby's age now, what comes next, and the doses coming up
#[utoipa::path(
    get,
    path = "/api/v1/babies/{baby_id}/feed",
    tag = "content",
    params(("baby_id" = i32, Path)),
    responses(
        (status = 200, description = "The feed, as of today in Asia/Shanghai", body = Feed),
        (status = 404, description = "`baby_not_found`", body = ApiErrorBody),
        (status = 409, description = "`recorded_history_invalid`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn baby_feed(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let feed = feed::feed(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.today_shanghai(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(feed))
}

/// An article in full
///
/// Reading the stage article of the week earns points once per week (see `GET
/// /api/v1/points/tasks`).
#[utoipa::path(
    get,
    path = "/api/v1/articles/{article_id}",
    tag = "content",
    params(("article_id" = i32, Path)),
    responses(
        (status = 200, description = "The article", body = Article),
        (status = 404, description = "`article_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_article(
    state: web::Data<AppState>,
    me: Member,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let article = feed::read_article(
        &state.db,
        me.member_id,
        path.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(article))
}
