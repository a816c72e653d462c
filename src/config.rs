//! Configuration: defaults, then `babyvax.toml` in the working directory, then the environment.
//!
//! Environment names follow the DESIGN's contract: `DATABASE_URL` and `BABYVAX_*`
//! (`BABYVAX_OA_APPID` becomes the key `oa_appid`, and so on). Secrets are kept in
//! [`SecretString`] so that `Debug` and logs never show them.
//!
//! A text setting takes any text, whatever it looks like: WeChat accepts a Token such as `123456`.
//! The environment is read verbatim (`VerbatimEnv`), and text fields also take an unquoted number
//! or boolean from babyvax.toml (`text`).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::wechat::crypto::AesKey;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://babyvax.db?mode=rwc";
pub const DEFAULT_INBOUND_RETENTION_DAYS: u32 = 30;
pub const DEFAULT_WECHAT_API_BASE: &str = "https://api.weixin.qq.com";

/// The raw, flat shape of every configuration source. Validated into [`Settings`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RawSettings {
    #[serde(deserialize_with = "text")]
    pub database_url: String,
    #[serde(deserialize_with = "text")]
    pub bind: String,
    #[serde(deserialize_with = "optional_text")]
    pub oa_appid: Option<String>,
    #[serde(deserialize_with = "optional_text")]
    pub oa_secret: Option<SecretString>,
    #[serde(deserialize_with = "optional_text")]
    pub oa_token: Option<SecretString>,
    #[serde(deserialize_with = "optional_text")]
    pub oa_aes_key: Option<SecretString>,
    #[serde(deserialize_with = "optional_text")]
    pub mp_appid: Option<String>,
    #[serde(deserialize_with = "optional_text")]
    pub mp_secret: Option<SecretString>,
    #[serde(deserialize_with = "text")]
    pub wechat_api_base: String,
    #[serde(deserialize_with = "optional_text")]
    pub jwt_secret: Option<SecretString>,
    /// Comma-separated addresses or CIDR ranges of the reverse proxies in front of us, whose
    /// `X-Forwarded-For` is believed (see `auth::origin`). Empty: the peer address is the client.
    #[serde(deserialize_with = "text")]
    pub trusted_proxies: String,
    /// How far a callback's `timestamp` may be from our clock, in seconds.
    pub callback_timestamp_window_secs: i64,
    /// How long the callback handler may work on a reply before it answers `success`.
    pub callback_reply_budget_ms: u64,
    /// Days a callback delivery keeps its body and stored reply (its dedup row stays).
    pub inbound_retention_days: u32,
    pub log_format: LogFormat,
    // ---- push engine (see PushSettings) ----
    pub push_enabled: bool,
    pub push_lead_days: u32,
    #[serde(deserialize_with = "text")]
    pub push_overdue_days: String,
    pub push_catch_up_days: u32,
    /// `STATE:AFTER_DAYS:EVERY_DAYS,...`; see `domain::push::FollowUpRule`.
    #[serde(deserialize_with = "text")]
    pub push_follow_ups: String,
    #[serde(deserialize_with = "text")]
    pub push_plan_time: String,
    #[serde(deserialize_with = "text")]
    pub push_quiet_start: String,
    #[serde(deserialize_with = "text")]
    pub push_quiet_end: String,
    pub push_send_rate_per_sec: f64,
    pub push_batch_size: u32,
    pub push_send_in_flight: u32,
    pub push_lease_secs: u64,
    pub push_max_attempts: u32,
    pub push_retry_base_secs: u64,
    pub push_retry_max_secs: u64,
    pub push_quota_pause_secs: u64,
    /// JSON text, or a table in babyvax.toml; see `domain::push::templates`.
    pub push_templates: Option<serde_json::Value>,
    // ---- WeChat Pay v3 (see PaySettings); all unset: payment disabled
    #[serde(deserialize_with = "optional_text")]
    pub pay_mchid: Option<String>,
    #[serde(deserialize_with = "optional_text")]
    pub pay_merchant_serial: Option<String>,
    /// PEM text, or a path to a PEM file.
    #[serde(deserialize_with = "optional_text")]
    pub pay_private_key: Option<SecretString>,
    #[serde(deserialize_with = "optional_text")]
    pub pay_api_v3_key: Option<SecretString>,
    /// The WeChat Pay public key (SPKI PEM text or path).
    #[serde(deserialize_with = "optional_text")]
    pub pay_public_key: Option<String>,
    #[serde(deserialize_with = "optional_text")]
    pub pay_public_key_id: Option<String>,
    /// One or more platform certificates (PEM text or path).
    #[serde(deserialize_with = "optional_text")]
    pub pay_platform_certs: Option<String>,
    #[serde(deserialize_with = "text")]
    pub pay_api_base: String,
    #[serde(deserialize_with = "optional_text")]
    pub pay_notify_url: Option<String>,
    // ---- points ----
    /// Credits expire at the end of the month this many months after they were earned.
    pub points_expiry_months: u32,
    /// `serve` runs the daily points expiry job.
    pub points_expiry_enabled: bool,
    // ---- membership ----
    /// Coupon template ids granted each month to advanced and premium members, comma-separated.
    #[serde(deserialize_with = "optional_text")]
    pub membership_coupon_pack: Option<String>,
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
            inbound_retention_days: DEFAULT_INBOUND_RETENTION_DAYS,
            log_format: LogFormat::Text,
            push_enabled: true,
            push_lead_days: 3,
            push_overdue_days: "7,30".to_owned(),
            push_catch_up_days: 3,
            push_follow_ups: "due:0:7,due:28:30,overdue:0:30".to_owned(),
            push_plan_time: "09:00".to_owned(),
            push_quiet_start: "21:00".to_owned(),
            push_quiet_end: "08:00".to_owned(),
            push_send_rate_per_sec: 20.0,
            push_batch_size: 50,
            push_send_in_flight: 1,
            push_lease_secs: 120,
            push_max_attempts: 100,
            push_retry_base_secs: 5,
            push_retry_max_secs: 300,
            push_quota_pause_secs: 3600,
            push_templates: None,
            pay_mchid: None,
            pay_merchant_serial: None,
            pay_private_key: None,
            pay_api_v3_key: None,
            pay_public_key: None,
            pay_public_key_id: None,
            pay_platform_certs: None,
            pay_api_base: crate::wechat::pay::DEFAULT_API_BASE.to_owned(),
            pay_notify_url: None,
            points_expiry_months: crate::domain::points::DEFAULT_EXPIRY_MONTHS,
            points_expiry_enabled: true,
            membership_coupon_pack: None,
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
    /// `BABYVAX_INBOUND_RETENTION_DAYS`, 1-3650: the retention job clears the body and stored
    /// reply of callback deliveries older than this.
    pub inbound_retention_days: u32,
    pub log_format: LogFormat,
    pub push: PushSettings,
    /// WeChat Pay; None when every `BABYVAX_PAY_*` setting is unset (payment disabled).
    pub pay: Option<crate::wechat::pay::PayConfig>,
    /// `BABYVAX_POINTS_EXPIRY_MONTHS`, 1-120.
    pub points_expiry_months: u32,
    pub points_expiry_enabled: bool,
    /// `BABYVAX_MEMBERSHIP_COUPON_PACK`: the coupon templates of the monthly pack (none: no pack).
    pub membership_coupon_pack: Vec<i32>,
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
            .merge(VerbatimEnv(Env::raw().only(&["DATABASE_URL"])))
            .merge(VerbatimEnv(Env::prefixed("BABYVAX_")))
            // The environment is all text: numeric and boolean settings read theirs out of it.
            .extract_lossy()
            .map_err(|e| ConfigError::Read(e.to_string()))
    }

    pub fn validate(self) -> Result<Settings, ConfigError> {
        let push = push_settings(&self)?;
        let pay = pay_settings(&self)?;
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
        if !(1..=3650).contains(&self.inbound_retention_days) {
            return Err(ConfigError::Invalid {
                key: "BABYVAX_INBOUND_RETENTION_DAYS",
                reason: "must be between 1 and 3650 days (WeChat redelivers within seconds)".into(),
            });
        }
        let points_expiry_months = crate::domain::points::validate_expiry_months(
            self.points_expiry_months,
        )
        .map_err(|e| ConfigError::Invalid {
            key: "BABYVAX_POINTS_EXPIRY_MONTHS",
            reason: e.to_string(),
        })?;
        let membership_coupon_pack = template_ids(
            "BABYVAX_MEMBERSHIP_COUPON_PACK",
            self.membership_coupon_pack.as_deref(),
        )?;
        Ok(Settings {
            push,
            pay,
            membership_coupon_pack,
            points_expiry_months,
            points_expiry_enabled: self.points_expiry_enabled,
            inbound_retention_days: self.inbound_retention_days,
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
    /// Sends a sender has at WeChat at once (their leases renewed, and their outcomes written,
    /// together): also how many messages a killed sender can leave sent but unrecorded.
    pub in_flight: u32,
    /// How long a sender's claim on a row lasts.
    pub lease: chrono::Duration,
    pub max_attempts: u32,
    /// Retry backoff: base × 2^(n-1), capped at max.
    pub retry_base: chrono::Duration,
    pub retry_max: chrono::Duration,
    /// How long a channel pauses after a WeChat quota error.
    pub quota_pause: chrono::Duration,
    pub templates: crate::domain::push::templates::TemplateSet,
}

impl Default for PushSettings {
    fn default() -> Self {
        // The defaults of RawSettings are valid by construction (a unit test checks it).
        push_settings(&RawSettings::default()).unwrap_or_else(|_| unreachable!("valid defaults"))
    }
}

/// `secs` seconds, when within `range`: durations are checked here so that the workers never
/// meet one they cannot add to a date.
fn seconds(
    key: &'static str,
    secs: u64,
    range: std::ops::RangeInclusive<u64>,
    why: &str,
) -> Result<chrono::Duration, ConfigError> {
    if !range.contains(&secs) {
        return Err(ConfigError::Invalid {
            key,
            reason: format!(
                "must be {} to {} seconds ({why}), got {secs}",
                range.start(),
                range.end()
            ),
        });
    }
    i64::try_from(secs)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(|| ConfigError::Invalid {
            key,
            reason: format!("{secs} seconds is out of range"),
        })
}

fn push_settings(raw: &RawSettings) -> Result<PushSettings, ConfigError> {
    use crate::domain::push::{
        FollowUpRule, QuietHours, Rules, parse_hhmm, templates::TemplateSet,
    };
    const DAY: u64 = 24 * 3600;
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
    if raw.push_send_in_flight == 0 || raw.push_send_in_flight > 64 {
        return Err(ConfigError::Invalid {
            key: "BABYVAX_PUSH_SEND_IN_FLIGHT",
            reason: "must be 1 to 64".into(),
        });
    }
    let lease = seconds(
        "BABYVAX_PUSH_LEASE_SECS",
        raw.push_lease_secs,
        5..=DAY,
        "it must outlast one send; a crashed sender's rows wait that long",
    )?;
    let retry_base = seconds(
        "BABYVAX_PUSH_RETRY_BASE_SECS",
        raw.push_retry_base_secs,
        1..=DAY,
        "the first retry's delay",
    )?;
    let retry_max = seconds(
        "BABYVAX_PUSH_RETRY_MAX_SECS",
        raw.push_retry_max_secs,
        raw.push_retry_base_secs..=7 * DAY,
        "the longest retry delay, at least the base",
    )?;
    let quota_pause = seconds(
        "BABYVAX_PUSH_QUOTA_PAUSE_SECS",
        raw.push_quota_pause_secs,
        1..=7 * DAY,
        "a channel's pause after a quota error",
    )?;
    if raw.push_max_attempts == 0 {
        return Err(ConfigError::Invalid {
            key: "BABYVAX_PUSH_MAX_ATTEMPTS",
            reason: "must be at least 1".into(),
        });
    }
    let follow_ups =
        FollowUpRule::parse_list(&raw.push_follow_ups).map_err(|reason| ConfigError::Invalid {
            key: "BABYVAX_PUSH_FOLLOW_UPS",
            reason,
        })?;
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
            follow_ups,
        },
        plan_minute: hhmm("BABYVAX_PUSH_PLAN_TIME", &raw.push_plan_time)?,
        quiet: QuietHours {
            start_minute: hhmm("BABYVAX_PUSH_QUIET_START", &raw.push_quiet_start)?,
            end_minute: hhmm("BABYVAX_PUSH_QUIET_END", &raw.push_quiet_end)?,
        },
        send_rate_per_sec: raw.push_send_rate_per_sec,
        batch_size: raw.push_batch_size,
        in_flight: raw.push_send_in_flight,
        lease,
        max_attempts: raw.push_max_attempts,
        retry_base,
        retry_max,
        quota_pause,
        templates,
    })
}

/// A comma-separated list of positive ids (`12, 15`); unset or blank is none.
fn template_ids(key: &'static str, raw: Option<&str>) -> Result<Vec<i32>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<i32>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    key,
                    reason: format!("`{part}` is not a template id (a positive integer)"),
                })
        })
        .collect()
}

/// WeChat Pay: all of `BABYVAX_PAY_*` unset disables payment; otherwise every required setting
/// must be present and every key must parse, or start-up stops naming the setting.
fn pay_settings(raw: &RawSettings) -> Result<Option<crate::wechat::pay::PayConfig>, ConfigError> {
    use crate::wechat::pay::{self, ApiV3Key, MerchantKey, PublicKey, Signer, Verifier};
    let mchid = non_empty(raw.pay_mchid.clone());
    let serial = non_empty(raw.pay_merchant_serial.clone());
    let private_key = non_empty_secret(raw.pay_private_key.clone());
    let v3_key = non_empty_secret(raw.pay_api_v3_key.clone());
    let public_key = non_empty(raw.pay_public_key.clone());
    let public_key_id = non_empty(raw.pay_public_key_id.clone());
    let certs = non_empty(raw.pay_platform_certs.clone());
    let notify_url = non_empty(raw.pay_notify_url.clone());
    let any = mchid.is_some()
        || serial.is_some()
        || private_key.is_some()
        || v3_key.is_some()
        || public_key.is_some()
        || public_key_id.is_some()
        || certs.is_some()
        || notify_url.is_some();
    if !any {
        return Ok(None);
    }
    let required = |key: &'static str| ConfigError::Invalid {
        key,
        reason: "required when any BABYVAX_PAY_* setting is set".into(),
    };
    let invalid = |key: &'static str, reason: String| ConfigError::Invalid { key, reason };
    let mchid = mchid.ok_or_else(|| required("BABYVAX_PAY_MCHID"))?;
    let serial = serial.ok_or_else(|| required("BABYVAX_PAY_MERCHANT_SERIAL"))?;
    let private_key = private_key.ok_or_else(|| required("BABYVAX_PAY_PRIVATE_KEY"))?;
    let key = MerchantKey::from_pem_setting(private_key.expose_secret())
        .map_err(|e| invalid("BABYVAX_PAY_PRIVATE_KEY", e.to_string()))?;
    let v3_key = v3_key.ok_or_else(|| required("BABYVAX_PAY_API_V3_KEY"))?;
    let api_v3_key = ApiV3Key::new(v3_key.expose_secret().as_bytes())
        .map_err(|e| invalid("BABYVAX_PAY_API_V3_KEY", e.to_string()))?;
    let public_key = match (public_key, public_key_id) {
        (Some(pem), Some(id)) => {
            let key = PublicKey::from_pem_setting(&pem)
                .map_err(|e| invalid("BABYVAX_PAY_PUBLIC_KEY", e.to_string()))?;
            if !id.starts_with("PUB_KEY_ID_") {
                return Err(invalid(
                    "BABYVAX_PAY_PUBLIC_KEY_ID",
                    "must start with PUB_KEY_ID_".into(),
                ));
            }
            Some((id, key))
        }
        (None, None) => None,
        (Some(_), None) => return Err(required("BABYVAX_PAY_PUBLIC_KEY_ID")),
        (None, Some(_)) => return Err(required("BABYVAX_PAY_PUBLIC_KEY")),
    };
    let certificates = match certs {
        Some(pem) => pay::keys::platform_certs_from_pem_setting(&pem)
            .map_err(|e| invalid("BABYVAX_PAY_PLATFORM_CERTS", e.to_string()))?,
        None => Vec::new(),
    };
    let verifier = Verifier::new(public_key, certificates);
    if verifier.is_empty() {
        return Err(invalid(
            "BABYVAX_PAY_PUBLIC_KEY",
            "set the WeChat Pay public key (with BABYVAX_PAY_PUBLIC_KEY_ID) and/or BABYVAX_PAY_PLATFORM_CERTS".into(),
        ));
    }
    let api_base = parse_http_url("BABYVAX_PAY_API_BASE", &raw.pay_api_base)?;
    let notify_url = notify_url.ok_or_else(|| required("BABYVAX_PAY_NOTIFY_URL"))?;
    let parsed = parse_http_url("BABYVAX_PAY_NOTIFY_URL", &notify_url)?;
    if parsed.query().is_some() || notify_url.len() > 255 {
        return Err(invalid(
            "BABYVAX_PAY_NOTIFY_URL",
            "must have no query and at most 255 characters".into(),
        ));
    }
    let appid = non_empty(raw.mp_appid.clone()).ok_or_else(|| ConfigError::Invalid {
        key: "BABYVAX_MP_APPID",
        reason: "required when WeChat Pay is configured (the JSAPI order's appid)".into(),
    })?;
    Ok(Some(pay::PayConfig {
        signer: Signer { mchid, serial, key },
        api_v3_key,
        verifier,
        api_base,
        notify_url,
        appid,
    }))
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

/// The environment as the text it is. figment's `Env` parses each value first (`0123` becomes the
/// number 123, `"x"` loses its quotes, `[x]` becomes a list), which would change a Token or key
/// before any setting saw it.
struct VerbatimEnv(Env);

impl Provider for VerbatimEnv {
    fn metadata(&self) -> Metadata {
        self.0.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = self
            .0
            .iter()
            .map(|(key, value)| (key.to_string(), Value::from(value)))
            .collect();
        Ok(self.0.profile.collect(dict))
    }
}

/// A text setting's value: a string as it is, or the text of a number or boolean that
/// babyvax.toml holds unquoted (`oa_token = 123456`). TOML has read such a value as a number
/// already, so a spelling it does not keep (`1.50`, `1_000`) needs quotes.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl serde::de::Visitor<'_> for TextVisitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text (a string, number or boolean)")
            }

            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }

            fn visit_string<E>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }

            fn visit_bool<E>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }

            fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

/// `deserialize_with` for a text setting (`String`).
fn text<'de, D: Deserializer<'de>, T: From<String>>(deserializer: D) -> Result<T, D::Error> {
    Text::deserialize(deserializer).map(|Text(text)| T::from(text))
}

/// `deserialize_with` for an optional text setting (`Option<String>`, `Option<SecretString>`).
fn optional_text<'de, D: Deserializer<'de>, T: From<String>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Option::<Text>::deserialize(deserializer).map(|text| text.map(|Text(text)| T::from(text)))
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
        for (key, set) in [
            (
                "BABYVAX_PUSH_LEASE_SECS",
                (|r: &mut RawSettings| r.push_lease_secs = 4) as fn(&mut RawSettings),
            ),
            ("BABYVAX_PUSH_LEASE_SECS", |r| r.push_lease_secs = u64::MAX),
            ("BABYVAX_PUSH_LEASE_SECS", |r| {
                r.push_lease_secs = 10_000_000_000_000
            }),
            ("BABYVAX_PUSH_RETRY_BASE_SECS", |r| {
                r.push_retry_base_secs = 0
            }),
            ("BABYVAX_PUSH_RETRY_MAX_SECS", |r| r.push_retry_max_secs = 2),
            ("BABYVAX_PUSH_QUOTA_PAUSE_SECS", |r| {
                r.push_quota_pause_secs = u64::MAX
            }),
            ("BABYVAX_PUSH_MAX_ATTEMPTS", |r| r.push_max_attempts = 0),
            ("BABYVAX_PUSH_SEND_IN_FLIGHT", |r| r.push_send_in_flight = 0),
            ("BABYVAX_PUSH_SEND_IN_FLIGHT", |r| {
                r.push_send_in_flight = 65
            }),
            ("BABYVAX_PUSH_FOLLOW_UPS", |r| {
                r.push_follow_ups = "due:0".into()
            }),
            ("BABYVAX_PUSH_FOLLOW_UPS", |r| {
                r.push_follow_ups = "late:0:7".into()
            }),
        ] {
            let mut r = raw();
            set(&mut r);
            let err = r.validate().unwrap_err().to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
        assert_eq!(s.push.lease, chrono::Duration::seconds(120));
        assert_eq!(
            s.push.rules.follow_ups,
            crate::domain::push::FollowUpRule::DEFAULTS
        );
        let mut r = raw();
        r.push_follow_ups = String::new();
        assert!(r.validate().unwrap().push.rules.follow_ups.is_empty());
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

    /// Loads settings as `serve` does, in a figment `Jail` (a temporary working directory whose
    /// environment changes are undone), with `toml` as babyvax.toml and `env` set.
    #[allow(clippy::result_large_err)] // Jail's closure answers figment::Error; only a test.
    fn load_jailed(toml: &str, env: &[(&str, &str)]) -> Result<RawSettings, ConfigError> {
        let mut loaded = None;
        figment::Jail::expect_with(|jail| {
            jail.create_file("babyvax.toml", toml)?;
            for (name, value) in env {
                jail.set_env(name, value);
            }
            loaded = Some(RawSettings::load_from(jail.directory()));
            Ok(())
        });
        loaded.unwrap_or_else(|| unreachable!("the jail ran"))
    }

    #[test]
    fn toml_file_then_environment_override_defaults() {
        let r = load_jailed(
            "bind = \"127.0.0.1:9999\"\nmp_appid = \"wxmp\"\n",
            &[("BABYVAX_MP_APPID", "wxenv")],
        )
        .unwrap();
        assert_eq!(r.bind, "127.0.0.1:9999");
        assert_eq!(r.mp_appid.as_deref(), Some("wxenv"));
    }

    /// For each text setting, a test that numbers and booleans, unquoted in babyvax.toml or in
    /// the environment, arrive as the text written.
    macro_rules! text_setting_tests {
        ($($test:ident: $key:literal, $env:literal, $get:expr;)+) => {$(
            #[test]
            fn $test() {
                let get: fn(&RawSettings) -> Option<String> = $get;
                for value in ["123456", "-7", "1.5", "true", "false"] {
                    let r = load_jailed(&format!("{} = {value}\n", $key), &[]);
                    let r = r.unwrap_or_else(|e| panic!("{} = {value} in babyvax.toml: {e}", $key));
                    assert_eq!(get(&r).as_deref(), Some(value), "{} = {value}", $key);
                }
                for value in ["123456", "0123456", "-7", "1.50", "true", "false"] {
                    let r = load_jailed("", &[($env, value)]);
                    let r = r.unwrap_or_else(|e| panic!("{}={value}: {e}", $env));
                    assert_eq!(get(&r).as_deref(), Some(value), "{}={value}", $env);
                }
            }
        )+};
    }

    fn shown(secret: &Option<SecretString>) -> Option<String> {
        secret.as_ref().map(|s| s.expose_secret().to_owned())
    }

    text_setting_tests! {
        text_setting_database_url: "database_url", "DATABASE_URL", |r| Some(r.database_url.clone());
        text_setting_bind: "bind", "BABYVAX_BIND", |r| Some(r.bind.clone());
        text_setting_oa_appid: "oa_appid", "BABYVAX_OA_APPID", |r| r.oa_appid.clone();
        text_setting_oa_secret: "oa_secret", "BABYVAX_OA_SECRET", |r| shown(&r.oa_secret);
        text_setting_oa_token: "oa_token", "BABYVAX_OA_TOKEN", |r| shown(&r.oa_token);
        text_setting_oa_aes_key: "oa_aes_key", "BABYVAX_OA_AES_KEY", |r| shown(&r.oa_aes_key);
        text_setting_mp_appid: "mp_appid", "BABYVAX_MP_APPID", |r| r.mp_appid.clone();
        text_setting_mp_secret: "mp_secret", "BABYVAX_MP_SECRET", |r| shown(&r.mp_secret);
        text_setting_wechat_api_base: "wechat_api_base", "BABYVAX_WECHAT_API_BASE",
            |r| Some(r.wechat_api_base.clone());
        text_setting_jwt_secret: "jwt_secret", "BABYVAX_JWT_SECRET", |r| shown(&r.jwt_secret);
        text_setting_push_overdue_days: "push_overdue_days", "BABYVAX_PUSH_OVERDUE_DAYS",
            |r| Some(r.push_overdue_days.clone());
        text_setting_trusted_proxies: "trusted_proxies", "BABYVAX_TRUSTED_PROXIES",
            |r| Some(r.trusted_proxies.clone());
        text_setting_push_follow_ups: "push_follow_ups", "BABYVAX_PUSH_FOLLOW_UPS",
            |r| Some(r.push_follow_ups.clone());
        text_setting_push_plan_time: "push_plan_time", "BABYVAX_PUSH_PLAN_TIME",
            |r| Some(r.push_plan_time.clone());
        text_setting_push_quiet_start: "push_quiet_start", "BABYVAX_PUSH_QUIET_START",
            |r| Some(r.push_quiet_start.clone());
        text_setting_push_quiet_end: "push_quiet_end", "BABYVAX_PUSH_QUIET_END",
            |r| Some(r.push_quiet_end.clone());
        text_setting_pay_mchid: "pay_mchid", "BABYVAX_PAY_MCHID", |r| r.pay_mchid.clone();
        text_setting_pay_merchant_serial: "pay_merchant_serial", "BABYVAX_PAY_MERCHANT_SERIAL",
            |r| r.pay_merchant_serial.clone();
        text_setting_pay_private_key: "pay_private_key", "BABYVAX_PAY_PRIVATE_KEY",
            |r| shown(&r.pay_private_key);
        text_setting_pay_api_v3_key: "pay_api_v3_key", "BABYVAX_PAY_API_V3_KEY",
            |r| shown(&r.pay_api_v3_key);
        text_setting_pay_public_key: "pay_public_key", "BABYVAX_PAY_PUBLIC_KEY",
            |r| r.pay_public_key.clone();
        text_setting_pay_public_key_id: "pay_public_key_id", "BABYVAX_PAY_PUBLIC_KEY_ID",
            |r| r.pay_public_key_id.clone();
        text_setting_pay_platform_certs: "pay_platform_certs", "BABYVAX_PAY_PLATFORM_CERTS",
            |r| r.pay_platform_certs.clone();
        text_setting_pay_api_base: "pay_api_base", "BABYVAX_PAY_API_BASE",
            |r| Some(r.pay_api_base.clone());
        text_setting_pay_notify_url: "pay_notify_url", "BABYVAX_PAY_NOTIFY_URL",
            |r| r.pay_notify_url.clone();
        text_setting_membership_coupon_pack: "membership_coupon_pack",
            "BABYVAX_MEMBERSHIP_COUPON_PACK", |r| r.membership_coupon_pack.clone();
    }

    fn pay_raw() -> RawSettings {
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../tests/fixtures/pay/wechatpay-v3-vectors.json"
        ))
        .unwrap();
        let mut r = raw();
        r.mp_appid = Some("wxmp".into());
        r.pay_mchid = Some("1900007291".into());
        r.pay_merchant_serial = Some("408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into());
        r.pay_private_key = Some(
            v["keys"]["official_test_merchant_private_key_pkcs8"]
                .as_str()
                .unwrap()
                .into(),
        );
        r.pay_api_v3_key = Some("0123456789abcdef0123456789abcdef".into());
        r.pay_public_key = Some(
            v["response_verification"][0]["public_key_spki"]
                .as_str()
                .unwrap()
                .into(),
        );
        r.pay_public_key_id = Some("PUB_KEY_ID_0000000000000024101100397200000006".into());
        r.pay_notify_url = Some("https://example.com/wechat/pay/notify".into());
        r
    }

    #[test]
    fn pay_is_disabled_when_unset_and_enabled_when_complete() {
        assert!(raw().validate().unwrap().pay.is_none());
        let s = pay_raw().validate().unwrap();
        let pay = s.pay.unwrap();
        assert_eq!(pay.api_base.as_str(), "https://api.mch.weixin.qq.com/");
        assert_eq!(pay.appid, "wxmp");
        assert!(!format!("{pay:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn the_membership_coupon_pack_is_a_list_of_template_ids() {
        assert!(raw().validate().unwrap().membership_coupon_pack.is_empty());
        let mut r = raw();
        r.membership_coupon_pack = Some(" 12, 15 ,".into());
        assert_eq!(r.validate().unwrap().membership_coupon_pack, [12, 15]);
        for bad in ["12,abc", "0", "-3"] {
            let mut r = raw();
            r.membership_coupon_pack = Some(bad.into());
            let err = r.validate().unwrap_err().to_string();
            assert!(
                err.contains("BABYVAX_MEMBERSHIP_COUPON_PACK"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn pay_settings_that_do_not_parse_refuse_start_up_naming_the_setting() {
        for (key, set) in [
            (
                "BABYVAX_PAY_API_V3_KEY",
                (|r: &mut RawSettings| r.pay_api_v3_key = Some("testMchAPIv3Key0".into()))
                    as fn(&mut RawSettings),
            ),
            ("BABYVAX_PAY_PRIVATE_KEY", |r| {
                r.pay_private_key =
                    Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".into())
            }),
            ("BABYVAX_PAY_PRIVATE_KEY", |r| {
                r.pay_private_key = Some("/nonexistent/apiclient_key.pem".into())
            }),
            ("BABYVAX_PAY_PUBLIC_KEY", |r| {
                r.pay_public_key =
                    Some("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----".into())
            }),
            ("BABYVAX_PAY_PLATFORM_CERTS", |r| {
                r.pay_platform_certs =
                    Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into())
            }),
            ("BABYVAX_PAY_PUBLIC_KEY_ID", |r| r.pay_public_key_id = None),
            ("BABYVAX_PAY_MCHID", |r| r.pay_mchid = None),
            ("BABYVAX_PAY_NOTIFY_URL", |r| {
                r.pay_notify_url = Some("https://example.com/n?x=1".into())
            }),
            ("BABYVAX_PAY_API_BASE", |r| r.pay_api_base = "nope".into()),
            ("BABYVAX_MP_APPID", |r| r.mp_appid = None),
        ] {
            let mut r = pay_raw();
            set(&mut r);
            let err = r.validate().unwrap_err().to_string();
            assert!(err.contains(key), "{key}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
        // A key given as a path to a PEM file is read from it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apiclient_key.pem");
        let mut r = pay_raw();
        std::fs::write(&path, r.pay_private_key.as_ref().unwrap().expose_secret()).unwrap();
        r.pay_private_key = Some(path.display().to_string().into());
        assert!(r.validate().unwrap().pay.is_some());
    }

    #[test]
    fn environment_text_is_taken_verbatim() {
        // figment's own parsing would drop the quotes, read a list, a table or a char.
        for value in ["\"quoted\"", "[abc]", "{a=1}", "'x'", "+5", " padded "] {
            let r = load_jailed("", &[("BABYVAX_OA_TOKEN", value)]).unwrap();
            assert_eq!(shown(&r.oa_token).as_deref(), Some(value));
        }
    }

    #[test]
    fn numeric_token_and_aes_key_pass_validation_from_either_source() {
        let key = "1234567890".repeat(4) + "120";
        let s = load_jailed(
            "",
            &[
                ("BABYVAX_OA_APPID", "123"),
                ("BABYVAX_OA_TOKEN", "0123456"),
                ("BABYVAX_OA_AES_KEY", &key),
            ],
        )
        .unwrap()
        .validate()
        .unwrap();
        let callback = s.callback.unwrap();
        assert_eq!(callback.token.expose_secret(), "0123456");
        assert_eq!(callback.appid, "123");
        let toml = format!("oa_appid = 123\noa_token = 123456\noa_aes_key = \"{key}\"\n");
        let s = load_jailed(&toml, &[]).unwrap().validate().unwrap();
        assert_eq!(s.callback.unwrap().token.expose_secret(), "123456");
        // The 43-character rule still holds for a numeric key.
        let err = load_jailed(
            "",
            &[("BABYVAX_OA_AES_KEY", "123456"), ("BABYVAX_OA_TOKEN", "1")],
        )
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
        assert!(err.contains("BABYVAX_OA_AES_KEY"), "{err}");
    }

    #[test]
    fn inbound_retention_defaults_to_30_days_and_refuses_0_and_absurd_values() {
        assert_eq!(raw().validate().unwrap().inbound_retention_days, 30);
        let r = load_jailed("", &[("BABYVAX_INBOUND_RETENTION_DAYS", "7")]).unwrap();
        assert_eq!(r.validate().unwrap().inbound_retention_days, 7);
        for days in [0, 3651] {
            let mut r = raw();
            r.inbound_retention_days = days;
            let err = r.validate().unwrap_err().to_string();
            assert!(err.contains("BABYVAX_INBOUND_RETENTION_DAYS"), "{err}");
        }
    }

    #[test]
    fn numbers_and_booleans_still_parse_from_either_source() {
        let r = load_jailed(
            "push_batch_size = 10\npush_enabled = false\npush_send_rate_per_sec = 0.1\n",
            &[
                ("BABYVAX_PUSH_LEAD_DAYS", "5"),
                ("BABYVAX_CALLBACK_TIMESTAMP_WINDOW_SECS", "-1"),
                ("BABYVAX_CALLBACK_REPLY_BUDGET_MS", "250"),
                ("BABYVAX_LOG_FORMAT", "json"),
            ],
        )
        .unwrap();
        assert_eq!(r.push_batch_size, 10);
        assert!(!r.push_enabled);
        assert_eq!(r.push_send_rate_per_sec, 0.1);
        assert_eq!(r.push_lead_days, 5);
        assert_eq!(r.callback_timestamp_window_secs, -1);
        assert_eq!(r.callback_reply_budget_ms, 250);
        assert_eq!(r.log_format, LogFormat::Json);
        let r = load_jailed(
            "push_enabled = true\n",
            &[
                ("BABYVAX_PUSH_ENABLED", "false"),
                ("BABYVAX_PUSH_SEND_RATE_PER_SEC", "2.5"),
            ],
        )
        .unwrap();
        assert!(!r.push_enabled);
        assert_eq!(r.push_send_rate_per_sec, 2.5);
        // Text where a number belongs is still refused, naming the variable.
        let err = load_jailed("", &[("BABYVAX_PUSH_BATCH_SIZE", "ten")]).unwrap_err();
        assert!(err.to_string().contains("PUSH_BATCH_SIZE"), "{err}");
        let err = load_jailed("push_enabled = \"maybe\"\n", &[]).unwrap_err();
        assert!(err.to_string().contains("push_enabled"), "{err}");
    }

    #[test]
    fn push_templates_take_json_text_from_the_environment_or_a_toml_table() {
        let json = r#"{"vaccine": {"oa": {"template_id": "123", "fields": {"first": "{title}"}}}}"#;
        let s = load_jailed("", &[("BABYVAX_PUSH_TEMPLATES", json)])
            .unwrap()
            .validate()
            .unwrap();
        let oa = s.push.templates.vaccine.oa.unwrap();
        assert_eq!(oa.template_id, "123");
        let toml = "[push_templates.vaccine.oa]\ntemplate_id = \"TPL\"\nfields = { first = \"{title}\" }\n";
        let s = load_jailed(toml, &[]).unwrap().validate().unwrap();
        assert_eq!(s.push.templates.vaccine.oa.unwrap().template_id, "TPL");
    }
}
