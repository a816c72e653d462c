//! AEAD_AES_256_GCM with the APIv3 key used as-is (32 bytes, never hashed): notification
//! resources and, in the fake, their encryption.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AeadError {
    #[error("the APIv3 key must be exactly 32 bytes (got {0})")]
    KeyLength(usize),
    #[error("the nonce must be 12 bytes (got {0})")]
    NonceLength(usize),
    #[error("the ciphertext is not base64")]
    Base64,
    #[error("the ciphertext does not decrypt (wrong key, nonce, associated data or tampered)")]
    Open,
}

/// The 32-byte APIv3 key. `Debug` never shows it.
#[derive(Clone)]
pub struct ApiV3Key([u8; 32]);

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(..)")
    }
}

impl ApiV3Key {
    pub fn new(key: &[u8]) -> Result<Self, AeadError> {
        <[u8; 32]>::try_from(key)
            .map(Self)
            .map_err(|_| AeadError::KeyLength(key.len()))
    }

    fn sealing(&self) -> LessSafeKey {
        // A 32-byte key is always valid for AES-256.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).unwrap_or_else(|_| unreachable!()))
    }

    fn nonce(nonce: &str) -> Result<Nonce, AeadError> {
        let bytes = <[u8; 12]>::try_from(nonce.as_bytes())
            .map_err(|_| AeadError::NonceLength(nonce.len()))?;
        Ok(Nonce::assume_unique_for_key(bytes))
    }

    /// Base64 of `ciphertext || tag` → plaintext.
    pub fn decrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        ciphertext_b64: &str,
    ) -> Result<Vec<u8>, AeadError> {
        let nonce = Self::nonce(nonce)?;
        let mut buf = STANDARD
            .decode(ciphertext_b64)
            .map_err(|_| AeadError::Base64)?;
        let plain = self
            .sealing()
            .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut buf)
            .map_err(|_| AeadError::Open)?;
        Ok(plain.to_vec())
    }

    /// Plaintext → Base64 of `ciphertext || tag`.
    pub fn encrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        plaintext: &[u8],
    ) -> Result<String, AeadError> {
        let nonce = Self::nonce(nonce)?;
        let mut buf = plaintext.to_vec();
        self.sealing()
            .seal_in_place_append_tag(nonce, Aad::from(associated_data.as_bytes()), &mut buf)
            .map_err(|_| AeadError::Open)?;
        Ok(STANDARD.encode(buf))
    }
}
