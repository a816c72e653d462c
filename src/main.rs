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
    Menu(MenuCommand),
    /// Acquisition channels (clinics, hospitals, posters) and their follow QR codes.
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Print a child's vaccination schedule as of a date (the same JSON as the mini-program API).
    Schedule(ScheduleArgs),
    /// The push engine: plan and send a day's messages once, or summarise the outbox.
    #[command(subcommand)]
    Push(babyvax::cli::push::PushCommand),
    /// The whole push flow on a fake WeChat and a throw-away database, in one command.
    Demo(babyvax::cli::demo::DemoArgs),
}

#[derive(Subcommand)]
enum MenuCommand {
    /// Install the menu in FILE (WeChat's JSON: {"button": [...]}).
    Push { file: std::path::PathBuf },
    /// Print the menu users see now.
    Show,
}

#[derive(Subcommand)]
enum ChannelCommand {
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

#[derive(clap::Args)]
struct ScheduleArgs {
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    birth: chrono::NaiveDate,
    /// The date to judge the schedule on, YYYY-MM-DD (default: today in Asia/Shanghai).
    #[arg(long)]
    as_of: Option<chrono::NaiveDate>,
    /// A dose already given, as VACCINE:DOSE:YYYY-MM-DD (repeatable).
    #[arg(long = "given", value_name = "VACCINE:DOSE:DATE")]
    given: Vec<String>,
    /// A self-paid vaccine the parents opted into (repeatable).
    #[arg(long = "opt-in", value_name = "VACCINE")]
    opted_in: Vec<String>,
    /// An alternative chosen over the default, e.g. JE-I (repeatable).
    #[arg(long = "choose", value_name = "VACCINE")]
    chosen: Vec<String>,
    /// female or male; unknown keeps sex-specific vaccines in the schedule.
    #[arg(long)]
    sex: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Pure computation: needs no configuration, database or runtime.
    if let Some(Command::Schedule(args)) = &cli.command {
        return match print_schedule(args) {
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
            Command::Demo(demo) => babyvax::cli::demo::run(demo).await,
            Command::Menu(menu) => run_menu(settings, menu).await,
            Command::Channel(channel) => run_channel(settings, channel).await,
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

fn print_schedule(args: &ScheduleArgs) -> Result<(), String> {
    use babyvax::clock::Clock;
    use babyvax::domain::schedule::{self, Edition, ScheduleInput, Sex};

    let as_of = args.as_of.unwrap_or_else(|| SystemClock.today_shanghai());
    let mut input = ScheduleInput::new(args.birth, as_of);
    input.sex = match args.sex.as_deref() {
        None => None,
        Some("female") => Some(Sex::Female),
        Some("male") => Some(Sex::Male),
        Some(other) => return Err(format!("--sex must be female or male, not {other:?}")),
    };
    for given in &args.given {
        input
            .given
            .push(schedule::parse_given(given).map_err(|e| format!("{}: {e}", e.code()))?);
    }
    input.opted_in = args.opted_in.clone();
    input.chosen_alternatives = args.chosen.clone();
    let computed =
        schedule::compute(Edition::current(), &input).map_err(|e| format!("{}: {e}", e.code()))?;
    let mut out = String::new();
    if args.json {
        out = serde_json::to_string_pretty(&computed).map_err(|e| e.to_string())?;
        out.push('\n');
    } else {
        use std::fmt::Write as _;
        let show =
            |d: Option<chrono::NaiveDate>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
        let _ = writeln!(out, "as of {}", computed.as_of);
        let _ = writeln!(
            out,
            "{:<14} {:>4}  {:<15} {:<10} {:<11} {:<11} reason",
            "vaccine", "dose", "status", "earliest", "recommended", "complete by"
        );
        for dose in &computed.doses {
            let status = serde_json::to_value(dose.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{:<14} {:>4}  {:<15} {:<10} {:<11} {:<11} {}",
                dose.vaccine,
                dose.dose,
                status,
                show(dose.earliest),
                show(dose.recommended),
                show(dose.complete_by),
                dose.reason.as_deref().unwrap_or("")
            );
        }
    }
    // A closed pipe (`| head`) is the reader's choice, not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    Ok(())
}

/// The database, migrated, and the official account's API client, for operator commands.
async fn operator_context(
    settings: &Settings,
) -> anyhow::Result<(
    sea_orm::DatabaseConnection,
    babyvax::wechat::api::OfficialAccount,
)> {
    let db = startup::connect_database(&settings.database_url).await?;
    startup::migrate(&db).await?;
    let clock: babyvax::clock::SharedClock = Arc::new(SystemClock);
    let official_account = startup::wechat_clients(settings, &db, &clock)?
        .official_account
        .ok_or_else(|| {
            anyhow::anyhow!("BABYVAX_OA_APPID and BABYVAX_OA_SECRET are needed to talk to WeChat")
        })?;
    Ok((db, official_account))
}

async fn run_menu(settings: Settings, command: MenuCommand) -> anyhow::Result<()> {
    let (_db, official_account) = operator_context(&settings).await?;
    match command {
        MenuCommand::Push { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let menu: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
            babyvax::service::menu::push(&official_account, &menu).await?;
            println!("menu installed from {}", file.display());
        }
        MenuCommand::Show => {
            let menu = babyvax::service::menu::show(&official_account).await?;
            println!("{}", serde_json::to_string_pretty(&menu)?);
        }
    }
    Ok(())
}

async fn run_channel(settings: Settings, command: ChannelCommand) -> anyhow::Result<()> {
    use babyvax::clock::Clock;
    use babyvax::service::channels;
    match command {
        ChannelCommand::Create { code, name, kind } => {
            let (db, official_account) = operator_context(&settings).await?;
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
