//! Service door: health and metrics for ops tooling.

use actix_web::{HttpResponse, get, web};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(livez).service(healthz).service(metrics);
}

/// Liveness: the process answers HTTP. Touches nothing else, so it is also the load ceiling.
#[get("/livez")]
async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// 200 when the database answers, 503 otherwise.
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => Ok(HttpResponse::Ok().json(json!({ "status": "ok", "database": "ok" }))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Err(AppError::new(
                ErrorCode::DatabaseUnavailable,
                "the database does not answer",
            ))
        }
    }
}

#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
