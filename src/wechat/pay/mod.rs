//! WeChat Pay API v3 for a direct merchant with a mini-program (JSAPI): request signing,
//! verification of answers and notifications, notification decryption, the calls, `paySign`.
//! Knows nothing of members or orders. ring does the RSA and the AES-GCM.
//!
//! The facts it keeps (see `../shared/reference/wechatpay-v3-notes.md` §0): five-line request
//! messages ending in `\n`; answers verified over the raw body with the key `Wechatpay-Serial`
//! names (public-key id or platform-certificate serial); |now − timestamp| ≥ 300 s refused;
//! `WECHATPAY/SIGNTEST/` probes refused; the APIv3 key used as-is, 32 bytes.

pub mod aead;
pub mod client;
pub mod keys;
pub mod notify;
pub mod sign;
pub mod types;
pub mod verify;

#[cfg(test)]
mod vector_tests;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub use aead::{AeadError, ApiV3Key};
pub use client::{PayClient, PayError};
pub use keys::{KeyError, MerchantKey, PublicKey};
pub use sign::Signer;
pub use verify::{SignedHeaders, Verifier, VerifyError};

pub const DEFAULT_API_BASE: &str = "https://api.mch.weixin.qq.com";

pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Everything needed to take payments, validated at start-up.
#[derive(Debug, Clone)]
pub struct PayConfig {
    pub signer: Signer,
    pub api_v3_key: ApiV3Key,
    pub verifier: Verifier,
    /// `https://api.mch.weixin.qq.com` or the fake's URL.
    pub api_base: reqwest::Url,
    /// The public URL of `/wechat/pay/notify`.
    pub notify_url: String,
    /// The mini-program's appid, bound to the mchid.
    pub appid: String,
}

/// The `wx.requestPayment` parameters for a prepay id.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct PayParams {
    #[serde(rename = "appId")]
    pub app_id: String,
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    pub package: String,
    #[serde(rename = "signType")]
    pub sign_type: String,
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl PayConfig {
    pub fn pay_params(&self, prepay_id: &str, now_secs: i64) -> PayParams {
        let time_stamp = now_secs.to_string();
        let nonce_str = sign::nonce();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self
            .signer
            .pay_sign(&self.appid, &time_stamp, &nonce_str, &package);
        PayParams {
            app_id: self.appid.clone(),
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA".into(),
            pay_sign,
        }
    }
}
