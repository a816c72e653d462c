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

mod pay;
mod server;
mod state;

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use reqwest::Url;
use serde_json::Value;

use crate::clock::{SharedClock, SystemClock};

pub use pay::{FakeOrder, FakePayConfig, FakeRefund, Notice, Tamper};
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

    // ---- WeChat Pay v3

    /// Turns WeChat Pay on with these keys; point `BABYVAX_PAY_API_BASE` at `base_url()`.
    pub fn enable_pay(&self, config: FakePayConfig) {
        self.state.with(|s| s.pay.config = Some(config));
    }

    fn pay_now(&self) -> chrono::DateTime<chrono::Utc> {
        let fallback = self.state.now();
        self.state.with(|s| s.pay.now(fallback))
    }

    /// Notifications go to `url` instead of the prepay's `notify_url`.
    pub fn redirect_pay_notifications(&self, url: &str) {
        self.state
            .with(|s| s.pay.notify_override = Some(url.to_owned()));
    }

    pub fn pay_order(&self, out_trade_no: &str) -> Option<FakeOrder> {
        self.state.with(|s| s.pay.orders.get(out_trade_no).cloned())
    }

    pub fn pay_refund(&self, out_refund_no: &str) -> Option<FakeRefund> {
        self.state
            .with(|s| s.pay.refunds.get(out_refund_no).cloned())
    }

    /// Refunds the fake accepted, in no particular order.
    pub fn pay_refunds(&self) -> Vec<FakeRefund> {
        self.state
            .with(|s| s.pay.refunds.values().cloned().collect())
    }

    /// Requests refused with `401 SIGN_ERROR`.
    pub fn pay_sign_errors(&self) -> u64 {
        self.state.with(|s| s.pay.sign_errors)
    }

    /// The user pays: the order becomes SUCCESS (no notification is sent; see `pay_notice`).
    pub fn mark_paid(&self, out_trade_no: &str) -> Option<FakeOrder> {
        let now = self.pay_now();
        self.state.with(|s| s.pay.mark_paid(out_trade_no, now))
    }

    /// The payment fails (`PAYERROR`); no notification (WeChat sends none for failures).
    pub fn mark_failed(&self, out_trade_no: &str) {
        self.state.with(|s| {
            if let Some(o) = s.pay.orders.get_mut(out_trade_no) {
                o.trade_state = "PAYERROR".into();
            }
        });
    }

    /// Closes the order on WeChat Pay's side.
    pub fn mark_closed(&self, out_trade_no: &str) {
        self.state.with(|s| {
            if let Some(o) = s.pay.orders.get_mut(out_trade_no) {
                o.trade_state = "CLOSED".into();
            }
        });
    }

    /// The `TRANSACTION.SUCCESS` notification of a paid order, spoiled as `tamper` says.
    pub fn pay_notice(&self, out_trade_no: &str, tamper: Tamper) -> Option<Notice> {
        let now = self.pay_now();
        self.state.with(|s| {
            let o = s.pay.orders.get(out_trade_no)?.clone();
            o.transaction_id.as_ref()?;
            let resource = pay::transaction_json(&o);
            s.pay.notice(
                &o.notify_url,
                "TRANSACTION.SUCCESS",
                "transaction",
                &resource,
                tamper,
                now,
            )
        })
    }

    /// Settles a refund (`SUCCESS`, `CLOSED` or `ABNORMAL`) and answers its notification.
    pub fn settle_refund(&self, out_refund_no: &str, status: &str) -> Option<Notice> {
        let now = self.pay_now();
        self.state.with(|s| {
            let r = s.pay.refunds.get_mut(out_refund_no)?;
            r.status = status.to_owned();
            let r = r.clone();
            let cfg = s.pay.config.clone()?;
            let url = r.notify_url.clone()?;
            let resource = pay::refund_notice_json(&r, &cfg.mchid);
            s.pay.notice(
                &url,
                &format!("REFUND.{status}"),
                "refund",
                &resource,
                Tamper::None,
                now,
            )
        })
    }

    /// Pays and delivers the notification once; answers the notify URL's HTTP status.
    pub async fn pay(&self, out_trade_no: &str) -> Option<u16> {
        self.mark_paid(out_trade_no)?;
        let notice = self.pay_notice(out_trade_no, Tamper::None)?;
        Some(self.deliver(&notice).await)
    }

    /// POSTs a notification to its URL as WeChat Pay does; answers the HTTP status (0 when
    /// the URL cannot be reached).
    pub async fn deliver(&self, notice: &Notice) -> u16 {
        let client = reqwest::Client::new();
        let mut req = client
            .post(&notice.url)
            .header("Content-Type", "application/json")
            .body(notice.body.clone());
        for (name, value) in &notice.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        match req.send().await {
            Ok(resp) => resp.status().as_u16(),
            Err(_) => 0,
        }
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
