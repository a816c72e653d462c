//! `babyvax schedule`: a child's schedule as a table or the mini-program API's JSON; pure
//! computation, no configuration or database.

use crate::clock::{Clock, SystemClock};
use crate::domain::schedule::{self, Edition, ScheduleInput, Sex};

#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    pub birth: chrono::NaiveDate,
    /// The date to judge the schedule on, YYYY-MM-DD (default: today in Asia/Shanghai).
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// A dose already given, as VACCINE:DOSE:YYYY-MM-DD (repeatable).
    #[arg(long = "given", value_name = "VACCINE:DOSE:DATE")]
    pub given: Vec<String>,
    /// A self-paid vaccine the parents opted into (repeatable).
    #[arg(long = "opt-in", value_name = "VACCINE")]
    pub opted_in: Vec<String>,
    /// An alternative chosen over the default, e.g. JE-I (repeatable).
    #[arg(long = "choose", value_name = "VACCINE")]
    pub chosen: Vec<String>,
    /// female or male; unknown keeps sex-specific vaccines in the schedule.
    #[arg(long)]
    pub sex: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn print(args: &ScheduleArgs) -> Result<(), String> {
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
