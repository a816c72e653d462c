//! What is planned for a baby on a day, and the next day on which anything may be.
//!
//! # What is planned, and when (all dates Asia/Shanghai)
//!
//! For a dose still to be given (not done, not "not applicable"), with `N` = lead days:
//! - `due_soon` on `earliest - N` (skipped when `N` is 0 or the dose is already due);
//! - `due_today` on `earliest`, while the dose is due (not yet overdue);
//! - `overdue_7`, `overdue_30` on `complete_by + 7` / `+ 30` (configurable), while it is still
//!   overdue.
//!
//! Doses whose reminders fall on the same day with the same kind are one message naming them
//! all (one reminder per baby, day and kind).
//!
//! Doses still missing (due or overdue) are also followed up, per baby, by one message naming
//! every missing dose:
//! - `catch_up` on the first planning day after the baby is registered or its history changes
//!   (the reminder days of doses already due have passed by then);
//! - `follow_up` at the cadence of [`FollowUpRule`]s (by default weekly for a dose in its first
//!   4 weeks of being due, then monthly, also while overdue), counted from the last day a
//!   missing dose was reminded, until every dose is recorded or past its age limit
//!   (`not_given_from`).
//!
//! Either is planned only when it names a dose the day's own `due_today` / `overdue_*`
//! reminders do not; it then replaces them (one message rather than two).
//!
//! Stage content: one `stage` message on the day the baby enters one or more stages of
//! `data/stages/` (those starting on the same day are combined); stages that start at birth are
//! not pushed (the mini-program's feed shows them).
//!
//! A planning run for `as_of` looks at reminder days in `[from, as_of]`, where `from` is the
//! baby's stored next push date clamped to `as_of - catch_up_days`: a missed day is caught up,
//! and a history recorded late does not flood the parent with old reminders (the catch-up
//! names what is missing instead).

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, NaiveDate};

use super::Kind;
use crate::domain::schedule::{DoseStatus, Schedule, Status};

/// The planner's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// "Due in N days" reminders; 0 disables them.
    pub lead_days: u32,
    /// Overdue reminders, days after complete-by (default 7 and 30).
    pub overdue_days: Vec<u32>,
    /// How far back a planning run catches up missed days.
    pub catch_up_days: u32,
    /// The follow-up cadence of missing doses; empty: no follow-ups (catch-ups still go out).
    pub follow_ups: Vec<FollowUpRule>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            lead_days: 3,
            overdue_days: vec![7, 30],
            catch_up_days: 3,
            follow_ups: FollowUpRule::DEFAULTS.to_vec(),
        }
    }
}

/// A missing dose's state, as the follow-up cadence sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Due (from its earliest date, before its complete-by date).
    Due,
    /// Past its complete-by date, still givable.
    Overdue,
}

/// A dose `state` for at least `after_days` (since its earliest date when due, since its
/// complete-by date when overdue) is followed up every `every_days`. Of the rules that apply to
/// a dose, the one with the largest `after_days` counts; a baby's next follow-up is the soonest
/// its missing doses ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpRule {
    pub state: Missing,
    pub after_days: u32,
    pub every_days: u32,
}

impl FollowUpRule {
    /// Weekly in a dose's first 4 weeks of being due, then monthly, also while overdue.
    pub const DEFAULTS: [FollowUpRule; 3] = [
        FollowUpRule {
            state: Missing::Due,
            after_days: 0,
            every_days: 7,
        },
        FollowUpRule {
            state: Missing::Due,
            after_days: 28,
            every_days: 30,
        },
        FollowUpRule {
            state: Missing::Overdue,
            after_days: 0,
            every_days: 30,
        },
    ];

    /// Parses `STATE:AFTER_DAYS:EVERY_DAYS,...` (`due:0:7,due:28:30,overdue:0:30`); an empty
    /// text is no rule.
    pub fn parse_list(text: &str) -> Result<Vec<FollowUpRule>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                let bad = || format!("{part:?} is not STATE:AFTER_DAYS:EVERY_DAYS");
                let mut fields = part.split(':').map(str::trim);
                let (Some(state), Some(after), Some(every), None) =
                    (fields.next(), fields.next(), fields.next(), fields.next())
                else {
                    return Err(bad());
                };
                let state = match state {
                    "due" => Missing::Due,
                    "overdue" => Missing::Overdue,
                    _ => return Err(format!("{part:?}: the state is due or overdue")),
                };
                let after_days = after.parse().map_err(|_| bad())?;
                let every_days: u32 = every.parse().map_err(|_| bad())?;
                if !(1..=3650).contains(&every_days) || after_days > 36_500 {
                    return Err(format!("{part:?}: every 1 to 3650 days, after 0 to 36500"));
                }
                Ok(FollowUpRule {
                    state,
                    after_days,
                    every_days,
                })
            })
            .collect()
    }
}

impl Rules {
    /// Days between follow-ups of a dose `state` for `days`; None: not followed up.
    fn follow_up_every(&self, state: Missing, days: u32) -> Option<u32> {
        self.follow_ups
            .iter()
            .filter(|r| r.state == state && r.after_days <= days)
            .max_by_key(|r| r.after_days)
            .map(|r| r.every_days)
    }
}

/// A dose a message is about (the outbox's `doses` column lists them as `HepB:2,Polio:1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DoseRef {
    pub vaccine: String,
    pub dose: u8,
}

impl DoseRef {
    pub fn of(dose: &DoseStatus) -> DoseRef {
        DoseRef {
            vaccine: dose.vaccine.clone(),
            dose: dose.dose,
        }
    }

    /// `HepB:2,Polio:1`.
    pub fn join(doses: &[DoseRef]) -> String {
        doses
            .iter()
            .map(|d| format!("{}:{}", d.vaccine, d.dose))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The inverse of [`DoseRef::join`]; None when the text is not such a list.
    pub fn parse_list(text: &str) -> Option<Vec<DoseRef>> {
        text.split(',')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (vaccine, dose) = part.rsplit_once(':')?;
                Some(DoseRef {
                    vaccine: vaccine.to_owned(),
                    dose: dose.parse().ok()?,
                })
            })
            .collect()
    }
}

/// A dose with the name parents read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDose {
    pub id: DoseRef,
    pub name_zh: String,
}

impl NamedDose {
    pub fn of(dose: &DoseStatus) -> NamedDose {
        NamedDose {
            id: DoseRef::of(dose),
            name_zh: dose.name_zh.clone(),
        }
    }
}

/// A stage of `data/stages/` as it applies to one baby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStart {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub starts_on: NaiveDate,
}

/// One message the planner calls for, to each of the baby's caregivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub kind: Kind,
    /// The stored kind name (`overdue_14` for an overdue reminder other than 7 and 30).
    pub kind_name: String,
    /// The doses it names, in the schedule's order; empty for a stage.
    pub doses: Vec<NamedDose>,
    /// Stage ids, comma-separated, for `stage`.
    pub stage_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// The date it is about: earliest date (`due_*`), complete-by date (`overdue_*`), planning
    /// day (`catch_up`, `follow_up`), stage start.
    pub event_date: NaiveDate,
}

impl Planned {
    /// The outbox dedup key: (baby, recipient, kind, date), so each caregiver gets a message
    /// once however often the day is planned.
    pub fn dedup_key(&self, baby_id: i32, member_id: i32) -> String {
        format!(
            "b{baby_id}:m{member_id}:{}:{}",
            self.kind_name, self.event_date
        )
    }
}

/// A baby's follow-up state, stored beside its next push date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FollowUp {
    /// The day a message naming every missing dose is next due; None: none is.
    pub on: Option<NaiveDate>,
    /// That message is a catch-up (registration or a history change), not a cadence follow-up.
    pub catch_up: bool,
}

impl FollowUp {
    /// After the baby is registered or its history changes on `day`.
    pub fn after_change(day: NaiveDate) -> FollowUp {
        FollowUp {
            on: Some(day),
            catch_up: true,
        }
    }
}

/// What a planning run does for one baby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    pub messages: Vec<Planned>,
    /// The follow-up state to store.
    pub follow_up: FollowUp,
    /// The next day the baby needs planning (reminder, stage or follow-up); None: never.
    pub next_push_date: Option<NaiveDate>,
}

pub(crate) fn is_pending(dose: &DoseStatus) -> bool {
    matches!(
        dose.status,
        Status::NotYetDue | Status::Due | Status::Overdue
    )
}

pub(crate) fn is_missing(dose: &DoseStatus) -> bool {
    matches!(dose.status, Status::Due | Status::Overdue)
}

pub(crate) fn kind_name(kind: Kind, overdue_days: u32) -> String {
    match kind {
        Kind::DueSoon => "due_soon".into(),
        Kind::DueToday => "due_today".into(),
        Kind::CatchUp => "catch_up".into(),
        Kind::FollowUp => "follow_up".into(),
        Kind::Stage => "stage".into(),
        Kind::Campaign => "campaign".into(),
        Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther => format!("overdue_{overdue_days}"),
    }
}

fn minus(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_sub_days(Days::new(u64::from(days)))
}

fn plus(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}

/// Every (kind, overdue days, reminder day, event date) a pending dose can ever call for.
fn dose_triggers(rules: &Rules, dose: &DoseStatus) -> Vec<(Kind, u32, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    if let Some(earliest) = dose.earliest {
        if rules.lead_days > 0
            && let Some(t) = minus(earliest, rules.lead_days)
        {
            out.push((Kind::DueSoon, 0, t, earliest));
        }
        out.push((Kind::DueToday, 0, earliest, earliest));
    }
    if let Some(cb) = dose.complete_by {
        for &d in &rules.overdue_days {
            if let Some(t) = plus(cb, d) {
                out.push((Kind::overdue(d), d, t, cb));
            }
        }
    }
    out
}

/// Stages entered after birth, grouped by start day.
fn stage_groups(stages: &[StageStart], birth: NaiveDate) -> Vec<(NaiveDate, Vec<&StageStart>)> {
    let mut groups: Vec<(NaiveDate, Vec<&StageStart>)> = Vec::new();
    let mut sorted: Vec<&StageStart> = stages.iter().filter(|s| s.starts_on > birth).collect();
    sorted.sort_by_key(|s| s.starts_on);
    for stage in sorted {
        match groups.last_mut() {
            Some((day, members)) if *day == stage.starts_on => members.push(stage),
            _ => groups.push((stage.starts_on, vec![stage])),
        }
    }
    groups
}

/// The dose reminders with a reminder day in `from..=as_of`, one per kind and event date.
fn dose_reminders(rules: &Rules, schedule: &Schedule, from: NaiveDate) -> Vec<Planned> {
    let window = |t: NaiveDate| from <= t && t <= schedule.as_of;
    let mut groups: BTreeMap<(NaiveDate, Kind, String), Vec<NamedDose>> = BTreeMap::new();
    for dose in schedule.doses.iter().filter(|d| is_pending(d)) {
        for (kind, days, trigger, event) in dose_triggers(rules, dose) {
            let still_relevant = match kind {
                Kind::DueSoon => dose.status == Status::NotYetDue,
                Kind::DueToday => dose.status == Status::Due,
                _ => dose.status == Status::Overdue,
            };
            if still_relevant && window(trigger) {
                groups
                    .entry((event, kind, kind_name(kind, days)))
                    .or_default()
                    .push(NamedDose::of(dose));
            }
        }
    }
    groups
        .into_iter()
        .map(|((event_date, kind, kind_name), doses)| Planned {
            kind,
            kind_name,
            doses,
            stage_id: None,
            title: None,
            summary: None,
            event_date,
        })
        .collect()
}

/// The first follow-up day after `schedule.as_of` its missing doses ask for; None when no
/// missing dose is followed up or every one is past its age limit by then.
fn next_follow_up(rules: &Rules, schedule: &Schedule) -> Option<NaiveDate> {
    let as_of = schedule.as_of;
    schedule
        .doses
        .iter()
        .filter_map(|dose| {
            let (state, since) = match dose.status {
                Status::Due => (Missing::Due, dose.earliest?),
                Status::Overdue => (Missing::Overdue, dose.complete_by?),
                _ => return None,
            };
            let days = u32::try_from((as_of - since).num_days()).unwrap_or(0);
            let day = plus(as_of, rules.follow_up_every(state, days)?)?;
            dose.not_given_from
                .is_none_or(|limit| day < limit)
                .then_some(day)
        })
        .min()
}

/// Plans a baby's day. `schedule` must be computed as of the planning day; `from` is where the
/// run starts ([`plan_from`]); `follow_up` is the baby's stored follow-up state.
pub fn plan_day(
    rules: &Rules,
    birth: NaiveDate,
    schedule: &Schedule,
    stages: &[StageStart],
    from: NaiveDate,
    follow_up: FollowUp,
) -> DayPlan {
    let as_of = schedule.as_of;
    let mut messages = dose_reminders(rules, schedule, from);
    let follow_up_due = follow_up.on.is_some_and(|day| day <= as_of);
    if follow_up_due {
        let reminded: HashSet<&DoseRef> = messages
            .iter()
            .filter(|m| m.kind.reminds_missing())
            .flat_map(|m| m.doses.iter().map(|d| &d.id))
            .collect();
        let missing: Vec<NamedDose> = schedule
            .doses
            .iter()
            .filter(|d| is_missing(d))
            .map(NamedDose::of)
            .collect();
        if missing.iter().any(|d| !reminded.contains(&d.id)) {
            let kind = if follow_up.catch_up {
                Kind::CatchUp
            } else {
                Kind::FollowUp
            };
            messages.retain(|m| !m.kind.reminds_missing());
            messages.push(Planned {
                kind,
                kind_name: kind_name(kind, 0),
                doses: missing,
                stage_id: None,
                title: None,
                summary: None,
                event_date: as_of,
            });
        }
    }
    for (day, group) in stage_groups(stages, birth) {
        if from <= day && day <= as_of {
            let ids: Vec<&str> = group.iter().map(|s| s.id.as_str()).collect();
            let titles: Vec<&str> = group.iter().map(|s| s.title.as_str()).collect();
            messages.push(Planned {
                kind: Kind::Stage,
                kind_name: kind_name(Kind::Stage, 0),
                doses: Vec::new(),
                stage_id: Some(ids.join(",")),
                title: Some(titles.join("；")),
                summary: group.first().map(|s| s.summary.clone()),
                event_date: day,
            });
        }
    }
    messages.sort_by_key(|m| (m.event_date, m.kind));
    // The cadence counts from the last day a missing dose was reminded.
    let follow_up = if messages.iter().any(|m| m.kind.reminds_missing()) {
        FollowUp {
            on: next_follow_up(rules, schedule),
            catch_up: false,
        }
    } else if follow_up_due {
        // Nothing missing any more.
        FollowUp::default()
    } else {
        follow_up
    };
    let next_push_date = [
        next_trigger(rules, birth, schedule, stages, as_of),
        follow_up.on,
    ]
    .into_iter()
    .flatten()
    .min();
    DayPlan {
        messages,
        follow_up,
        next_push_date,
    }
}

/// The first day after `after` with a dose reminder or a stage, or None when there is none any
/// more. Dates of pending doses do not depend on the day they are computed on, so a schedule
/// computed on any day before that one gives the same answer.
pub fn next_trigger(
    rules: &Rules,
    birth: NaiveDate,
    schedule: &Schedule,
    stages: &[StageStart],
    after: NaiveDate,
) -> Option<NaiveDate> {
    let doses = schedule
        .doses
        .iter()
        .filter(|d| is_pending(d))
        .flat_map(|d| dose_triggers(rules, d))
        .map(|(_, _, trigger, _)| trigger);
    let stages = stage_groups(stages, birth).into_iter().map(|(day, _)| day);
    doses.chain(stages).filter(|t| *t > after).min()
}

/// Where a planning run starts for a baby whose stored next push date is `stored`.
pub fn plan_from(rules: &Rules, stored: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let floor = minus(as_of, rules.catch_up_days).unwrap_or(as_of);
    stored.max(floor)
}
