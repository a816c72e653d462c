//! Request signing (`WECHATPAY2-SHA256-RSA2048`) and the mini-program's `paySign`.

use super::keys::MerchantKey;

pub const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";

/// The five-line message: method, path with `?query` as sent, timestamp, nonce, body; every line
/// ends in `\n`, the body's too (even a body that ends in `\n` itself).
pub fn request_message(method: &str, url: &str, timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The `Authorization` header value for a signature already made.
pub fn authorization(
    mchid: &str,
    serial: &str,
    nonce: &str,
    timestamp: i64,
    signature: &str,
) -> String {
    format!(
        "{SCHEMA} mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{serial}\""
    )
}

/// The merchant's identity for signing: mchid, API certificate serial and private key.
#[derive(Debug, Clone)]
pub struct Signer {
    pub mchid: String,
    pub serial: String,
    pub key: MerchantKey,
}

impl Signer {
    /// The `Authorization` header for one request.
    pub fn authorize(
        &self,
        method: &str,
        url: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> String {
        let signature = self
            .key
            .sign(request_message(method, url, timestamp, nonce, body).as_bytes());
        authorization(&self.mchid, &self.serial, nonce, timestamp, &signature)
    }

    /// `paySign` for `wx.requestPayment`: `appId\ntimeStamp\nnonceStr\npackage\n`.
    pub fn pay_sign(
        &self,
        app_id: &str,
        time_stamp: &str,
        nonce_str: &str,
        package: &str,
    ) -> String {
        self.key
            .sign(pay_sign_message(app_id, time_stamp, nonce_str, package).as_bytes())
    }
}

pub fn pay_sign_message(app_id: &str, time_stamp: &str, nonce_str: &str, package: &str) -> String {
    format!("{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n")
}

/// 32 upper-case hex characters of randomness, as WeChat Pay's own samples use.
pub fn nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode_upper(bytes)
}

/// The parts of an `Authorization` header, for the fake WeChat Pay's check of our requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationParts {
    pub mchid: String,
    pub nonce: String,
    pub signature: String,
    pub timestamp: String,
    pub serial: String,
}

pub fn parse_authorization(header: &str) -> Option<AuthorizationParts> {
    let rest = header.strip_prefix(SCHEMA)?.strip_prefix(' ')?;
    let mut parts = std::collections::HashMap::new();
    for pair in rest.split(',') {
        let (k, v) = pair.trim().split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        parts.insert(k, v.to_owned());
    }
    let mut take = |k: &str| parts.remove(k);
    Some(AuthorizationParts {
        mchid: take("mchid")?,
        nonce: take("nonce_str")?,
        signature: take("signature")?,
        timestamp: take("timestamp")?,
        serial: take("serial_no")?,
    })
}
