//! `babyvax push run --as-of YYYY-MM-DD [--dry-run]`, `babyvax push status` and
//! `babyvax push campaign ...`.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use crate::clock::{Clock, SharedClock, SystemClock};
use crate::config::Settings;
use crate::service::messaging::outbox::{self, Summary};
use crate::service::push::planner::{self, PlanReport};
use crate::service::push::sender::{SendReport, Sender};
use crate::startup;

#[derive(clap::Subcommand)]
pub enum PushCommand {
    /// Plan one day and send what is due, once; prints what it did.
    Run(RunArgs),
    /// Summarise the outbox.
    Status,
    /// Send content or an announcement to a segment through the outbox (count it first with
    /// --dry-run).
    Campaign(Box<CampaignArgs>),
}

#[derive(clap::Args)]
pub struct CampaignArgs {
    #[arg(long)]
    pub name: String,
    /// content or announcement.
    #[arg(long, default_value = "announcement")]
    pub kind: String,
    #[arg(long)]
    pub title: String,
    #[arg(long)]
    pub summary: String,
    /// Mini-program page opened on tap.
    #[arg(long)]
    pub page: Option<String>,
    /// Babies aged at least this many days (a member matches through any baby they own).
    #[arg(long)]
    pub min_age_days: Option<u32>,
    #[arg(long)]
    pub max_age_days: Option<u32>,
    #[arg(long)]
    pub province: Option<String>,
    #[arg(long)]
    pub city: Option<String>,
    /// Acquisition channel code (first or last touch).
    #[arg(long)]
    pub channel: Option<String>,
    /// true: members only; false: followers who are not members; omitted: both.
    #[arg(long)]
    pub members: Option<bool>,
    /// Count the recipients; queue nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The day to plan, YYYY-MM-DD (Asia/Shanghai; default today). Another day than today runs
    /// at the current time of day on that date (quiet hours apply as they would then).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Count what would be planned; write and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// The clock of a run "as of" a day: the real clock moved by whole days, so the run sees the
/// current time of day on that date, and time still passes (leases of a killed run expire).
pub fn clock_for(as_of: NaiveDate) -> SharedClock {
    let days = (as_of - SystemClock.today_shanghai()).num_days();
    if days == 0 {
        return Arc::new(SystemClock);
    }
    Arc::new(ShiftedClock(chrono::Duration::days(days)))
}

/// The system clock shifted by a fixed amount.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock(pub chrono::Duration);

impl Clock for ShiftedClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        Utc::now() + self.0
    }
}

pub async fn run(settings: Settings, command: PushCommand) -> anyhow::Result<()> {
    let db = startup::connect_database(&settings.database_url).await?;
    startup::migrate(&db).await?;
    match command {
        PushCommand::Campaign(args) => {
            let args = *args;
            use crate::service::push::campaigns::{self, CampaignInput, Segment};
            let input = CampaignInput {
                name: args.name,
                kind: args.kind,
                title: args.title,
                summary: args.summary,
                page: args.page,
                segment: Segment {
                    min_age_days: args.min_age_days,
                    max_age_days: args.max_age_days,
                    province: args.province,
                    city: args.city,
                    channel: args.channel,
                    members: args.members,
                },
            };
            let today = SystemClock.today_shanghai();
            let result =
                campaigns::run(&db, &settings.push, &input, today, Utc::now(), args.dry_run)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "campaign{}: {} members, {} followers who are not members; {} messages queued",
                result
                    .campaign_id
                    .map_or_else(|| " (dry run)".to_owned(), |id| format!(" {id}")),
                result.members,
                result.followers,
                result.queued
            );
        }
        PushCommand::Status => {
            let summary = outbox::summary(&db, Utc::now()).await?;
            print!("{}", format_summary(&summary));
        }
        PushCommand::Run(args) => {
            let as_of = args.as_of.unwrap_or_else(|| SystemClock.today_shanghai());
            let clock = clock_for(as_of);
            let state = startup::build_state(settings, db, clock.clone())?;
            let plan = planner::plan_day(
                &state.db,
                &state.settings.push,
                as_of,
                clock.now(),
                args.dry_run,
            )
            .await?;
            print!("{}", format_plan(&plan));
            if as_of > SystemClock.today_shanghai() && !args.dry_run {
                println!(
                    "note: {as_of} is in the future; the babies planned now next come up after it, so the days in between are only caught up {} days back",
                    state.settings.push.rules.catch_up_days
                );
            }
            if !args.dry_run {
                let sender = Sender::new(&state);
                let sent = sender.drain().await?;
                print!("{}", format_send(&sent));
                let summary = outbox::summary(&state.db, clock.now()).await?;
                print!("{}", format_summary(&summary));
            }
        }
    }
    Ok(())
}

pub fn format_plan(r: &PlanReport) -> String {
    let mut out = String::new();
    let day = r.as_of.map(|d| d.to_string()).unwrap_or_default();
    let _ = writeln!(
        out,
        "planning {day}{}: {} babies due for a look, {} new messages, {} already planned, {} held by preferences, {} babies skipped",
        if r.dry_run { " (dry run)" } else { "" },
        r.babies_considered,
        r.total_planned(),
        r.already_planned,
        r.suppressed,
        r.errors
    );
    for (kind, n) in &r.planned {
        let _ = writeln!(out, "  {kind:<12} {n}");
    }
    out
}

pub fn format_send(r: &SendReport) -> String {
    format!(
        "sending: {} claimed, {} template messages, {} subscribe messages, {} to retry later, {} failed, {} undeliverable, {} held by preferences\n",
        r.claimed,
        r.sent_template,
        r.sent_subscribe,
        r.retried,
        r.failed,
        r.undeliverable,
        r.suppressed
    )
}

pub fn format_summary(s: &Summary) -> String {
    let mut out = String::new();
    let total: i64 = s.by_status.values().sum();
    let _ = writeln!(out, "outbox: {total} messages, {} due now", s.due_now);
    for (status, n) in &s.by_status {
        let _ = writeln!(out, "  {status:<14} {n}");
    }
    if !s.by_kind.is_empty() {
        let _ = writeln!(out, "by kind:");
        for (kind, statuses) in &s.by_kind {
            let parts: Vec<String> = statuses.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(out, "  {kind:<12} {}", parts.join(", "));
        }
    }
    if !s.sent_by_channel.is_empty() {
        let parts: Vec<String> = s
            .sent_by_channel
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(out, "sent by channel: {}", parts.join(", "));
    }
    if !s.delivery.is_empty() {
        let parts: Vec<String> = s.delivery.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(out, "delivery reports: {}", parts.join(", "));
    }
    if !s.reasons.is_empty() {
        let _ = writeln!(out, "not delivered, by reason:");
        for (reason, n) in &s.reasons {
            let _ = writeln!(out, "  {n:>6}  {reason}");
        }
    }
    out
}
