//! The JSON of the calls we make, and of notifications.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Amount {
    pub total: i64,
    #[serde(default = "cny")]
    pub currency: String,
}

fn cny() -> String {
    "CNY".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Payer {
    pub openid: String,
}

/// `POST /v3/pay/transactions/jsapi`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsapiPrepay {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attach: Option<String>,
    pub notify_url: String,
    pub amount: Amount,
    pub payer: Payer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrepayAnswer {
    pub prepay_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransactionAmount {
    pub total: i64,
    #[serde(default)]
    pub payer_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub payer_currency: Option<String>,
}

/// A transaction, as the query answers it and a `TRANSACTION.SUCCESS` notification holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub trade_type: Option<String>,
    /// `SUCCESS | REFUND | NOTPAY | CLOSED | REVOKED | USERPAYING | PAYERROR`.
    pub trade_state: String,
    #[serde(default)]
    pub trade_state_desc: Option<String>,
    #[serde(default)]
    pub success_time: Option<String>,
    #[serde(default)]
    pub payer: Option<Payer>,
    #[serde(default)]
    pub amount: Option<TransactionAmount>,
}

/// `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
    pub amount: RefundAmountRequest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundAmountRequest {
    pub refund: i64,
    pub total: i64,
    pub currency: String,
}

/// `SUCCESS | CLOSED | PROCESSING | ABNORMAL`; only the first two are final.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    Success,
    Closed,
    Processing,
    Abnormal,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Closed => "CLOSED",
            Self::Processing => "PROCESSING",
            Self::Abnormal => "ABNORMAL",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefundAmount {
    pub refund: i64,
    pub total: i64,
}

/// A refund as the refund call and the refund query answer it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub status: RefundStatus,
    pub amount: RefundAmount,
}

/// A refund notification's resource (`REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefundNotice {
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub out_refund_no: String,
    pub refund_id: String,
    pub refund_status: RefundStatus,
    pub amount: RefundAmount,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Resource {
    pub original_type: String,
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: Option<String>,
    pub nonce: String,
}

/// The envelope of every notification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    pub event_type: String,
    pub resource_type: String,
    #[serde(default)]
    pub summary: Option<String>,
    pub resource: Resource,
}

/// WeChat Pay's error body: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}
