//! A fake WeChat server API for tests and demos: a real HTTP server on 127.0.0.1 that our client
//! talks to exactly as to `api.weixin.qq.com`. It keeps WeChat's rules (tokens and their
//! invalidation, single-use login codes, unfollowed users, refused subscriptions), records what
//! it receives, and can be told to misbehave (error codes, HTTP 5xx, slow answers).
//!
//! ```ignore
//! let fake = FakeWechat::start().await?;
//! fake.register_app("wxoa", "oa-secret");
//! let config = ApiConfig::new(fake.base_url().clone());
//! fake.inject("/cgi-bin/message/template/send", Fault::Errcode(45009), 1);
//! ```

mod server;
mod state;

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use reqwest::Url;
use serde_json::Value;

use crate::clock::{SharedClock, SystemClock};

use state::FakeState;
pub use state::{Fault, QrRecord, SentMessage};

pub const TEMPLATE_SEND: &str = "/cgi-bin/message/template/send";
pub const SUBSCRIBE_SEND: &str = "/cgi-bin/message/subscribe/send";
pub const CUSTOM_SEND: &str = "/cgi-bin/message/custom/send";
pub const TOKEN: &str = "/cgi-bin/token";
pub const STABLE_TOKEN: &str = "/cgi-bin/stable_token";

#[derive(Clone)]
pub struct FakeConfig {
    /// Decides token expiry; share a `ManualClock` with the client to test expiry.
    pub clock: SharedClock,
    /// `expires_in` of new tokens.
    pub token_ttl: Duration,
    /// The stable endpoint hands out a new token when the current one has less than this left.
    pub stable_handover: Duration,
    pub workers: usize,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            token_ttl: Duration::from_secs(7200),
            stable_handover: Duration::from_secs(300),
            workers: 2,
        }
    }
}

/// The running server. Stops when dropped.
pub struct FakeWechat {
    base_url: Url,
    state: Arc<FakeState>,
    handle: ServerHandle,
}

impl FakeWechat {
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(FakeConfig::default()).await
    }

    pub async fn start_with(config: FakeConfig) -> std::io::Result<Self> {
        let workers = config.workers.max(1);
        let state = Arc::new(FakeState::new(config));
        let (base_url, handle) = server::spawn(state.clone(), workers)?;
        Ok(Self {
            base_url,
            state,
            handle,
        })
    }

    /// `http://127.0.0.1:<port>`: use as the client's API base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub fn register_app(&self, appid: &str, secret: &str) {
        self.state.with(|s| s.register_app(appid, secret));
    }

    /// Template sends to this openid fail with 43004 (the user does not follow the account).
    pub fn mark_unfollowed(&self, openid: &str) {
        self.state.with(|s| s.unfollowed.insert(openid.to_owned()));
    }

    /// Subscribe sends to this openid fail with 43101 (no consent left).
    pub fn mark_refused(&self, openid: &str) {
        self.state.with(|s| s.refused.insert(openid.to_owned()));
    }

    /// What `/cgi-bin/user/info` answers for `openid`; unknown openids get a bare profile.
    pub fn set_user(&self, openid: &str, info: Value) {
        self.state.with(|s| s.users.insert(openid.to_owned(), info));
    }

    /// Restricts sends to these template ids (others fail with 40037). Empty allows all.
    pub fn allow_templates(&self, ids: &[&str]) {
        self.state
            .with(|s| s.templates = ids.iter().map(|t| (*t).to_owned()).collect());
    }

    /// A `wx.login` code `/sns/jscode2session` will accept once.
    pub fn add_login_code(
        &self,
        code: &str,
        openid: &str,
        unionid: Option<&str>,
        session_key: &str,
    ) {
        self.state
            .with(|s| s.add_login_code(code, openid, unionid, session_key));
    }

    /// A `getPhoneNumber` code `/wxa/business/getuserphonenumber` will accept once.
    pub fn add_phone_code(&self, code: &str, phone: &str) {
        self.state.with(|s| {
            s.phone_codes
                .insert(code.to_owned(), (phone.to_owned(), false))
        });
    }

    /// The next `times` calls to `path` misbehave as told, after any faults queued before.
    pub fn inject(&self, path: &str, fault: Fault, times: u32) {
        self.state.with(|s| s.inject(path, fault, times));
    }

    /// Template, subscribe and customer-service sends accepted, in order.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.state.with(|s| s.sent.clone())
    }

    pub fn qrcodes(&self) -> Vec<QrRecord> {
        self.state.with(|s| s.qrcodes.clone())
    }

    pub fn menu(&self) -> Option<Value> {
        self.state.with(|s| s.menu.clone())
    }

    /// Tokens handed out by `/cgi-bin/token` and `/cgi-bin/stable_token`, all apps.
    pub fn token_fetches(&self) -> u64 {
        self.state.with(|s| s.token_fetches)
    }

    /// `stable_token` calls with `force_refresh=true` that rotated the token.
    pub fn forced_refreshes(&self) -> u64 {
        self.state.with(|s| s.forced_refreshes)
    }

    /// Requests that reached `path`, injected faults included.
    pub fn calls(&self, path: &str) -> u64 {
        self.state.with(|s| s.calls.get(path).copied().unwrap_or(0))
    }

    /// Requests answered with a token error (40001/42001) on any path.
    pub fn token_rejections(&self) -> u64 {
        self.state.with(|s| s.token_rejections)
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

impl Drop for FakeWechat {
    fn drop(&mut self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(self.handle.stop(false));
        }
    }
}
