//! The command line's subcommands beyond `serve` and `migrate`: operator commands (menu,
//! channel, schedule), operator accounts of the admin door, the push engine's run and status,
//! and the demo.
pub mod channel;
pub mod contract_target;
pub mod demo;
pub mod menu;
pub mod operator;
pub mod points;
pub mod push;
pub mod schedule;
pub mod seed;

use std::sync::Arc;

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::startup;

/// The database, migrated, and the official account's API client, for operator commands.
pub(crate) async fn operator_context(
    settings: &Settings,
) -> anyhow::Result<(
    sea_orm::DatabaseConnection,
    crate::wechat::api::OfficialAccount,
)> {
    let db = startup::connect_database(&settings.database_url).await?;
    startup::migrate(&db).await?;
    let clock: crate::clock::SharedClock = Arc::new(SystemClock);
    let official_account = startup::wechat_clients(settings, &db, &clock)?
        .official_account
        .ok_or_else(|| {
            anyhow::anyhow!("BABYVAX_OA_APPID and BABYVAX_OA_SECRET are needed to talk to WeChat")
        })?;
    Ok((db, official_account))
}
