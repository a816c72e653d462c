//! The official-account callback door, `GET/POST /wechat/callback`.
//!
//! GET answers WeChat's URL verification. POST takes messages and events in plaintext,
//! compatible and safe mode (`encrypt_type=aes`), and answers within WeChat's 5 seconds: the work
//! runs in its own task, and if it is not done within the configured budget the door answers
//! `success` while the task finishes (a redelivery then finds the stored reply).

use std::time::Duration;

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use rand::Rng;
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::config::CallbackSettings;
use crate::error::{AppError, Doors, ErrorCode};
use crate::service::messaging::inbound;
use crate::state::AppState;
use crate::wechat::{message, reply, signature};

/// WeChat's callback bodies are a few KiB; anything this large is not from WeChat.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/wechat/callback")
            .route(web::get().to(verify_url))
            .route(web::post().to(receive)),
    );
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
    encrypt_type: Option<String>,
    msg_signature: Option<String>,
}

fn callback_settings(state: &AppState) -> Result<&CallbackSettings, AppError> {
    state.settings.callback.as_ref().ok_or_else(|| {
        AppError::new(
            ErrorCode::CallbackNotConfigured,
            "the callback door needs BABYVAX_OA_TOKEN, BABYVAX_OA_AES_KEY and BABYVAX_OA_APPID",
        )
    })
}

fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, AppError> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| {
        AppError::new(
            ErrorCode::MissingParameter,
            format!("query parameter {name} is required"),
        )
    })
}

/// Refuses timestamps outside the window, which bounds how long a captured request can be replayed.
fn check_timestamp(state: &AppState, timestamp: &str) -> Result<(), AppError> {
    let ts: i64 = timestamp.parse().map_err(|_| {
        AppError::new(
            ErrorCode::InvalidTimestamp,
            "timestamp must be Unix seconds",
        )
    })?;
    // abs_diff: a hostile timestamp near i64::MIN must not overflow into a small skew.
    let skew = state.clock.now().timestamp().abs_diff(ts);
    if skew > state.settings.callback_timestamp_window_secs.unsigned_abs() {
        return Err(AppError::new(
            ErrorCode::TimestampOutOfWindow,
            format!("timestamp is {skew} s away from the server clock"),
        ));
    }
    Ok(())
}

async fn verify_url(
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let settings = callback_settings(&state)?;
    let sig = required(&query.signature, "signature")?;
    let timestamp = required(&query.timestamp, "timestamp")?;
    let nonce = required(&query.nonce, "nonce")?;
    let echostr = required(&query.echostr, "echostr")?;
    check_timestamp(&state, timestamp)?;
    if !signature::verify(sig, &[settings.token.expose_secret(), timestamp, nonce]) {
        return Err(AppError::new(
            ErrorCode::InvalidSignature,
            "signature does not match",
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body(echostr.to_owned()))
}

async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let settings = callback_settings(&state)?;
    let body = read_limited(&req, payload, MAX_BODY_BYTES).await?;
    let timestamp = required(&query.timestamp, "timestamp")?;
    let nonce = required(&query.nonce, "nonce")?;
    check_timestamp(&state, timestamp)?;
    let token = settings.token.expose_secret();
    let body = std::str::from_utf8(&body)
        .map_err(|_| AppError::new(ErrorCode::MalformedXml, "body is not UTF-8"))?;
    let safe_mode = match query.encrypt_type.as_deref() {
        None | Some("") | Some("raw") => false,
        Some("aes") => true,
        Some(other) => {
            return Err(AppError::new(
                ErrorCode::UnsupportedEncryptType,
                format!("encrypt_type {other:?} is not supported"),
            ));
        }
    };

    let plaintext = if safe_mode {
        let msg_sig = required(&query.msg_signature, "msg_signature")?;
        let encrypted = message::encrypted_payload(body)
            .map_err(|e| protocol_error(e.code(), e.to_string()))?;
        if !signature::verify(msg_sig, &[token, timestamp, nonce, &encrypted]) {
            return Err(AppError::new(
                ErrorCode::InvalidSignature,
                "msg_signature does not match",
            ));
        }
        settings
            .aes_key
            .decrypt(&encrypted, &settings.appid)
            .map_err(|e| protocol_error(e.code(), e.to_string()))?
    } else {
        let sig = required(&query.signature, "signature")?;
        if !signature::verify(sig, &[token, timestamp, nonce]) {
            return Err(AppError::new(
                ErrorCode::InvalidSignature,
                "signature does not match",
            ));
        }
        body.to_owned()
    };
    let inbound =
        message::parse(&plaintext).map_err(|e| protocol_error(e.code(), e.to_string()))?;

    let db = state.db.clone();
    let now = state.clock.now();
    let label = inbound.metric_label();
    let work = tokio::spawn(async move { inbound::process(&db, &inbound, now).await });
    let budget = Duration::from_millis(state.settings.callback_reply_budget_ms);
    let outcome = match tokio::time::timeout(budget, work).await {
        Ok(Ok(result)) => result?,
        Ok(Err(join_error)) => return Err(AppError::Internal(anyhow::Error::new(join_error))),
        Err(_) => {
            tracing::warn!(
                message_type = label,
                "reply not ready within the budget; answered success"
            );
            state.metrics.callback_message(label, "late");
            return Ok(success());
        }
    };
    state.metrics.callback_message(
        label,
        if outcome.duplicate {
            "duplicate"
        } else {
            "new"
        },
    );
    let Some(reply_xml) = outcome.reply_xml else {
        return Ok(success());
    };
    let body = if safe_mode {
        let reply_timestamp = state.clock.now().timestamp().to_string();
        let reply_nonce = rand::thread_rng()
            .gen_range(100_000_000u32..4_000_000_000)
            .to_string();
        reply::encrypt_reply(
            &reply_xml,
            &settings.aes_key,
            token,
            &settings.appid,
            &reply_timestamp,
            &reply_nonce,
        )
    } else {
        reply_xml
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::xml())
        .body(body))
}

/// `success` tells WeChat the delivery was taken and stops its retries.
fn success() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body("success")
}

/// Reads the body, refusing it as soon as it exceeds `limit` (by header or by count).
async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, AppError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(AppError::payload_too_large(limit));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::new(ErrorCode::UnreadableBody, e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A protocol refusal (crypto or XML) by its code, which the registry lists.
fn protocol_error(code: &str, message: String) -> AppError {
    match ErrorCode::of_door(Doors::WECHAT).find(|c| c.as_str() == code) {
        Some(code) => AppError::new(code, message),
        None => AppError::Internal(anyhow::anyhow!(
            "unregistered protocol error {code}: {message}"
        )),
    }
}
