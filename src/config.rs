//! Configuration: defaults, then `babyvax.toml` in the working directory, then the environment.
//!
//! Environment names follow the DESIGN's contract: `DATABASE_URL` and `BABYVAX_*`
//! (`BABYVAX_OA_APPID` becomes the key `oa_appid`, and so on). Secrets are kept in
//! [`SecretString`] so that `Debug` and logs never show them.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::wechat::crypto::AesKey;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://babyvax.db?mode=rwc";
pub const DEFAULT_WECHAT_API_BASE: &str = "https://api.weixin.qq.com";

/// The raw, flat shape of every configuration source. Validated into [`Settings`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RawSettings {
    pub database_url: String,
    pub bind: String,
    pub oa_appid: Option<String>,
    pub oa_secret: Option<SecretString>,
    pub oa_token: Option<SecretString>,
    pub oa_aes_key: Option<SecretString>,
    pub mp_appid: Option<String>,
    pub mp_secret: Option<SecretString>,
    pub wechat_api_base: String,
    pub jwt_secret: Option<SecretString>,
    /// Comma-separated addresses or CIDR ranges of the reverse proxies in front of us, whose
    /// `X-Forwarded-For` is believed (see `auth::origin`). Empty: the peer address is the client.
    pub trusted_proxies: String,
    /// How far a callback's `timestamp` may be from our clock, in seconds.
    pub callback_timestamp_window_secs: i64,
    /// How long the callback handler may work on a reply before it answers `success`.
    pub callback_reply_budget_ms: u64,
    pub log_format: LogFormat,
    // ---- push engine (see PushSettings) ----
    pub push_enabled: bool,
    pub push_lead_days: u32,
    pub push_overdue_days: String,
    pub push_catch_up_days: u32,
    pub push_plan_time: String,
    pub push_quiet_start: String,
    pub push_quiet_end: String,
    pub push_send_rate_per_sec: f64,
    pub push_batch_size: u32,
    pub push_lease_secs: u64,
    pub push_max_attempts: u32,
    pub push_retry_base_secs: u64,
    pub push_retry_max_secs: u64,
    pub push_quota_pause_secs: u64,
    /// JSON text, or a table in babyvax.toml; see `domain::push::templates`.
    pub push_templates: Option<serde_json::Value>,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            oa_appid: None,
            oa_secret: None,
            oa_token: None,
            oa_aes_key: None,
            mp_appid: None,
            mp_secret: None,
            wechat_api_base: DEFAULT_WECHAT_API_BASE.to_owned(),
            jwt_secret: None,
            trusted_proxies: String::new(),
            callback_timestamp_window_secs: 300,
            callback_reply_budget_ms: 4000,
            log_format: LogFormat::Text,
            push_enabled: true,
            push_lead_days: 3,
            push_overdue_days: "7,30".to_owned(),
            push_catch_up_days: 3,
            push_plan_time: "09:00".to_owned(),
            push_quiet_start: "21:00".to_owned(),
            push_quiet_end: "08:00".to_owned(),
            push_send_rate_per_sec: 20.0,
            push_batch_size: 50,
            push_lease_secs: 120,
            push_max_attempts: 100,
            push_retry_base_secs: 5,
            push_retry_max_secs: 300,
            push_quota_pause_secs: 3600,
            push_templates: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Official-account callback settings; present only when both Token and EncodingAESKey are set.
#[derive(Debug, Clone)]
pub struct CallbackSettings {
    pub token: SecretString,
    pub aes_key: AesKey,
    /// The official account's appid: the tail of every safe-mode plaintext.
    pub appid: String,
}

#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub appid: String,
    pub secret: SecretString,
}

/// Validated settings the application runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub callback: Option<CallbackSettings>,
    pub oa: Option<AppCredentials>,
    pub mp: Option<AppCredentials>,
    pub wechat_api_base: reqwest::Url,
    pub jwt_secret: Option<SecretString>,
    pub trusted_proxies: Vec<IpNet>,
    pub callback_timestamp_window_secs: i64,
    pub callback_reply_budget_ms: u64,
    pub log_format: LogFormat,
    pub push: PushSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Read(String),
    #[error("invalid configuration value for {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl RawSettings {
    /// Defaults, then `dir/babyvax.toml` if present, then the environment.
    pub fn load_from(dir: &Path) -> Result<Self, ConfigError> {
        Figment::new()
            .merge(Toml::file(dir.join("babyvax.toml")))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("BABYVAX_"))
            .extract()
            .map_err(|e| ConfigError::Read(e.to_string()))
    }

    pub fn validate(self) -> Result<Settings, ConfigError> {
        let push = push_settings(&self)?;
        let bind = self.bind.parse().map_err(|e| ConfigError::Invalid {
            key: "BABYVAX_BIND",
            reason: format!("{e} (expected host:port, e.g. 127.0.0.1:8080)"),
        })?;
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                key: "DATABASE_URL",
                reason: "must start with sqlite:, postgres:// or postgresql://".into(),
            });
        }
        let wechat_api_base = parse_http_url("BABYVAX_WECHAT_API_BASE", &self.wechat_api_base)?;
        let oa_appid = non_empty(self.oa_appid);
        let callback = match (
            non_empty_secret(self.oa_token),
            non_empty_secret(self.oa_aes_key),
        ) {
            (Some(token), Some(key)) => {
                let aes_key = AesKey::from_encoding_aes_key(key.expose_secret()).map_err(|e| {
                    ConfigError::Invalid {
                        key: "BABYVAX_OA_AES_KEY",
                        reason: e.to_string(),
                    }
                })?;
                let appid = oa_appid.clone().ok_or(ConfigError::Invalid {
                    key: "BABYVAX_OA_APPID",
                    reason: "required when BABYVAX_OA_AES_KEY is set (safe mode checks the appid)"
                        .into(),
                })?;
                Some(CallbackSettings {
                    token,
                    aes_key,
                    appid,
                })
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    key: "BABYVAX_OA_AES_KEY",
                    reason: "must be set together with BABYVAX_OA_TOKEN".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: "BABYVAX_OA_TOKEN",
                    reason: "must be set together with BABYVAX_OA_AES_KEY".into(),
                });
            }
        };
        let trusted_proxies = parse_trusted_proxies(&self.trusted_proxies).map_err(|reason| {
            ConfigError::Invalid {
                key: "BABYVAX_TRUSTED_PROXIES",
                reason,
            }
        })?;
        let oa = credentials(oa_appid, self.oa_secret);
        let mp = credentials(non_empty(self.mp_appid), self.mp_secret);
        if self.callback_timestamp_window_secs <= 0 {
            return Err(ConfigError::Invalid {
                key: "BABYVAX_CALLBACK_TIMESTAMP_WINDOW_SECS",
                reason: "must be a positive number of seconds".into(),
            });
        }
        if !(100..=4800).contains(&self.callback_reply_budget_ms) {
            return Err(ConfigError::Invalid {
                key: "BABYVAX_CALLBACK_REPLY_BUDGET_MS",
                reason: "must be between 100 and 4800: WeChat gives up after 5 seconds".into(),
            });
        }
        Ok(Settings {
            push,
            database_url: self.database_url,
            bind,
            callback,
            oa,
            mp,
            wechat_api_base,
            jwt_secret: non_empty_secret(self.jwt_secret),
            trusted_proxies,
            callback_timestamp_window_secs: self.callback_timestamp_window_secs,
            callback_reply_budget_ms: self.callback_reply_budget_ms,
            log_format: self.log_format,
        })
    }
}

impl Settings {
    /// Loads and validates the configuration for a process started in `dir`.
    pub fn load_from(dir: &Path) -> Result<Self, ConfigError> {
        RawSettings::load_from(dir)?.validate()
    }
}

/// The push engine's settings (`BABYVAX_PUSH_*`).
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// `serve` runs the daily planner and the sender.
    pub enabled: bool,
    pub rules: crate::domain::push::Rules,
    /// Minutes after midnight, Asia/Shanghai, at which `serve` plans the day.
    pub plan_minute: u32,
    pub quiet: crate::domain::push::QuietHours,
    pub send_rate_per_sec: f64,
    pub batch_size: u32,
    pub lease: std::time::Duration,
    pub max_attempts: u32,
    pub retry_base: std::time::Duration,
    pub retry_max: std::time::Duration,
    pub quota_pause: std::time::Duration,
    pub templates: crate::domain::push::templates::TemplateSet,
}

impl Default for PushSettings {
    fn default() -> Self {
        // The defaults of RawSettings are valid by construction (a unit test checks it).
        push_settings(&RawSettings::default()).unwrap_or_else(|_| unreachable!("valid defaults"))
    }
}

fn push_settings(raw: &RawSettings) -> Result<PushSettings, ConfigError> {
    use crate::domain::push::{QuietHours, Rules, parse_hhmm, templates::TemplateSet};
    use std::time::Duration;
    let hhmm = |key: &'static str, value: &str| {
        parse_hhmm(value).ok_or_else(|| ConfigError::Invalid {
            key,
            reason: format!("expected HH:MM (Asia/Shanghai), got {value:?}"),
        })
    };
    let overdue_days = raw
        .push_overdue_days
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
        })
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(|| ConfigError::Invalid {
            key: "BABYVAX_PUSH_OVERDUE_DAYS",
            reason: "expected comma-separated days after complete-by, e.g. 7,30".into(),
        })?;
    if raw.push_lead_days > 60 {
        return Err(ConfigError::Invalid {
            key: "BABYVAX_PUSH_LEAD_DAYS",
            reason: "must be 0 to 60 days".into(),
        });
    }
    if !(raw.push_send_rate_per_sec > 0.0 && raw.push_send_rate_per_sec <= 100_000.0) {
        return Err(ConfigError::Invalid {
            key: "BABYVAX_PUSH_SEND_RATE_PER_SEC",
            reason: "must be a positive number of messages per second".into(),
        });
    }
    if raw.push_batch_size == 0 || raw.push_batch_size > 10_000 {
        return Err(ConfigError::Invalid {
            key: "BABYVAX_PUSH_BATCH_SIZE",
            reason: "must be 1 to 10000".into(),
        });
    }
    if raw.push_lease_secs < 5 {
        return Err(ConfigError::Invalid {
            key: "BABYVAX_PUSH_LEASE_SECS",
            reason: "must be at least 5 seconds (it must outlast one send)".into(),
        });
    }
    let templates = match &raw.push_templates {
        None => Ok(TemplateSet::default()),
        Some(serde_json::Value::String(json)) if json.trim().is_empty() => {
            Ok(TemplateSet::default())
        }
        Some(serde_json::Value::String(json)) => TemplateSet::parse(json),
        Some(table) => TemplateSet::parse(&table.to_string()),
    }
    .map_err(|reason| ConfigError::Invalid {
        key: "BABYVAX_PUSH_TEMPLATES",
        reason,
    })?;
    Ok(PushSettings {
        enabled: raw.push_enabled,
        rules: Rules {
            lead_days: raw.push_lead_days,
            overdue_days,
            catch_up_days: raw.push_catch_up_days,
        },
        plan_minute: hhmm("BABYVAX_PUSH_PLAN_TIME", &raw.push_plan_time)?,
        quiet: QuietHours {
            start_minute: hhmm("BABYVAX_PUSH_QUIET_START", &raw.push_quiet_start)?,
            end_minute: hhmm("BABYVAX_PUSH_QUIET_END", &raw.push_quiet_end)?,
        },
        send_rate_per_sec: raw.push_send_rate_per_sec,
        batch_size: raw.push_batch_size,
        lease: Duration::from_secs(raw.push_lease_secs),
        max_attempts: raw.push_max_attempts.max(1),
        retry_base: Duration::from_secs(raw.push_retry_base_secs.max(1)),
        retry_max: Duration::from_secs(raw.push_retry_max_secs.max(1)),
        quota_pause: Duration::from_secs(raw.push_quota_pause_secs),
        templates,
    })
}

fn parse_http_url(key: &'static str, value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value).map_err(|e| ConfigError::Invalid {
        key,
        reason: format!("{e}: {value:?}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::Invalid {
            key,
            reason: format!("must be an http(s) URL with a host: {value:?}"),
        });
    }
    Ok(url)
}

/// `BABYVAX_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges.
fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{entry:?} is not an IP address or CIDR range"))
        })
        .collect()
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn non_empty_secret(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|v| !v.expose_secret().trim().is_empty())
}

fn credentials(appid: Option<String>, secret: Option<SecretString>) -> Option<AppCredentials> {
    match (appid, non_empty_secret(secret)) {
        (Some(appid), Some(secret)) => Some(AppCredentials { appid, secret }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawSettings {
        RawSettings::default()
    }

    #[test]
    fn defaults_are_valid_and_disable_wechat() {
        let s = raw().validate().unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.callback.is_none() && s.oa.is_none() && s.mp.is_none());
    }

    #[test]
    fn push_defaults_are_valid_and_bad_push_values_name_their_variable() {
        let s = raw().validate().unwrap();
        assert_eq!(s.push.rules.lead_days, 3);
        assert_eq!(s.push.rules.overdue_days, [7, 30]);
        assert_eq!(s.push.quiet.start_minute, 21 * 60);
        let mut r = raw();
        r.push_plan_time = "9 o'clock".into();
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("BABYVAX_PUSH_PLAN_TIME")
        );
        let mut r = raw();
        r.push_templates = Some(serde_json::Value::String("{\"vaccine\": 3}".into()));
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("BABYVAX_PUSH_TEMPLATES")
        );
    }

    #[test]
    fn aes_key_of_wrong_length_is_refused_naming_the_variable() {
        let mut r = raw();
        r.oa_appid = Some("wx1".into());
        r.oa_token = Some("t".into());
        r.oa_aes_key = Some("short".into());
        let err = r.validate().unwrap_err().to_string();
        assert!(err.contains("BABYVAX_OA_AES_KEY"), "{err}");
    }

    #[test]
    fn malformed_urls_and_bind_addresses_are_refused() {
        let mut r = raw();
        r.wechat_api_base = "not a url".into();
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("BABYVAX_WECHAT_API_BASE")
        );
        let mut r = raw();
        r.bind = "localhost".into();
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("BABYVAX_BIND")
        );
        let mut r = raw();
        r.database_url = "mysql://x".into();
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("DATABASE_URL")
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let parsed = parse_trusted_proxies(" 10.0.0.0/8 ,::1, 192.0.2.1,").unwrap();
        assert_eq!(parsed.len(), 3);
        assert!(parsed[1].contains(&"::1".parse::<IpAddr>().unwrap()));
        assert!(parse_trusted_proxies("").unwrap().is_empty());
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("proxy.local").is_err());
    }

    #[test]
    fn a_malformed_trusted_proxy_is_refused_naming_the_variable() {
        let mut r = raw();
        r.trusted_proxies = "10.0.0.0/8, proxy.local".into();
        let err = r.validate().unwrap_err().to_string();
        assert!(
            err.contains("BABYVAX_TRUSTED_PROXIES") && err.contains("proxy.local"),
            "{err}"
        );
        assert!(raw().validate().unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let mut r = raw();
        r.oa_appid = Some("wx1".into());
        r.oa_token = Some("tok-very-secret".into());
        r.oa_aes_key = Some("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into());
        r.jwt_secret = Some("jwt-very-secret".into());
        let s = r.validate().unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("tok-very-secret") && !shown.contains("jwt-very-secret"));
        assert!(!shown.contains("abcdefghijklmnopqrstuvwxyz"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Error is large; it is only a test.
    fn toml_file_then_environment_override_defaults() {
        let dir = std::env::temp_dir().join(format!("babyvax-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("babyvax.toml"),
            "bind = \"127.0.0.1:9999\"\nmp_appid = \"wxmp\"\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("BABYVAX_MP_APPID", "wxenv");
            let r = RawSettings::load_from(&dir).map_err(|e| e.to_string())?;
            assert_eq!(r.bind, "127.0.0.1:9999");
            assert_eq!(r.mp_appid.as_deref(), Some("wxenv"));
            Ok(())
        });
        std::fs::remove_dir_all(&dir).ok();
    }
}
