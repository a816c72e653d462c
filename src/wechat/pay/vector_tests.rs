//! Every vector of `tests/fixtures/pay/wechatpay-v3-vectors.json` (a copy of the shared
//! reference file): request signatures and paySign byte-exact, verification true and false, the
//! notify decrypted with the 32-byte key and refused with the 16-byte one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::keys::{MerchantKey, PublicKey, platform_certs_from_pem_setting};
use super::sign::{authorization, parse_authorization, pay_sign_message, request_message};
use super::verify::{SignedHeaders, Verifier, VerifyError};
use super::{AeadError, ApiV3Key, Signer, notify};

const VECTORS: &str = include_str!("../../../tests/fixtures/pay/wechatpay-v3-vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors parse")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))
}

fn official_key(v: &Value) -> MerchantKey {
    MerchantKey::from_pem_setting(s(&v["keys"], "official_test_merchant_private_key_pkcs8"))
        .unwrap()
}

fn official_public(v: &Value) -> PublicKey {
    PublicKey::from_pem_setting(s(
        &v["keys"],
        "official_test_merchant_public_key_spki_derived",
    ))
    .unwrap()
}

#[test]
fn every_request_signature_vector_is_byte_exact() {
    let v = vectors();
    let official = official_key(&v);
    let cases = v["request_signature"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let id = s(case, "id");
        let key = match case.get("key_pkcs8") {
            Some(pem) => MerchantKey::from_pem_setting(pem.as_str().unwrap()).unwrap(),
            None => official.clone(),
        };
        let message = s(case, "message");
        assert_eq!(key.sign(message.as_bytes()), s(case, "signature"), "{id}");
        if let Some(method) = case.get("method") {
            // The message is built from its parts, and the header from the signature.
            let ts: i64 = s(case, "timestamp").parse().unwrap();
            let built = request_message(
                method.as_str().unwrap(),
                s(case, "url"),
                ts,
                s(case, "nonce"),
                s(case, "body"),
            );
            assert_eq!(built, message, "{id}");
            let signer = Signer {
                mchid: s(&v["keys"], "official_test_mchid").into(),
                serial: s(&v["keys"], "official_test_merchant_serial_no").into(),
                key: official.clone(),
            };
            let header = signer.authorize(
                method.as_str().unwrap(),
                s(case, "url"),
                ts,
                s(case, "nonce"),
                s(case, "body"),
            );
            assert_eq!(header, s(case, "authorization"), "{id}");
            let parts = parse_authorization(&header).unwrap();
            assert_eq!(parts.signature, s(case, "signature"));
            assert_eq!(parts.serial, "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB");
        }
    }
}

#[test]
fn the_message_format_matches_the_sdk_cases() {
    let v = vectors();
    let f = &v["authorization_header_format_sdk"];
    let inputs = &f["inputs"];
    for case in f["cases"].as_array().unwrap() {
        let message = request_message(
            s(case, "method"),
            s(case, "url"),
            inputs["timestamp"].as_i64().unwrap(),
            s(inputs, "nonce"),
            s(case, "body"),
        );
        // The SDK's mock signer signs as "Sign:<message>"; its schema is "WECHATPAY2-Mock".
        let ours = authorization(
            s(inputs, "mchid"),
            s(inputs, "serial"),
            s(inputs, "nonce"),
            inputs["timestamp"].as_i64().unwrap(),
            &format!("Sign:{message}"),
        );
        let ours = parse_authorization(&ours).unwrap();
        let expect = s(case, "expect").replacen("WECHATPAY2-Mock", super::sign::SCHEMA, 1);
        let expect = parse_authorization(&expect).unwrap();
        assert_eq!(ours, expect);
    }
}

#[test]
fn every_pay_sign_vector_is_byte_exact() {
    let v = vectors();
    let key = official_key(&v);
    let signer = Signer {
        mchid: "1900007291".into(),
        serial: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into(),
        key: key.clone(),
    };
    let cases = v["pay_sign"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let message = s(case, "message");
        assert_eq!(
            key.sign(message.as_bytes()),
            s(case, "paySign"),
            "{}",
            s(case, "id")
        );
        if case.get("appId").is_some() {
            let parts = (
                s(case, "appId"),
                s(case, "timeStamp"),
                s(case, "nonceStr"),
                s(case, "package"),
            );
            assert_eq!(
                pay_sign_message(parts.0, parts.1, parts.2, parts.3),
                message
            );
            assert_eq!(
                signer.pay_sign(parts.0, parts.1, parts.2, parts.3),
                s(case, "paySign")
            );
            assert_eq!(s(case, "signType"), "RSA");
        }
    }
}

#[test]
fn official_public_key_response_verifies_and_fails_when_changed() {
    let v = vectors();
    let case = &v["response_verification"][0];
    let serial = s(case, "wechatpay_serial");
    let key = PublicKey::from_pem_setting(s(case, "public_key_spki")).unwrap();
    let verifier = Verifier::new(Some((serial.to_owned(), key)), vec![]);
    let ts: i64 = s(case, "timestamp").parse().unwrap();
    let h = SignedHeaders {
        timestamp: s(case, "timestamp"),
        nonce: s(case, "nonce"),
        signature: s(case, "signature"),
        serial,
    };
    let body = s(case, "body").as_bytes();
    assert_eq!(verifier.verify(h, body, ts), Ok(()));
    assert_eq!(verifier.verify(h, body, ts + 299), Ok(()));
    assert_eq!(verifier.verify(h, body, ts - 299), Ok(()));
    // One space more and the signature fails.
    let spaced = [body, b" "].concat();
    assert_eq!(
        verifier.verify(h, &spaced, ts),
        Err(VerifyError::BadSignature)
    );
    // At "now" the timestamp is far in the past; 300 s either way is already too far.
    assert!(matches!(
        verifier.verify(h, body, ts + 300),
        Err(VerifyError::Stale(300))
    ));
    assert!(matches!(
        verifier.verify(h, body, ts - 300),
        Err(VerifyError::Stale(300))
    ));
    assert!(matches!(
        verifier.verify(h, body, chrono::Utc::now().timestamp()),
        Err(VerifyError::Stale(_))
    ));
    // Another serial: unknown, never "try all keys".
    let other = SignedHeaders {
        serial: "PUB_KEY_ID_0000000000000024101100397200000007",
        ..h
    };
    assert!(matches!(
        verifier.verify(other, body, ts),
        Err(VerifyError::UnknownSerial(_))
    ));
    // A probe fails even with a valid key and a fresh timestamp.
    let probe_sig = format!("WECHATPAY/SIGNTEST/{}", s(case, "signature"));
    let probe = SignedHeaders {
        signature: &probe_sig,
        ..h
    };
    assert_eq!(verifier.verify(probe, body, ts), Err(VerifyError::Probe));
    // The merchant's own key is not WeChat Pay's: a certificate-only verifier lacks the id.
    let wrong = Verifier::new(Some((serial.to_owned(), official_public(&v))), vec![]);
    assert_eq!(wrong.verify(h, body, ts), Err(VerifyError::BadSignature));
}

#[test]
fn wechatpay_go_notify_verifies_by_certificate_serial_and_its_16_byte_key_is_refused() {
    let v = vectors();
    let case = &v["notify_end_to_end"][0];
    let certs = platform_certs_from_pem_setting(s(case, "platform_certificate_pem")).unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].0, "D7CE59D1F522D701");
    // Both modes configured at once: the serial picks the certificate.
    let pk =
        PublicKey::from_pem_setting(s(&v["response_verification"][0], "public_key_spki")).unwrap();
    let verifier = Verifier::new(Some(("PUB_KEY_ID_X".into(), pk)), certs);
    let hd = &case["headers"];
    let h = SignedHeaders {
        timestamp: s(hd, "Wechatpay-Timestamp"),
        nonce: s(hd, "Wechatpay-Nonce"),
        signature: s(hd, "Wechatpay-Signature"),
        serial: s(hd, "Wechatpay-Serial"),
    };
    let body = s(case, "body").as_bytes();
    let ts: i64 = h.timestamp.parse().unwrap();
    assert_eq!(verifier.verify(h, body, ts), Ok(()));
    let lower = h.serial.to_ascii_lowercase();
    assert_eq!(
        verifier.verify(
            SignedHeaders {
                serial: &lower,
                ..h
            },
            body,
            ts
        ),
        Ok(())
    );
    assert_eq!(
        verifier.verify(h, &body[..body.len() - 1], ts),
        Err(VerifyError::BadSignature)
    );
    // The key is 16 bytes: AES-128, refused by a 32-byte-only implementation.
    let key = s(case, "apiv3_key");
    assert_eq!(key.len(), 16);
    assert_eq!(
        ApiV3Key::new(key.as_bytes()).unwrap_err(),
        AeadError::KeyLength(16)
    );
}

#[test]
fn derived_transaction_notify_verifies_and_decrypts_with_the_raw_32_byte_key() {
    let v = vectors();
    let case = &v["notify_end_to_end"][1];
    let message = s(case, "message");
    // body = message minus its first two lines and the final \n.
    let mut lines = message.splitn(3, '\n');
    let (ts, nonce) = (lines.next().unwrap(), lines.next().unwrap());
    let body = lines.next().unwrap().strip_suffix('\n').unwrap();
    let hd = &case["headers"];
    assert_eq!(ts, s(hd, "Wechatpay-Timestamp"));
    assert_eq!(nonce, s(hd, "Wechatpay-Nonce"));
    let verifier = Verifier::new(
        Some(("PUB_KEY_ID_TEST".into(), official_public(&v))),
        vec![],
    );
    let h = SignedHeaders {
        timestamp: ts,
        nonce,
        signature: s(hd, "Wechatpay-Signature"),
        serial: "PUB_KEY_ID_TEST",
    };
    let now: i64 = ts.parse().unwrap();
    let key = ApiV3Key::new(s(case, "apiv3_key").as_bytes()).unwrap();
    let opened = notify::open(&verifier, &key, h, body.as_bytes(), now).unwrap();
    assert_eq!(opened.notification.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(
        opened.notification.resource.nonce,
        s(case, "resource_nonce")
    );
    let tx: super::types::Transaction = serde_json::from_slice(&opened.plaintext).unwrap();
    assert_eq!(
        tx.transaction_id.as_deref(),
        Some("1217752501201407033233368018")
    );
    assert_eq!(tx.out_trade_no, "1217752501201407033233368018");
    assert_eq!(tx.mchid, "1230000109");
    assert_eq!(tx.appid, "wxd678efh567hg6787");
    assert_eq!(tx.amount.unwrap().total, 100);
    assert_eq!(tx.trade_state, "SUCCESS");
    // SHA-256 of the key (the wxpay-rs 2.0 bug) does not open it.
    use sha2::Digest;
    let hashed = sha2::Sha256::digest(s(case, "apiv3_key").as_bytes());
    let hashed = ApiV3Key::new(&hashed).unwrap();
    assert!(matches!(
        notify::open(&verifier, &hashed, h, body.as_bytes(), now),
        Err(notify::NotifyError::Decrypt(AeadError::Open))
    ));
    // Stale and probe: refused before decryption.
    assert!(matches!(
        notify::open(&verifier, &key, h, body.as_bytes(), now + 300),
        Err(notify::NotifyError::Verify(VerifyError::Stale(_)))
    ));
    let probe = SignedHeaders {
        signature: "WECHATPAY/SIGNTEST/abc",
        ..h
    };
    assert!(matches!(
        notify::open(&verifier, &key, probe, body.as_bytes(), now),
        Err(notify::NotifyError::Verify(VerifyError::Probe))
    ));
}

#[test]
fn aes_vectors_decrypt_with_32_byte_keys_and_16_byte_keys_are_refused() {
    let v = vectors();
    let small = &v["aes_256_gcm"][0];
    let key = ApiV3Key::new(s(small, "apiv3_key").as_bytes()).unwrap();
    let plain = key
        .decrypt(
            s(small, "nonce"),
            s(small, "associated_data"),
            s(small, "ciphertext_b64"),
        )
        .unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), s(small, "plaintext"));
    // Round trip, and the same ciphertext back (GCM is deterministic for a fixed nonce).
    let sealed = key
        .encrypt(
            s(small, "nonce"),
            s(small, "associated_data"),
            s(small, "plaintext").as_bytes(),
        )
        .unwrap();
    assert_eq!(sealed, s(small, "ciphertext_b64"));
    // Wrong associated data or a flipped bit: refused.
    assert_eq!(
        key.decrypt(s(small, "nonce"), "", s(small, "ciphertext_b64")),
        Err(AeadError::Open)
    );
    let mut bytes = STANDARD.decode(s(small, "ciphertext_b64")).unwrap();
    bytes[0] ^= 1;
    assert_eq!(
        key.decrypt(
            s(small, "nonce"),
            s(small, "associated_data"),
            &STANDARD.encode(bytes)
        ),
        Err(AeadError::Open)
    );
    let go = &v["aes_256_gcm"][1];
    assert_eq!(
        ApiV3Key::new(s(go, "key").as_bytes()).unwrap_err(),
        AeadError::KeyLength(16)
    );
    assert!(matches!(
        key.decrypt("short", "", "AAAA"),
        Err(AeadError::NonceLength(5))
    ));
}

#[test]
fn negative_vectors_are_probe_and_unverifiable_samples() {
    let v = vectors();
    let ids: Vec<&str> = v["negative"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(c, "id"))
        .collect();
    assert_eq!(ids, ["readme-notify-does-not-verify", "probe"]);
}
