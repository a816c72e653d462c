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
    /// keyed by sender, time and event name.
    pub fn dedup_key(&self) -> String {
        match (self.msg_id(), self.event_name()) {
            (Some(id), _) => format!("msg:{}:{}", self.from_user, id),
            (None, Some(event)) => {
                format!("event:{}:{}:{}", self.from_user, self.create_time, event)
            }
            (None, None) => format!(
                "other:{}:{}:{}",
                self.from_user,
                self.create_time,
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
