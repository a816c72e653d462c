//! The push engine's pure rules: which messages a baby's schedule and age call for on a day,
//! the next day on which anything may be called for, quiet hours, retry backoff, channel choice
//! and the rendering of our fields onto a WeChat template's keywords. No database, no clock.
//!
//! # What is planned, and when (all dates Asia/Shanghai)
//!
//! For a dose still to be given (not done, not "not applicable"), with `N` = lead days:
//! - `due_soon` on `earliest - N` (skipped when `N` is 0 or the dose is already due);
//! - `due_today` on `earliest`, while the dose is due (not yet overdue);
//! - `overdue_7`, `overdue_30` on `complete_by + 7` / `+ 30` (configurable), while it is still
//!   overdue (not given, not past its age limit); then nothing more.
//!
//! Stage content: one `stage` message on the day the baby enters one or more stages of
//! `data/stages/` (those starting on the same day are combined); stages that start at birth are
//! not pushed (the mini-program's feed shows them).
//!
//! A planning run for `as_of` looks at trigger dates in `[from, as_of]`, where `from` is the
//! baby's stored next push date clamped to `as_of - catch_up_days`: a missed day is caught up,
//! and a history recorded late does not flood the parent with old reminders.

pub mod templates;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::schedule::{Schedule, Status};

/// The kinds of message; stored as their snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    DueSoon,
    DueToday,
    Overdue7,
    Overdue30,
    /// Any other configured follow-up day is stored as `overdue_<d>`; see [`Kind::overdue`].
    OverdueOther,
    Stage,
    Campaign,
}

impl Kind {
    pub fn overdue(days: u32) -> Kind {
        match days {
            7 => Kind::Overdue7,
            30 => Kind::Overdue30,
            _ => Kind::OverdueOther,
        }
    }

    /// The preference that switches this kind off.
    pub fn class(self) -> PrefClass {
        match self {
            Kind::DueSoon => PrefClass::DueSoon,
            Kind::DueToday => PrefClass::DueToday,
            Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther => PrefClass::Overdue,
            Kind::Stage => PrefClass::Stage,
            Kind::Campaign => PrefClass::Campaign,
        }
    }

    /// Whether the message is about a dose (and is cancelled when the dose is recorded).
    pub fn is_dose(self) -> bool {
        matches!(
            self,
            Kind::DueSoon | Kind::DueToday | Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefClass {
    DueSoon,
    DueToday,
    Overdue,
    Stage,
    Campaign,
}

/// The planner's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// "Due in N days" reminders; 0 disables them.
    pub lead_days: u32,
    /// Overdue follow-ups, days after complete-by (default 7 and 30), then stop.
    pub overdue_days: Vec<u32>,
    /// How far back a planning run catches up missed days.
    pub catch_up_days: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            lead_days: 3,
            overdue_days: vec![7, 30],
            catch_up_days: 3,
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

/// One message the planner calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub kind: Kind,
    /// The stored kind name (`overdue_14` for a follow-up other than 7 and 30).
    pub kind_name: String,
    pub vaccine: Option<String>,
    pub dose: Option<u8>,
    pub name_zh: Option<String>,
    /// Stage ids, comma-separated, for `stage`.
    pub stage_id: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// The day the message is planned for.
    pub trigger: NaiveDate,
    /// The date it is about: earliest date, complete-by date, stage start.
    pub event_date: NaiveDate,
}

impl Planned {
    /// The outbox dedup key: (baby, vaccine, dose, kind, date).
    pub fn dedup_key(&self, baby_id: i32) -> String {
        format!(
            "b{baby_id}:{}:{}:{}:{}",
            self.vaccine.as_deref().unwrap_or("stage"),
            self.dose.unwrap_or(0),
            self.kind_name,
            self.event_date
        )
    }
}

fn kind_name(kind: Kind, overdue_days: u32) -> String {
    match kind {
        Kind::DueSoon => "due_soon".into(),
        Kind::DueToday => "due_today".into(),
        Kind::Stage => "stage".into(),
        Kind::Campaign => "campaign".into(),
        Kind::Overdue7 | Kind::Overdue30 | Kind::OverdueOther => format!("overdue_{overdue_days}"),
    }
}

/// Parses a stored kind name.
pub fn parse_kind(name: &str) -> Option<Kind> {
    match name {
        "due_soon" => Some(Kind::DueSoon),
        "due_today" => Some(Kind::DueToday),
        "overdue_7" => Some(Kind::Overdue7),
        "overdue_30" => Some(Kind::Overdue30),
        "stage" => Some(Kind::Stage),
        "campaign" => Some(Kind::Campaign),
        other if other.starts_with("overdue_") => Some(Kind::OverdueOther),
        _ => None,
    }
}

fn minus(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_sub_days(Days::new(u64::from(days)))
}

fn plus(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}

/// Every (kind, trigger date, event date) a pending dose can ever call for.
fn dose_triggers(
    rules: &Rules,
    earliest: Option<NaiveDate>,
    complete_by: Option<NaiveDate>,
) -> Vec<(Kind, u32, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    if let Some(earliest) = earliest {
        if rules.lead_days > 0
            && let Some(t) = minus(earliest, rules.lead_days)
        {
            out.push((Kind::DueSoon, 0, t, earliest));
        }
        out.push((Kind::DueToday, 0, earliest, earliest));
    }
    if let Some(cb) = complete_by {
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

/// The messages due for a baby on trigger days `from..=schedule.as_of`. `schedule` must be
/// computed as of the planning day.
pub fn plan(
    rules: &Rules,
    birth: NaiveDate,
    schedule: &Schedule,
    stages: &[StageStart],
    from: NaiveDate,
) -> Vec<Planned> {
    let as_of = schedule.as_of;
    let window = |t: NaiveDate| from <= t && t <= as_of;
    let mut out = Vec::new();
    for dose in &schedule.doses {
        if !matches!(
            dose.status,
            Status::NotYetDue | Status::Due | Status::Overdue
        ) {
            continue;
        }
        for (kind, days, trigger, event) in dose_triggers(rules, dose.earliest, dose.complete_by) {
            let still_relevant = match kind {
                Kind::DueSoon => dose.status == Status::NotYetDue,
                Kind::DueToday => dose.status == Status::Due,
                _ => dose.status == Status::Overdue,
            };
            if still_relevant && window(trigger) {
                out.push(Planned {
                    kind,
                    kind_name: kind_name(kind, days),
                    vaccine: Some(dose.vaccine.clone()),
                    dose: Some(dose.dose),
                    name_zh: Some(dose.name_zh.clone()),
                    stage_id: None,
                    title: None,
                    summary: None,
                    trigger,
                    event_date: event,
                });
            }
        }
    }
    for (day, group) in stage_groups(stages, birth) {
        if window(day) {
            let ids: Vec<&str> = group.iter().map(|s| s.id.as_str()).collect();
            let titles: Vec<&str> = group.iter().map(|s| s.title.as_str()).collect();
            out.push(Planned {
                kind: Kind::Stage,
                kind_name: kind_name(Kind::Stage, 0),
                vaccine: None,
                dose: None,
                name_zh: None,
                stage_id: Some(ids.join(",")),
                title: Some(titles.join("；")),
                summary: group.first().map(|s| s.summary.clone()),
                trigger: day,
                event_date: day,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.trigger, a.kind, &a.vaccine, a.dose).cmp(&(b.trigger, b.kind, &b.vaccine, b.dose))
    });
    out
}

/// The first day after `after` on which [`plan`] may call for something, or None when nothing
/// will ever be planned again. Dates of pending doses do not depend on the day they are computed
/// on, so a schedule computed on any day before that one gives the same answer.
pub fn next_push_date(
    rules: &Rules,
    birth: NaiveDate,
    schedule: &Schedule,
    stages: &[StageStart],
    after: NaiveDate,
) -> Option<NaiveDate> {
    let doses = schedule
        .doses
        .iter()
        .filter(|d| matches!(d.status, Status::NotYetDue | Status::Due | Status::Overdue))
        .flat_map(|d| dose_triggers(rules, d.earliest, d.complete_by))
        .map(|(_, _, trigger, _)| trigger);
    let stages = stage_groups(stages, birth).into_iter().map(|(day, _)| day);
    doses.chain(stages).filter(|t| *t > after).min()
}

/// Where a planning run starts for a baby whose stored next push date is `stored`.
pub fn plan_from(rules: &Rules, stored: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let floor = minus(as_of, rules.catch_up_days).unwrap_or(as_of);
    stored.max(floor)
}

/// Quiet hours in Asia/Shanghai, as minutes after midnight; `start == end` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start_minute: u32,
    pub end_minute: u32,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start_minute: 21 * 60,
            end_minute: 8 * 60,
        }
    }
}

/// Parses `HH:MM` into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let time = NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()?;
    Some(time.hour() * 60 + time.minute())
}

impl QuietHours {
    fn contains(&self, minute: u32) -> bool {
        let (s, e) = (self.start_minute, self.end_minute);
        if s == e {
            false
        } else if s < e {
            s <= minute && minute < e
        } else {
            minute >= s || minute < e
        }
    }

    /// `now`, or the end of the quiet hours when `now` falls inside them: planned messages wait
    /// for the morning.
    pub fn not_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let tz = crate::domain::time::shanghai();
        let local = now.with_timezone(&tz);
        let minute = local.hour() * 60 + local.minute();
        if !self.contains(minute) {
            return now;
        }
        let mut day = local.date_naive();
        if minute >= self.end_minute {
            // Evening part of the window: the morning is tomorrow.
            day = day.succ_opt().unwrap_or(day);
        }
        let end = NaiveTime::from_hms_opt(self.end_minute / 60, self.end_minute % 60, 0)
            .unwrap_or(NaiveTime::MIN);
        tz.from_local_datetime(&day.and_time(end))
            .single()
            .map_or(now, |t| t.with_timezone(&Utc))
    }
}

/// A member's preferences, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub due_soon: bool,
    pub due_today: bool,
    pub overdue: bool,
    pub stage: bool,
    pub campaign: bool,
    pub stop_all: bool,
    pub quiet: QuietHours,
}

impl Preferences {
    pub fn defaults(quiet: QuietHours) -> Preferences {
        Preferences {
            due_soon: true,
            due_today: true,
            overdue: true,
            stage: true,
            campaign: true,
            stop_all: false,
            quiet,
        }
    }

    pub fn allows(&self, kind: Kind) -> bool {
        !self.stop_all
            && match kind.class() {
                PrefClass::DueSoon => self.due_soon,
                PrefClass::DueToday => self.due_today,
                PrefClass::Overdue => self.overdue,
                PrefClass::Stage => self.stage,
                PrefClass::Campaign => self.campaign,
            }
    }
}

/// Delay before the next try after `attempts` failed ones: base * 2^(attempts-1), capped.
pub fn backoff(attempts: u32, base: Duration, max: Duration) -> Duration {
    let factor = 1i32 << attempts.saturating_sub(1).min(20);
    (base * factor).min(max)
}

/// How a message goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Official-account template message.
    Template,
    /// Mini-program subscribe message (spends one allowance).
    Subscribe,
    /// Nowhere: the mini-program shows it and asks for consent.
    None,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Template => "template",
            Channel::Subscribe => "subscribe",
            Channel::None => "none",
        }
    }
}

/// Template message when the member's follower still follows (and a template is configured);
/// else a subscribe message when an allowance can be spent; else none.
pub fn choose_channel(follows: bool, template_configured: bool, allowance: bool) -> Channel {
    if follows && template_configured {
        Channel::Template
    } else if allowance {
        Channel::Subscribe
    } else {
        Channel::None
    }
}

/// The reason recorded for a permanent WeChat error.
pub fn failure_reason(errcode: i64) -> String {
    match errcode {
        43004 => "unfollowed".into(),
        43101 => "refused".into(),
        40037 | 40036 => "template_deleted".into(),
        47003 => "invalid_template_data".into(),
        40003 => "invalid_openid".into(),
        code => format!("wechat_{code}"),
    }
}
