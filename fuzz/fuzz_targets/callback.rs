//! Fuzzes what `POST /wechat/callback` does with a body before it touches the database:
//! UTF-8 check, `<Encrypt>` extraction, `msg_signature`, AES decryption, message parsing, and the
//! passive reply we would send back (built, re-parsed and wrapped for safe mode).
//!
//! The first input byte picks the mode:
//! - even: the rest is the raw request body (plaintext mode, and safe mode as far as random bytes
//!   get through base64/AES/padding);
//! - odd: the rest is the plaintext of a safe-mode message, encrypted with the real key first, so
//!   the fuzzer reaches the parser behind valid crypto.
//!
//! Rejected input returns quietly; only a broken invariant (a round trip that does not come back
//! the same, our own output refused by our own parser) panics.

#![no_main]

use std::sync::LazyLock;

use babyvax::wechat::crypto::{AesKey, CryptoError};
use babyvax::wechat::message::{self, Inbound, InboundKind};
use babyvax::wechat::reply::{self, Article, Reply};
use babyvax::wechat::signature;
use libfuzzer_sys::fuzz_target;

/// The README's / WeChat sample's credentials (same as tests/api/helpers.rs).
const TOKEN: &str = "spamtest";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const ACCOUNT: &str = "gh_10f6c3c3ac5a";
const TIMESTAMP: &str = "1409735669";
const NONCE: &str = "1320562132";

static KEY: LazyLock<AesKey> = LazyLock::new(|| {
    AesKey::from_encoding_aes_key(AES_KEY).unwrap_or_else(|e| panic!("sample key refused: {e}"))
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // The handler refuses a non-UTF-8 body before anything else.
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        raw_body(input);
    } else {
        encrypted_plaintext(input);
    }
});

/// The body as it arrives, in the handler's order.
fn raw_body(body: &str) {
    // Plaintext mode parses the body itself.
    if let Ok(inbound) = message::parse(body) {
        check_inbound(&inbound, body);
    }

    // A received signature is accepted exactly when it is the expected one, in any hex case.
    let parts = [TOKEN, TIMESTAMP, NONCE];
    assert_eq!(
        signature::verify(body, &parts),
        body.to_ascii_lowercase() == signature::sign(&parts),
        "verify disagrees with sign for {body:?}"
    );

    // Safe mode: <Encrypt>, msg_signature over it, then decryption.
    let Ok(encrypted) = message::encrypted_payload(body) else {
        return;
    };
    let parts = [TOKEN, TIMESTAMP, NONCE, encrypted.as_str()];
    let msg_signature = signature::sign(&parts);
    assert!(signature::verify(&msg_signature, &parts));
    assert!(signature::verify(
        &msg_signature.to_ascii_uppercase(),
        &parts
    ));
    match KEY.decrypt(&encrypted, APPID) {
        Ok(plaintext) => {
            // Whatever decrypts must survive our own encrypt/decrypt unchanged.
            let again = KEY.encrypt_with_random(&plaintext, APPID, &[7; 16]);
            assert_eq!(
                KEY.decrypt(&again, APPID).as_deref(),
                Ok(plaintext.as_str())
            );
            if let Ok(inbound) = message::parse(&plaintext) {
                check_inbound(&inbound, &plaintext);
            }
        }
        Err(CryptoError::AppId) => {
            // Decryption worked; only the appid differs, and decrypt_parts must say so.
            let (_, appid) = KEY
                .decrypt_parts(&encrypted)
                .unwrap_or_else(|e| panic!("decrypt said AppId but decrypt_parts said {e}"));
            assert_ne!(appid, APPID.as_bytes());
        }
        Err(_) => {}
    }
}

/// `plaintext` as WeChat would send it in safe mode: encrypted for our appid and signed.
fn encrypted_plaintext(plaintext: &str) {
    let encrypted = KEY.encrypt_with_random(plaintext, APPID, b"89465c840c5f116f");
    let body = format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    );
    let extracted = message::encrypted_payload(&body)
        .unwrap_or_else(|e| panic!("our own safe-mode envelope is refused: {e}"));
    assert_eq!(extracted, encrypted);
    let parts = [TOKEN, TIMESTAMP, NONCE, extracted.as_str()];
    assert!(signature::verify(&signature::sign(&parts), &parts));

    let decrypted = KEY
        .decrypt(&extracted, APPID)
        .unwrap_or_else(|e| panic!("our own ciphertext does not decrypt: {e}"));
    assert_eq!(decrypted, plaintext);
    assert_eq!(
        KEY.decrypt(&extracted, "wx0000000000000000"),
        Err(CryptoError::AppId)
    );
    if let Ok(inbound) = message::parse(&decrypted) {
        check_inbound(&inbound, &decrypted);
    }
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

/// Builds each kind of passive reply, re-parses it, and wraps it for safe mode.
fn check_replies(inbound: &Inbound, content: &str) {
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

        // Safe mode: the envelope must give back exactly this reply under a valid signature.
        let envelope = reply::encrypt_reply(&xml, &KEY, TOKEN, APPID, TIMESTAMP, NONCE);
        let encrypted = message::encrypted_payload(&envelope)
            .unwrap_or_else(|e| panic!("our own reply envelope is refused: {e}"));
        let msg_signature = signature::sign(&[TOKEN, TIMESTAMP, NONCE, &encrypted]);
        assert!(envelope.contains(&format!("<![CDATA[{msg_signature}]]>")));
        assert_eq!(KEY.decrypt(&encrypted, APPID).as_deref(), Ok(xml.as_str()));
    }
}
