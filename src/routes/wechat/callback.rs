//! The official-account callback door, `GET/POST /wechat/callback`.
//!
//! GET answers WeChat's URL verification. POST takes messages and events in plaintext,
//! compatible and safe mode (`encrypt_type=aes`), and answers within WeChat's 5 seconds: the
//! delivery goes to the process's inbound writer (group commit, see `service::messaging::inbound`),
//! and the door answers only once its batch is committed. A delivery whose batch is not committed
//! within the configured budget is answered 500, never `success`: nothing that is not durable is
//! acknowledged. WeChat then redelivers, and the redelivery finds the row (if the writer committed
//! it meanwhile: the first reply, no second effect) or commits it.
//!
//! Checking, decrypting and parsing a delivery and sealing its reply are `wechat::callback`'s;
//! this door adds HTTP: the body limit, the reply budget, metrics and the error statuses.

use std::borrow::Cow;
use std::time::Duration;

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use rand::Rng;
use secrecy::ExposeSecret;

use crate::config::CallbackSettings;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::wechat::callback;

/// WeChat's callback bodies are a few KiB; anything this large is not from WeChat.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/wechat/callback")
            .route(web::get().to(verify_url))
            .route(web::post().to(receive)),
    );
}

/// The query parameters WeChat adds, borrowed from the query string (its values need no
/// percent-decoding in practice, so nothing is copied). A parameter given twice is refused, as
/// the other doors' typed queries refuse it.
#[derive(Debug, Default)]
struct CallbackQuery<'q> {
    signature: Option<Cow<'q, str>>,
    timestamp: Option<Cow<'q, str>>,
    nonce: Option<Cow<'q, str>>,
    echostr: Option<Cow<'q, str>>,
    encrypt_type: Option<Cow<'q, str>>,
    msg_signature: Option<Cow<'q, str>>,
}

impl<'q> CallbackQuery<'q> {
    fn parse(query: &'q str) -> Result<Self, AppError> {
        let mut out = CallbackQuery::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "signature" => &mut out.signature,
                "timestamp" => &mut out.timestamp,
                "nonce" => &mut out.nonce,
                "echostr" => &mut out.echostr,
                "encrypt_type" => &mut out.encrypt_type,
                "msg_signature" => &mut out.msg_signature,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(AppError::new(
                    ErrorCode::InvalidQuery,
                    format!("duplicate query parameter `{name}`"),
                ));
            }
        }
        Ok(out)
    }

    fn params(&self) -> callback::Params<'_> {
        callback::Params {
            signature: self.signature.as_deref(),
            timestamp: self.timestamp.as_deref(),
            nonce: self.nonce.as_deref(),
            echostr: self.echostr.as_deref(),
            encrypt_type: self.encrypt_type.as_deref(),
            msg_signature: self.msg_signature.as_deref(),
        }
    }
}

fn callback_settings(state: &AppState) -> Result<&CallbackSettings, AppError> {
    state.settings.callback.as_ref().ok_or_else(|| {
        AppError::new(
            ErrorCode::CallbackNotConfigured,
            "the callback door needs BABYVAX_OA_TOKEN, BABYVAX_OA_AES_KEY and BABYVAX_OA_APPID",
        )
    })
}

fn credentials(settings: &CallbackSettings) -> callback::Credentials<'_> {
    callback::Credentials {
        token: settings.token.expose_secret(),
        aes_key: &settings.aes_key,
        appid: &settings.appid,
    }
}

fn freshness(state: &AppState) -> callback::Freshness {
    callback::Freshness {
        now: state.clock.now().timestamp(),
        window_secs: state.settings.callback_timestamp_window_secs.unsigned_abs(),
    }
}

/// The registry's entry for a refused delivery: 401 for one not provably from WeChat (or
/// stale), 400 for a malformed one.
fn refused(err: callback::OpenError) -> AppError {
    match registered(err.code()) {
        Some(code) => AppError::new(code, err.to_string()),
        None => AppError::Internal(anyhow::anyhow!(
            "unregistered callback error {}: {err}",
            err.code()
        )),
    }
}

fn registered(code: &str) -> Option<ErrorCode> {
    ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
}

async fn verify_url(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let settings = callback_settings(&state)?;
    let query = CallbackQuery::parse(req.query_string())?;
    let params = query.params();
    let echostr = callback::verify_url(settings.token.expose_secret(), &params, freshness(&state))
        .map_err(refused)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body(echostr.to_owned()))
}

async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let settings = callback_settings(&state)?;
    let query = CallbackQuery::parse(req.query_string())?;
    let body = read_limited(&req, payload, MAX_BODY_BYTES).await?;
    let credentials = credentials(settings);
    let callback::Opened { inbound, mode } =
        callback::open(&credentials, &query.params(), &body, freshness(&state)).map_err(refused)?;

    let now = state.clock.now();
    let label = inbound.metric_label();
    // The writer commits this delivery with the others in flight and wakes us once it is durable.
    let budget = Duration::from_millis(state.settings.callback_reply_budget_ms);
    let started = tokio::time::Instant::now();
    // Only a committed delivery is answered 200: if the queue stays full for the whole budget, or
    // its batch is not committed within it, the delivery is refused (500) and WeChat retries it.
    let queued = match tokio::time::timeout(budget, state.inbound.enqueue(inbound, now)).await {
        Ok(queued) => queued?,
        Err(_) => {
            state.metrics.callback_message(label, "refused");
            return Err(AppError::Internal(anyhow::anyhow!(
                "the inbound queue stayed full for the whole reply budget"
            )));
        }
    };
    let left = budget.saturating_sub(started.elapsed());
    let outcome = match tokio::time::timeout(left, queued.outcome()).await {
        Ok(result) => result?,
        Err(_) => {
            // The writer may still commit it; the redelivery then gets the stored reply.
            state.metrics.callback_message(label, "late");
            return Err(AppError::Internal(anyhow::anyhow!(
                "delivery not committed within the reply budget; refused so that WeChat retries it"
            )));
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
    let reply_nonce = rand::thread_rng()
        .gen_range(100_000_000u32..4_000_000_000)
        .to_string();
    let body = callback::seal(
        reply_xml,
        mode,
        &credentials,
        state.clock.now().timestamp(),
        &reply_nonce,
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::callback::OpenError;
    use crate::wechat::crypto::CryptoError;

    #[test]
    fn the_query_is_read_borrowed_decoded_and_without_duplicates() {
        let query = CallbackQuery::parse(
            "signature=abc&timestamp=1409735669&nonce=13&openid=o1&encrypt_type=aes&msg_signature=d%2Be",
        )
        .unwrap();
        let params = query.params();
        assert_eq!(params.signature, Some("abc"));
        assert_eq!(params.timestamp, Some("1409735669"));
        assert_eq!(params.nonce, Some("13"));
        assert_eq!(params.encrypt_type, Some("aes"));
        assert_eq!(params.msg_signature, Some("d+e"));
        assert_eq!(params.echostr, None);
        assert!(matches!(query.signature, Some(Cow::Borrowed(_))));

        let err = CallbackQuery::parse("nonce=1&timestamp=2&nonce=3").unwrap_err();
        assert_eq!(err.code(), "invalid_query");
        assert_eq!(err.error_code().http_status(), 400);
    }

    #[test]
    fn every_refusal_of_the_protocol_is_registered_with_its_status() {
        let errors = [
            OpenError::MissingParameter("nonce"),
            OpenError::InvalidTimestamp,
            OpenError::TimestampOutOfWindow { skew: 301 },
            OpenError::BodyNotUtf8,
            OpenError::UnsupportedEncryptType("x".into()),
            OpenError::InvalidSignature("signature"),
            OpenError::Crypto(CryptoError::Base64),
            OpenError::Crypto(CryptoError::CipherLength),
            OpenError::Crypto(CryptoError::Padding),
            OpenError::Crypto(CryptoError::MessageLength),
            OpenError::Crypto(CryptoError::AppId),
            OpenError::Crypto(CryptoError::Utf8),
            OpenError::Crypto(CryptoError::KeyEncoding),
            OpenError::Message(crate::wechat::message::MessageError::Missing("MsgType")),
        ];
        for err in errors {
            let auth = err.is_auth_failure();
            let refused = refused(err);
            let status = refused.error_code().http_status();
            assert_ne!(refused.code(), "internal_error", "{refused}");
            assert_eq!(status, if auth { 401 } else { 400 }, "{refused}");
        }
    }
}
