//! Callback signatures: `signature` (plain, GET verification and every POST) and `msg_signature`
//! (safe mode, which also covers the `Encrypt` payload). Both are the SHA-1 of the sorted,
//! concatenated parts, in lowercase hex.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// SHA-1 hex of the parts sorted byte-wise and concatenated.
pub fn sign(parts: &[&str]) -> String {
    let hex = digest_hex(parts);
    // Lowercase hex digits are ASCII.
    String::from_utf8_lossy(&hex).into_owned()
}

/// Compares a received signature with the expected one in constant time (case-insensitive hex).
pub fn verify(received: &str, parts: &[&str]) -> bool {
    let expected = digest_hex(parts);
    let Ok(received) = <[u8; 40]>::try_from(received.as_bytes()) else {
        return false;
    };
    let received = received.map(|b| b.to_ascii_lowercase());
    received[..].ct_eq(&expected[..]).into()
}

/// The lowercase hex digest in a buffer, not a String: the callback door computes two or three
/// per message.
fn digest_hex(parts: &[&str]) -> [u8; 40] {
    let mut sorted: Vec<&str> = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    let mut hex = [0u8; 40];
    // Infallible: the buffer is exactly twice the 20-byte digest.
    let _ = hex::encode_to_slice(hasher.finalize(), &mut hex);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_get_verification_sample() {
        let s = sign(&["spamtest", "1409735669", "1320562132"]);
        assert_eq!(s, "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a");
        assert!(verify(
            "16120EC1B8DBB870F510D87CE6BC2463EAE6CA1A",
            &["1409735669", "spamtest", "1320562132"]
        ));
        assert!(!verify(
            "16120ec1b8dbb870f510d87ce6bc2463eae6ca1b",
            &["spamtest", "1409735669", "1320562132"]
        ));
        assert!(!verify(
            "16120ec1",
            &["spamtest", "1409735669", "1320562132"]
        ));
    }
}
