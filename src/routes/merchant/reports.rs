//! `/merchant/v1/reports`: the merchant's figures, as JSON or CSV.

use actix_web::{HttpResponse, web};

use crate::auth::MerchantStaff;
use crate::domain::staff::MerchantRole;
use crate::error::AppError;
use crate::routes::contract::ApiErrorBody;
use crate::service::commerce::coupons::reports::{self, Report, ReportQuery};
use crate::state::AppState;

fn scope(me: &MerchantStaff) -> Option<i32> {
    match me.role {
        MerchantRole::Owner => None,
        MerchantRole::Clerk => me.store_id,
    }
}

/// Claims, redemptions, redemption rate, face value and commission
///
/// By day, store or template over `from..=to` (Asia/Shanghai days). An owner sees every store;
/// a clerk their own store's redemptions.
#[utoipa::path(
    get,
    path = "/merchant/v1/reports",
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The figures and their total", body = Report),
        (status = 400, description = "`invalid_report_range`, `invalid_query`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_report(
    state: web::Data<AppState>,
    me: MerchantStaff,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = reports::report(&state.db, me.merchant_id, scope(&me), &query).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The same figures as CSV
#[utoipa::path(
    get,
    path = "/merchant/v1/reports.csv",
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "UTF-8 CSV with a BOM; the total last", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_report_range`, `invalid_query`", body = ApiErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_report_csv(
    state: web::Data<AppState>,
    me: MerchantStaff,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = reports::report(&state.db, me.merchant_id, scope(&me), &query).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"report-{}-{}.csv\"",
                report.from, report.to
            ),
        ))
        .body(reports::to_csv(&report)))
}
