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
    /// The official account's custom menu.
    #[command(subcommand)]
    Menu(babyvax::cli::menu::MenuCommand),
    /// Acquisition channels (clinics, hospitals, posters) and their follow QR codes.
    #[command(subcommand)]
    Channel(babyvax::cli::channel::ChannelCommand),
    /// Operator accounts of the admin door: create the first administrator, list them.
    #[command(subcommand)]
    Operator(babyvax::cli::operator::OperatorCommand),
    /// Print a child's vaccination schedule as of a date (the same JSON as the mini-program API).
    Schedule(babyvax::cli::schedule::ScheduleArgs),
    /// The push engine: plan and send a day's messages once, or summarise the outbox.
    #[command(subcommand)]
    Push(babyvax::cli::push::PushCommand),
    /// Points: run the expiry job for a day, verify that every member's ledger adds up.
    #[command(subcommand)]
    Points(babyvax::cli::points::PointsCommand),
    /// The whole push flow on a fake WeChat and a throw-away database, in one command.
    Demo(babyvax::cli::demo::DemoArgs),
    /// The server on a free loopback port with a throw-away database and a fake WeChat, for
    /// contract fuzzing (tests/schemathesis/run.sh).
    #[command(hide = true)]
    ContractTarget(babyvax::cli::contract_target::ContractTargetArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Pure computation: needs no configuration, database or runtime.
    if let Some(Command::Schedule(args)) = &cli.command {
        return match babyvax::cli::schedule::print(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("babyvax: {message}");
                ExitCode::from(2)
            }
        };
    }
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
            Command::Schedule(_) => unreachable!("handled before start-up"),
            Command::Push(push) => babyvax::cli::push::run(settings, push).await,
            Command::Points(points) => babyvax::cli::points::run(settings, points).await,
            Command::Demo(demo) => babyvax::cli::demo::run(demo).await,
            Command::ContractTarget(args) => babyvax::cli::contract_target::run(args).await,
            Command::Menu(menu) => babyvax::cli::menu::run(settings, menu).await,
            Command::Channel(channel) => babyvax::cli::channel::run(settings, channel).await,
            Command::Operator(operator) => babyvax::cli::operator::run(settings, operator).await,
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
