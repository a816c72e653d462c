//! Keys as WeChat Pay hands them out: the merchant's PKCS#8 private key, the WeChat Pay public key
//! (SPKI PEM) and platform certificates (X.509 PEM). Each setting is PEM text or a path to a PEM
//! file. A few lines of DER reading take the RSA key out of an SPKI and the serial and SPKI out of
//! a certificate; ring does the RSA itself.

use std::fmt;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, SubjectPublicKeyInfoDer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the PEM file {0:?}: {1}")]
    File(String, String),
    #[error("no {0} found in the PEM text")]
    Pem(&'static str),
    #[error("the key does not parse: {0}")]
    Key(String),
    #[error("the certificate does not parse: {0}")]
    Certificate(&'static str),
}

/// PEM text as given, or the contents of the file the value names.
pub fn pem_text(value: &str) -> Result<Vec<u8>, KeyError> {
    if value.contains("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    let path = value.trim();
    std::fs::read(path).map_err(|e| KeyError::File(path.to_owned(), e.to_string()))
}

/// The merchant API private key: signs requests and paySign. `Debug` never shows it.
#[derive(Clone)]
pub struct MerchantKey(Arc<RsaKeyPair>);

impl fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MerchantKey(..)")
    }
}

impl MerchantKey {
    /// A `BEGIN PRIVATE KEY` (PKCS#8) PEM, as text or as a path.
    pub fn from_pem_setting(value: &str) -> Result<Self, KeyError> {
        let pem = pem_text(value)?;
        let der = PrivatePkcs8KeyDer::from_pem_slice(&pem)
            .map_err(|_| KeyError::Pem("PKCS#8 private key (BEGIN PRIVATE KEY)"))?;
        let pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| KeyError::Key(e.to_string()))?;
        Ok(Self(Arc::new(pair)))
    }

    /// RSA-SHA256 PKCS#1 v1.5 over `message`, Base64 (standard alphabet, padded, one line).
    pub fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.0.public().modulus_len()];
        // Only fails for a buffer of the wrong size or a broken RNG (PKCS#1 v1.5 uses none).
        if self
            .0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .is_err()
        {
            return String::new();
        }
        super::b64(&sig)
    }
}

/// An RSA public key that verifies WECHATPAY2-SHA256-RSA2048 signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The PKCS#1 `RSAPublicKey` DER that ring takes.
    pkcs1: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} bytes)", self.pkcs1.len())
    }
}

impl PublicKey {
    /// A `BEGIN PUBLIC KEY` (SPKI) PEM, as text or as a path.
    pub fn from_pem_setting(value: &str) -> Result<Self, KeyError> {
        let pem = pem_text(value)?;
        let spki = SubjectPublicKeyInfoDer::from_pem_slice(&pem)
            .map_err(|_| KeyError::Pem("public key (BEGIN PUBLIC KEY)"))?;
        Self::from_spki_der(spki.as_ref())
    }

    pub fn from_spki_der(spki: &[u8]) -> Result<Self, KeyError> {
        let pkcs1 = rsa_key_of_spki(spki).ok_or(KeyError::Key("not an RSA SPKI".into()))?;
        let key = Self {
            pkcs1: pkcs1.to_vec(),
        };
        // ring parses the key only when verifying: check its shape (modulus, exponent) now.
        let parsed = der_item(&key.pkcs1, 0x30).and_then(|(seq, _)| {
            let (n, rest) = der_item(seq, 0x02)?;
            let (e, rest) = der_item(rest, 0x02)?;
            rest.is_empty().then_some((n, e))
        });
        match parsed {
            Some((n, e)) if n.len() >= 256 && !e.is_empty() => Ok(key),
            Some(_) => Err(KeyError::Key("RSA key shorter than 2048 bits".into())),
            None => Err(KeyError::Key("RSA public key does not parse".into())),
        }
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.pkcs1)
            .verify(message, signature)
            .is_ok()
    }
}

/// Platform certificates from a PEM setting (one or more `BEGIN CERTIFICATE`), as
/// (serial in upper-case hex, public key).
pub fn platform_certs_from_pem_setting(value: &str) -> Result<Vec<(String, PublicKey)>, KeyError> {
    let pem = pem_text(value)?;
    let mut out = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|_| KeyError::Pem("certificate (BEGIN CERTIFICATE)"))?;
        out.push(certificate_serial_and_key(cert.as_ref())?);
    }
    if out.is_empty() {
        return Err(KeyError::Pem("certificate (BEGIN CERTIFICATE)"));
    }
    Ok(out)
}

/// The serial (upper-case hex, no leading zero byte) and public key of an X.509 certificate.
pub fn certificate_serial_and_key(der: &[u8]) -> Result<(String, PublicKey), KeyError> {
    let (cert, _) = der_item(der, 0x30).ok_or(KeyError::Certificate("no certificate sequence"))?;
    let (tbs, _) = der_item(cert, 0x30).ok_or(KeyError::Certificate("no tbsCertificate"))?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = der_item(rest, 0xa0)
            .ok_or(KeyError::Certificate("bad version"))?
            .1;
    }
    let (serial, rest) = der_item(rest, 0x02).ok_or(KeyError::Certificate("no serial"))?;
    let serial = match serial {
        [0, tail @ ..] if !tail.is_empty() => tail,
        s => s,
    };
    let mut rest = rest;
    // signature algorithm, issuer, validity, subject
    for what in ["signature", "issuer", "validity", "subject"] {
        let _ = what;
        rest = der_item(rest, 0x30)
            .ok_or(KeyError::Certificate("truncated tbsCertificate"))?
            .1;
    }
    let spki = der_whole(rest, 0x30).ok_or(KeyError::Certificate("no subjectPublicKeyInfo"))?;
    let key = PublicKey::from_spki_der(spki)
        .map_err(|_| KeyError::Certificate("not an RSA public key"))?;
    Ok((hex::encode_upper(serial), key))
}

/// The `RSAPublicKey` inside a `SubjectPublicKeyInfo` with the rsaEncryption algorithm.
fn rsa_key_of_spki(spki: &[u8]) -> Option<&[u8]> {
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (body, _) = der_item(spki, 0x30)?;
    let (alg, rest) = der_item(body, 0x30)?;
    let (oid, _) = der_item(alg, 0x06)?;
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (bits, _) = der_item(rest, 0x03)?;
    match bits {
        [0, key @ ..] => Some(key),
        _ => None,
    }
}

/// The whole encoding (tag, length and contents) of the first item, when it has `tag`.
fn der_whole(input: &[u8], tag: u8) -> Option<&[u8]> {
    let (contents, rest) = der_item(input, tag)?;
    let _ = contents;
    Some(&input[..input.len() - rest.len()])
}

/// The contents of the first DER item of `input` when it has `tag`, and what follows it.
fn der_item(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader_refuses_truncated_input() {
        assert!(der_item(&[0x30, 0x05, 1, 2], 0x30).is_none());
        assert!(der_item(&[0x30, 0x82, 0x01], 0x30).is_none());
        assert_eq!(
            der_item(&[0x02, 0x01, 7, 9], 0x02),
            Some((&[7u8][..], &[9u8][..]))
        );
        assert!(der_item(&[0x02, 0x01, 7], 0x30).is_none());
    }

    #[test]
    fn garbage_keys_are_refused() {
        assert!(
            MerchantKey::from_pem_setting(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            )
            .is_err()
        );
        assert!(
            PublicKey::from_pem_setting(
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
            )
            .is_err()
        );
        assert!(matches!(
            MerchantKey::from_pem_setting("/nonexistent/apiclient_key.pem"),
            Err(KeyError::File(..))
        ));
    }
}
