//! `/admin/v1/points/...` and `/admin/v1/members/{id}/points...`: earning rules, levels and
//! campaigns, a member's ledger and manual adjustments (admin, operator). Every write and every
//! read of a member's ledger is audited.

use actix_web::{HttpResponse, web};

use crate::auth::Operator;
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::routes::body::Json;
use crate::routes::contract::ApiErrorBody;
use crate::service::points::adjust::{AdjustmentInput, AdjustmentResult};
use crate::service::points::config::{
    self, CampaignInput, CampaignView, LevelsDocument, RulesDocument,
};
use crate::service::points::views::{LedgerPage, PageQuery};
use crate::service::staff::points;
use crate::state::AppState;

const POINTS_STAFF: &[OperatorRole] = &[OperatorRole::Admin, OperatorRole::Operator];

/// The earning rules in force (admin, operator)
#[utoipa::path(
    get,
    path = "/admin/v1/points/earning-rules",
    tag = "points",
    responses(
        (status = 200, description = "One rule per reason (the defaults until edited)", body = RulesDocument),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_rules(state: web::Data<AppState>, me: Operator) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    Ok(HttpResponse::Ok().json(config::rules_document(&state.db).await?))
}

/// Replace the earning rules (admin, operator)
///
/// Every reason needs exactly one rule; the message of a refusal names the reason and field.
#[utoipa::path(
    put,
    path = "/admin/v1/points/earning-rules",
    tag = "points",
    request_body = RulesDocument,
    responses(
        (status = 200, description = "The rules stored", body = RulesDocument),
        (status = 400, description = "`unknown_reason`, `duplicate_reason`, `missing_reason`, `award_kind_mismatch`, `negative_award`, `cap_below_award`, `invalid_streak_ladder`, `streak_ladder_decreasing`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_rules(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<RulesDocument>,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    let stored = points::put_rules(&state.db, &me.actor(), body.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(stored))
}

/// The level table in force (admin, operator)
#[utoipa::path(
    get,
    path = "/admin/v1/points/levels",
    tag = "points",
    responses(
        (status = 200, description = "Levels by growth (the defaults until edited)", body = LevelsDocument),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_levels(
    state: web::Data<AppState>,
    me: Operator,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    Ok(HttpResponse::Ok().json(config::levels_document(&state.db).await?))
}

/// Replace the level table (admin, operator)
#[utoipa::path(
    put,
    path = "/admin/v1/points/levels",
    tag = "points",
    request_body = LevelsDocument,
    responses(
        (status = 200, description = "The levels stored", body = LevelsDocument),
        (status = 400, description = "`empty_level_table`, `first_threshold_not_zero`, `thresholds_not_ascending`, `duplicate_level_id`, `invalid_level_id`, `invalid_level_name`, `multiplier_out_of_range`, `multiplier_decreasing`, `invalid_coupon_template`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_levels(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<LevelsDocument>,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    let stored = points::put_levels(&state.db, &me.actor(), body.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(stored))
}

/// Every points campaign, newest first (admin, operator)
#[utoipa::path(
    get,
    path = "/admin/v1/points/campaigns",
    tag = "points",
    responses(
        (status = 200, description = "Campaigns", body = [CampaignView]),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    me: Operator,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    Ok(HttpResponse::Ok().json(config::list_campaigns(&state.db).await?))
}

/// Create a points campaign (admin, operator)
///
/// A multiplier for a date range (every day, or one day of each month), for chosen reasons,
/// levels and membership tiers. The best applying campaign multiplies a credit; they never stack.
#[utoipa::path(
    post,
    path = "/admin/v1/points/campaigns",
    tag = "points",
    request_body = CampaignInput,
    responses(
        (status = 201, description = "Created", body = CampaignView),
        (status = 400, description = "`invalid_campaign_slug`, `invalid_campaign_name`, `multiplier_out_of_range`, `campaign_dates_reversed`, `invalid_day_of_month`, `empty_scope`, `unknown_level`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
        (status = 409, description = "`campaign_exists`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_campaign(
    state: web::Data<AppState>,
    me: Operator,
    body: Json<CampaignInput>,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    let Json(CampaignInput(campaign)) = body;
    let created =
        points::create_campaign(&state.db, &me.actor(), campaign, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// End a points campaign now (admin, operator)
#[utoipa::path(
    post,
    path = "/admin/v1/points/campaigns/{campaign_id}/end",
    tag = "points",
    params(("campaign_id" = i32, Path)),
    responses(
        (status = 200, description = "Ended (ending it again changes nothing)", body = CampaignView),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn end_campaign(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    let ended =
        points::end_campaign(&state.db, &me.actor(), path.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(ended))
}

/// A member's points ledger, newest first (admin, operator; audited)
#[utoipa::path(
    get,
    path = "/admin/v1/members/{member_id}/points/ledger",
    tag = "points",
    params(("member_id" = i32, Path), PageQuery),
    responses(
        (status = 200, description = "A page of the ledger", body = LedgerPage),
        (status = 400, description = "`invalid_cursor`, `invalid_query`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
        (status = 404, description = "`unknown_member`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn member_ledger(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    let page = points::member_ledger(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &query,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Adjust a member's points (admin, operator; audited)
///
/// The same `request_id` again adjusts once (answered `replayed`). A negative adjustment never
/// takes the balance below zero: beyond it, 409 `insufficient_points` and nothing changes.
#[utoipa::path(
    post,
    path = "/admin/v1/members/{member_id}/points",
    tag = "points",
    params(("member_id" = i32, Path)),
    request_body = AdjustmentInput,
    responses(
        (status = 200, description = "The adjustment's ledger entry", body = AdjustmentResult),
        (status = 400, description = "`invalid_adjustment`, `invalid_json`", body = ApiErrorBody),
        (status = 403, description = "`role_forbidden`: admin or operator only", body = ApiErrorBody),
        (status = 404, description = "`unknown_member`", body = ApiErrorBody),
        (status = 409, description = "`insufficient_points`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn adjust_points(
    state: web::Data<AppState>,
    me: Operator,
    path: web::Path<i32>,
    body: Json<AdjustmentInput>,
) -> Result<HttpResponse, AppError> {
    me.require(POINTS_STAFF)?;
    let result = points::adjust_points(
        &state.db,
        &me.actor(),
        path.into_inner(),
        &body,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(result))
}
