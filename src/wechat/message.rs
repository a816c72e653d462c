//! Inbound callback messages and events, parsed into one typed enum.
//!
//! Unknown message and event types are kept (with their raw XML) rather than refused: WeChat adds
//! types over time and must always get an answer.

use super::xml::{self, Element, XmlError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("root element must be <xml>, got <{0}>")]
    Root(String),
    #[error("required field {0} is missing")]
    Missing(&'static str),
    #[error("field {0} is not a number")]
    NotANumber(&'static str),
}

impl MessageError {
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::Xml(_) | MessageError::Root(_) => "malformed_xml",
            MessageError::Missing(_) | MessageError::NotANumber(_) => "invalid_message",
        }
    }
}

/// One message or event delivered to the callback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The official account's original id (gh_...).
    pub to_user: String,
    /// The sender's openid.
    pub from_user: String,
    /// Seconds since the Unix epoch, as WeChat stamped it.
    pub create_time: i64,
    pub kind: InboundKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundKind {
    Text {
        msg_id: String,
        content: String,
    },
    Image {
        msg_id: String,
        pic_url: String,
        media_id: String,
    },
    Voice {
        msg_id: String,
        media_id: String,
        format: String,
        recognition: Option<String>,
    },
    Video {
        msg_id: String,
        media_id: String,
        thumb_media_id: String,
    },
    ShortVideo {
        msg_id: String,
        media_id: String,
        thumb_media_id: String,
    },
    Location {
        msg_id: String,
        latitude: String,
        longitude: String,
        scale: String,
        label: String,
    },
    Link {
        msg_id: String,
        title: String,
        description: String,
        url: String,
    },
    Event(Event),
    Unknown {
        msg_type: String,
        msg_id: Option<String>,
        raw: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A follow; `event_key` is `qrscene_<scene>` when it came from a parametric QR code.
    Subscribe {
        event_key: Option<String>,
        ticket: Option<String>,
    },
    Unsubscribe,
    /// A parametric QR code scanned by someone who already follows; `scene` has no prefix.
    Scan {
        scene: String,
        ticket: Option<String>,
    },
    Location {
        latitude: String,
        longitude: String,
        precision: String,
    },
    Click {
        key: String,
    },
    View {
        url: String,
        menu_id: Option<String>,
    },
    TemplateSendJobFinish {
        msg_id: String,
        status: String,
    },
    SubscribeMsgPopup {
        items: Vec<SubscribeMsgDecision>,
    },
    SubscribeMsgChange {
        items: Vec<SubscribeMsgDecision>,
    },
    SubscribeMsgSent {
        items: Vec<SubscribeMsgSent>,
    },
    Unknown {
        event: String,
        event_key: Option<String>,
        raw: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeMsgDecision {
    pub template_id: String,
    /// `accept` or `reject`.
    pub status: String,
    pub popup_scene: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeMsgSent {
    pub template_id: String,
    pub msg_id: String,
    pub error_code: String,
    pub error_status: String,
}

impl Inbound {
    /// `MsgType` as WeChat names it.
    pub fn msg_type(&self) -> &str {
        match &self.kind {
            InboundKind::Text { .. } => "text",
            InboundKind::Image { .. } => "image",
            InboundKind::Voice { .. } => "voice",
            InboundKind::Video { .. } => "video",
            InboundKind::ShortVideo { .. } => "shortvideo",
            InboundKind::Location { .. } => "location",
            InboundKind::Link { .. } => "link",
            InboundKind::Event(_) => "event",
            InboundKind::Unknown { msg_type, .. } => msg_type,
        }
    }

    /// `Event` as WeChat names it, for events.
    pub fn event_name(&self) -> Option<&str> {
        let InboundKind::Event(event) = &self.kind else {
            return None;
        };
        Some(match event {
            Event::Subscribe { .. } => "subscribe",
            Event::Unsubscribe => "unsubscribe",
            Event::Scan { .. } => "SCAN",
            Event::Location { .. } => "LOCATION",
            Event::Click { .. } => "CLICK",
            Event::View { .. } => "VIEW",
            Event::TemplateSendJobFinish { .. } => "TEMPLATESENDJOBFINISH",
            Event::SubscribeMsgPopup { .. } => "subscribe_msg_popup_event",
            Event::SubscribeMsgChange { .. } => "subscribe_msg_change_event",
            Event::SubscribeMsgSent { .. } => "subscribe_msg_sent_event",
            Event::Unknown { event, .. } => event,
        })
    }

    /// A label for metrics: the message type, or `event:<name>` (unknown ones collapse to one label
    /// so that senders cannot grow the metric set).
    pub fn metric_label(&self) -> &'static str {
        match &self.kind {
            InboundKind::Text { .. } => "text",
            InboundKind::Image { .. } => "image",
            InboundKind::Voice { .. } => "voice",
            InboundKind::Video { .. } => "video",
            InboundKind::ShortVideo { .. } => "shortvideo",
            InboundKind::Location { .. } => "location",
            InboundKind::Link { .. } => "link",
            InboundKind::Unknown { .. } => "unknown",
            InboundKind::Event(event) => match event {
                Event::Subscribe { .. } => "event:subscribe",
                Event::Unsubscribe => "event:unsubscribe",
                Event::Scan { .. } => "event:SCAN",
                Event::Location { .. } => "event:LOCATION",
                Event::Click { .. } => "event:CLICK",
                Event::View { .. } => "event:VIEW",
                Event::TemplateSendJobFinish { .. } => "event:TEMPLATESENDJOBFINISH",
                Event::SubscribeMsgPopup { .. } => "event:subscribe_msg_popup_event",
                Event::SubscribeMsgChange { .. } => "event:subscribe_msg_change_event",
                Event::SubscribeMsgSent { .. } => "event:subscribe_msg_sent_event",
                Event::Unknown { .. } => "event:unknown",
            },
        }
    }

    /// The message id WeChat assigned, for messages that carry one.
    pub fn msg_id(&self) -> Option<&str> {
        match &self.kind {
            InboundKind::Text { msg_id, .. }
            | InboundKind::Image { msg_id, .. }
            | InboundKind::Voice { msg_id, .. }
            | InboundKind::Video { msg_id, .. }
            | InboundKind::ShortVideo { msg_id, .. }
            | InboundKind::Location { msg_id, .. }
            | InboundKind::Link { msg_id, .. } => Some(msg_id),
            InboundKind::Unknown { msg_id, .. } => msg_id.as_deref(),
            InboundKind::Event(_) => None,
        }
    }

    /// The key under which a redelivery is recognised. MsgId alone is not unique across users
    /// (seen with voice messages), so the sender is part of every key; events have no id and are
    /// keyed by time, sender and event name.
    ///
    /// The part that grows with time (MsgId, CreateTime) comes first: new keys then land at the
    /// right edge of the unique index instead of on one leaf page per sender, so a batch of
    /// deliveries dirties a few index pages, not one per delivery (less WAL, cheaper checkpoints).
    pub fn dedup_key(&self) -> String {
        match (self.msg_id(), self.event_name()) {
            (Some(id), _) => format!("msg:{}:{}", id, self.from_user),
            (None, Some(event)) => {
                format!("event:{}:{}:{}", self.create_time, self.from_user, event)
            }
            (None, None) => format!(
                "other:{}:{}:{}",
                self.create_time,
                self.from_user,
                self.msg_type()
            ),
        }
    }
}

impl Event {
    /// The scene of a parametric QR code behind a follow or scan, without the `qrscene_` prefix.
    /// A follow's EventKey without that prefix (e.g. `last_trade_no_...`) is not a scene.
    pub fn qr_scene(&self) -> Option<&str> {
        match self {
            Event::Subscribe {
                event_key: Some(key),
                ..
            } => key.strip_prefix("qrscene_").filter(|s| !s.is_empty()),
            Event::Scan { scene, .. } if !scene.is_empty() => Some(scene),
            _ => None,
        }
    }
}

/// The `<Encrypt>` field of a safe- or compatible-mode body.
pub fn encrypted_payload(body: &str) -> Result<String, MessageError> {
    let root = parse_root(body)?;
    root.text_of("Encrypt")
        .ok_or(MessageError::Missing("Encrypt"))
}

/// Parses a plaintext callback document.
pub fn parse(body: &str) -> Result<Inbound, MessageError> {
    let root = parse_root(body)?;
    let to_user = required(&root, "ToUserName")?;
    let from_user = required(&root, "FromUserName")?;
    let create_time = required(&root, "CreateTime")?
        .parse::<i64>()
        .map_err(|_| MessageError::NotANumber("CreateTime"))?;
    let msg_type = required(&root, "MsgType")?;
    let field = |name: &str| root.text_of(name).unwrap_or_default();
    let msg_id = || required(&root, "MsgId");
    let kind = match msg_type.as_str() {
        "text" => InboundKind::Text {
            msg_id: msg_id()?,
            content: field("Content"),
        },
        "image" => InboundKind::Image {
            msg_id: msg_id()?,
            pic_url: field("PicUrl"),
            media_id: field("MediaId"),
        },
        "voice" => InboundKind::Voice {
            msg_id: msg_id()?,
            media_id: field("MediaId"),
            format: field("Format"),
            recognition: root.text_of("Recognition"),
        },
        "video" => InboundKind::Video {
            msg_id: msg_id()?,
            media_id: field("MediaId"),
            thumb_media_id: field("ThumbMediaId"),
        },
        "shortvideo" => InboundKind::ShortVideo {
            msg_id: msg_id()?,
            media_id: field("MediaId"),
            thumb_media_id: field("ThumbMediaId"),
        },
        "location" => InboundKind::Location {
            msg_id: msg_id()?,
            latitude: field("Location_X"),
            longitude: field("Location_Y"),
            scale: field("Scale"),
            label: field("Label"),
        },
        "link" => InboundKind::Link {
            msg_id: msg_id()?,
            title: field("Title"),
            description: field("Description"),
            url: field("Url"),
        },
        "event" => InboundKind::Event(parse_event(&root, body)?),
        _ => InboundKind::Unknown {
            msg_type,
            msg_id: root.text_of("MsgId"),
            raw: body.to_owned(),
        },
    };
    Ok(Inbound {
        to_user,
        from_user,
        create_time,
        kind,
    })
}

fn parse_event(root: &Element, body: &str) -> Result<Event, MessageError> {
    let event = required(root, "Event")?;
    let field = |name: &str| root.text_of(name).unwrap_or_default();
    // Event names are case-sensitive in the docs but clients have seen both cases.
    Ok(match event.to_ascii_lowercase().as_str() {
        "subscribe" => Event::Subscribe {
            event_key: root.text_of("EventKey"),
            ticket: root.text_of("Ticket"),
        },
        "unsubscribe" => Event::Unsubscribe,
        "scan" => Event::Scan {
            scene: field("EventKey"),
            ticket: root.text_of("Ticket"),
        },
        "location" => Event::Location {
            latitude: field("Latitude"),
            longitude: field("Longitude"),
            precision: field("Precision"),
        },
        "click" => Event::Click {
            key: field("EventKey"),
        },
        "view" => Event::View {
            url: field("EventKey"),
            menu_id: root.text_of("MenuId"),
        },
        "templatesendjobfinish" => Event::TemplateSendJobFinish {
            msg_id: root
                .text_of("MsgID")
                .or_else(|| root.text_of("MsgId"))
                .unwrap_or_default(),
            status: field("Status"),
        },
        "subscribe_msg_popup_event" => Event::SubscribeMsgPopup {
            items: decisions(root, "SubscribeMsgPopupEvent"),
        },
        "subscribe_msg_change_event" => Event::SubscribeMsgChange {
            items: decisions(root, "SubscribeMsgChangeEvent"),
        },
        "subscribe_msg_sent_event" => Event::SubscribeMsgSent {
            items: list_items(root, "SubscribeMsgSentEvent")
                .map(|item| SubscribeMsgSent {
                    template_id: item.text_of("TemplateId").unwrap_or_default(),
                    msg_id: item
                        .text_of("MsgID")
                        .or_else(|| item.text_of("MsgId"))
                        .unwrap_or_default(),
                    error_code: item.text_of("ErrorCode").unwrap_or_default(),
                    error_status: item.text_of("ErrorStatus").unwrap_or_default(),
                })
                .collect(),
        },
        _ => Event::Unknown {
            event,
            event_key: root.text_of("EventKey"),
            raw: body.to_owned(),
        },
    })
}

fn decisions(root: &Element, wrapper: &str) -> Vec<SubscribeMsgDecision> {
    list_items(root, wrapper)
        .map(|item| SubscribeMsgDecision {
            template_id: item.text_of("TemplateId").unwrap_or_default(),
            status: item.text_of("SubscribeStatusString").unwrap_or_default(),
            popup_scene: item.text_of("PopupScene"),
        })
        .collect()
}

/// `<Wrapper><List>..</List><List>..</List></Wrapper>`: one or several items.
fn list_items<'a>(root: &'a Element, wrapper: &'a str) -> impl Iterator<Item = &'a Element> {
    root.child(wrapper)
        .into_iter()
        .flat_map(|w| w.children_named("List"))
}

fn parse_root(body: &str) -> Result<Element, MessageError> {
    let root = xml::parse(body)?;
    if root.name != "xml" {
        return Err(MessageError::Root(root.name));
    }
    Ok(root)
}

fn required(root: &Element, name: &'static str) -> Result<String, MessageError> {
    root.text_of(name).ok_or(MessageError::Missing(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(fields: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[u1]]></FromUserName><CreateTime>1348831860</CreateTime>{fields}</xml>"
        )
    }

    fn message(msg_type: &str, fields: &str) -> Inbound {
        parse(&doc(&format!(
            "<MsgType><![CDATA[{msg_type}]]></MsgType>{fields}"
        )))
        .unwrap()
    }

    fn event(name: &str, fields: &str) -> Event {
        match message("event", &format!("<Event>{name}</Event>{fields}")).kind {
            InboundKind::Event(event) => event,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn every_message_type_parses_with_its_fields() {
        let id = "<MsgId>42</MsgId>";
        let cases = [
            (
                message("text", &format!("<Content> hi </Content>{id}")),
                InboundKind::Text {
                    msg_id: "42".into(),
                    content: "hi".into(),
                },
            ),
            (
                message(
                    "image",
                    &format!("<PicUrl>p</PicUrl><MediaId>m</MediaId>{id}"),
                ),
                InboundKind::Image {
                    msg_id: "42".into(),
                    pic_url: "p".into(),
                    media_id: "m".into(),
                },
            ),
            (
                message(
                    "voice",
                    &format!(
                        "<MediaId>m</MediaId><Format>amr</Format><Recognition>r</Recognition>{id}"
                    ),
                ),
                InboundKind::Voice {
                    msg_id: "42".into(),
                    media_id: "m".into(),
                    format: "amr".into(),
                    recognition: Some("r".into()),
                },
            ),
            (
                message(
                    "video",
                    &format!("<MediaId>m</MediaId><ThumbMediaId>t</ThumbMediaId>{id}"),
                ),
                InboundKind::Video {
                    msg_id: "42".into(),
                    media_id: "m".into(),
                    thumb_media_id: "t".into(),
                },
            ),
            (
                message(
                    "shortvideo",
                    &format!("<MediaId>sm</MediaId><ThumbMediaId>st</ThumbMediaId>{id}"),
                ),
                InboundKind::ShortVideo {
                    msg_id: "42".into(),
                    media_id: "sm".into(),
                    thumb_media_id: "st".into(),
                },
            ),
            (
                message(
                    "location",
                    &format!(
                        "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Scale>20</Scale><Label>L</Label>{id}"
                    ),
                ),
                InboundKind::Location {
                    msg_id: "42".into(),
                    latitude: "23.1".into(),
                    longitude: "113.3".into(),
                    scale: "20".into(),
                    label: "L".into(),
                },
            ),
            (
                message(
                    "link",
                    &format!("<Title>t</Title><Description>d</Description><Url>u</Url>{id}"),
                ),
                InboundKind::Link {
                    msg_id: "42".into(),
                    title: "t".into(),
                    description: "d".into(),
                    url: "u".into(),
                },
            ),
        ];
        for (inbound, kind) in cases {
            assert_eq!(inbound.to_user, "gh_1");
            assert_eq!(inbound.from_user, "u1");
            assert_eq!(inbound.create_time, 1_348_831_860);
            assert_eq!(inbound.kind, kind);
            assert_eq!(inbound.msg_id(), Some("42"));
            assert_eq!(inbound.event_name(), None);
            assert_eq!(inbound.metric_label(), inbound.msg_type());
            assert_eq!(inbound.dedup_key(), "msg:42:u1");
        }
    }

    #[test]
    fn a_short_video_is_its_own_type() {
        let inbound = message(
            "shortvideo",
            "<MediaId>m</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>9</MsgId>",
        );
        assert!(matches!(inbound.kind, InboundKind::ShortVideo { .. }));
        assert_eq!(inbound.msg_type(), "shortvideo");
        assert_eq!(inbound.metric_label(), "shortvideo");
        assert_eq!(inbound.msg_id(), Some("9"));
    }

    #[test]
    fn self_closing_and_missing_optional_fields_read_as_empty() {
        let inbound = message(
            "voice",
            "<MediaId/><Format></Format><Recognition/><MsgId>1</MsgId>",
        );
        assert_eq!(
            inbound.kind,
            InboundKind::Voice {
                msg_id: "1".into(),
                media_id: String::new(),
                format: String::new(),
                recognition: None,
            }
        );
        let text = message("text", "<Content/><MsgId>2</MsgId>");
        assert_eq!(
            text.kind,
            InboundKind::Text {
                msg_id: "2".into(),
                content: String::new()
            }
        );
    }

    #[test]
    fn messages_need_their_ids_and_a_numeric_time() {
        for msg_type in [
            "text",
            "image",
            "voice",
            "video",
            "shortvideo",
            "location",
            "link",
        ] {
            let xml = doc(&format!("<MsgType>{msg_type}</MsgType><MsgId/>"));
            assert_eq!(
                parse(&xml),
                Err(MessageError::Missing("MsgId")),
                "{msg_type}"
            );
        }
        let no_time = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>";
        let err = parse(no_time).unwrap_err();
        assert_eq!(err, MessageError::NotANumber("CreateTime"));
        assert_eq!(err.code(), "invalid_message");
        for (field, xml) in [
            ("ToUserName", "<xml><FromUserName>b</FromUserName></xml>"),
            ("FromUserName", "<xml><ToUserName>a</ToUserName></xml>"),
            (
                "CreateTime",
                "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName></xml>",
            ),
        ] {
            assert_eq!(parse(xml), Err(MessageError::Missing(field)));
        }
        assert_eq!(
            parse(&doc("")).unwrap_err(),
            MessageError::Missing("MsgType")
        );
        let err = parse("<foo></foo>").unwrap_err();
        assert_eq!(err, MessageError::Root("foo".into()));
        assert_eq!(err.code(), "malformed_xml");
        assert_eq!(parse("<xml>").unwrap_err().code(), "malformed_xml");
    }

    #[test]
    fn unknown_types_are_kept_with_their_document() {
        let xml = doc("<MsgType>notsure</MsgType><MsgId>77</MsgId>");
        let inbound = parse(&xml).unwrap();
        assert_eq!(
            inbound.kind,
            InboundKind::Unknown {
                msg_type: "notsure".into(),
                msg_id: Some("77".into()),
                raw: xml.clone(),
            }
        );
        assert_eq!(inbound.msg_type(), "notsure");
        assert_eq!(inbound.metric_label(), "unknown");
        assert_eq!(inbound.dedup_key(), "msg:77:u1");
        let without_id = message("notsure", "");
        assert_eq!(without_id.msg_id(), None);
        assert_eq!(without_id.dedup_key(), "other:1348831860:u1:notsure");
    }

    #[test]
    fn every_event_parses_with_its_name_label_and_key() {
        let cases = [
            (
                event(
                    "subscribe",
                    "<EventKey>qrscene_ch:a</EventKey><Ticket>T</Ticket>",
                ),
                "subscribe",
            ),
            (event("unsubscribe", ""), "unsubscribe"),
            (event("SCAN", "<EventKey>s1</EventKey>"), "SCAN"),
            (
                event(
                    "LOCATION",
                    "<Latitude>1</Latitude><Longitude>2</Longitude><Precision>3</Precision>",
                ),
                "LOCATION",
            ),
            (event("CLICK", "<EventKey>K</EventKey>"), "CLICK"),
            (
                event("VIEW", "<EventKey>https://u</EventKey><MenuId>5</MenuId>"),
                "VIEW",
            ),
            (
                event(
                    "TEMPLATESENDJOBFINISH",
                    "<MsgID>200163836</MsgID><Status>success</Status>",
                ),
                "TEMPLATESENDJOBFINISH",
            ),
            (
                event("subscribe_msg_popup_event", ""),
                "subscribe_msg_popup_event",
            ),
            (
                event("subscribe_msg_change_event", ""),
                "subscribe_msg_change_event",
            ),
            (
                event("subscribe_msg_sent_event", ""),
                "subscribe_msg_sent_event",
            ),
        ];
        for (event, name) in cases {
            let inbound = Inbound {
                to_user: "gh_1".into(),
                from_user: "u1".into(),
                create_time: 5,
                kind: InboundKind::Event(event),
            };
            assert_eq!(inbound.msg_type(), "event");
            assert_eq!(inbound.event_name(), Some(name));
            assert_eq!(inbound.metric_label(), format!("event:{name}"));
            assert_eq!(inbound.msg_id(), None);
            assert_eq!(inbound.dedup_key(), format!("event:5:u1:{name}"));
        }
    }

    #[test]
    fn event_fields_are_read_and_names_are_case_insensitive() {
        assert_eq!(
            event(
                "SUBSCRIBE",
                "<EventKey>qrscene_7</EventKey><Ticket>T</Ticket>"
            ),
            Event::Subscribe {
                event_key: Some("qrscene_7".into()),
                ticket: Some("T".into())
            }
        );
        assert_eq!(event("Unsubscribe", ""), Event::Unsubscribe);
        assert_eq!(
            event("scan", "<EventKey>7</EventKey><Ticket>T</Ticket>"),
            Event::Scan {
                scene: "7".into(),
                ticket: Some("T".into())
            }
        );
        assert_eq!(
            event(
                "location",
                "<Latitude>1</Latitude><Longitude>2</Longitude><Precision>3</Precision>"
            ),
            Event::Location {
                latitude: "1".into(),
                longitude: "2".into(),
                precision: "3".into()
            }
        );
        assert_eq!(
            event("click", "<EventKey>K</EventKey>"),
            Event::Click { key: "K".into() }
        );
        assert_eq!(
            event("view", "<EventKey>https://u</EventKey><MenuId>5</MenuId>"),
            Event::View {
                url: "https://u".into(),
                menu_id: Some("5".into())
            }
        );
        // Both spellings of the id, the documented MsgID first.
        assert_eq!(
            event(
                "TEMPLATESENDJOBFINISH",
                "<MsgID>1</MsgID><MsgId>2</MsgId><Status>s</Status>"
            ),
            Event::TemplateSendJobFinish {
                msg_id: "1".into(),
                status: "s".into()
            }
        );
        assert_eq!(
            event("TEMPLATESENDJOBFINISH", "<MsgId>2</MsgId>"),
            Event::TemplateSendJobFinish {
                msg_id: "2".into(),
                status: String::new()
            }
        );
    }

    #[test]
    fn subscribe_message_events_read_every_list_item() {
        let item = |id: &str, status: &str, scene: &str| {
            format!(
                "<List><TemplateId>{id}</TemplateId><SubscribeStatusString>{status}</SubscribeStatusString>{scene}</List>"
            )
        };
        let popup = event(
            "subscribe_msg_popup_event",
            &format!(
                "<SubscribeMsgPopupEvent>{}{}</SubscribeMsgPopupEvent>",
                item("t1", "accept", "<PopupScene>2</PopupScene>"),
                item("t2", "reject", "")
            ),
        );
        assert_eq!(
            popup,
            Event::SubscribeMsgPopup {
                items: vec![
                    SubscribeMsgDecision {
                        template_id: "t1".into(),
                        status: "accept".into(),
                        popup_scene: Some("2".into())
                    },
                    SubscribeMsgDecision {
                        template_id: "t2".into(),
                        status: "reject".into(),
                        popup_scene: None
                    },
                ]
            }
        );
        // Each event reads its own wrapper only.
        let change = event(
            "subscribe_msg_change_event",
            &format!(
                "<SubscribeMsgChangeEvent>{}</SubscribeMsgChangeEvent><SubscribeMsgPopupEvent>{}</SubscribeMsgPopupEvent>",
                item("t3", "reject", ""),
                item("t4", "accept", "")
            ),
        );
        assert_eq!(
            change,
            Event::SubscribeMsgChange {
                items: vec![SubscribeMsgDecision {
                    template_id: "t3".into(),
                    status: "reject".into(),
                    popup_scene: None
                }]
            }
        );
        let sent = event(
            "subscribe_msg_sent_event",
            "<SubscribeMsgSentEvent><List><TemplateId>t5</TemplateId><MsgID>9</MsgID><ErrorCode>0</ErrorCode><ErrorStatus>success</ErrorStatus></List><List><MsgId>10</MsgId></List></SubscribeMsgSentEvent>",
        );
        assert_eq!(
            sent,
            Event::SubscribeMsgSent {
                items: vec![
                    SubscribeMsgSent {
                        template_id: "t5".into(),
                        msg_id: "9".into(),
                        error_code: "0".into(),
                        error_status: "success".into()
                    },
                    SubscribeMsgSent {
                        template_id: String::new(),
                        msg_id: "10".into(),
                        error_code: String::new(),
                        error_status: String::new()
                    },
                ]
            }
        );
        assert_eq!(
            event("subscribe_msg_popup_event", ""),
            Event::SubscribeMsgPopup { items: vec![] }
        );
    }

    #[test]
    fn unknown_events_are_kept_with_their_document() {
        let xml = doc("<MsgType>event</MsgType><Event>brand_new</Event><EventKey>k</EventKey>");
        let inbound = parse(&xml).unwrap();
        assert_eq!(
            inbound.kind,
            InboundKind::Event(Event::Unknown {
                event: "brand_new".into(),
                event_key: Some("k".into()),
                raw: xml.clone()
            })
        );
        assert_eq!(inbound.event_name(), Some("brand_new"));
        assert_eq!(inbound.metric_label(), "event:unknown");
        assert_eq!(inbound.dedup_key(), "event:1348831860:u1:brand_new");
        assert_eq!(
            parse(&doc("<MsgType>event</MsgType>")),
            Err(MessageError::Missing("Event"))
        );
    }

    #[test]
    fn qr_scenes_come_only_from_parametric_codes() {
        let subscribe = |key: Option<&str>| Event::Subscribe {
            event_key: key.map(str::to_owned),
            ticket: None,
        };
        assert_eq!(subscribe(Some("qrscene_123")).qr_scene(), Some("123"));
        assert_eq!(subscribe(Some("qrscene_")).qr_scene(), None);
        assert_eq!(subscribe(Some("last_trade_no_1")).qr_scene(), None);
        assert_eq!(subscribe(None).qr_scene(), None);
        let scan = |scene: &str| Event::Scan {
            scene: scene.into(),
            ticket: None,
        };
        assert_eq!(scan("123").qr_scene(), Some("123"));
        assert_eq!(scan("").qr_scene(), None);
        assert_eq!(
            Event::Click {
                key: "qrscene_1".into()
            }
            .qr_scene(),
            None
        );
    }

    #[test]
    fn the_encrypted_payload_is_the_trimmed_encrypt_field() {
        assert_eq!(
            encrypted_payload(
                "<xml><ToUserName>a</ToUserName><Encrypt><![CDATA[ abc= ]]></Encrypt></xml>"
            ),
            Ok("abc=".into())
        );
        assert_eq!(
            encrypted_payload("<xml><Encrypt/></xml>"),
            Err(MessageError::Missing("Encrypt"))
        );
        assert_eq!(
            encrypted_payload("<x><Encrypt>a</Encrypt></x>"),
            Err(MessageError::Root("x".into()))
        );
    }
}
