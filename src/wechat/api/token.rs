//! Access-token control for one app (the official account or the mini-program).
//!
//! Tokens live in a [`TokenStore`] shared by every instance, with an in-memory copy per
//! instance. When the token runs low, one instance takes the store's lease and fetches a new one;
//! the others poll the store until it appears. When WeChat rejects a token (40001/40014/42001),
//! the instance invalidates it in the store only if it is still the stored one, then refreshes
//! and retries the call once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::client::{ApiClient, Call};
use super::config::{TokenPolicy, TokenSource};
use super::error::{ApiError, RetryClass};
use super::token_store::{StoredToken, TokenStore};
use super::types::{StableTokenRequest, TokenResponse};
use crate::clock::SharedClock;
use crate::config::AppCredentials;

pub struct TokenManager {
    client: ApiClient,
    credentials: AppCredentials,
    store: Arc<dyn TokenStore>,
    clock: SharedClock,
    policy: TokenPolicy,
    /// Names this instance in the store's lease column.
    holder: String,
    cached: RwLock<Option<StoredToken>>,
    /// Lets one task per instance talk to the store; the others wait and reuse its result.
    refresh_gate: tokio::sync::Mutex<()>,
    last_forced: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("appid", &self.credentials.appid)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    pub fn new(
        client: ApiClient,
        credentials: AppCredentials,
        store: Arc<dyn TokenStore>,
        clock: SharedClock,
    ) -> Self {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let holder = format!(
            "pid{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        let policy = client.config().token.clone();
        Self {
            client,
            credentials,
            store,
            clock,
            policy,
            holder,
            cached: RwLock::new(None),
            refresh_gate: tokio::sync::Mutex::new(()),
            last_forced: Mutex::new(None),
        }
    }

    pub fn appid(&self) -> &str {
        &self.credentials.appid
    }

    pub(crate) fn client(&self) -> &ApiClient {
        &self.client
    }

    pub(crate) fn credentials(&self) -> &AppCredentials {
        &self.credentials
    }

    /// A token valid for at least the refresh margin.
    pub async fn token(&self) -> Result<SecretString, ApiError> {
        if let Some(t) = self.cached(None) {
            return Ok(t);
        }
        let _gate = self.refresh_gate.lock().await;
        if let Some(t) = self.cached(None) {
            return Ok(t);
        }
        self.obtain(None).await
    }

    /// After WeChat rejected `rejected`: a different token if one can be had. It returns the
    /// same token only when WeChat hands it back again and forcing is not allowed.
    pub async fn replace_rejected(
        &self,
        rejected: &SecretString,
    ) -> Result<SecretString, ApiError> {
        let rejected = rejected.expose_secret();
        let first_to_notice = {
            let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
            let hit = cached
                .as_ref()
                .is_some_and(|t| t.access_token.expose_secret() == rejected);
            if hit {
                *cached = None;
            }
            hit
        };
        // One store write per instance and token, not one per failed in-flight call.
        if first_to_notice {
            self.store
                .invalidate(self.appid(), rejected, self.clock.now())
                .await?;
        }
        let _gate = self.refresh_gate.lock().await;
        if let Some(t) = self.cached(Some(rejected)) {
            return Ok(t);
        }
        self.obtain(Some(rejected)).await
    }

    /// Calls an endpoint that takes `access_token`, refreshing the token and retrying once if
    /// WeChat rejects it; transient failures are retried with backoff inside each attempt.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, ApiError> {
        let mut token = self.token().await?;
        let mut refreshed = false;
        loop {
            let result = self
                .client
                .retrying(call.path(), || {
                    self.client.send_once(call, Some(token.expose_secret()))
                })
                .await;
            match result {
                Err(e) if e.retry_class() == RetryClass::RefreshToken && !refreshed => {
                    refreshed = true;
                    tracing::info!(appid = self.appid(), path = call.path(), error = %e,
                        "access token rejected; refreshing and retrying once");
                    let fresh = self.replace_rejected(&token).await?;
                    if fresh.expose_secret() == token.expose_secret() {
                        return Err(e);
                    }
                    token = fresh;
                }
                other => return other,
            }
        }
    }

    fn usable(&self, t: &StoredToken, rejected: Option<&str>) -> bool {
        let value = t.access_token.expose_secret();
        let margin =
            chrono::Duration::from_std(self.policy.refresh_margin).unwrap_or(chrono::Duration::MAX);
        !value.is_empty()
            && rejected != Some(value)
            && self
                .clock
                .now()
                .checked_add_signed(margin)
                .is_some_and(|t0| t0 < t.expires_at)
    }

    fn cached(&self, rejected: Option<&str>) -> Option<SecretString> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|t| self.usable(t, rejected))
            .map(|t| t.access_token.clone())
    }

    fn remember(&self, token: StoredToken) -> SecretString {
        let value = token.access_token.clone();
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) = Some(token);
        value
    }

    /// From the store if another instance has a usable token there, else fetched under the lease.
    async fn obtain(&self, rejected: Option<&str>) -> Result<SecretString, ApiError> {
        let appid = self.appid();
        let started = Instant::now();
        let lease = chrono::Duration::from_std(self.policy.lease_duration)
            .unwrap_or(chrono::Duration::seconds(60));
        loop {
            if let Some(t) = self.store.load(appid).await?
                && self.usable(&t, rejected)
            {
                return Ok(self.remember(t));
            }
            let now = self.clock.now();
            if self
                .store
                .try_acquire_lease(appid, &self.holder, now, now + lease)
                .await?
            {
                // Another instance may have stored a token between our load and our lease.
                if let Some(t) = self.store.load(appid).await?
                    && self.usable(&t, rejected)
                {
                    self.store
                        .release_lease(appid, &self.holder, self.clock.now())
                        .await?;
                    return Ok(self.remember(t));
                }
                return self.fetch_and_store(rejected).await;
            }
            if started.elapsed() >= self.policy.wait_timeout {
                return Err(ApiError::TokenWaitTimeout);
            }
            tokio::time::sleep(self.policy.poll_interval).await;
        }
    }

    /// Runs with the lease held; always gives it back.
    async fn fetch_and_store(&self, rejected: Option<&str>) -> Result<SecretString, ApiError> {
        let appid = self.appid();
        let fetched = match self.fetch_replacement(rejected).await {
            Ok(t) => t,
            Err(e) => {
                if let Err(release) = self
                    .store
                    .release_lease(appid, &self.holder, self.clock.now())
                    .await
                {
                    tracing::warn!(appid, error = %release, "could not release the token lease; it will time out");
                }
                return Err(e);
            }
        };
        tracing::info!(appid, expires_at = %fetched.expires_at, "fetched a new access token");
        let stored = self
            .store
            .store_and_release(appid, &self.holder, &fetched, self.clock.now());
        // The token is good either way; the other instances fetch their own after the lease.
        match stored.await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(appid, "token lease ran out before the token was saved"),
            Err(e) => tracing::warn!(appid, error = %e, "could not save the new access token"),
        }
        Ok(self.remember(fetched))
    }

    /// A normal fetch first: after another party force-refreshed or the token expired, the
    /// stable endpoint already hands out the new token, and forcing would only spend one of
    /// the 20 daily forced refreshes (and invalidate the token every other instance holds).
    async fn fetch_replacement(&self, rejected: Option<&str>) -> Result<StoredToken, ApiError> {
        let token = self.fetch(false).await?;
        let same_as_rejected = rejected == Some(token.access_token.expose_secret());
        if self.policy.source == TokenSource::Stable && same_as_rejected && self.may_force() {
            tracing::warn!(
                appid = self.appid(),
                "WeChat rejected its own current token; forcing a refresh"
            );
            return self.fetch(true).await;
        }
        Ok(token)
    }

    fn may_force(&self) -> bool {
        let Some(interval) = self.policy.force_refresh_min_interval else {
            return false;
        };
        let mut last = self
            .last_forced
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < interval) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    async fn fetch(&self, force_refresh: bool) -> Result<StoredToken, ApiError> {
        let creds = &self.credentials;
        let call = match self.policy.source {
            TokenSource::Stable => Call::post_json(
                "/cgi-bin/stable_token",
                &StableTokenRequest {
                    grant_type: "client_credential",
                    appid: &creds.appid,
                    secret: creds.secret.expose_secret(),
                    force_refresh,
                },
            )?,
            TokenSource::Basic => Call::get("/cgi-bin/token")
                .query("grant_type", "client_credential")
                .query("appid", creds.appid.clone())
                .query("secret", creds.secret.expose_secret()),
        };
        // Measured from before the request, so our idea of expiry is never later than WeChat's.
        let requested_at = self.clock.now();
        let resp: TokenResponse = self
            .client
            .retrying(call.path(), || self.client.send_once(&call, None))
            .await?;
        if resp.access_token.expose_secret().is_empty() || resp.expires_in <= 0 {
            return Err(ApiError::Decode(
                "token answer without a token or lifetime".into(),
            ));
        }
        Ok(StoredToken {
            access_token: resp.access_token,
            expires_at: requested_at + chrono::Duration::seconds(resp.expires_in),
        })
    }
}
