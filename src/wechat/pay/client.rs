//! The calls we make to WeChat Pay: JSAPI prepay, query by `out_trade_no`, close, refund and
//! refund query. Every request is signed; every answer's signature is verified before its body
//! is read (an answer that does not verify is an error, whatever its status).

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::clock::SharedClock;

use super::PayConfig;
use super::sign::nonce;
use super::types::{
    Amount, ErrorBody, JsapiPrepay, Payer, PrepayAnswer, Refund, RefundAmountRequest,
    RefundRequest, Transaction,
};
use super::verify::{SignedHeaders, VerifyError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error("WeChat Pay could not be reached: {0}")]
    Transport(String),
    #[error("WeChat Pay answered {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    #[error("WeChat Pay's answer is not trusted: {0}")]
    Unverified(VerifyError),
    #[error("WeChat Pay's answer is not the expected JSON: {0}")]
    Decode(String),
    #[error("invalid request: {0}")]
    Request(String),
}

impl PayError {
    /// WeChat Pay's `code` when it answered with an error (e.g. `ORDER_NOT_EXIST`).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Status { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct PayClient {
    http: reqwest::Client,
    config: Arc<PayConfig>,
    clock: SharedClock,
}

/// `out_trade_no`: 6–32 characters of `[0-9A-Za-z_-|*]`.
pub fn valid_out_trade_no(no: &str) -> bool {
    (6..=32).contains(&no.len())
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*'))
}

/// `out_refund_no`: 1–64 characters of `[0-9A-Za-z_-|*@]`.
pub fn valid_out_refund_no(no: &str) -> bool {
    (1..=64).contains(&no.len())
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*' | b'@'))
}

impl PayClient {
    pub fn new(config: Arc<PayConfig>, clock: SharedClock) -> Result<Self, PayError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| PayError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            config,
            clock,
        })
    }

    pub fn config(&self) -> &PayConfig {
        &self.config
    }

    /// JSAPI prepay; answers the `prepay_id`.
    pub async fn jsapi_prepay(
        &self,
        out_trade_no: &str,
        description: &str,
        total_fen: i64,
        openid: &str,
        time_expire: Option<String>,
    ) -> Result<String, PayError> {
        if !valid_out_trade_no(out_trade_no) {
            return Err(PayError::Request(format!("out_trade_no {out_trade_no:?}")));
        }
        let body = JsapiPrepay {
            appid: self.config.appid.clone(),
            mchid: self.config.signer.mchid.clone(),
            description: description.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            time_expire,
            attach: None,
            notify_url: self.config.notify_url.clone(),
            amount: Amount {
                total: total_fen,
                currency: "CNY".into(),
            },
            payer: Payer {
                openid: openid.to_owned(),
            },
        };
        let answer: PrepayAnswer = self
            .call(
                Method::POST,
                "/v3/pay/transactions/jsapi".into(),
                Some(&body),
            )
            .await?;
        Ok(answer.prepay_id)
    }

    pub async fn query_by_out_trade_no(&self, out_trade_no: &str) -> Result<Transaction, PayError> {
        if !valid_out_trade_no(out_trade_no) {
            return Err(PayError::Request(format!("out_trade_no {out_trade_no:?}")));
        }
        let url = format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.config.signer.mchid
        );
        self.call::<(), _>(Method::GET, url, None).await
    }

    /// Close an unpaid order (204 No Content).
    pub async fn close(&self, out_trade_no: &str) -> Result<(), PayError> {
        if !valid_out_trade_no(out_trade_no) {
            return Err(PayError::Request(format!("out_trade_no {out_trade_no:?}")));
        }
        let url = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
        let body = serde_json::json!({"mchid": self.config.signer.mchid});
        self.call_raw(Method::POST, url, Some(&body))
            .await
            .map(|_| ())
    }

    /// Ask for a refund; `out_refund_no` must be the same on every retry.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        refund_fen: i64,
        total_fen: i64,
        reason: Option<&str>,
    ) -> Result<Refund, PayError> {
        if !valid_out_refund_no(out_refund_no) {
            return Err(PayError::Request(format!(
                "out_refund_no {out_refund_no:?}"
            )));
        }
        let body = RefundRequest {
            out_trade_no: out_trade_no.to_owned(),
            out_refund_no: out_refund_no.to_owned(),
            reason: reason.map(str::to_owned),
            notify_url: Some(self.config.notify_url.clone()),
            amount: RefundAmountRequest {
                refund: refund_fen,
                total: total_fen,
                currency: "CNY".into(),
            },
        };
        self.call(
            Method::POST,
            "/v3/refund/domestic/refunds".into(),
            Some(&body),
        )
        .await
    }

    pub async fn query_refund(&self, out_refund_no: &str) -> Result<Refund, PayError> {
        if !valid_out_refund_no(out_refund_no) {
            return Err(PayError::Request(format!(
                "out_refund_no {out_refund_no:?}"
            )));
        }
        let url = format!("/v3/refund/domestic/refunds/{out_refund_no}");
        self.call::<(), _>(Method::GET, url, None).await
    }

    async fn call<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
    ) -> Result<T, PayError> {
        let raw = self.call_raw(method, url, body).await?;
        serde_json::from_slice(&raw).map_err(|e| PayError::Decode(e.to_string()))
    }

    /// Signs, sends, verifies; answers the verified body of a 2xx.
    async fn call_raw<B: serde::Serialize>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
    ) -> Result<Vec<u8>, PayError> {
        let body = match body {
            Some(b) => serde_json::to_string(b).map_err(|e| PayError::Request(e.to_string()))?,
            None => String::new(),
        };
        let now = self.clock.now().timestamp();
        let nonce = nonce();
        let auth = self
            .config
            .signer
            .authorize(method.as_str(), &url, now, &nonce, &body);
        let full = format!(
            "{}{url}",
            self.config.api_base.as_str().trim_end_matches('/')
        );
        let mut req = self
            .http
            .request(method.clone(), full)
            .header("Authorization", auth)
            .header("Accept", "application/json")
            .header("User-Agent", "babyvax");
        if let Some(id) = self.config.verifier.public_key_id() {
            req = req.header("Wechatpay-Serial", id);
        }
        if method != Method::GET {
            req = req.header("Content-Type", "application/json").body(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| PayError::Transport(e.to_string()))?;
        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (ts, nonce, sig, serial) = (
            header("Wechatpay-Timestamp"),
            header("Wechatpay-Nonce"),
            header("Wechatpay-Signature"),
            header("Wechatpay-Serial"),
        );
        let raw = resp
            .bytes()
            .await
            .map_err(|e| PayError::Transport(e.to_string()))?;
        let verified = self.config.verifier.verify(
            SignedHeaders {
                timestamp: &ts,
                nonce: &nonce,
                signature: &sig,
                serial: &serial,
            },
            &raw,
            self.clock.now().timestamp(),
        );
        if status.is_success() {
            verified.map_err(PayError::Unverified)?;
            return Ok(raw.to_vec());
        }
        let err: ErrorBody = serde_json::from_slice(&raw).unwrap_or_default();
        if let Err(e) = verified {
            tracing::warn!(status = status.as_u16(), error = %e, "WeChat Pay error answer does not verify");
        }
        Err(PayError::Status {
            status: status.as_u16(),
            code: if err.code.is_empty() {
                "HTTP_ERROR".into()
            } else {
                err.code
            },
            message: err.message,
        })
    }
}
