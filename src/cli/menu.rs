//! `babyvax menu push FILE` and `babyvax menu show`: the official account's custom menu.

use clap::Subcommand;

use crate::config::Settings;

#[derive(Subcommand)]
pub enum MenuCommand {
    /// Install the menu in FILE (WeChat's JSON: {"button": [...]}).
    Push { file: std::path::PathBuf },
    /// Print the menu users see now.
    Show,
}

pub async fn run(settings: Settings, command: MenuCommand) -> anyhow::Result<()> {
    let (_db, official_account) = super::operator_context(&settings).await?;
    match command {
        MenuCommand::Push { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let menu: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
            crate::service::messaging::menu::push(&official_account, &menu).await?;
            println!("menu installed from {}", file.display());
        }
        MenuCommand::Show => {
            let menu = crate::service::messaging::menu::show(&official_account).await?;
            println!("{}", serde_json::to_string_pretty(&menu)?);
        }
    }
    Ok(())
}
