//! Verifying WeChat Pay's responses and notifications: the key chosen by `Wechatpay-Serial`
//! (the WeChat Pay public key by its `PUB_KEY_ID_…`, platform certificates by serial), a
//! timestamp less than 300 s from ours, and signature probes refused.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::keys::PublicKey;

/// `|now − Wechatpay-Timestamp|` at or beyond this is refused.
pub const MAX_CLOCK_OFFSET_SECS: i64 = 300;
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// The four signature headers, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub serial: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("header {0} is missing")]
    Missing(&'static str),
    #[error("signature probe (WECHATPAY/SIGNTEST/)")]
    Probe,
    #[error("Wechatpay-Timestamp is not a number")]
    BadTimestamp,
    #[error("Wechatpay-Timestamp is {0} s away from our clock (limit 300 s)")]
    Stale(i64),
    #[error("unknown Wechatpay-Serial {0:?}")]
    UnknownSerial(String),
    #[error("signature does not verify")]
    BadSignature,
}

/// The verification keys configured: the WeChat Pay public key and/or platform certificates.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    public_key: Option<(String, PublicKey)>,
    certificates: HashMap<String, PublicKey>,
}

impl Verifier {
    pub fn new(
        public_key: Option<(String, PublicKey)>,
        certificates: Vec<(String, PublicKey)>,
    ) -> Self {
        Self {
            public_key,
            certificates: certificates
                .into_iter()
                .map(|(serial, key)| (serial.to_ascii_uppercase(), key))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.public_key.is_none() && self.certificates.is_empty()
    }

    /// The public key id, sent as `Wechatpay-Serial` on requests so answers are signed with it.
    pub fn public_key_id(&self) -> Option<&str> {
        self.public_key.as_ref().map(|(id, _)| id.as_str())
    }

    fn key_for(&self, serial: &str) -> Option<&PublicKey> {
        match &self.public_key {
            Some((id, key)) if id == serial => Some(key),
            _ => self.certificates.get(&serial.to_ascii_uppercase()),
        }
    }

    /// Checks `ts\nnonce\nbody\n` against the signature, over the raw body bytes.
    pub fn verify(
        &self,
        h: SignedHeaders<'_>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<(), VerifyError> {
        if h.signature.starts_with(PROBE_PREFIX) {
            return Err(VerifyError::Probe);
        }
        for (name, value) in [
            ("Wechatpay-Timestamp", h.timestamp),
            ("Wechatpay-Nonce", h.nonce),
            ("Wechatpay-Signature", h.signature),
            ("Wechatpay-Serial", h.serial),
        ] {
            if value.is_empty() {
                return Err(VerifyError::Missing(name));
            }
        }
        let ts: i64 = h.timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
        let offset = now_secs.saturating_sub(ts).saturating_abs();
        if offset >= MAX_CLOCK_OFFSET_SECS {
            return Err(VerifyError::Stale(offset));
        }
        let key = self
            .key_for(h.serial)
            .ok_or_else(|| VerifyError::UnknownSerial(h.serial.to_owned()))?;
        let signature = STANDARD
            .decode(h.signature)
            .map_err(|_| VerifyError::BadSignature)?;
        let mut message = Vec::with_capacity(h.timestamp.len() + h.nonce.len() + body.len() + 3);
        message.extend_from_slice(h.timestamp.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(h.nonce.as_bytes());
        message.push(b'\n');
        message.extend_from_slice(body);
        message.push(b'\n');
        if key.verify(&message, &signature) {
            Ok(())
        } else {
            Err(VerifyError::BadSignature)
        }
    }
}
