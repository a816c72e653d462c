//! The fake's memory and WeChat's rules, free of HTTP.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::FakeConfig;

/// How an injected call misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 200 with this errcode (-1 is "system busy").
    Errcode(i64),
    /// This HTTP status and a non-JSON body.
    Http(u16),
    /// Answer normally, but only after this long.
    Delay(Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    pub path: String,
    /// The app whose token authorised the send.
    pub appid: String,
    pub body: Value,
    pub msgid: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QrRecord {
    pub ticket: String,
    pub action_name: String,
    /// As WeChat will report it on scans: "0" when the `scene` wrapper was missing.
    pub scene: String,
    pub expire_seconds: Option<i64>,
}

/// An answer: the JSON body on success, or WeChat's errcode and errmsg.
pub(super) type Reply = Result<Value, (i64, String)>;

fn err(code: i64, msg: &str) -> Reply {
    Err((code, msg.to_owned()))
}

pub(super) fn errmsg_for(code: i64) -> &'static str {
    match code {
        -1 => "system error",
        40001 => {
            "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken"
        }
        40014 => "invalid access_token",
        42001 => "access_token expired",
        43004 => "require subscribe",
        43101 => "user refuse to accept the msg",
        45009 => "reach max api daily quota limit",
        45011 => "api minute-quota reach limit, must slower, retry next minute",
        45047 => "out of response count limit",
        _ => "fault injected",
    }
}

pub(super) struct FakeState {
    pub config: FakeConfig,
    inner: Mutex<Inner>,
}

impl FakeState {
    pub fn new(config: FakeConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.config.clock.now()
    }
}

struct App {
    secret: String,
    basic_token: Option<String>,
    stable_token: Option<String>,
    forces: Vec<DateTime<Utc>>,
}

struct Token {
    appid: String,
    expires_at: DateTime<Utc>,
    revoked: bool,
}

#[derive(Default)]
pub(super) struct Inner {
    apps: HashMap<String, App>,
    tokens: HashMap<String, Token>,
    seq: u64,
    pub unfollowed: HashSet<String>,
    pub refused: HashSet<String>,
    pub users: HashMap<String, Value>,
    pub templates: HashSet<String>,
    /// code -> (openid, unionid, session_key, used)
    login_codes: HashMap<String, (String, Option<String>, String, bool)>,
    /// code -> (phone, used)
    pub phone_codes: HashMap<String, (String, bool)>,
    pub menu: Option<Value>,
    pub sent: Vec<SentMessage>,
    pub qrcodes: Vec<QrRecord>,
    /// (openid, client_msg_id) -> msgid, for WeChat's send-once rule.
    client_msg_ids: HashMap<(String, String), i64>,
    faults: HashMap<String, VecDeque<(Fault, u32)>>,
    pub calls: HashMap<String, u64>,
    pub token_fetches: u64,
    pub forced_refreshes: u64,
    pub token_rejections: u64,
    /// WeChat Pay v3 (see `pay`).
    pub pay: super::pay::PayInner,
}

const FORCE_DAILY_LIMIT: usize = 20;
const FORCE_MIN_INTERVAL_SECS: i64 = 30;

impl Inner {
    pub fn register_app(&mut self, appid: &str, secret: &str) {
        self.apps.insert(
            appid.to_owned(),
            App {
                secret: secret.to_owned(),
                basic_token: None,
                stable_token: None,
                forces: Vec::new(),
            },
        );
    }

    pub fn add_login_code(&mut self, code: &str, openid: &str, unionid: Option<&str>, key: &str) {
        let entry = (
            openid.to_owned(),
            unionid.map(str::to_owned),
            key.to_owned(),
            false,
        );
        self.login_codes.insert(code.to_owned(), entry);
    }

    pub fn inject(&mut self, path: &str, fault: Fault, times: u32) {
        if times > 0 {
            self.faults
                .entry(path.to_owned())
                .or_default()
                .push_back((fault, times));
        }
    }

    /// Counts the call and pops the fault it should suffer, if any.
    pub fn arrive(&mut self, path: &str) -> Option<Fault> {
        match self.calls.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                self.calls.insert(path.to_owned(), 1);
            }
        }
        let queue = self.faults.get_mut(path)?;
        let (fault, left) = queue.front_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    fn check_app(&self, appid: &str, secret: &str) -> Result<(), (i64, String)> {
        match self.apps.get(appid) {
            None => err(40013, "invalid appid").map(drop),
            Some(app) if app.secret != secret => err(40125, "invalid appsecret").map(drop),
            Some(_) => Ok(()),
        }
    }

    fn issue(&mut self, appid: &str, kind: &str, now: DateTime<Utc>, ttl: Duration) -> String {
        self.seq += 1;
        // Real tokens are opaque and long; the length exercises storage columns.
        let token = format!("{kind}_{appid}_{:06}_{}", self.seq, "x".repeat(120));
        let expires_at =
            now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(2));
        self.tokens.insert(
            token.clone(),
            Token {
                appid: appid.to_owned(),
                expires_at,
                revoked: false,
            },
        );
        token
    }

    fn token_answer(&mut self, token: &str, now: DateTime<Utc>) -> Reply {
        self.token_fetches += 1;
        let expires_in = self
            .tokens
            .get(token)
            .map_or(0, |t| (t.expires_at - now).num_seconds());
        Ok(json!({"access_token": token, "expires_in": expires_in}))
    }

    fn revoke(&mut self, token: Option<String>) {
        if let Some(t) = token.and_then(|t| self.tokens.get_mut(&t)) {
            t.revoked = true;
        }
    }

    /// `GET /cgi-bin/token`: every call invalidates the app's previous token.
    pub fn basic_token(
        &mut self,
        q: &HashMap<String, String>,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Reply {
        if q.get("grant_type").map(String::as_str) != Some("client_credential") {
            return err(40002, "invalid grant_type");
        }
        let appid = q.get("appid").cloned().unwrap_or_default();
        self.check_app(&appid, q.get("secret").map_or("", String::as_str))?;
        let token = self.issue(&appid, "BASIC", now, ttl);
        let previous = self
            .apps
            .get_mut(&appid)
            .and_then(|a| a.basic_token.replace(token.clone()));
        self.revoke(previous);
        self.token_answer(&token, now)
    }

    /// `POST /cgi-bin/stable_token`: the same token while it has more than the handover left,
    /// then a new one (the old stays valid until it expires); `force_refresh` rotates at once,
    /// at most 20 times a day and not within 30 s of the previous force.
    pub fn stable_token(
        &mut self,
        body: &Value,
        now: DateTime<Utc>,
        ttl: Duration,
        handover: Duration,
    ) -> Reply {
        if body["grant_type"] != "client_credential" {
            return err(40002, "invalid grant_type");
        }
        let appid = body["appid"].as_str().unwrap_or_default().to_owned();
        self.check_app(&appid, body["secret"].as_str().unwrap_or_default())?;
        let force = body["force_refresh"].as_bool().unwrap_or(false);
        let handover = chrono::Duration::from_std(handover).unwrap_or(chrono::Duration::minutes(5));
        let current = self.apps.get(&appid).and_then(|a| a.stable_token.clone());
        let current_left = current
            .as_ref()
            .and_then(|t| self.tokens.get(t))
            .filter(|t| !t.revoked)
            .map(|t| t.expires_at - now);
        let Some(app) = self.apps.get_mut(&appid) else {
            return err(40013, "invalid appid");
        };
        let rotate = if force {
            app.forces
                .retain(|at| now - *at < chrono::Duration::days(1));
            if app.forces.len() >= FORCE_DAILY_LIMIT {
                return err(45009, errmsg_for(45009));
            }
            let too_soon = app
                .forces
                .last()
                .is_some_and(|at| now - *at < chrono::Duration::seconds(FORCE_MIN_INTERVAL_SECS));
            // Within 30 s of the last force WeChat does not refresh; it answers the current token.
            if too_soon && current_left.is_some() {
                false
            } else {
                app.forces.push(now);
                true
            }
        } else {
            current_left.is_none_or(|left| left <= handover)
        };
        let token = match current {
            Some(t) if !rotate => t,
            _ => {
                if force {
                    self.forced_refreshes += 1;
                    self.revoke(current);
                }
                let t = self.issue(&appid, "STABLE", now, ttl);
                if let Some(app) = self.apps.get_mut(&appid) {
                    app.stable_token = Some(t.clone());
                }
                t
            }
        };
        self.token_answer(&token, now)
    }

    /// The app a valid `access_token` belongs to, or WeChat's complaint about it.
    pub fn authorise(
        &mut self,
        q: &HashMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<String, (i64, String)> {
        let Some(token) = q.get("access_token").filter(|t| !t.is_empty()) else {
            return Err((41001, "access_token missing".to_owned()));
        };
        let verdict = match self.tokens.get(token) {
            Some(t) if !t.revoked && now < t.expires_at => return Ok(t.appid.clone()),
            Some(t) if !t.revoked => 42001,
            _ => 40001,
        };
        self.token_rejections += 1;
        Err((verdict, errmsg_for(verdict).to_owned()))
    }

    fn next_msgid(&mut self) -> i64 {
        self.seq += 1;
        2_000_000_000 + self.seq as i64
    }

    fn check_recipient(&self, body: &Value) -> Result<String, (i64, String)> {
        let openid = body["touser"].as_str().unwrap_or_default();
        let well_formed = !openid.is_empty()
            && openid.len() <= 64
            && openid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !well_formed {
            return Err((40003, "invalid openid".to_owned()));
        }
        Ok(openid.to_owned())
    }

    fn check_template(&self, body: &Value) -> Result<(), (i64, String)> {
        let id = body["template_id"].as_str().unwrap_or_default();
        if id.is_empty() || (!self.templates.is_empty() && !self.templates.contains(id)) {
            return Err((40037, "invalid template_id".to_owned()));
        }
        let data_ok = body["data"].as_object().is_some_and(|data| {
            data.values()
                .all(|v| v["value"].as_str().is_some_and(|s| !s.is_empty()))
        });
        if !data_ok {
            return Err((47003, "argument invalid! data.value invalid".to_owned()));
        }
        Ok(())
    }

    /// Keeps the message as it came (the request's own JSON, not a copy).
    fn record(&mut self, path: &str, appid: String, body: Value) -> i64 {
        let msgid = self.next_msgid();
        self.sent.push(SentMessage {
            path: path.to_owned(),
            appid,
            body,
            msgid,
        });
        msgid
    }

    pub fn template_send(&mut self, path: &str, appid: String, body: Value) -> Reply {
        let openid = self.check_recipient(&body)?;
        self.check_template(&body)?;
        if self.unfollowed.contains(&openid) {
            return err(43004, errmsg_for(43004));
        }
        // WeChat sends once per openid + client_msg_id (for 10 minutes; not modelled).
        let dedup = body["client_msg_id"]
            .as_str()
            .map(|id| (openid, id.to_owned()));
        if let Some(msgid) = dedup.as_ref().and_then(|k| self.client_msg_ids.get(k)) {
            return Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}));
        }
        let msgid = self.record(path, appid, body);
        if let Some(key) = dedup {
            self.client_msg_ids.insert(key, msgid);
        }
        Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}))
    }

    pub fn subscribe_send(&mut self, path: &str, appid: String, body: Value) -> Reply {
        let openid = self.check_recipient(&body)?;
        self.check_template(&body)?;
        let state = &body["miniprogram_state"];
        if !(state.is_null() || ["developer", "trial", "formal"].iter().any(|s| state == s)) {
            return err(47003, "argument invalid! miniprogram_state invalid");
        }
        if self.refused.contains(&openid) {
            return err(43101, errmsg_for(43101));
        }
        let msgid = self.record(path, appid, body);
        Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}))
    }

    pub fn custom_send(&mut self, path: &str, appid: String, body: Value) -> Reply {
        let openid = self.check_recipient(&body)?;
        if body["msgtype"] == "text" && body["text"]["content"].as_str().is_none_or(str::is_empty) {
            return err(44003, "empty news data");
        }
        if self.unfollowed.contains(&openid) {
            return err(43004, errmsg_for(43004));
        }
        self.record(path, appid, body);
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    pub fn menu_create(&mut self, body: &Value) -> Reply {
        let buttons = body["button"].as_array().map_or(0, Vec::len);
        if !(1..=3).contains(&buttons) {
            return err(40016, "invalid button size");
        }
        self.menu = Some(body.clone());
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    pub fn menu_get(&self) -> Reply {
        match &self.menu {
            Some(menu) => Ok(json!({"menu": menu})),
            None => err(46003, "menu no exist"),
        }
    }

    pub fn current_menu(&self) -> Reply {
        Ok(match &self.menu {
            Some(menu) => json!({"is_menu_open": 1, "selfmenu_info": menu}),
            None => json!({"is_menu_open": 0}),
        })
    }

    pub fn qrcode_create(&mut self, body: &Value) -> Reply {
        let action = body["action_name"].as_str().unwrap_or_default().to_owned();
        let temporary = match action.as_str() {
            "QR_SCENE" | "QR_STR_SCENE" => true,
            "QR_LIMIT_SCENE" | "QR_LIMIT_STR_SCENE" => false,
            _ => return err(40053, "invalid action info"),
        };
        // Without the `scene` wrapper WeChat still answers, and every scan says scene 0.
        let scene = &body["action_info"]["scene"];
        let scene = match (&scene["scene_str"], &scene["scene_id"]) {
            (Value::String(s), _) => s.clone(),
            (_, Value::Number(n)) => n.to_string(),
            _ => "0".to_owned(),
        };
        let expire_seconds = temporary.then(|| {
            body["expire_seconds"]
                .as_i64()
                .unwrap_or(30)
                .clamp(1, 2_592_000)
        });
        self.seq += 1;
        // Real tickets are base64: '+', '/' and '=' must survive the show URL.
        let ticket = format!("gQH+fake/{:08}==", self.seq);
        self.qrcodes.push(QrRecord {
            ticket: ticket.clone(),
            action_name: action,
            scene,
            expire_seconds,
        });
        let mut answer =
            json!({"ticket": ticket, "url": format!("http://weixin.qq.com/q/fake{}", self.seq)});
        if let Some(e) = expire_seconds {
            answer["expire_seconds"] = json!(e);
        }
        Ok(answer)
    }

    pub fn user_info(&self, q: &HashMap<String, String>) -> Reply {
        let openid = q.get("openid").map_or("", String::as_str);
        self.check_recipient(&json!({"touser": openid}))?;
        if self.unfollowed.contains(openid) {
            return Ok(json!({"subscribe": 0, "openid": openid}));
        }
        Ok(self.users.get(openid).cloned().unwrap_or_else(|| {
            json!({"subscribe": 1, "openid": openid, "nickname": "", "language": "zh_CN",
                   "subscribe_time": 1_700_000_000, "tagid_list": [], "subscribe_scene": "ADD_SCENE_QR_CODE"})
        }))
    }

    /// `/sns/jscode2session`; answers success without `errcode`, as WeChat does.
    pub fn code2session(&mut self, q: &HashMap<String, String>) -> Reply {
        let appid = q.get("appid").map_or("", String::as_str);
        self.check_app(appid, q.get("secret").map_or("", String::as_str))?;
        if q.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return err(40002, "invalid grant_type");
        }
        let code = q.get("js_code").map_or("", String::as_str);
        match self.login_codes.get_mut(code) {
            None => err(40029, "invalid code"),
            Some((.., true)) => err(40163, "code been used"),
            Some((openid, unionid, key, used)) => {
                *used = true;
                let mut answer = json!({"session_key": key, "openid": openid});
                if let Some(u) = unionid {
                    answer["unionid"] = json!(u);
                }
                Ok(answer)
            }
        }
    }

    pub fn phone_number(&mut self, appid: &str, body: &Value, now: DateTime<Utc>) -> Reply {
        let code = body["code"].as_str().unwrap_or_default();
        match self.phone_codes.get_mut(code) {
            None => err(40029, "invalid code"),
            Some((_, true)) => err(40163, "code been used"),
            Some((phone, used)) => {
                *used = true;
                Ok(json!({"errcode": 0, "errmsg": "ok", "phone_info": {
                    "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
                    "watermark": {"timestamp": now.timestamp(), "appid": appid}}}))
            }
        }
    }
}
