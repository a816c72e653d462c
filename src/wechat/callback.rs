//! The callback protocol end to end, without HTTP: [`open`] verifies, decrypts and parses a
//! delivery; [`seal`] turns a passive reply into the body sent back in the delivery's mode;
//! [`verify_url`] answers the GET URL verification. The route and the fuzz target both call
//! these, so the order of the checks lives in one place.

use super::crypto::{AesKey, CryptoError};
use super::message::{self, Inbound, MessageError};
use super::{reply, signature};

/// What the account was configured with in WeChat's console.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub token: &'a str,
    pub aes_key: &'a AesKey,
    /// The official account's appid: the tail of every safe-mode plaintext.
    pub appid: &'a str,
}

/// The query parameters WeChat adds to the callback URL (absent ones as `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<'a> {
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub echostr: Option<&'a str>,
    pub encrypt_type: Option<&'a str>,
    pub msg_signature: Option<&'a str>,
}

/// How far a request's `timestamp` may be from our clock; bounds how long a captured request can
/// be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Our clock, in Unix seconds.
    pub now: i64,
    pub window_secs: u64,
}

/// How a delivery came in, and so how its reply must go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plaintext,
    /// `encrypt_type=aes`: safe mode, and compatible mode (plaintext fields beside `<Encrypt>`).
    Safe,
}

/// A delivery that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub inbound: Inbound,
    pub mode: Mode,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("query parameter {0} is required")]
    MissingParameter(&'static str),
    #[error("timestamp must be Unix seconds")]
    InvalidTimestamp,
    #[error("timestamp is {skew} s away from the server clock")]
    TimestampOutOfWindow { skew: u64 },
    #[error("body is not UTF-8")]
    BodyNotUtf8,
    #[error("encrypt_type {0:?} is not supported")]
    UnsupportedEncryptType(String),
    /// `signature` or `msg_signature`, whichever the mode relies on.
    #[error("{0} does not match")]
    InvalidSignature(&'static str),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The envelope (`<Encrypt>` missing, bad XML) or the message itself.
    #[error(transparent)]
    Message(#[from] MessageError),
}

impl OpenError {
    /// The stable snake_case code the callback door answers with.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::MissingParameter(_) => "missing_parameter",
            OpenError::InvalidTimestamp => "invalid_timestamp",
            OpenError::TimestampOutOfWindow { .. } => "timestamp_out_of_window",
            OpenError::BodyNotUtf8 => "malformed_xml",
            OpenError::UnsupportedEncryptType(_) => "unsupported_encrypt_type",
            OpenError::InvalidSignature(_) => "invalid_signature",
            OpenError::Crypto(e) => e.code(),
            OpenError::Message(e) => e.code(),
        }
    }

    /// True when the request is not provably from WeChat or not fresh (401); otherwise the
    /// request is malformed (400).
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            OpenError::TimestampOutOfWindow { .. } | OpenError::InvalidSignature(_)
        )
    }
}

fn required<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, OpenError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or(OpenError::MissingParameter(name))
}

fn check_timestamp(timestamp: &str, freshness: Freshness) -> Result<(), OpenError> {
    let ts: i64 = timestamp.parse().map_err(|_| OpenError::InvalidTimestamp)?;
    // abs_diff: a hostile timestamp near i64::MIN must not overflow into a small skew.
    let skew = freshness.now.abs_diff(ts);
    if skew > freshness.window_secs {
        return Err(OpenError::TimestampOutOfWindow { skew });
    }
    Ok(())
}

/// GET URL verification: checks `signature` over (token, timestamp, nonce) and the timestamp
/// window, and returns the `echostr` to echo.
pub fn verify_url<'a>(
    token: &str,
    params: &Params<'a>,
    freshness: Freshness,
) -> Result<&'a str, OpenError> {
    let sig = required(params.signature, "signature")?;
    let timestamp = required(params.timestamp, "timestamp")?;
    let nonce = required(params.nonce, "nonce")?;
    let echostr = required(params.echostr, "echostr")?;
    check_timestamp(timestamp, freshness)?;
    if !signature::verify(sig, &[token, timestamp, nonce]) {
        return Err(OpenError::InvalidSignature("signature"));
    }
    Ok(echostr)
}

/// Verifies, decrypts and parses one POSTed delivery.
///
/// The cheap checks come first (parameters, timestamp, UTF-8, mode) so that junk costs no SHA-1
/// or AES; nothing is parsed as a message before its signature holds. In safe mode only
/// `msg_signature` is checked: it covers everything `signature` covers, plus the payload.
pub fn open(
    credentials: &Credentials<'_>,
    params: &Params<'_>,
    body: &[u8],
    freshness: Freshness,
) -> Result<Opened, OpenError> {
    let timestamp = required(params.timestamp, "timestamp")?;
    let nonce = required(params.nonce, "nonce")?;
    check_timestamp(timestamp, freshness)?;
    let body = std::str::from_utf8(body).map_err(|_| OpenError::BodyNotUtf8)?;
    let mode = match params.encrypt_type {
        None | Some("") | Some("raw") => Mode::Plaintext,
        Some("aes") => Mode::Safe,
        Some(other) => return Err(OpenError::UnsupportedEncryptType(other.to_owned())),
    };
    let token = credentials.token;
    let inbound = match mode {
        Mode::Safe => {
            let msg_sig = required(params.msg_signature, "msg_signature")?;
            let encrypted = message::encrypted_payload(body)?;
            if !signature::verify(msg_sig, &[token, timestamp, nonce, &encrypted]) {
                return Err(OpenError::InvalidSignature("msg_signature"));
            }
            let plaintext = credentials.aes_key.decrypt(&encrypted, credentials.appid)?;
            message::parse(&plaintext)?
        }
        Mode::Plaintext => {
            let sig = required(params.signature, "signature")?;
            if !signature::verify(sig, &[token, timestamp, nonce]) {
                return Err(OpenError::InvalidSignature("signature"));
            }
            message::parse(body)?
        }
    };
    Ok(Opened { inbound, mode })
}

/// The body that answers a delivery which came in `mode`: the reply as is in plaintext mode,
/// otherwise encrypted for the appid and signed with `timestamp` and `nonce`.
pub fn seal(
    reply_xml: String,
    mode: Mode,
    credentials: &Credentials<'_>,
    timestamp: i64,
    nonce: &str,
) -> String {
    match mode {
        Mode::Plaintext => reply_xml,
        Mode::Safe => reply::encrypt_reply(
            &reply_xml,
            credentials.aes_key,
            credentials.token,
            credentials.appid,
            &timestamp.to_string(),
            nonce,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::message::InboundKind;
    use serde_json::Value;

    const TOKEN: &str = "spamtest";
    const APPID: &str = "wx2c2769f8efd9abc2";
    const ENCODING_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const TIMESTAMP: &str = "1409735669";
    const NONCE: &str = "1320562132";
    const NOW: Freshness = Freshness {
        now: 1_409_735_669,
        window_secs: 300,
    };

    fn key() -> AesKey {
        AesKey::from_encoding_aes_key(ENCODING_AES_KEY).unwrap()
    }

    fn credentials(key: &AesKey) -> Credentials<'_> {
        Credentials {
            token: TOKEN,
            aes_key: key,
            appid: APPID,
        }
    }

    /// WeChat's published safe-mode vector (tests/fixtures/wechat-samples.json).
    fn sample() -> Value {
        let all: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/wechat-samples.json")).unwrap();
        all["safe_mode_crypto"]["vectors"][0].clone()
    }

    fn text_xml(content: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[u1]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>7</MsgId></xml>"
        )
    }

    fn plain_params(sig: &str) -> Params<'_> {
        Params {
            signature: Some(sig),
            timestamp: Some(TIMESTAMP),
            nonce: Some(NONCE),
            ..Params::default()
        }
    }

    fn safe_params(msg_sig: &str) -> Params<'_> {
        Params {
            timestamp: Some(TIMESTAMP),
            nonce: Some(NONCE),
            encrypt_type: Some("aes"),
            msg_signature: Some(msg_sig),
            ..Params::default()
        }
    }

    fn plain_sig() -> String {
        signature::sign(&[TOKEN, TIMESTAMP, NONCE])
    }

    /// A safe-mode body for `xml` and its correct msg_signature.
    fn safe_delivery(key: &AesKey, xml: &str, appid: &str) -> (String, String) {
        let encrypted = key.encrypt(xml, appid);
        let body =
            format!("<xml><ToUserName>gh_1</ToUserName><Encrypt>{encrypted}</Encrypt></xml>");
        let msg_sig = signature::sign(&[TOKEN, TIMESTAMP, NONCE, &encrypted]);
        (body, msg_sig)
    }

    #[test]
    fn the_published_safe_mode_request_opens() {
        let v = sample();
        let s = |k: &str| v[k].as_str().unwrap();
        let key = AesKey::from_encoding_aes_key(s("encoding_aes_key")).unwrap();
        let credentials = Credentials {
            token: s("token"),
            aes_key: &key,
            appid: s("appid"),
        };
        let params = Params {
            timestamp: Some(s("timestamp")),
            nonce: Some(s("nonce")),
            encrypt_type: Some("aes"),
            msg_signature: Some(s("msg_signature")),
            ..Params::default()
        };
        let opened = open(&credentials, &params, s("request_body").as_bytes(), NOW).unwrap();
        assert_eq!(opened.mode, Mode::Safe);
        let expected = message::parse(s("expected_decrypted_xml")).unwrap();
        assert_eq!(opened.inbound, expected);
        assert_eq!(opened.inbound.from_user, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
        assert_eq!(
            opened.inbound.kind,
            InboundKind::Text {
                msg_id: "6054768590064713728".into(),
                content: "abcdteT".into()
            }
        );

        // One flipped hex digit of msg_signature, or another appid, and it is refused.
        let mut bad_sig = s("msg_signature").to_owned();
        bad_sig.replace_range(..1, "6");
        let bad = Params {
            msg_signature: Some(&bad_sig),
            ..params
        };
        let err = open(&credentials, &bad, s("request_body").as_bytes(), NOW).unwrap_err();
        assert_eq!(err, OpenError::InvalidSignature("msg_signature"));
        let other_app = Credentials {
            appid: "wx0000000000000000",
            ..credentials
        };
        let err = open(&other_app, &params, s("request_body").as_bytes(), NOW).unwrap_err();
        assert_eq!(err, OpenError::Crypto(CryptoError::AppId));
        assert_eq!(
            (err.code(), err.is_auth_failure()),
            ("appid_mismatch", false)
        );
    }

    #[test]
    fn the_published_compatible_body_opens_in_plaintext_mode_too() {
        let v = sample();
        let body = v["request_body"].as_str().unwrap();
        let key = key();
        let sig = plain_sig();
        let opened = open(
            &credentials(&key),
            &plain_params(&sig),
            body.as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(opened.mode, Mode::Plaintext);
        assert_eq!(opened.inbound, message::parse(body).unwrap());
        // "raw" and an empty encrypt_type are plaintext mode as well.
        for encrypt_type in ["raw", ""] {
            let params = Params {
                encrypt_type: Some(encrypt_type),
                ..plain_params(&sig)
            };
            let opened = open(&credentials(&key), &params, body.as_bytes(), NOW).unwrap();
            assert_eq!(opened.mode, Mode::Plaintext);
        }
    }

    #[test]
    fn plaintext_mode_needs_a_valid_signature() {
        let key = key();
        let body = text_xml("hi");
        let sig = plain_sig();
        let upper = sig.to_ascii_uppercase();
        let opened = open(
            &credentials(&key),
            &plain_params(&upper),
            body.as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(opened.inbound, message::parse(&body).unwrap());
        let wrong = signature::sign(&["other-token", TIMESTAMP, NONCE]);
        let err = open(
            &credentials(&key),
            &plain_params(&wrong),
            body.as_bytes(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err, OpenError::InvalidSignature("signature"));
        assert_eq!(err.to_string(), "signature does not match");
        let missing = Params {
            signature: None,
            ..plain_params(&sig)
        };
        let err = open(&credentials(&key), &missing, body.as_bytes(), NOW).unwrap_err();
        assert_eq!(err, OpenError::MissingParameter("signature"));
    }

    #[test]
    fn safe_mode_checks_msg_signature_over_the_payload_then_decrypts() {
        let key = key();
        let xml = text_xml("安全");
        let (body, msg_sig) = safe_delivery(&key, &xml, APPID);
        // `signature` plays no part in safe mode: msg_signature covers the same and the payload.
        let params = Params {
            signature: Some("not-checked"),
            ..safe_params(&msg_sig)
        };
        let opened = open(&credentials(&key), &params, body.as_bytes(), NOW).unwrap();
        assert_eq!(opened.mode, Mode::Safe);
        assert_eq!(opened.inbound, message::parse(&xml).unwrap());

        // A plain signature in msg_signature's place does not do.
        let err = open(
            &credentials(&key),
            &safe_params(&plain_sig()),
            body.as_bytes(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err, OpenError::InvalidSignature("msg_signature"));
        assert!(err.is_auth_failure());
        let missing = Params {
            msg_signature: None,
            ..safe_params(&msg_sig)
        };
        let err = open(&credentials(&key), &missing, body.as_bytes(), NOW).unwrap_err();
        assert_eq!(err, OpenError::MissingParameter("msg_signature"));

        // No <Encrypt>, another appid, a decrypted document that is not a message.
        let err = open(
            &credentials(&key),
            &safe_params(&msg_sig),
            xml.as_bytes(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err, OpenError::Message(MessageError::Missing("Encrypt")));
        assert_eq!(err.code(), "invalid_message");
        let (body, msg_sig) = safe_delivery(&key, &xml, "wxsomeoneelse");
        let err = open(
            &credentials(&key),
            &safe_params(&msg_sig),
            body.as_bytes(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err.code(), "appid_mismatch");
        let (body, msg_sig) = safe_delivery(&key, "<foo/>", APPID);
        let err = open(
            &credentials(&key),
            &safe_params(&msg_sig),
            body.as_bytes(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err, OpenError::Message(MessageError::Root("foo".into())));
        assert_eq!(
            (err.code(), err.is_auth_failure()),
            ("malformed_xml", false)
        );
    }

    #[test]
    fn the_signature_is_checked_before_decryption_and_parsing() {
        let key = key();
        // Garbage that would fail base64 is refused for its signature first: no AES for strangers.
        let body = "<xml><Encrypt>@@not-base64@@</Encrypt></xml>";
        let err = open(&credentials(&key), &safe_params("00"), body.as_bytes(), NOW).unwrap_err();
        assert_eq!(err, OpenError::InvalidSignature("msg_signature"));
        let msg_sig = signature::sign(&[TOKEN, TIMESTAMP, NONCE, "@@not-base64@@"]);
        let err = open(
            &credentials(&key),
            &safe_params(&msg_sig),
            body.as_bytes(),
            NOW,
        )
        .unwrap_err();
        assert_eq!(err, OpenError::Crypto(CryptoError::Base64));
        assert_eq!(err.code(), "invalid_base64");
        // A plaintext body that is not a message is refused for its signature first as well.
        let err = open(&credentials(&key), &plain_params("00"), b"<foo/>", NOW).unwrap_err();
        assert_eq!(err, OpenError::InvalidSignature("signature"));
        let sig = plain_sig();
        let err = open(&credentials(&key), &plain_params(&sig), b"<foo/>", NOW).unwrap_err();
        assert_eq!(err.code(), "malformed_xml");
        let err = open(
            &credentials(&key),
            &plain_params(&sig),
            b"<xml><CreateTime>soon</CreateTime></xml>",
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.is_auth_failure()),
            ("invalid_message", false)
        );
    }

    #[test]
    fn parameters_body_and_mode_are_checked_in_order() {
        let key = key();
        let sig = plain_sig();
        let body = text_xml("hi");
        let full = Params {
            encrypt_type: Some("rsa"),
            ..plain_params(&sig)
        };
        let attempt = |params: Params<'_>, body: &[u8]| {
            open(&credentials(&key), &params, body, NOW).unwrap_err()
        };
        let no_timestamp = Params {
            timestamp: Some(""),
            ..full
        };
        assert_eq!(
            attempt(no_timestamp, b"\xff"),
            OpenError::MissingParameter("timestamp")
        );
        let no_nonce = Params {
            nonce: None,
            ..full
        };
        assert_eq!(
            attempt(no_nonce, b"\xff"),
            OpenError::MissingParameter("nonce")
        );
        let stale = Params {
            timestamp: Some("1409735000"),
            ..full
        };
        assert_eq!(
            attempt(stale, b"\xff"),
            OpenError::TimestampOutOfWindow { skew: 669 }
        );
        assert_eq!(attempt(full, b"\xff"), OpenError::BodyNotUtf8);
        let err = attempt(full, body.as_bytes());
        assert_eq!(err, OpenError::UnsupportedEncryptType("rsa".into()));
        assert_eq!(err.to_string(), "encrypt_type \"rsa\" is not supported");
        // The mode name is exact.
        let upper = Params {
            encrypt_type: Some("AES"),
            ..full
        };
        assert_eq!(
            attempt(upper, body.as_bytes()).code(),
            "unsupported_encrypt_type"
        );
    }

    #[test]
    fn the_timestamp_window_is_inclusive_and_overflow_safe() {
        let key = key();
        let body = text_xml("hi");
        let at = |ts: &str| {
            let sig = signature::sign(&[TOKEN, ts, NONCE]);
            let params = Params {
                signature: Some(&sig),
                timestamp: Some(ts),
                nonce: Some(NONCE),
                ..Params::default()
            };
            open(&credentials(&key), &params, body.as_bytes(), NOW).map(|o| o.mode)
        };
        assert_eq!(at("1409735369"), Ok(Mode::Plaintext));
        assert_eq!(at("1409735969"), Ok(Mode::Plaintext));
        assert_eq!(
            at("1409735368"),
            Err(OpenError::TimestampOutOfWindow { skew: 301 })
        );
        assert_eq!(
            at("1409735970"),
            Err(OpenError::TimestampOutOfWindow { skew: 301 })
        );
        assert_eq!(
            at(&i64::MIN.to_string()),
            Err(OpenError::TimestampOutOfWindow {
                skew: 1_409_735_669 + (1u64 << 63)
            })
        );
        for bad in ["soon", "1.5", " 1409735669"] {
            assert_eq!(at(bad), Err(OpenError::InvalidTimestamp), "{bad:?}");
        }
    }

    #[test]
    fn codes_and_statuses_are_stable() {
        let cases = [
            (
                OpenError::MissingParameter("nonce"),
                "missing_parameter",
                false,
            ),
            (OpenError::InvalidTimestamp, "invalid_timestamp", false),
            (
                OpenError::TimestampOutOfWindow { skew: 1 },
                "timestamp_out_of_window",
                true,
            ),
            (OpenError::BodyNotUtf8, "malformed_xml", false),
            (
                OpenError::UnsupportedEncryptType("x".into()),
                "unsupported_encrypt_type",
                false,
            ),
            (
                OpenError::InvalidSignature("signature"),
                "invalid_signature",
                true,
            ),
            (
                OpenError::Crypto(CryptoError::Padding),
                "invalid_padding",
                false,
            ),
            (
                OpenError::Message(MessageError::NotANumber("CreateTime")),
                "invalid_message",
                false,
            ),
        ];
        for (err, code, auth) in cases {
            assert_eq!((err.code(), err.is_auth_failure()), (code, auth), "{err:?}");
        }
        assert_eq!(
            OpenError::MissingParameter("nonce").to_string(),
            "query parameter nonce is required"
        );
        assert_eq!(
            OpenError::TimestampOutOfWindow { skew: 9 }.to_string(),
            "timestamp is 9 s away from the server clock"
        );
    }

    #[test]
    fn url_verification_follows_the_published_sample() {
        let params = Params {
            signature: Some("16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"),
            timestamp: Some(TIMESTAMP),
            nonce: Some(NONCE),
            echostr: Some("shr5ch"),
            ..Params::default()
        };
        assert_eq!(verify_url(TOKEN, &params, NOW), Ok("shr5ch"));
        assert_eq!(
            verify_url("other", &params, NOW),
            Err(OpenError::InvalidSignature("signature"))
        );
        let later = Freshness {
            now: NOW.now + 301,
            ..NOW
        };
        assert_eq!(
            verify_url(TOKEN, &params, later),
            Err(OpenError::TimestampOutOfWindow { skew: 301 })
        );
        for (name, params) in [
            (
                "signature",
                Params {
                    signature: None,
                    ..params
                },
            ),
            (
                "timestamp",
                Params {
                    timestamp: None,
                    ..params
                },
            ),
            (
                "nonce",
                Params {
                    nonce: None,
                    ..params
                },
            ),
            (
                "echostr",
                Params {
                    echostr: Some(""),
                    ..params
                },
            ),
        ] {
            assert_eq!(
                verify_url(TOKEN, &params, NOW),
                Err(OpenError::MissingParameter(name))
            );
        }
        let garbled = Params {
            timestamp: Some("x"),
            ..params
        };
        assert_eq!(
            verify_url(TOKEN, &garbled, NOW),
            Err(OpenError::InvalidTimestamp)
        );
    }

    #[test]
    fn seal_answers_in_the_mode_of_the_request() {
        let key = key();
        let reply = text_xml("回复");
        assert_eq!(
            seal(reply.clone(), Mode::Plaintext, &credentials(&key), 1, "n"),
            reply
        );

        let envelope = seal(
            reply.clone(),
            Mode::Safe,
            &credentials(&key),
            1_409_735_700,
            "424242",
        );
        assert!(!envelope.contains("回复"), "{envelope}");
        assert!(
            envelope.contains("<TimeStamp>1409735700</TimeStamp>"),
            "{envelope}"
        );
        assert!(
            envelope.contains("<Nonce><![CDATA[424242]]></Nonce>"),
            "{envelope}"
        );
        let encrypted = message::encrypted_payload(&envelope).unwrap();
        let msg_sig = signature::sign(&[TOKEN, "1409735700", "424242", &encrypted]);
        assert!(envelope.contains(&format!(
            "<MsgSignature><![CDATA[{msg_sig}]]></MsgSignature>"
        )));
        assert_eq!(key.decrypt(&encrypted, APPID).unwrap(), reply);

        // What we seal, we open: the envelope is itself a well-formed safe-mode delivery.
        let params = Params {
            timestamp: Some("1409735700"),
            nonce: Some("424242"),
            encrypt_type: Some("aes"),
            msg_signature: Some(&msg_sig),
            ..Params::default()
        };
        let opened = open(&credentials(&key), &params, envelope.as_bytes(), NOW).unwrap();
        assert_eq!(opened.inbound, message::parse(&reply).unwrap());
        assert_eq!(opened.mode, Mode::Safe);
    }
}
