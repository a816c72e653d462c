//! WeChat's `errcode`/`errmsg` and transport failures as one typed error, with a verdict on
//! whether trying again can help.

use std::time::Duration;

/// What a caller should do about an [`ApiError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// The access token was rejected: refresh it and retry the call once.
    RefreshToken,
    /// A call quota or frequency limit: report it; retrying now only burns more quota.
    Quota,
    /// Busy, network, timeout or HTTP 5xx: retry with capped exponential backoff.
    Transient,
    /// The request itself is wrong (unfollowed user, bad template, bad input): never retry.
    Permanent,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("WeChat error {code}: {message}")]
    Wechat { code: i64, message: String },
    #[error("WeChat answered HTTP {0}")]
    HttpStatus(u16),
    #[error("WeChat did not answer within {0:?}")]
    Timeout(Duration),
    /// The URL is stripped from the source: it may carry an access token or app secret.
    #[error("could not reach WeChat")]
    Network(#[source] reqwest::Error),
    #[error("unexpected answer from WeChat: {0}")]
    Decode(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("the HTTP client could not be built")]
    ClientSetup(#[source] reqwest::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("gave up waiting for another instance to refresh the access token")]
    TokenWaitTimeout,
}

/// A failure of the shared access-token store (the database, in production).
#[derive(Debug, thiserror::Error)]
#[error("access-token store failed")]
pub struct StoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    pub fn new(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(source))
    }
}

/// Access-token errors: 40001 invalid or not latest, 40014 invalid, 42001 expired.
pub const TOKEN_ERRCODES: [i64; 3] = [40001, 40014, 42001];

impl ApiError {
    pub fn wechat(code: i64, message: impl Into<String>) -> Self {
        Self::Wechat {
            code,
            message: message.into(),
        }
    }

    /// WeChat's errcode, when the error came from WeChat's JSON.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Wechat { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn retry_class(&self) -> RetryClass {
        match self {
            Self::Wechat { code, message } => classify_errcode(*code, message),
            Self::HttpStatus(429) => RetryClass::Quota,
            Self::HttpStatus(s) if *s >= 500 => RetryClass::Transient,
            Self::HttpStatus(_) => RetryClass::Permanent,
            Self::Timeout(_) | Self::Network(_) | Self::Store(_) | Self::TokenWaitTimeout => {
                RetryClass::Transient
            }
            Self::Decode(_) | Self::InvalidRequest(_) | Self::ClientSetup(_) => {
                RetryClass::Permanent
            }
        }
    }

    /// Whether trying again (after a token refresh, or later) can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.retry_class(),
            RetryClass::RefreshToken | RetryClass::Transient
        )
    }

    pub(crate) fn from_reqwest(err: reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            Self::Timeout(timeout)
        } else {
            Self::Network(err.without_url())
        }
    }
}

/// 450xx is WeChat's "limit" range, but it also holds content-size errors (45002 content too
/// long, 45015 reply window closed); only quota/frequency ones are [`RetryClass::Quota`].
pub fn classify_errcode(code: i64, message: &str) -> RetryClass {
    match code {
        -1 => RetryClass::Transient,
        c if TOKEN_ERRCODES.contains(&c) => RetryClass::RefreshToken,
        45009 | 45011 | 45047 => RetryClass::Quota,
        45000..=45099 => {
            let m = message.to_ascii_lowercase();
            if m.contains("quota") || m.contains("freq") {
                RetryClass::Quota
            } else {
                RetryClass::Permanent
            }
        }
        _ => RetryClass::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcodes_are_classified_as_the_protocol_notes_say() {
        let class = |c| ApiError::wechat(c, "x").retry_class();
        for c in [40001, 40014, 42001] {
            assert_eq!(class(c), RetryClass::RefreshToken, "{c}");
        }
        for c in [45009, 45011, 45047] {
            assert_eq!(class(c), RetryClass::Quota, "{c}");
        }
        for c in [
            43004, 43101, 40003, 40037, 47003, 40125, 48001, 45002, 45015,
        ] {
            assert_eq!(class(c), RetryClass::Permanent, "{c}");
        }
        assert_eq!(class(-1), RetryClass::Transient);
        assert_eq!(
            ApiError::wechat(45064, "api freq out of limit").retry_class(),
            RetryClass::Quota
        );
        assert_eq!(
            ApiError::HttpStatus(502).retry_class(),
            RetryClass::Transient
        );
        assert_eq!(
            ApiError::HttpStatus(404).retry_class(),
            RetryClass::Permanent
        );
        assert_eq!(
            ApiError::Timeout(Duration::from_secs(1)).retry_class(),
            RetryClass::Transient
        );
        assert!(!ApiError::wechat(45009, "quota").is_retryable());
    }
}
