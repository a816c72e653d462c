//! `babyvax channel create` and `babyvax channel list`: acquisition channels and their permanent
//! follow QR codes.

use clap::Subcommand;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::service::audience::channels;
use crate::startup;

#[derive(Subcommand)]
pub enum ChannelCommand {
    /// Store a channel and issue its permanent QR code (scene `ch:<code>`).
    Create {
        /// Letters, digits, '-' or '_'; at most 61 characters.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// clinic, hospital, poster, referral or other.
        #[arg(long, default_value = "clinic")]
        kind: String,
    },
    /// List the channels and their QR codes.
    List,
}

pub async fn run(settings: Settings, command: ChannelCommand) -> anyhow::Result<()> {
    match command {
        ChannelCommand::Create { code, name, kind } => {
            let (db, official_account) = super::operator_context(&settings).await?;
            let created = channels::create(
                &db,
                &official_account,
                channels::NewChannel { code, name, kind },
                SystemClock.now(),
            )
            .await?;
            println!(
                "channel  {} ({}, {})",
                created.channel.code, created.channel.name, created.channel.kind
            );
            println!("scene    ch:{}", created.channel.code);
            println!("ticket   {}", created.ticket.ticket);
            println!("encodes  {}", created.ticket.url);
            println!("image    {}", created.ticket.show_url());
        }
        ChannelCommand::List => {
            let db = startup::connect_database(&settings.database_url).await?;
            startup::migrate(&db).await?;
            for channel in channels::list(&db).await? {
                println!(
                    "{:<20} {:<10} {:<24} {}",
                    channel.code,
                    channel.kind,
                    channel.name,
                    channel.qr_url.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}
