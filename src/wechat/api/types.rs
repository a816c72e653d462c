//! Request and response bodies of the WeChat calls we make, as WeChat spells them.

use std::collections::BTreeMap;

use reqwest::Url;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

use super::error::ApiError;

// ---- access tokens ----

#[derive(Serialize)]
pub(crate) struct StableTokenRequest<'a> {
    pub grant_type: &'static str,
    pub appid: &'a str,
    pub secret: &'a str,
    pub force_refresh: bool,
}

/// `/cgi-bin/token` and `/cgi-bin/stable_token`.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: SecretString,
    /// Seconds from now; the stable endpoint answers the remaining lifetime, not always 7200.
    pub expires_in: i64,
}

// ---- template message (official account) ----

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateMessage {
    pub touser: String,
    pub template_id: String,
    /// Page opened on tap; ignored by WeChat when `miniprogram` is given and the client supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<MiniProgramPage>,
    pub data: BTreeMap<String, TemplateField>,
    /// WeChat sends one message per openid + client_msg_id within 10 minutes, which makes a
    /// retry after a timeout safe. Pass the outbox row's dedup key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MiniProgramPage {
    pub appid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateField {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl TemplateField {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            color: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateSendResponse {
    pub msgid: i64,
}

// ---- subscribe message (mini-program) ----

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubscribeMessage {
    pub touser: String,
    pub template_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miniprogram_state: Option<MiniProgramState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Keys such as `thing1`, `date2`; values are `{"value": ...}`.
    pub data: BTreeMap<String, SubscribeField>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MiniProgramState {
    Developer,
    Trial,
    Formal,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubscribeField {
    pub value: String,
}

impl SubscribeField {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscribeSendResponse {
    /// Newer answers carry one; older ones only `errcode`/`errmsg`.
    #[serde(default)]
    pub msgid: Option<i64>,
}

// ---- customer-service message ----

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CustomTextMessage<'a> {
    pub touser: &'a str,
    pub msgtype: &'static str,
    pub text: CustomText<'a>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CustomText<'a> {
    pub content: &'a str,
}

/// Bodies that carry nothing but `errcode`/`errmsg`.
#[derive(Debug, Clone, Deserialize)]
pub struct Empty {}

// ---- menu ----

/// `/cgi-bin/menu/get`: the default menu and any conditional menus, as WeChat's JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct MenuInfo {
    pub menu: serde_json::Value,
    #[serde(default)]
    pub conditionalmenu: Vec<serde_json::Value>,
}

/// `/cgi-bin/get_current_selfmenu_info`: the menu as users see it, whoever set it.
#[derive(Debug, Clone, Deserialize)]
pub struct CurrentMenuInfo {
    pub is_menu_open: i64,
    #[serde(default)]
    pub selfmenu_info: Option<serde_json::Value>,
}

// ---- parametric QR codes ----

pub const QR_MAX_EXPIRE_SECONDS: u32 = 2_592_000;
pub const QR_SCENE_STR_MAX_CHARS: usize = 64;
pub const QR_PERMANENT_SCENE_ID_MAX: u32 = 100_000;

/// A validated `/cgi-bin/qrcode/create` body. Build with the constructors: they enforce
/// WeChat's limits and always emit the `scene` wrapper (without it every scan reports scene 0).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QrCodeRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_seconds: Option<u32>,
    action_name: &'static str,
    action_info: QrActionInfo,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
struct QrActionInfo {
    scene: QrScene,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
enum QrScene {
    Id { scene_id: u32 },
    Str { scene_str: String },
}

impl QrCodeRequest {
    /// A temporary code with a string scene, valid for `expire_seconds` (1..=2592000).
    pub fn temporary(scene_str: &str, expire_seconds: u32) -> Result<Self, ApiError> {
        Ok(Self {
            expire_seconds: Some(check_expiry(expire_seconds)?),
            action_name: "QR_STR_SCENE",
            action_info: QrActionInfo {
                scene: QrScene::Str {
                    scene_str: check_scene_str(scene_str)?,
                },
            },
        })
    }

    /// A permanent code with a string scene (an account may have up to 100,000).
    pub fn permanent(scene_str: &str) -> Result<Self, ApiError> {
        Ok(Self {
            expire_seconds: None,
            action_name: "QR_LIMIT_STR_SCENE",
            action_info: QrActionInfo {
                scene: QrScene::Str {
                    scene_str: check_scene_str(scene_str)?,
                },
            },
        })
    }

    /// A temporary code with a non-zero 32-bit scene id.
    pub fn temporary_id(scene_id: u32, expire_seconds: u32) -> Result<Self, ApiError> {
        if scene_id == 0 {
            return Err(ApiError::InvalidRequest("scene_id must not be 0".into()));
        }
        Ok(Self {
            expire_seconds: Some(check_expiry(expire_seconds)?),
            action_name: "QR_SCENE",
            action_info: QrActionInfo {
                scene: QrScene::Id { scene_id },
            },
        })
    }

    /// A permanent code with a scene id in 1..=100000.
    pub fn permanent_id(scene_id: u32) -> Result<Self, ApiError> {
        if !(1..=QR_PERMANENT_SCENE_ID_MAX).contains(&scene_id) {
            return Err(ApiError::InvalidRequest(format!(
                "permanent scene_id must be in 1..={QR_PERMANENT_SCENE_ID_MAX}, got {scene_id}"
            )));
        }
        Ok(Self {
            expire_seconds: None,
            action_name: "QR_LIMIT_SCENE",
            action_info: QrActionInfo {
                scene: QrScene::Id { scene_id },
            },
        })
    }
}

fn check_scene_str(scene: &str) -> Result<String, ApiError> {
    let chars = scene.chars().count();
    if !(1..=QR_SCENE_STR_MAX_CHARS).contains(&chars) {
        return Err(ApiError::InvalidRequest(format!(
            "scene_str must be 1..={QR_SCENE_STR_MAX_CHARS} characters, got {chars}"
        )));
    }
    Ok(scene.to_owned())
}

fn check_expiry(expire_seconds: u32) -> Result<u32, ApiError> {
    if !(1..=QR_MAX_EXPIRE_SECONDS).contains(&expire_seconds) {
        return Err(ApiError::InvalidRequest(format!(
            "expire_seconds must be in 1..={QR_MAX_EXPIRE_SECONDS}, got {expire_seconds}"
        )));
    }
    Ok(expire_seconds)
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct QrTicket {
    pub ticket: String,
    /// Present for temporary codes only.
    #[serde(default)]
    pub expire_seconds: Option<i64>,
    /// The URL the QR image encodes.
    pub url: String,
}

pub const QR_SHOW_URL: &str = "https://mp.weixin.qq.com/cgi-bin/showqrcode";

impl QrTicket {
    /// The image URL; tickets are base64 with `+`, `/` and `=`, so the ticket is URL-encoded.
    pub fn show_url(&self) -> Url {
        let mut url =
            Url::parse(QR_SHOW_URL).unwrap_or_else(|_| unreachable!("QR_SHOW_URL is a valid URL"));
        url.query_pairs_mut().append_pair("ticket", &self.ticket);
        url
    }
}

// ---- user info (official account) ----

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct UserInfo {
    /// 0: the user does not follow the account, and the other fields are absent.
    pub subscribe: i64,
    #[serde(deserialize_with = "trimmed")]
    pub openid: String,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub unionid: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub sex: Option<i64>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub headimgurl: Option<String>,
    #[serde(default)]
    pub subscribe_time: Option<i64>,
    #[serde(default)]
    pub remark: Option<String>,
    #[serde(default)]
    pub tagid_list: Vec<i64>,
    #[serde(default)]
    pub subscribe_scene: Option<String>,
    #[serde(default)]
    pub qr_scene: Option<i64>,
    #[serde(default)]
    pub qr_scene_str: Option<String>,
}

// ---- mini-program login and phone number ----

/// `/sns/jscode2session`. Real answers usually omit `errcode` on success.
#[derive(Debug, Clone, Deserialize)]
pub struct Code2Session {
    #[serde(deserialize_with = "trimmed")]
    pub openid: String,
    /// Decrypts `wx.getUserInfo`-style payloads; never log or return it.
    pub session_key: SecretString,
    #[serde(default, deserialize_with = "trimmed_opt")]
    pub unionid: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhoneNumberResponse {
    pub phone_info: PhoneInfo,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneInfo {
    /// With the country code for numbers outside mainland China.
    pub phone_number: String,
    pub pure_phone_number: String,
    /// A number in some answers, a string in the documentation.
    #[serde(deserialize_with = "string_or_number")]
    pub country_code: String,
    pub watermark: Watermark,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Watermark {
    pub timestamp: i64,
    pub appid: String,
}

// ---- lenient field readers ----

/// IDs have come back with stray whitespace (see the user_info fixture); compare them trimmed.
fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(String::deserialize(d)?.trim().to_owned())
}

fn trimmed_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()))
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::S(s) => s,
        Either::N(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn qr_requests_keep_the_scene_wrapper_and_enforce_limits() {
        let body =
            serde_json::to_value(QrCodeRequest::temporary("baby:42", 604_800).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"expire_seconds": 604800, "action_name": "QR_STR_SCENE",
                   "action_info": {"scene": {"scene_str": "baby:42"}}})
        );
        let body = serde_json::to_value(QrCodeRequest::permanent("x").unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x"}}})
        );
        let body = serde_json::to_value(QrCodeRequest::permanent_id(123).unwrap()).unwrap();
        assert_eq!(body["action_info"]["scene"]["scene_id"], 123);

        assert!(QrCodeRequest::temporary("", 60).is_err());
        assert!(QrCodeRequest::temporary(&"a".repeat(65), 60).is_err());
        assert!(QrCodeRequest::permanent(&"宝".repeat(64)).is_ok());
        assert!(QrCodeRequest::temporary("a", 2_592_001).is_err());
        assert!(QrCodeRequest::temporary("a", 0).is_err());
        assert!(QrCodeRequest::temporary("a", 2_592_000).is_ok());
        assert!(QrCodeRequest::permanent_id(0).is_err());
        assert!(QrCodeRequest::permanent_id(100_001).is_err());
        assert!(QrCodeRequest::temporary_id(0, 60).is_err());
    }

    #[test]
    fn show_url_encodes_the_ticket() {
        let t = QrTicket {
            ticket: "gQH4+ab/c==".into(),
            expire_seconds: None,
            url: String::new(),
        };
        assert_eq!(
            t.show_url().as_str(),
            "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH4%2Bab%2Fc%3D%3D"
        );
    }

    #[test]
    fn template_message_serialises_without_empty_options() {
        let m = TemplateMessage {
            touser: "o1".into(),
            template_id: "T".into(),
            url: None,
            miniprogram: Some(MiniProgramPage {
                appid: "wxmp".into(),
                pagepath: None,
            }),
            data: [("thing1".to_owned(), TemplateField::new("乙肝疫苗"))].into(),
            client_msg_id: None,
        };
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"touser": "o1", "template_id": "T", "miniprogram": {"appid": "wxmp"},
                   "data": {"thing1": {"value": "乙肝疫苗"}}})
        );
    }
}
