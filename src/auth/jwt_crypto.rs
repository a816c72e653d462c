//! jsonwebtoken's cryptography on ring. Our tokens are HMAC only (HS256 is the one algorithm we
//! issue and accept), and ring already signs WeChat Pay's RSA and serves rustls: installing this
//! provider instead of jsonwebtoken's RustCrypto one keeps a single RSA implementation in the tree.

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::hmac;

/// One HMAC key with the JWT algorithm it serves.
struct RingHmac {
    key: hmac::Key,
    algorithm: Algorithm,
}

impl RingHmac {
    fn new(algorithm: Algorithm, family: AlgorithmFamily, secret: &[u8]) -> Result<Self> {
        let ring_algorithm = match algorithm {
            Algorithm::HS256 => hmac::HMAC_SHA256,
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => return Err(ErrorKind::InvalidAlgorithm.into()),
        };
        if family != AlgorithmFamily::Hmac {
            return Err(ErrorKind::InvalidKeyFormat.into());
        }
        Ok(RingHmac {
            key: hmac::Key::new(ring_algorithm, secret),
            algorithm,
        })
    }
}

impl signature::Signer<Vec<u8>> for RingHmac {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(hmac::sign(&self.key, message).as_ref().to_vec())
    }
}

impl signature::Verifier<Vec<u8>> for RingHmac {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        // Constant-time comparison.
        hmac::verify(&self.key, message, tag).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for RingHmac {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl JwtVerifier for RingHmac {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    Ok(Box::new(RingHmac::new(
        *algorithm,
        key.family(),
        key.as_bytes(),
    )?))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    Ok(Box::new(RingHmac::new(
        *algorithm,
        key.family(),
        key.try_get_as_bytes()?,
    )?))
}

static RING_HMAC_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    // No JWKs here: an RSA or EC key is refused before these are reached.
    key_utils: KeyUtils::new_unimplemented(),
};

/// Installs the provider for the process, once; every `JwtKeys` does this before first use.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err only when a provider is installed already; ours is the only one installed.
        let _ = RING_HMAC_ONLY.install_default();
    });
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn hs256_matches_the_rfc_7515_example_and_refuses_a_changed_signature() {
        install();
        // RFC 7515, appendix A.1: the HS256 example, signed with its published key.
        let secret = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        )
        .unwrap();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_required_spec_claims::<&str>(&[]);
        let key = DecodingKey::from_secret(&secret);
        let claims = decode::<Value>(token, &key, &validation).unwrap().claims;
        assert_eq!(claims["iss"], "joe");
        let forged = format!("{}A", &token[..token.len() - 1]);
        assert!(decode::<Value>(&forged, &key, &validation).is_err());

        let ours = encode(
            &Header::new(Algorithm::HS256),
            &json!({"iss": "joe"}),
            &EncodingKey::from_secret(&secret),
        )
        .unwrap();
        assert_eq!(
            decode::<Value>(&ours, &key, &validation).unwrap().claims["iss"],
            "joe"
        );
    }
}
