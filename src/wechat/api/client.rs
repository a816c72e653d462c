//! The HTTP layer: one pooled `reqwest::Client`, WeChat's JSON envelope, transient retries.

use std::future::Future;
use std::sync::Arc;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::config::ApiConfig;
use super::error::{ApiError, RetryClass};

/// Cheap to clone; every clone shares one connection pool.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The base URL without a trailing slash, so that paths append instead of replacing.
    base: String,
    config: ApiConfig,
}

/// One request, ready to be sent as many times as retries need. Not `Debug`: its query may hold
/// an app secret.
pub(crate) struct Call {
    method: Method,
    path: &'static str,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl Call {
    pub(crate) fn get(path: &'static str) -> Self {
        Self {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn post_json(path: &'static str, body: &impl Serialize) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| ApiError::InvalidRequest(format!("unserialisable body: {e}")))?;
        Ok(Self {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
        })
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(crate) fn path(&self) -> &'static str {
        self.path
    }
}

impl ApiClient {
    pub fn new(config: ApiConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(ApiError::ClientSetup)?;
        let base = config.base_url.as_str().trim_end_matches('/').to_owned();
        Ok(Self {
            inner: Arc::new(Inner { http, base, config }),
        })
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    /// One try, no retries. `access_token` is added to the query when given.
    pub(crate) async fn send_once<T: DeserializeOwned>(
        &self,
        call: &Call,
        access_token: Option<&str>,
    ) -> Result<T, ApiError> {
        let timeout = self.inner.config.request_timeout;
        let url = Url::parse(&format!("{}{}", self.inner.base, call.path))
            .map_err(|e| ApiError::InvalidRequest(format!("bad API URL: {e}")))?;
        let mut req = self.inner.http.request(call.method.clone(), url);
        if let Some(token) = access_token {
            req = req.query(&[("access_token", token)]);
        }
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ApiError::from_reqwest(e, timeout))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ApiError::HttpStatus(status.as_u16()));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| ApiError::from_reqwest(e, timeout))?;
        parse_response(&body)
    }

    /// Runs `op` again on transient failures, with capped exponential backoff.
    pub(crate) async fn retrying<T, F, Fut>(&self, path: &str, mut op: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let policy = self.inner.config.retry;
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e)
                    if e.retry_class() == RetryClass::Transient
                        && attempt < policy.max_attempts =>
                {
                    let delay = policy.delay_after(attempt);
                    tracing::warn!(path, attempt, error = %e, ?delay, "transient WeChat failure, retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    errcode: Option<i64>,
    errmsg: Option<String>,
}

/// WeChat answers HTTP 200 with `errcode`/`errmsg` on failure; a success may omit `errcode`.
pub fn parse_response<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(decode_error)?;
    match envelope.errcode.unwrap_or(0) {
        0 => serde_json::from_slice(body).map_err(decode_error),
        code => Err(ApiError::wechat(code, envelope.errmsg.unwrap_or_default())),
    }
}

/// Only the position: serde's message can quote a value, and a value can be a token.
fn decode_error(e: serde_json::Error) -> ApiError {
    ApiError::Decode(format!(
        "{:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Msg {
        msgid: i64,
    }

    #[test]
    fn missing_errcode_is_success_and_nonzero_is_an_error() {
        let ok: Msg = parse_response(br#"{"msgid": 7}"#).unwrap();
        assert_eq!(ok.msgid, 7);
        let ok: Msg = parse_response(br#"{"errcode":0,"errmsg":"ok","msgid": 8}"#).unwrap();
        assert_eq!(ok.msgid, 8);
        let err = parse_response::<Msg>(br#"{"errcode":43004,"errmsg":"require subscribe"}"#);
        assert_eq!(err.unwrap_err().errcode(), Some(43004));
        let err = parse_response::<Msg>(br#"{"access_token": 5}"#).unwrap_err();
        assert!(matches!(err, ApiError::Decode(_)));
        assert!(matches!(
            parse_response::<Msg>(b"<html>"),
            Err(ApiError::Decode(_))
        ));
    }

    #[test]
    fn decode_errors_do_not_quote_the_body() {
        let err = parse_response::<Msg>(br#"{"msgid": "SECRET-TOKEN"}"#).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
