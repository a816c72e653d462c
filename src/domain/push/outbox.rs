//! The outbox's states, and what becomes of an unsent reminder when the baby's schedule changes.

use chrono::NaiveDate;

use super::Kind;
use super::plan::{DoseRef, NamedDose, is_missing, is_pending};
use crate::domain::schedule::{DoseStatus, Schedule};

/// An outbox row's state: `pending` until it is sent (`sent`), fails for good (`failed`), finds
/// no channel (`undeliverable`), is held by the recipient's preferences (`suppressed`) or is
/// made pointless by a change (`cancelled`). Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
    Undeliverable,
    Suppressed,
    Cancelled,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 6] = [
        OutboxStatus::Pending,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
        OutboxStatus::Undeliverable,
        OutboxStatus::Suppressed,
        OutboxStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Undeliverable => "undeliverable",
            OutboxStatus::Suppressed => "suppressed",
            OutboxStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(stored: &str) -> Option<OutboxStatus> {
        OutboxStatus::ALL.into_iter().find(|s| s.as_str() == stored)
    }
}

/// What becomes of an unsent reminder when the baby's schedule changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every dose it names still needs it.
    Keep,
    /// Some do: it names only these from now on (the others were recorded, or their dates
    /// moved away from the reminder's).
    Narrow(Vec<NamedDose>),
    /// None does.
    Cancel,
}

/// Whether a dose still needs a `kind` reminder about `event_date`: it is still to be given and
/// the date is still its date (earliest for `due_*`, complete-by for `overdue_*`); for a
/// catch-up or follow-up, it is still missing.
fn still_needed(kind: Kind, event_date: Option<NaiveDate>, dose: &DoseStatus) -> bool {
    match kind {
        Kind::DueSoon | Kind::DueToday => is_pending(dose) && event_date == dose.earliest,
        Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther => {
            is_pending(dose) && event_date == dose.complete_by
        }
        Kind::CatchUp | Kind::FollowUp => is_missing(dose),
        Kind::Stage | Kind::Campaign => true,
    }
}

/// The stale-row rule: an unsent `kind` reminder about `doses` and `event_date`, judged against
/// the baby's new schedule. A reminder naming several doses is cancelled only when none of them
/// still needs it; otherwise it is narrowed to those that do, so the parent is neither
/// reminded of a dose just recorded nor left without the reminder of the others.
pub fn judge_pending(
    kind: Kind,
    event_date: Option<NaiveDate>,
    doses: &[DoseRef],
    schedule: &Schedule,
) -> Verdict {
    if !kind.is_dose() {
        return Verdict::Keep;
    }
    let still: Vec<NamedDose> = doses
        .iter()
        .filter_map(|wanted| {
            schedule
                .doses
                .iter()
                .find(|d| d.vaccine == wanted.vaccine && d.dose == wanted.dose)
        })
        .filter(|d| still_needed(kind, event_date, d))
        .map(NamedDose::of)
        .collect();
    if still.is_empty() {
        Verdict::Cancel
    } else if still.len() == doses.len() {
        Verdict::Keep
    } else {
        Verdict::Narrow(still)
    }
}
