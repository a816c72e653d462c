//! The babyvax command line: `serve` (the default) and `migrate`.

use std::process::ExitCode;
use std::sync::Arc;

use babyvax::clock::SystemClock;
use babyvax::config::Settings;
use babyvax::{startup, telemetry};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "babyvax",
    version,
    about = "Vaccination reminders and stage content for parents, over WeChat"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve HTTP (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match std::env::current_dir()
        .map_err(|e| e.to_string())
        .and_then(|dir| Settings::load_from(&dir).map_err(|e| e.to_string()))
    {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("babyvax: {message}");
            return ExitCode::from(2);
        }
    };
    telemetry::init_tracing(settings.log_format);
    startup::install_crypto_provider();
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => startup::run(settings, Arc::new(SystemClock)).await,
            Command::Migrate => {
                let db = startup::connect_database(&settings.database_url).await?;
                startup::migrate(&db).await?;
                println!("migrations applied");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("babyvax: {e:#}");
            ExitCode::FAILURE
        }
    }
}
