//! Notifications: verify over the raw body, then decrypt the resource.

use super::aead::{AeadError, ApiV3Key};
use super::types::Notification;
use super::verify::{SignedHeaders, Verifier, VerifyError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("the notification body is not the expected JSON: {0}")]
    Body(String),
    #[error("unsupported algorithm {0:?}")]
    Algorithm(String),
    #[error(transparent)]
    Decrypt(#[from] AeadError),
}

/// A verified notification and its decrypted resource (JSON bytes).
#[derive(Debug, Clone)]
pub struct Verified {
    pub notification: Notification,
    pub plaintext: Vec<u8>,
}

pub fn open(
    verifier: &Verifier,
    key: &ApiV3Key,
    headers: SignedHeaders<'_>,
    body: &[u8],
    now_secs: i64,
) -> Result<Verified, NotifyError> {
    verifier.verify(headers, body, now_secs)?;
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| NotifyError::Body(e.to_string()))?;
    if notification.resource.algorithm != "AEAD_AES_256_GCM" {
        return Err(NotifyError::Algorithm(notification.resource.algorithm));
    }
    let r = &notification.resource;
    let plaintext = key.decrypt(
        &r.nonce,
        r.associated_data.as_deref().unwrap_or(""),
        &r.ciphertext,
    )?;
    Ok(Verified {
        notification,
        plaintext,
    })
}
