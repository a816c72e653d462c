//! Tunables of the outbound client. Defaults suit production; tests shrink them.

use std::time::Duration;

use reqwest::Url;

#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// `https://api.weixin.qq.com` (`crate::config::DEFAULT_WECHAT_API_BASE`), or a fake WeChat
    /// on loopback.
    pub base_url: Url,
    pub connect_timeout: Duration,
    /// Whole request, connect to last byte of the body.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub token: TokenPolicy,
}

impl ApiConfig {
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            token: TokenPolicy::default(),
        }
    }
}

/// Backoff for transient failures (busy, network, timeout, 5xx).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in total, the first included; 1 disables retries.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Delay before try number `attempt + 1`: base * 2^(attempt-1), capped.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Which WeChat endpoint hands out access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `POST /cgi-bin/stable_token`: repeated calls return the same token while it is valid,
    /// so a stray fetch elsewhere cannot invalidate ours.
    Stable,
    /// `GET /cgi-bin/token`: every fetch invalidates the previous token.
    Basic,
}

#[derive(Debug, Clone)]
pub struct TokenPolicy {
    pub source: TokenSource,
    /// Refresh this long before expiry; the stable endpoint itself rotates 5 minutes early.
    pub refresh_margin: Duration,
    /// How long one instance may hold the refresh lease; must outlast a fetch with its retries.
    pub lease_duration: Duration,
    /// How often an instance waiting on another's refresh looks at the store.
    pub poll_interval: Duration,
    /// How long to wait for another instance's refresh before giving up.
    pub wait_timeout: Duration,
    /// `force_refresh=true` is limited to 20 a day and 30 s apart, so it is used only when a
    /// normal fetch hands back the very token WeChat just rejected, and at most once per this
    /// interval in a process. `None` never forces.
    pub force_refresh_min_interval: Option<Duration>,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            source: TokenSource::Stable,
            refresh_margin: Duration::from_secs(300),
            lease_duration: Duration::from_secs(60),
            poll_interval: Duration::from_millis(100),
            wait_timeout: Duration::from_secs(90),
            force_refresh_min_interval: Some(Duration::from_secs(3600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let delays: Vec<u128> = (1..=5).map(|a| p.delay_after(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500]);
        assert_eq!(p.delay_after(u32::MAX), Duration::from_millis(500));
    }
}
