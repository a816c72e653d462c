//! WeChat Pay's notification door, `POST /wechat/pay/notify`: the raw body and the four
//! `Wechatpay-*` headers go to `checkout::pay_notify`. Answers 204 with no body when received
//! (also for a notification applied before, and for one recorded as an alarm), and 4xx/5xx with
//! `{"code":"FAIL","message":...}` when it is not verified or cannot be handled.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::service::commerce::checkout;
use crate::service::commerce::payments::notify::Answer;
use crate::state::AppState;
use crate::wechat::pay::SignedHeaders;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/wechat/pay/notify")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route(web::post().to(notify)),
    );
}

fn fail(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .json(json!({"code": "FAIL", "message": message}))
}

pub async fn notify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(pay) = state.pay.as_ref() else {
        return fail(503, "payment_disabled");
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let headers = SignedHeaders {
        timestamp: header("Wechatpay-Timestamp"),
        nonce: header("Wechatpay-Nonce"),
        signature: header("Wechatpay-Signature"),
        serial: header("Wechatpay-Serial"),
    };
    match checkout::pay_notify(&state.db, pay, headers, &body, state.clock.now()).await {
        Ok(Answer::Received(_)) => HttpResponse::NoContent().finish(),
        Ok(Answer::Refused { status, message }) => fail(status, &message),
        Err(e) => {
            tracing::error!(error = %e, "payment notification not handled; WeChat Pay retries");
            fail(500, "internal error")
        }
    }
}
