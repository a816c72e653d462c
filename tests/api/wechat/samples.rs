//! WeChat's published samples (tests/fixtures/wechat-samples.json, copied from the reference):
//! every inbound document parses to its type and fields, the official safe-mode vector decrypts
//! and re-encrypts to the same bytes, and passive replies render as the samples show.

use babyvax::wechat::crypto::AesKey;
use babyvax::wechat::message::{self, Event, Inbound, InboundKind};
use babyvax::wechat::reply::{Article, Reply};
use babyvax::wechat::signature;
use serde_json::Value;

fn samples() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wechat-samples.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Drops an annotation such as "200163836 (note capital ID)".
fn expected_text(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.find(" (") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The value of a WeChat field name in our typed message.
fn field(inbound: &Inbound, name: &str) -> Option<String> {
    use InboundKind as K;
    let s = |v: &String| Some(v.clone());
    match (name, &inbound.kind) {
        ("MsgType", _) => Some(inbound.msg_type().to_owned()),
        ("Event", _) => inbound.event_name().map(str::to_owned),
        ("MsgId", _) => inbound.msg_id().map(str::to_owned),
        ("Content", K::Text { content, .. }) => s(content),
        ("PicUrl", K::Image { pic_url, .. }) => s(pic_url),
        (
            "MediaId",
            K::Image { media_id, .. } | K::Voice { media_id, .. } | K::Video { media_id, .. },
        ) => s(media_id),
        ("Format", K::Voice { format, .. }) => s(format),
        ("ThumbMediaId", K::Video { thumb_media_id, .. }) => s(thumb_media_id),
        ("Location_X", K::Location { latitude, .. }) => s(latitude),
        ("Location_Y", K::Location { longitude, .. }) => s(longitude),
        ("Scale", K::Location { scale, .. }) => s(scale),
        ("Label", K::Location { label, .. }) => s(label),
        ("Title", K::Link { title, .. }) => s(title),
        ("Url", K::Link { url, .. }) => s(url),
        ("EventKey", K::Event(Event::Subscribe { event_key, .. })) => event_key.clone(),
        ("EventKey", K::Event(Event::Scan { scene, .. })) => s(scene),
        ("EventKey", K::Event(Event::Click { key })) => s(key),
        ("EventKey", K::Event(Event::View { url, .. })) => s(url),
        ("Ticket", K::Event(Event::Subscribe { ticket, .. } | Event::Scan { ticket, .. })) => {
            ticket.clone()
        }
        ("Latitude", K::Event(Event::Location { latitude, .. })) => s(latitude),
        ("Longitude", K::Event(Event::Location { longitude, .. })) => s(longitude),
        ("Precision", K::Event(Event::Location { precision, .. })) => s(precision),
        ("MsgID", K::Event(Event::TemplateSendJobFinish { msg_id, .. })) => s(msg_id),
        ("Status", K::Event(Event::TemplateSendJobFinish { status, .. })) => s(status),
        (
            "List_count",
            K::Event(Event::SubscribeMsgPopup { items } | Event::SubscribeMsgChange { items }),
        ) => Some(items.len().to_string()),
        ("List[0].TemplateId", K::Event(Event::SubscribeMsgPopup { items })) => {
            Some(items[0].template_id.clone())
        }
        ("List[0].SubscribeStatusString", K::Event(Event::SubscribeMsgPopup { items })) => {
            Some(items[0].status.clone())
        }
        ("List[1].SubscribeStatusString", K::Event(Event::SubscribeMsgPopup { items })) => {
            Some(items[1].status.clone())
        }
        ("PopupScene", K::Event(Event::SubscribeMsgPopup { items })) => {
            items[0].popup_scene.clone()
        }
        ("SubscribeStatusString", K::Event(Event::SubscribeMsgChange { items })) => {
            Some(items[0].status.clone())
        }
        ("MsgID", K::Event(Event::SubscribeMsgSent { items })) => Some(items[0].msg_id.clone()),
        ("ErrorCode", K::Event(Event::SubscribeMsgSent { items })) => {
            Some(items[0].error_code.clone())
        }
        ("ErrorStatus", K::Event(Event::SubscribeMsgSent { items })) => {
            Some(items[0].error_status.clone())
        }
        _ => None,
    }
}

#[test]
fn every_inbound_sample_parses_to_its_type_and_fields() {
    let samples = samples();
    let mut checked = 0;
    for sample in samples["inbound_xml"].as_array().unwrap() {
        let id = sample["id"].as_str().unwrap();
        let Some(xml) = sample["xml"].as_str() else {
            // The JSON-format mini-program push is not a callback-door document.
            assert!(sample.get("json").is_some(), "{id}: neither xml nor json");
            continue;
        };
        let inbound = message::parse(xml).unwrap_or_else(|e| panic!("{id}: {e}"));
        let root_from = xml
            .split("<FromUserName><![CDATA[")
            .nth(1)
            .and_then(|r| r.split("]]>").next())
            .unwrap();
        assert_eq!(inbound.from_user, root_from, "{id}");
        for (key, value) in sample["expect"].as_object().unwrap() {
            match key.as_str() {
                "dedup_key" if value == "MsgId" => {
                    assert_eq!(
                        inbound.dedup_key(),
                        format!("msg:{}:{}", inbound.msg_id().unwrap(), inbound.from_user)
                    )
                }
                "dedup_key" => assert_eq!(
                    inbound.dedup_key(),
                    format!(
                        "event:{}:{}:{}",
                        inbound.create_time,
                        inbound.from_user,
                        inbound.event_name().unwrap()
                    ),
                    "{id}"
                ),
                "scene_after_stripping_prefix" | "scene" => {
                    let InboundKind::Event(event) = &inbound.kind else {
                        panic!("{id}: not an event")
                    };
                    assert_eq!(
                        event.qr_scene(),
                        Some(expected_text(value).as_str()),
                        "{id}"
                    );
                }
                "note"
                    if value
                        .as_str()
                        .unwrap()
                        .contains("must not be treated as a referral scene") =>
                {
                    let InboundKind::Event(event) = &inbound.kind else {
                        panic!("{id}: not an event")
                    };
                    assert_eq!(event.qr_scene(), None, "{id}");
                }
                "expect" => assert!(matches!(inbound.kind, InboundKind::Unknown { .. }), "{id}"),
                "other_Status_values" | "note" | "gotcha" => {}
                _ => assert_eq!(
                    field(&inbound, key),
                    Some(expected_text(value)),
                    "{id}: field {key} of {inbound:?}"
                ),
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} expectations checked");
}

#[test]
fn official_safe_mode_vector_verifies_decrypts_and_reencrypts_identically() {
    let samples = samples();
    for v in samples["safe_mode_crypto"]["vectors"].as_array().unwrap() {
        let get = |k: &str| v[k].as_str().unwrap();
        let key = AesKey::from_encoding_aes_key(get("encoding_aes_key")).unwrap();
        assert!(signature::verify(
            get("msg_signature"),
            &[get("token"), get("timestamp"), get("nonce"), get("encrypt")]
        ));
        assert_eq!(
            message::encrypted_payload(get("request_body")).unwrap(),
            get("encrypt")
        );
        let plain = key.decrypt(get("encrypt"), get("appid")).unwrap();
        assert_eq!(plain, get("expected_decrypted_xml"));
        let (_, appid) = key.decrypt_parts(get("encrypt")).unwrap();
        assert_eq!(appid, get("decrypted_appid").as_bytes());
        let random: [u8; 16] = get("decrypted_random_prefix")
            .as_bytes()
            .try_into()
            .unwrap();
        assert_eq!(
            key.encrypt_with_random(&plain, get("appid"), &random),
            get("encrypt")
        );
        let inbound = message::parse(&plain).unwrap();
        assert_eq!(inbound.msg_id(), Some("6054768590064713728"));
    }
}

#[test]
fn plain_get_signature_samples_verify() {
    for s in samples()["plain_signature"].as_array().unwrap() {
        let get = |k: &str| s[k].as_str().unwrap();
        assert_eq!(
            signature::sign(&[get("token"), get("timestamp"), get("nonce")]),
            get("expected_signature")
        );
    }
}

fn squeeze(xml: &str) -> String {
    let mut out = String::new();
    let mut between_tags = String::new();
    let mut in_tag_gap = false;
    for ch in xml.chars() {
        if ch == '>' {
            out.push(ch);
            in_tag_gap = true;
            between_tags.clear();
        } else if in_tag_gap && ch.is_whitespace() {
            between_tags.push(ch);
        } else {
            if ch != '<' {
                out.push_str(&between_tags);
            }
            between_tags.clear();
            in_tag_gap = false;
            out.push(ch);
        }
    }
    out
}

#[test]
fn passive_reply_samples_render_identically() {
    let mut checked = 0;
    for s in samples()["passive_replies"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        let Some(expected) = s["expected_xml"].as_str() else {
            continue;
        };
        let (reply, to, from, time) = match s.get("input") {
            Some(input) => {
                let get = |k: &str| input[k].as_str().map(str::to_owned);
                let reply = match id {
                    "text" => Reply::Text {
                        content: get("Content").unwrap(),
                    },
                    "image" => Reply::Image {
                        media_id: get("MediaId").unwrap(),
                    },
                    "news_2_articles" => Reply::News {
                        articles: input["articles"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|a| Article {
                                title: a["Title"].as_str().unwrap().into(),
                                description: a["Description"].as_str().unwrap().into(),
                                pic_url: a["PicUrl"].as_str().unwrap().into(),
                                url: a["Url"].as_str().unwrap().into(),
                            })
                            .collect(),
                    },
                    "transfer_customer_service" | "transfer_customer_service_to_account" => {
                        Reply::TransferCustomerService {
                            kf_account: get("KfAccount"),
                        }
                    }
                    other => panic!("unhandled reply sample {other}"),
                };
                (
                    reply,
                    get("ToUserName").unwrap(),
                    get("FromUserName").unwrap(),
                    input["CreateTime"].as_i64().unwrap(),
                )
            }
            None => {
                let parsed = crate::helpers::babyvax_test_xml::fields(expected);
                (
                    Reply::Text {
                        content: parsed["Content"].clone(),
                    },
                    parsed["ToUserName"].clone(),
                    parsed["FromUserName"].clone(),
                    parsed["CreateTime"].parse().unwrap(),
                )
            }
        };
        assert_eq!(
            squeeze(&reply.to_xml(&to, &from, time)),
            squeeze(expected),
            "{id}"
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}
