//! The fake's WeChat Pay v3: it checks every request's signature with the merchant's public key,
//! signs its answers with its own platform key, issues prepay ids, and lets a test pay, fail,
//! close or refund an order and deliver signed, encrypted notifications to the notify URL (also
//! twice, late, out of order, with a wrong amount, a wrong mchid, a bad signature, a stale
//! timestamp or as a signature probe).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::wechat::pay::sign::{nonce, parse_authorization, request_message};
use crate::wechat::pay::{ApiV3Key, MerchantKey, PublicKey};

/// The keys and ids the fake WeChat Pay runs with.
#[derive(Clone)]
pub struct FakePayConfig {
    pub mchid: String,
    pub appid: String,
    /// The merchant API certificate serial our requests must carry.
    pub merchant_serial: String,
    /// Verifies our requests.
    pub merchant_public_key: PublicKey,
    /// Signs answers and notifications.
    pub platform_key: MerchantKey,
    /// What `Wechatpay-Serial` carries (a `PUB_KEY_ID_…`).
    pub platform_key_id: String,
    pub api_v3_key: ApiV3Key,
    /// WeChat Pay's "now" (request timestamps, notification timestamps): share the app's clock.
    pub clock: crate::clock::SharedClock,
}

impl std::fmt::Debug for FakePayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePayConfig")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("platform_key_id", &self.platform_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOrder {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    pub description: String,
    pub amount: i64,
    pub openid: String,
    pub notify_url: String,
    pub prepay_id: String,
    /// `NOTPAY | SUCCESS | CLOSED | PAYERROR | REFUND`.
    pub trade_state: String,
    pub transaction_id: Option<String>,
    pub success_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRefund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub transaction_id: Option<String>,
    pub refund: i64,
    pub total: i64,
    /// `PROCESSING | SUCCESS | CLOSED | ABNORMAL`.
    pub status: String,
    pub notify_url: Option<String>,
}

/// How a notification is spoiled on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    None,
    /// `amount.total` differs from the order's (the signature is valid).
    WrongAmount(i64),
    /// Another `mchid` in the resource (the signature is valid).
    WrongMchid,
    /// The signature does not verify.
    BadSignature,
    /// Signed correctly, but with a timestamp 10 minutes old.
    StaleTimestamp,
    /// `Wechatpay-Signature: WECHATPAY/SIGNTEST/...`.
    SignTest,
}

/// A notification ready to be delivered (or delivered again).
#[derive(Debug, Clone)]
pub struct Notice {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Default)]
pub(super) struct PayInner {
    pub config: Option<FakePayConfig>,
    /// Where notifications go instead of the prepay's `notify_url`.
    pub notify_override: Option<String>,
    pub orders: HashMap<String, FakeOrder>,
    pub refunds: HashMap<String, FakeRefund>,
    pub seq: u64,
    /// Requests refused for their signature.
    pub sign_errors: u64,
    pub calls: u64,
}

/// The fake's answer: status, JSON body (None for 204).
pub(super) type PayReply = (u16, Option<Value>);

fn error(status: u16, code: &str, message: &str) -> PayReply {
    (status, Some(json!({"code": code, "message": message})))
}

fn shanghai(at: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!());
    at.with_timezone(&offset)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl PayInner {
    /// WeChat Pay's clock, or `fallback` before pay is enabled.
    pub fn now(&self, fallback: DateTime<Utc>) -> DateTime<Utc> {
        self.config.as_ref().map_or(fallback, |c| c.clock.now())
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Checks `Authorization` as WeChat Pay does; None when it verifies.
    pub fn check_request(
        &mut self,
        method: &str,
        path_and_query: &str,
        authorization: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Option<PayReply> {
        self.calls += 1;
        let Some(cfg) = &self.config else {
            return Some(error(
                404,
                "NOT_FOUND",
                "WeChat Pay is not enabled in the fake",
            ));
        };
        let refused = |why: &str| Some(error(401, "SIGN_ERROR", why));
        let Some(parts) = authorization.and_then(parse_authorization) else {
            self.sign_errors += 1;
            return refused("Authorization is missing or malformed");
        };
        if parts.mchid != cfg.mchid || parts.serial != cfg.merchant_serial {
            self.sign_errors += 1;
            return refused("mchid or serial_no does not match");
        }
        let Ok(ts) = parts.timestamp.parse::<i64>() else {
            self.sign_errors += 1;
            return refused("timestamp is not seconds");
        };
        if (now.timestamp() - ts).abs() >= 300 {
            self.sign_errors += 1;
            return refused("Http头Authorization中的timestamp与发起请求的时间不得超过5分钟");
        }
        let Ok(body) = std::str::from_utf8(body) else {
            return Some(error(400, "PARAM_ERROR", "body is not UTF-8"));
        };
        let message = request_message(method, path_and_query, ts, &parts.nonce, body);
        use base64::Engine;
        let sig = base64::engine::general_purpose::STANDARD
            .decode(&parts.signature)
            .unwrap_or_default();
        if !cfg.merchant_public_key.verify(message.as_bytes(), &sig) {
            self.sign_errors += 1;
            return refused("signature does not verify");
        }
        None
    }

    /// The four `Wechatpay-*` headers for `body`, signed with the platform key.
    pub fn sign_headers(&self, body: &str, at: i64) -> Vec<(String, String)> {
        let Some(cfg) = &self.config else {
            return Vec::new();
        };
        let nonce = nonce();
        let signature = cfg
            .platform_key
            .sign(format!("{at}\n{nonce}\n{body}\n").as_bytes());
        vec![
            ("Wechatpay-Timestamp".into(), at.to_string()),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Signature".into(), signature),
            ("Wechatpay-Serial".into(), cfg.platform_key_id.clone()),
            (
                "Wechatpay-Signature-Type".into(),
                "WECHATPAY2-SHA256-RSA2048".into(),
            ),
        ]
    }

    pub fn route(
        &mut self,
        method: &str,
        path: &str,
        body: &Value,
        now: DateTime<Utc>,
    ) -> PayReply {
        let Some(cfg) = self.config.clone() else {
            return error(404, "NOT_FOUND", "not enabled");
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method, segments.as_slice()) {
            ("POST", ["v3", "pay", "transactions", "jsapi"]) => self.prepay(&cfg, body, now),
            ("GET", ["v3", "pay", "transactions", "out-trade-no", no]) => {
                match self.orders.get(*no) {
                    Some(o) => (200, Some(transaction_json(o))),
                    None => error(404, "ORDER_NOT_EXIST", "订单不存在"),
                }
            }
            ("POST", ["v3", "pay", "transactions", "out-trade-no", no, "close"]) => {
                if body["mchid"].as_str() != Some(cfg.mchid.as_str()) {
                    return error(400, "PARAM_ERROR", "mchid");
                }
                match self.orders.get_mut(*no) {
                    Some(o) if o.trade_state == "SUCCESS" || o.trade_state == "REFUND" => {
                        error(400, "ORDER_PAID", "订单已支付")
                    }
                    Some(o) => {
                        o.trade_state = "CLOSED".into();
                        (204, None)
                    }
                    None => error(404, "ORDER_NOT_EXIST", "订单不存在"),
                }
            }
            ("POST", ["v3", "refund", "domestic", "refunds"]) => self.refund(body),
            ("GET", ["v3", "refund", "domestic", "refunds", no]) => match self.refunds.get(*no) {
                Some(r) => (200, Some(refund_json(r))),
                None => error(404, "RESOURCE_NOT_EXISTS", "退款单不存在"),
            },
            _ => error(404, "NOT_FOUND", "no such API in the fake"),
        }
    }

    fn prepay(&mut self, cfg: &FakePayConfig, body: &Value, _now: DateTime<Utc>) -> PayReply {
        let s = |k: &str| body[k].as_str().unwrap_or("").to_owned();
        if s("mchid") != cfg.mchid || s("appid") != cfg.appid {
            return error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
        }
        let out_trade_no = s("out_trade_no");
        let Some(amount) = body["amount"]["total"].as_i64().filter(|a| *a > 0) else {
            return error(400, "PARAM_ERROR", "amount.total");
        };
        let openid = body["payer"]["openid"].as_str().unwrap_or("").to_owned();
        if out_trade_no.is_empty() || openid.is_empty() || s("notify_url").is_empty() {
            return error(400, "PARAM_ERROR", "missing field");
        }
        if let Some(o) = self.orders.get(&out_trade_no) {
            if o.amount != amount || o.description != s("description") {
                return error(403, "OUT_TRADE_NO_USED", "商户订单号重复");
            }
            if o.trade_state == "SUCCESS" {
                return error(400, "ORDER_PAID", "订单已支付");
            }
            if o.trade_state == "CLOSED" {
                return error(400, "ORDER_CLOSED", "订单已关闭");
            }
            return (200, Some(json!({"prepay_id": o.prepay_id})));
        }
        let n = self.next();
        let order = FakeOrder {
            appid: cfg.appid.clone(),
            mchid: cfg.mchid.clone(),
            out_trade_no: out_trade_no.clone(),
            description: s("description"),
            amount,
            openid,
            notify_url: s("notify_url"),
            prepay_id: format!("wx{n:032}"),
            trade_state: "NOTPAY".into(),
            transaction_id: None,
            success_time: None,
        };
        let prepay_id = order.prepay_id.clone();
        self.orders.insert(out_trade_no, order);
        (200, Some(json!({"prepay_id": prepay_id})))
    }

    fn refund(&mut self, body: &Value) -> PayReply {
        let s = |k: &str| body[k].as_str().unwrap_or("").to_owned();
        let (out_trade_no, out_refund_no) = (s("out_trade_no"), s("out_refund_no"));
        let refund = body["amount"]["refund"].as_i64().unwrap_or(0);
        let total = body["amount"]["total"].as_i64().unwrap_or(0);
        if let Some(r) = self.refunds.get(&out_refund_no) {
            // 同一退款单号多次请求只退一笔.
            return (200, Some(refund_json(r)));
        }
        let Some(order) = self.orders.get(&out_trade_no).cloned() else {
            return error(404, "RESOURCE_NOT_EXISTS", "订单不存在");
        };
        if order.trade_state != "SUCCESS" && order.trade_state != "REFUND" {
            return error(400, "INVALID_REQUEST", "订单未支付");
        }
        if total != order.amount || refund <= 0 {
            return error(400, "PARAM_ERROR", "amount");
        }
        let refunded: i64 = self
            .refunds
            .values()
            .filter(|r| r.out_trade_no == out_trade_no && r.status != "CLOSED")
            .map(|r| r.refund)
            .sum();
        if refunded + refund > order.amount {
            return error(403, "NOT_ENOUGH", "退款金额超过可退金额");
        }
        let n = self.next();
        let r = FakeRefund {
            refund_id: format!("5030{n:024}"),
            out_refund_no: out_refund_no.clone(),
            out_trade_no,
            transaction_id: order.transaction_id.clone(),
            refund,
            total,
            status: "PROCESSING".into(),
            notify_url: body["notify_url"].as_str().map(str::to_owned),
        };
        let answer = refund_json(&r);
        self.refunds.insert(out_refund_no, r);
        if let Some(o) = self.orders.get_mut(&order.out_trade_no) {
            o.trade_state = "REFUND".into();
        }
        (200, Some(answer))
    }

    /// Marks the order paid (once; the same transaction id afterwards).
    pub fn mark_paid(&mut self, out_trade_no: &str, now: DateTime<Utc>) -> Option<FakeOrder> {
        let n = self.seq + 1;
        let o = self.orders.get_mut(out_trade_no)?;
        if o.transaction_id.is_none() {
            o.transaction_id = Some(format!("4200{n:024}"));
            o.success_time = Some(shanghai(now));
            o.trade_state = "SUCCESS".into();
            self.seq = n;
        }
        Some(o.clone())
    }

    /// A signed, encrypted notification for `resource`, spoiled as `tamper` says.
    pub fn notice(
        &self,
        url: &str,
        event_type: &str,
        original_type: &str,
        resource: &Value,
        tamper: Tamper,
        now: DateTime<Utc>,
    ) -> Option<Notice> {
        let cfg = self.config.as_ref()?;
        let mut resource = resource.clone();
        match tamper {
            Tamper::WrongAmount(total) => resource["amount"]["total"] = json!(total),
            Tamper::WrongMchid => resource["mchid"] = json!("1999999999"),
            _ => {}
        }
        let nonce12: String = nonce()[..12].to_owned();
        let ciphertext = cfg
            .api_v3_key
            .encrypt(&nonce12, original_type, resource.to_string().as_bytes())
            .ok()?;
        let summary = if event_type == "TRANSACTION.SUCCESS" {
            "支付成功"
        } else {
            "退款状态变更"
        };
        let body = json!({
            "id": format!("EV-{}", nonce()),
            "create_time": shanghai(now),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": original_type,
                "nonce": nonce12,
            }
        })
        .to_string();
        let at = match tamper {
            Tamper::StaleTimestamp => now.timestamp() - 600,
            _ => now.timestamp(),
        };
        let mut headers = self.sign_headers(&body, at);
        for (name, value) in &mut headers {
            if name == "Wechatpay-Signature" {
                match tamper {
                    Tamper::BadSignature => {
                        // Sign another body: a valid-looking signature that does not verify.
                        *value = cfg.platform_key.sign(b"something else\n");
                    }
                    Tamper::SignTest => *value = format!("WECHATPAY/SIGNTEST/{value}"),
                    _ => {}
                }
            }
        }
        Some(Notice {
            url: self
                .notify_override
                .clone()
                .unwrap_or_else(|| url.to_owned()),
            headers,
            body,
        })
    }
}

pub(super) fn transaction_json(o: &FakeOrder) -> Value {
    let mut v = json!({
        "appid": o.appid,
        "mchid": o.mchid,
        "out_trade_no": o.out_trade_no,
        "trade_type": "JSAPI",
        "trade_state": o.trade_state,
        "trade_state_desc": o.trade_state,
        "payer": {"openid": o.openid},
        "amount": {"total": o.amount, "payer_total": o.amount, "currency": "CNY", "payer_currency": "CNY"},
    });
    if let Some(t) = &o.transaction_id {
        v["transaction_id"] = json!(t);
        v["bank_type"] = json!("OTHERS");
    }
    if let Some(t) = &o.success_time {
        v["success_time"] = json!(t);
    }
    v
}

pub(super) fn refund_json(r: &FakeRefund) -> Value {
    json!({
        "refund_id": r.refund_id,
        "out_refund_no": r.out_refund_no,
        "out_trade_no": r.out_trade_no,
        "transaction_id": r.transaction_id,
        "channel": "ORIGINAL",
        "status": r.status,
        "amount": {"refund": r.refund, "total": r.total, "payer_refund": r.refund, "payer_total": r.total, "currency": "CNY"},
    })
}

pub(super) fn refund_notice_json(r: &FakeRefund, mchid: &str) -> Value {
    json!({
        "mchid": mchid,
        "out_trade_no": r.out_trade_no,
        "transaction_id": r.transaction_id,
        "out_refund_no": r.out_refund_no,
        "refund_id": r.refund_id,
        "refund_status": r.status,
        "amount": {"refund": r.refund, "total": r.total, "payer_refund": r.refund, "payer_total": r.total},
    })
}
