//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::service::messaging::inbound::InboundWriter;
use crate::telemetry::Metrics;
use crate::wechat::api::{MiniProgram, OfficialAccount};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub metrics: Metrics,
    /// Signs and checks mini-program member tokens; one key for the life of the process.
    pub jwt: Arc<JwtKeys>,
    /// The mini-program's WeChat API; None when BABYVAX_MP_APPID / BABYVAX_MP_SECRET are unset.
    pub mini_program: Option<MiniProgram>,
    /// The official account's WeChat API; None when BABYVAX_OA_APPID / BABYVAX_OA_SECRET are unset.
    pub official_account: Option<OfficialAccount>,
    /// WeChat Pay; None when the `BABYVAX_PAY_*` settings are unset (payment routes answer 503).
    pub pay: Option<crate::wechat::pay::PayClient>,
    /// The one writer of callback deliveries (group commit).
    pub inbound: InboundWriter,
}
