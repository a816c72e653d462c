//! Safe-mode message crypto (WXBizMsgCrypt): AES-256-CBC with the key from the 43-character
//! EncodingAESKey, IV = first 16 key bytes, PKCS#7 padding to 32-byte blocks, and a plaintext of
//! `random(16) || u32_be(len) || message || appid`.

use aes::Aes256;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand::RngCore;

/// WeChat pads to 32 bytes, not to the AES block size.
const PAD_BLOCK: usize = 32;
const RANDOM_PREFIX: usize = 16;

/// The console's key generator does not zero the 43rd character's two spare bits, so a strict
/// base64 decoder rejects about three keys in four. Accept trailing bits and either padding.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("EncodingAESKey must be 43 characters of base64 (got {0})")]
    KeyLength(usize),
    #[error("EncodingAESKey is not valid base64")]
    KeyEncoding,
    #[error("ciphertext is not valid base64")]
    Base64,
    #[error("ciphertext length is not a positive multiple of the AES block size")]
    CipherLength,
    #[error("invalid PKCS#7 padding")]
    Padding,
    #[error("decrypted message is shorter than its declared length")]
    MessageLength,
    #[error("appid in the message does not match ours")]
    AppId,
    #[error("decrypted message is not UTF-8")]
    Utf8,
}

impl CryptoError {
    /// A stable snake_case code for API errors and logs.
    pub fn code(&self) -> &'static str {
        match self {
            CryptoError::KeyLength(_) | CryptoError::KeyEncoding => "invalid_aes_key",
            CryptoError::Base64 => "invalid_base64",
            CryptoError::CipherLength => "invalid_ciphertext_length",
            CryptoError::Padding => "invalid_padding",
            CryptoError::MessageLength => "invalid_message_length",
            CryptoError::AppId => "appid_mismatch",
            CryptoError::Utf8 => "invalid_utf8",
        }
    }
}

/// The 32-byte AES key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(..)")
    }
}

impl AesKey {
    pub fn from_encoding_aes_key(encoding_aes_key: &str) -> Result<Self, CryptoError> {
        let key = encoding_aes_key.trim();
        if key.len() != 43 {
            return Err(CryptoError::KeyLength(key.len()));
        }
        let bytes = LENIENT_BASE64
            .decode(format!("{key}="))
            .map_err(|_| CryptoError::KeyEncoding)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::KeyEncoding)?;
        Ok(Self(bytes))
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.0[..16]);
        iv
    }

    /// Encrypts `message` for `appid` with a fresh random prefix.
    pub fn encrypt(&self, message: &str, appid: &str) -> String {
        let mut random = [0u8; RANDOM_PREFIX];
        rand::thread_rng().fill_bytes(&mut random);
        self.encrypt_with_random(message, appid, &random)
    }

    /// Deterministic form of [`AesKey::encrypt`], for known-answer tests.
    pub fn encrypt_with_random(&self, message: &str, appid: &str, random: &[u8; 16]) -> String {
        let msg = message.as_bytes();
        let mut plain = Vec::with_capacity(RANDOM_PREFIX + 4 + msg.len() + appid.len() + PAD_BLOCK);
        plain.extend_from_slice(random);
        // Messages are bounded by the 64 KiB request limit, far below u32::MAX.
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg);
        plain.extend_from_slice(appid.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.resize(plain.len() + pad, pad as u8);
        let len = plain.len();
        let encryptor = cbc::Encryptor::<Aes256>::new(&self.0.into(), &self.iv().into());
        let cipher = encryptor
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .unwrap_or_else(|_| unreachable!("length is a multiple of the block size"));
        STANDARD.encode(cipher)
    }

    /// Decrypts a base64 `Encrypt` payload and checks that it was meant for `expected_appid`.
    pub fn decrypt(&self, encrypted: &str, expected_appid: &str) -> Result<String, CryptoError> {
        let (message, appid) = self.decrypt_parts(encrypted)?;
        if appid != expected_appid.as_bytes() {
            return Err(CryptoError::AppId);
        }
        String::from_utf8(message).map_err(|_| CryptoError::Utf8)
    }

    /// Splits a decrypted payload into (message, appid) without judging the appid.
    pub fn decrypt_parts(&self, encrypted: &str) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
        let mut data = LENIENT_BASE64
            .decode(encrypted.trim())
            .map_err(|_| CryptoError::Base64)?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(CryptoError::CipherLength);
        }
        let decryptor = cbc::Decryptor::<Aes256>::new(&self.0.into(), &self.iv().into());
        let plain = decryptor
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| CryptoError::CipherLength)?;
        let pad = *plain.last().ok_or(CryptoError::Padding)? as usize;
        if pad == 0
            || pad > PAD_BLOCK
            || pad > plain.len()
            || plain[plain.len() - pad..]
                .iter()
                .any(|&b| b as usize != pad)
        {
            return Err(CryptoError::Padding);
        }
        let content = &plain[..plain.len() - pad];
        if content.len() < RANDOM_PREFIX + 4 {
            return Err(CryptoError::MessageLength);
        }
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(&content[RANDOM_PREFIX..RANDOM_PREFIX + 4]);
        let msg_len = u32::from_be_bytes(len_bytes) as usize;
        let body = &content[RANDOM_PREFIX + 4..];
        if msg_len > body.len() {
            return Err(CryptoError::MessageLength);
        }
        Ok((body[..msg_len].to_vec(), body[msg_len..].to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx2c2769f8efd9abc2";
    const ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";

    #[test]
    fn official_sample_decrypts_and_its_key_has_nonzero_trailing_bits() {
        // 'G' leaves the bits 10 after the 256 key bits: a strict decoder refuses this key.
        assert!(STANDARD.decode(format!("{KEY}=")).is_err());
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let xml = key.decrypt(ENCRYPT, APPID).unwrap();
        assert!(xml.starts_with("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"));
        assert!(xml.contains("<Content><![CDATA[abcdteT]]></Content>"));
        assert!(xml.ends_with("</xml>"));
    }

    #[test]
    fn encryption_reproduces_the_published_ciphertext() {
        // CBC with a wrong IV garbles only the first block, the random prefix, which decryption
        // discards: only a known-answer test of encryption shows that the IV is key[..16].
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let xml = key.decrypt(ENCRYPT, APPID).unwrap();
        assert_eq!(
            key.encrypt_with_random(&xml, APPID, b"89465c840c5f116f"),
            ENCRYPT
        );
    }

    #[test]
    fn every_trailing_character_of_a_console_key_works() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for last in alphabet.chars() {
            let key_text = format!("{}{last}", &KEY[..42]);
            let key = AesKey::from_encoding_aes_key(&key_text).unwrap();
            let c = key.encrypt("<xml>hi</xml>", APPID);
            assert_eq!(key.decrypt(&c, APPID).unwrap(), "<xml>hi</xml>");
        }
    }

    #[test]
    fn round_trip_and_known_random_prefix() {
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let random = *b"89465c840c5f116f";
        for msg in ["", "a", "中文消息", &"x".repeat(4096)] {
            let c = key.encrypt_with_random(msg, APPID, &random);
            assert_eq!(key.decrypt(&c, APPID).unwrap(), msg);
        }
    }

    #[test]
    fn tampering_is_detected_with_a_precise_error() {
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        assert_eq!(
            key.decrypt(ENCRYPT, "wxother").unwrap_err(),
            CryptoError::AppId
        );
        assert_eq!(
            key.decrypt("not base64!!", APPID).unwrap_err(),
            CryptoError::Base64
        );
        assert_eq!(
            key.decrypt("", APPID).unwrap_err(),
            CryptoError::CipherLength
        );
        assert_eq!(
            key.decrypt("AAAA", APPID).unwrap_err(),
            CryptoError::CipherLength
        );
        let other = AesKey::from_encoding_aes_key(&format!("{}A", &KEY[..42])).unwrap();
        let wrong =
            AesKey::from_encoding_aes_key("ZZcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap();
        assert!(wrong.decrypt(ENCRYPT, APPID).is_err());
        // Same first 42 characters means the same IV; only the last key bits differ.
        assert!(other.decrypt(ENCRYPT, APPID).is_err());
    }

    /// AES-256-CBC with `key` over whole blocks, bypassing our framing and padding, so that the
    /// tests can hand `decrypt_parts` plaintexts that `encrypt` would never produce.
    fn encrypt_blocks(key: &AesKey, plain: &[u8]) -> String {
        let mut buf = plain.to_vec();
        let len = buf.len();
        let encryptor = cbc::Encryptor::<Aes256>::new(&key.0.into(), &key.iv().into());
        STANDARD.encode(
            encryptor
                .encrypt_padded_mut::<NoPadding>(&mut buf, len)
                .unwrap(),
        )
    }

    /// `random(16) || u32_be(declared) || rest`, then `padding`.
    fn frame(declared: u32, rest: &[u8], padding: &[u8]) -> Vec<u8> {
        let mut plain = b"89465c840c5f116f".to_vec();
        plain.extend_from_slice(&declared.to_be_bytes());
        plain.extend_from_slice(rest);
        plain.extend_from_slice(padding);
        assert_eq!(plain.len() % 16, 0, "test frame must fill whole blocks");
        plain
    }

    fn open_raw(plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        key.decrypt_parts(&encrypt_blocks(&key, plain))
    }

    #[test]
    fn every_padding_byte_is_checked() {
        // "hi" + appid: 40 bytes, so 24 bytes of padding up to 64.
        let rest = [b"hi".as_slice(), APPID.as_bytes()].concat();
        let good = frame(2, &rest, &[24; 24]);
        assert_eq!(
            open_raw(&good).unwrap(),
            (b"hi".to_vec(), APPID.as_bytes().to_vec())
        );
        // Only the last byte is right: the first, a middle or the second-to-last padding byte is off.
        for i in [40, 50, 62] {
            let mut bad = good.clone();
            bad[i] = 23;
            assert_eq!(open_raw(&bad), Err(CryptoError::Padding), "byte {i}");
        }
    }

    #[test]
    fn padding_length_must_be_1_to_32() {
        // 0 is no PKCS#7 padding at all, even where the rest would frame a valid message.
        let rest = [b"hi".as_slice(), APPID.as_bytes(), &[7u8; 23]].concat();
        assert_eq!(open_raw(&frame(2, &rest, &[0])), Err(CryptoError::Padding));
        // 33: a well-formed 33-byte run in front of a 31-byte valid frame is still refused.
        let plain = frame(11, b"hello world", &[33; 33]);
        assert_eq!(plain.len(), 64);
        assert_eq!(open_raw(&plain), Err(CryptoError::Padding));
        // 32, a whole padding block, is what WeChat sends when the content fills its blocks.
        let rest = [b"x".repeat(26).as_slice(), APPID.as_bytes()].concat();
        assert_eq!(
            open_raw(&frame(26, &rest, &[32; 32])).unwrap().0,
            b"x".repeat(26)
        );
    }

    #[test]
    fn padding_longer_than_the_ciphertext_is_refused() {
        for pad in [17, 32] {
            let plain = [pad; 16];
            assert_eq!(open_raw(&plain), Err(CryptoError::Padding), "pad {pad}");
        }
    }

    #[test]
    fn a_ciphertext_of_nothing_but_padding_has_no_message() {
        // Valid padding over the whole plaintext: what is missing is the content.
        for len in [16u8, 32] {
            let plain = vec![len; usize::from(len)];
            assert_eq!(open_raw(&plain), Err(CryptoError::MessageLength), "{len}");
        }
    }

    #[test]
    fn content_must_hold_the_random_prefix_and_the_length() {
        // 19 bytes left after the padding: one short of random(16) + u32.
        let mut short = b"89465c840c5f116f\0\0\0".to_vec();
        short.extend_from_slice(&[13; 13]);
        assert_eq!(open_raw(&short), Err(CryptoError::MessageLength));
        // Exactly 20: an empty message for an empty appid.
        assert_eq!(
            open_raw(&frame(0, &[], &[12; 12])),
            Ok((Vec::new(), Vec::new()))
        );
    }

    #[test]
    fn declared_length_must_fit_the_body() {
        // The body after the length is "ab" + padding.
        assert_eq!(
            open_raw(&frame(3, b"ab", &[10; 10])),
            Err(CryptoError::MessageLength)
        );
        assert_eq!(
            open_raw(&frame(u32::MAX, b"ab", &[10; 10])),
            Err(CryptoError::MessageLength)
        );
        // Declared length = body length: the whole body is the message and the appid is empty.
        assert_eq!(
            open_raw(&frame(2, b"ab", &[10; 10])),
            Ok((b"ab".to_vec(), Vec::new()))
        );
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let c = encrypt_blocks(&key, &frame(2, b"ab", &[10; 10]));
        assert_eq!(key.decrypt(&c, APPID), Err(CryptoError::AppId));
        assert_eq!(key.decrypt(&c, "").as_deref(), Ok("ab"));
    }

    #[test]
    fn decrypted_messages_must_be_utf8() {
        let rest = [b"\xff\xfe".as_slice(), APPID.as_bytes()].concat();
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let c = encrypt_blocks(&key, &frame(2, &rest, &[24; 24]));
        assert_eq!(key.decrypt(&c, APPID), Err(CryptoError::Utf8));
        assert_eq!(CryptoError::Utf8.code(), "invalid_utf8");
    }

    #[test]
    fn empty_message_and_appid_still_encrypt_to_whole_blocks() {
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let c = key.encrypt_with_random("", "", &[0; 16]);
        assert_eq!(STANDARD.decode(&c).unwrap().len(), 32);
        assert_eq!(key.decrypt(&c, "").as_deref(), Ok(""));
    }

    #[test]
    fn codes_are_stable_and_the_key_is_never_shown() {
        for (err, code) in [
            (CryptoError::KeyLength(3), "invalid_aes_key"),
            (CryptoError::KeyEncoding, "invalid_aes_key"),
            (CryptoError::Base64, "invalid_base64"),
            (CryptoError::CipherLength, "invalid_ciphertext_length"),
            (CryptoError::Padding, "invalid_padding"),
            (CryptoError::MessageLength, "invalid_message_length"),
            (CryptoError::AppId, "appid_mismatch"),
            (CryptoError::Utf8, "invalid_utf8"),
        ] {
            assert_eq!(err.code(), code, "{err:?}");
        }
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        assert_eq!(format!("{key:?}"), "AesKey(..)");
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            AesKey::from_encoding_aes_key("abc").unwrap_err(),
            CryptoError::KeyLength(3)
        );
        let bad = format!("{}!", &KEY[..42]);
        assert_eq!(
            AesKey::from_encoding_aes_key(&bad).unwrap_err(),
            CryptoError::KeyEncoding
        );
    }
}
