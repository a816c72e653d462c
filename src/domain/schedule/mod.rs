//! The vaccination schedule engine: pure, data-driven, no clock and no I/O.
//!
//! Given a birth date, the doses already given and an "as of" date, [`compute`] tells for every
//! dose of the child's schedule whether it is done, due, overdue, not yet due or not applicable,
//! with its earliest, recommended and complete-by dates and a reason whenever the timing is not
//! the plain table value.
//!
//! # Data
//!
//! Schedule editions are data: `data/schedules/nip-2026.json` is embedded and is the edition in
//! force by default ([`Edition::current`]). Every dose keeps its sources and a verification level
//! (`official_derived`, `announcement_confirmed`, `secondary`, `unverified`); the level is carried
//! to each [`DoseStatus`]. Provincial additions (e.g. varicella in a local free programme) are
//! overlay files (`data/schedules/overlays/`), applied with [`Edition::with_overlay`]; see
//! [`edition`] for the format. Self-paid vaccines are in the edition with `programme: self_paid`
//! and join a child's schedule when opted in or when a dose of them is recorded.
//!
//! # Conventions (decided here; the official text has no day-level arithmetic)
//!
//! - "N months old" is the same day-of-month N months after birth, clamped to the month's last day.
//! - `complete_by_age X` means "give while age < X": complete_by = (birth + X) - 1 day.
//!   Exception: an age with an hours part ("within 24 h") uses the most lenient day because the
//!   birth time is unknown, so HepB dose 1 has complete_by = birth + 1 day.
//! - `not_given_from_age X`: from the day the child reaches X the dose is not_applicable.
//! - Dates never depend on `as_of`, except where a rule switches on a dose becoming
//!   not_applicable (MPSV-AC dose 1 when MPSV-A was missed); `as_of` only picks the status.
//! - A dose's dates hang on the previous doses: on the *actual date* of a recorded dose; for a
//!   dose not recorded yet, earliest chains on that dose's earliest date and recommended on its
//!   recommended date (i.e. we assume pending doses are given on time). So no projected dose is
//!   ever earlier than its minimum age or its minimum interval after the earliest possible date
//!   of the dose it waits for.
//! - The 28-day rule between injectable live vaccines is applied against *recorded* doses: once a
//!   live dose is recorded, every pending injectable live dose moves to >= 28 days later (doses
//!   given the same day are recorded together and are not affected). Projected doses never
//!   constrain each other, since they may share a visit.
//! - Statuses: `done` = recorded; `not_yet_due` = as_of < earliest; `due` = earliest <= as_of
//!   <= complete_by (or no complete_by); `overdue` = as_of > complete_by, still to be caught up;
//!   `not_applicable` = will never be given (age limit reached, alternative chosen, other sex,
//!   not needed). not_applicable doses have no dates.
//!
//! # CLI wiring (`babyvax schedule`)
//!
//! ```
//! use babyvax::domain::schedule::{self, Edition, ScheduleInput};
//! use chrono::NaiveDate;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // babyvax schedule --birth 2025-01-15 --as-of 2025-04-01 --given HepB:1:2025-01-15 --json
//! let birth: NaiveDate = "2025-01-15".parse()?;
//! let as_of: NaiveDate = "2025-04-01".parse()?;
//! let mut input = ScheduleInput::new(birth, as_of);
//! for arg in ["HepB:1:2025-01-15"] {
//!     input.given.push(schedule::parse_given(arg)?);
//! }
//! let computed = schedule::compute(Edition::current(), &input)?;
//! println!("{}", serde_json::to_string_pretty(&computed)?);
//! # Ok(())
//! # }
//! ```

mod age;
pub mod edition;
mod engine;
mod error;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use age::Age;
pub use edition::Edition;
pub use engine::compute;
pub use error::ScheduleError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

/// Who pays: the national programme, a provincial/local free programme, or the parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Programme {
    Nip,
    Local,
    SelfPaid,
}

/// How well a fact was checked, weakest first (so `min` gives the weakest of several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationLevel {
    /// Memory or a single non-authoritative source.
    Unverified,
    /// Third-party sources citing the official document.
    Secondary,
    /// Our own convention where the official text is silent.
    Convention,
    /// Official announcement confirmed by Xinhua / China Daily.
    AnnouncementConfirmed,
    /// Derived from the official text (via China CDC Weekly and a curated copy).
    OfficialDerived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Due,
    Overdue,
    NotYetDue,
    NotApplicable,
}

/// Why a dose is not at its plain table date, is overdue, or is not applicable. Stable codes:
/// clients translate them; the human text comes with them in [`DoseStatus::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Moved later by a minimum interval after another dose.
    MinInterval,
    /// Moved later by the 28-day rule between injectable live vaccines.
    LiveVaccineInterval,
    /// Past complete-by: give as soon as possible.
    CatchUp,
    /// Past complete-by; catch-up needs a test first (BCG after 3 months: PPD).
    CatchUpRequiresTest,
    /// The child is past the age from which this vaccine/dose is no longer given.
    AgeLimit,
    /// The other vaccine of an alternative pair is used.
    AlternativeChosen,
    /// The vaccine is for the other sex.
    NotForSex,
    /// Earlier doses already complete the series (polio dose 4 after 4 IPV-containing doses).
    SeriesComplete,
    /// Timing replaced because another dose was missed (MPSV-AC after missed MPSV-A).
    SubstitutesMissedDose,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::MinInterval => "min_interval",
            ReasonCode::LiveVaccineInterval => "live_vaccine_interval",
            ReasonCode::CatchUp => "catch_up",
            ReasonCode::CatchUpRequiresTest => "catch_up_requires_test",
            ReasonCode::AgeLimit => "age_limit",
            ReasonCode::AlternativeChosen => "alternative_chosen",
            ReasonCode::NotForSex => "not_for_sex",
            ReasonCode::SeriesComplete => "series_complete",
            ReasonCode::SubstitutesMissedDose => "substitutes_missed_dose",
        }
    }
}

/// A dose already given. `vaccine` is a vaccine id of the edition (`HepB`, `Polio`, `JE-I` ...)
/// or a product id (`IPV`, `bOPV`, `DTaP-IPV/Hib` ...) that counts as doses of vaccines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenDose {
    pub vaccine: String,
    pub dose: u8,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInput {
    pub birth: NaiveDate,
    /// None: unknown; sex-specific vaccines are then kept in the schedule.
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub given: Vec<GivenDose>,
    /// Self-paid vaccines (or combination products) the parents opted into.
    #[serde(default)]
    pub opted_in: Vec<String>,
    /// e.g. `JE-I` instead of the default `JE-L`. A recorded dose of an alternative overrides this.
    #[serde(default)]
    pub chosen_alternatives: Vec<String>,
    pub as_of: NaiveDate,
}

impl ScheduleInput {
    pub fn new(birth: NaiveDate, as_of: NaiveDate) -> ScheduleInput {
        ScheduleInput {
            birth,
            sex: None,
            given: Vec::new(),
            opted_in: Vec::new(),
            chosen_alternatives: Vec::new(),
            as_of,
        }
    }
}

/// One dose of the child's schedule. The first seven fields are the contract; the rest extend it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoseStatus {
    pub vaccine: String,
    pub dose: u8,
    pub status: Status,
    pub earliest: Option<NaiveDate>,
    pub recommended: Option<NaiveDate>,
    pub complete_by: Option<NaiveDate>,
    /// Human text; None when the dose is at its plain table date (or done).
    pub reason: Option<String>,
    pub reason_code: Option<ReasonCode>,
    pub given_on: Option<NaiveDate>,
    /// First day on which a pending dose becomes not_applicable (age limit).
    pub not_given_from: Option<NaiveDate>,
    pub programme: Programme,
    pub verification: VerificationLevel,
    pub name_zh: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub as_of: NaiveDate,
    pub doses: Vec<DoseStatus>,
}

/// Parse the CLI form `VACCINE:DOSE:YYYY-MM-DD` (e.g. `HepB:1:2025-01-15`, `DTaP-IPV/Hib:2:2025-04-01`).
/// The vaccine id is checked later, by [`compute`], against the edition.
pub fn parse_given(s: &str) -> Result<GivenDose, ScheduleError> {
    let invalid = || ScheduleError::InvalidGivenFormat {
        input: s.to_string(),
    };
    let mut fields = s.trim().rsplitn(3, ':');
    let (Some(date), Some(dose), Some(vaccine)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(invalid());
    };
    let vaccine = vaccine.trim();
    if vaccine.is_empty() {
        return Err(invalid());
    }
    let dose: u8 = dose.trim().parse().map_err(|_| invalid())?;
    if dose == 0 {
        return Err(invalid());
    }
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| invalid())?;
    Ok(GivenDose {
        vaccine: vaccine.to_string(),
        dose,
        date,
    })
}

/// The next date after `schedule.as_of` on which some dose changes status: a not-yet-due dose
/// becomes due, a due dose becomes overdue, or a pending dose reaches its age limit.
/// None when nothing will change any more (everything done or not applicable).
/// Recompute the schedule on that date; the push engine can sleep until then.
pub fn next_event_date(schedule: &Schedule) -> Option<NaiveDate> {
    schedule
        .doses
        .iter()
        .flat_map(|dose| {
            let becomes_due_or_overdue = match dose.status {
                Status::NotYetDue => dose.earliest,
                Status::Due => dose.complete_by.and_then(|d| d.succ_opt()),
                _ => None,
            };
            let ends = match dose.status {
                Status::NotYetDue | Status::Due | Status::Overdue => dose.not_given_from,
                _ => None,
            };
            [becomes_due_or_overdue, ends]
        })
        .flatten()
        .filter(|date| *date > schedule.as_of)
        .min()
}
