//! Fuzzes what `POST /wechat/callback` does with a delivery before it touches the database, by
//! calling the same `wechat::callback::open` the route calls (UTF-8, `<Encrypt>`, signatures, AES,
//! parsing, in the route's order), and `seal` on the passive replies we would send back.
//!
//! The first input byte picks the mode:
//! - even: the rest is the raw request body, opened in plaintext mode and in safe mode with the
//!   signatures WeChat would send for it, and the rest is also tried as a `signature`;
//! - odd: the rest is the plaintext of a safe-mode message, encrypted with the real key first, so
//!   the fuzzer reaches the parser behind valid crypto.
//!
//! Rejected input returns quietly; only a broken invariant (a round trip that does not come back
//! the same, our own output refused by our own code) panics.

#![no_main]

use std::sync::LazyLock;

use babyvax::wechat::callback::{self, Credentials, Freshness, Mode, OpenError, Params};
use babyvax::wechat::crypto::{AesKey, CryptoError};
use babyvax::wechat::message::{self, Inbound, InboundKind};
use babyvax::wechat::reply::{Article, Reply};
use babyvax::wechat::signature;
use libfuzzer_sys::fuzz_target;

/// The README's / WeChat sample's credentials (same as tests/api/helpers.rs).
const TOKEN: &str = "spamtest";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const ACCOUNT: &str = "gh_10f6c3c3ac5a";
const TIMESTAMP: &str = "1409735669";
const NONCE: &str = "1320562132";
/// The clock stands at the requests' timestamp.
const NOW: Freshness = Freshness {
    now: 1_409_735_669,
    window_secs: 300,
};

static KEY: LazyLock<AesKey> = LazyLock::new(|| {
    AesKey::from_encoding_aes_key(AES_KEY).unwrap_or_else(|e| panic!("sample key refused: {e}"))
});

fn credentials() -> Credentials<'static> {
    Credentials {
        token: TOKEN,
        aes_key: &KEY,
        appid: APPID,
    }
}

/// The query of a plaintext-mode delivery signed with `signature`.
fn plain_params(signature: &str) -> Params<'_> {
    Params {
        signature: Some(signature),
        timestamp: Some(TIMESTAMP),
        nonce: Some(NONCE),
        ..Params::default()
    }
}

/// The query of a safe-mode delivery signed with `msg_signature`.
fn safe_params(msg_signature: &str) -> Params<'_> {
    Params {
        timestamp: Some(TIMESTAMP),
        nonce: Some(NONCE),
        encrypt_type: Some("aes"),
        msg_signature: Some(msg_signature),
        ..Params::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        raw_body(rest);
    } else if let Ok(plaintext) = std::str::from_utf8(rest) {
        encrypted_plaintext(plaintext);
    }
});

/// The body as it arrives, with the signatures WeChat would have computed for it.
fn raw_body(body: &[u8]) {
    let creds = credentials();
    let Ok(text) = std::str::from_utf8(body) else {
        // Refused before any signature or parsing, in either mode.
        let sig = signature::sign(&[TOKEN, TIMESTAMP, NONCE]);
        assert_eq!(
            callback::open(&creds, &plain_params(&sig), body, NOW),
            Err(OpenError::BodyNotUtf8)
        );
        return;
    };

    // Plaintext mode: exactly what the parser makes of the body, or its error.
    let sig = signature::sign(&[TOKEN, TIMESTAMP, NONCE]);
    match callback::open(&creds, &plain_params(&sig), body, NOW) {
        Ok(opened) => {
            assert_eq!(opened.mode, Mode::Plaintext);
            assert_eq!(Ok(&opened.inbound), message::parse(text).as_ref());
            check_inbound(&opened.inbound, text);
        }
        Err(OpenError::Message(e)) => assert_eq!(message::parse(text), Err(e)),
        Err(e) => panic!("a correctly signed plaintext delivery refused with {e:?}"),
    }

    // The body as a received `signature` over a valid delivery: accepted exactly when it is the
    // expected one, in any hex case.
    let delivery = format!(
        "<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>"
    );
    let accepted = callback::open(&creds, &plain_params(text), delivery.as_bytes(), NOW);
    if text.is_empty() {
        assert_eq!(accepted, Err(OpenError::MissingParameter("signature")));
    } else {
        assert_eq!(
            accepted.is_ok(),
            text.to_ascii_lowercase() == sig,
            "signature {text:?} judged wrongly: {accepted:?}"
        );
    }

    // Safe mode: signed over whatever `<Encrypt>` holds, as WeChat signs what it sends.
    let Ok(encrypted) = message::encrypted_payload(text) else {
        // No payload to sign: refused for the envelope whatever the signature.
        let refused = callback::open(&creds, &safe_params(&sig), body, NOW);
        assert!(
            matches!(refused, Err(OpenError::Message(_))),
            "{refused:?}"
        );
        return;
    };
    let msg_signature = signature::sign(&[TOKEN, TIMESTAMP, NONCE, &encrypted]);
    match callback::open(&creds, &safe_params(&msg_signature), body, NOW) {
        Ok(opened) => {
            assert_eq!(opened.mode, Mode::Safe);
            let plaintext = KEY
                .decrypt(&encrypted, APPID)
                .unwrap_or_else(|e| panic!("opened, but the payload does not decrypt: {e}"));
            // Whatever decrypts must survive our own encrypt/decrypt unchanged.
            let again = KEY.encrypt_with_random(&plaintext, APPID, &[7; 16]);
            assert_eq!(
                KEY.decrypt(&again, APPID).as_deref(),
                Ok(plaintext.as_str())
            );
            check_inbound(&opened.inbound, &plaintext);
        }
        Err(OpenError::Crypto(CryptoError::AppId)) => {
            // Decryption worked; only the appid differs, and decrypt_parts must say so.
            let (_, appid) = KEY
                .decrypt_parts(&encrypted)
                .unwrap_or_else(|e| panic!("open said AppId but decrypt_parts said {e}"));
            assert_ne!(appid, APPID.as_bytes());
        }
        Err(OpenError::Crypto(_) | OpenError::Message(_)) => {}
        Err(e) => panic!("a correctly signed safe-mode delivery refused with {e:?}"),
    }
    // The upper-case form of the same signature is the same signature; another one is not.
    let upper = msg_signature.to_ascii_uppercase();
    assert_eq!(
        callback::open(&creds, &safe_params(&upper), body, NOW).map(|o| o.mode),
        callback::open(&creds, &safe_params(&msg_signature), body, NOW).map(|o| o.mode)
    );
    assert_eq!(
        callback::open(&creds, &safe_params(&sig), body, NOW),
        Err(OpenError::InvalidSignature("msg_signature"))
    );
}

/// `plaintext` as WeChat would send it in safe mode: encrypted for our appid and signed.
fn encrypted_plaintext(plaintext: &str) {
    let creds = credentials();
    let encrypted = KEY.encrypt_with_random(plaintext, APPID, b"89465c840c5f116f");
    let body = format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    );
    let msg_signature = signature::sign(&[TOKEN, TIMESTAMP, NONCE, &encrypted]);
    let params = safe_params(&msg_signature);
    // Valid crypto: the outcome is the parser's, nothing else.
    match callback::open(&creds, &params, body.as_bytes(), NOW) {
        Ok(opened) => {
            assert_eq!(opened.mode, Mode::Safe);
            assert_eq!(Ok(&opened.inbound), message::parse(plaintext).as_ref());
            check_inbound(&opened.inbound, plaintext);
        }
        Err(OpenError::Message(e)) => assert_eq!(message::parse(plaintext), Err(e)),
        Err(e) => panic!("our own safe-mode delivery refused with {e:?}"),
    }
    let other_app = Credentials {
        appid: "wx0000000000000000",
        ..creds
    };
    assert_eq!(
        callback::open(&other_app, &params, body.as_bytes(), NOW),
        Err(OpenError::Crypto(CryptoError::AppId))
    );
    let later = Freshness {
        now: NOW.now + 301,
        ..NOW
    };
    assert_eq!(
        callback::open(&creds, &params, body.as_bytes(), later),
        Err(OpenError::TimestampOutOfWindow { skew: 301 })
    );
}

/// Invariants of a parsed message, and the reply we would build for it.
fn check_inbound(inbound: &Inbound, source: &str) {
    for id in [&inbound.to_user, &inbound.from_user] {
        assert!(!id.is_empty() && id.trim() == id, "untrimmed id {id:?}");
    }
    // Labels and keys the handler and services compute; they must not panic.
    let _ = (
        inbound.msg_type(),
        inbound.event_name(),
        inbound.metric_label(),
        inbound.msg_id(),
        inbound.dedup_key(),
    );
    if let InboundKind::Event(event) = &inbound.kind {
        let _ = event.qr_scene();
    }
    // Echo the sender's text (or the whole document) back: fuzz-controlled reply content.
    let content = match &inbound.kind {
        InboundKind::Text { content, .. } => content.as_str(),
        _ => source,
    };
    check_replies(inbound, content);
}

/// Builds each kind of passive reply, re-parses it, and seals it in both modes.
fn check_replies(inbound: &Inbound, content: &str) {
    let creds = credentials();
    // A reply goes back to the sender, from the account.
    let (to, from, time) = (&inbound.from_user, &inbound.to_user, inbound.create_time);
    let article = Article {
        title: content.to_owned(),
        description: inbound.to_user.clone(),
        pic_url: inbound.from_user.clone(),
        url: content.to_owned(),
    };
    let replies = [
        Reply::Text {
            content: content.to_owned(),
        },
        Reply::Image {
            media_id: content.to_owned(),
        },
        Reply::News {
            articles: vec![article; 9],
        },
        Reply::TransferCustomerService {
            kf_account: Some(content.to_owned()),
        },
    ];
    for reply in replies {
        let xml = reply.to_xml(to, from, time);
        // Passive replies carry no MsgId, which `parse` requires of text and image messages; add
        // one so that our own document goes through the very parser WeChat's side mirrors.
        let with_id = match xml.strip_suffix("</xml>") {
            Some(head) => format!("{head}<MsgId>1</MsgId></xml>"),
            None => panic!("reply does not end with </xml>: {xml:?}"),
        };
        let parsed = message::parse(&with_id)
            .unwrap_or_else(|e| panic!("our own reply does not parse: {e}\n{xml:?}"));
        assert_eq!(&parsed.to_user, to);
        assert_eq!(&parsed.from_user, from);
        assert_eq!(parsed.create_time, time);
        // Parsed text is trimmed, so that is what must come back.
        let expected = content.trim();
        match (&reply, &parsed.kind) {
            (Reply::Text { .. }, InboundKind::Text { content: got, .. }) => {
                assert_eq!(got, expected, "text reply content changed")
            }
            (Reply::Image { .. }, InboundKind::Image { .. }) => {
                // The reply nests MediaId under <Image>; the inbound image reads it at the top
                // level, so only the type is comparable here.
            }
            (Reply::News { .. }, InboundKind::Unknown { msg_type, .. }) => {
                assert_eq!(msg_type, "news")
            }
            (Reply::TransferCustomerService { .. }, InboundKind::Unknown { msg_type, .. }) => {
                assert_eq!(msg_type, "transfer_customer_service")
            }
            (reply, kind) => panic!("reply {reply:?} re-parsed as {kind:?}"),
        }

        // Plaintext mode sends the reply as is.
        assert_eq!(
            callback::seal(xml.clone(), Mode::Plaintext, &creds, NOW.now, NONCE),
            xml
        );
        // Safe mode: the sealed envelope is a valid delivery that opens to this very document.
        let envelope = callback::seal(with_id.clone(), Mode::Safe, &creds, NOW.now, NONCE);
        let encrypted = message::encrypted_payload(&envelope)
            .unwrap_or_else(|e| panic!("our own reply envelope is refused: {e}"));
        let msg_signature = signature::sign(&[TOKEN, TIMESTAMP, NONCE, &encrypted]);
        assert!(envelope.contains(&format!("<![CDATA[{msg_signature}]]>")));
        let opened = callback::open(&creds, &safe_params(&msg_signature), envelope.as_bytes(), NOW)
            .unwrap_or_else(|e| panic!("our own sealed reply does not open: {e}\n{envelope:?}"));
        assert_eq!(opened.mode, Mode::Safe);
        assert_eq!(opened.inbound, parsed);
    }
}
