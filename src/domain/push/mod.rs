//! The push engine's pure rules: which messages a baby's schedule and age call for on a day
//! ([`plan`]), the texts naming a reminder's doses ([`texts`]), the outbox's states and the
//! stale-reminder rule ([`outbox`]), quiet hours, preferences, retry backoff, channel choice and
//! the rendering of our fields onto a WeChat template's keywords ([`templates`]). No database,
//! no clock.

pub mod outbox;
pub mod plan;
pub mod templates;
pub mod texts;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};

pub use outbox::{OutboxStatus, Verdict, judge_pending};
pub use plan::{
    DayPlan, DoseRef, FollowUp, FollowUpRule, Missing, NamedDose, Planned, Rules, StageStart,
    next_trigger, plan_day, plan_from,
};

/// The kinds of message; stored as their snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    DueSoon,
    DueToday,
    Overdue7,
    Overdue30,
    /// Any other configured overdue day is stored as `overdue_<d>`; see [`Kind::overdue`].
    OverdueOther,
    /// The first message naming every missing dose after registration or a history change.
    CatchUp,
    /// The cadence's message naming every dose still missing.
    FollowUp,
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
            Kind::CatchUp | Kind::FollowUp => PrefClass::Missing,
            Kind::Stage => PrefClass::Stage,
            Kind::Campaign => PrefClass::Campaign,
        }
    }

    /// Whether the message is about doses (and follows their recording).
    pub fn is_dose(self) -> bool {
        !matches!(self, Kind::Stage | Kind::Campaign)
    }

    /// Whether it reminds doses that can be given now (due or overdue): the follow-up cadence
    /// counts from the last such reminder.
    pub fn reminds_missing(self) -> bool {
        self.is_dose() && self != Kind::DueSoon
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefClass {
    DueSoon,
    DueToday,
    Overdue,
    /// Catch-ups and follow-ups name due and overdue doses alike: held only when both the
    /// due-today and the overdue reminders are switched off.
    Missing,
    Stage,
    Campaign,
}

/// Parses a stored kind name.
pub fn parse_kind(name: &str) -> Option<Kind> {
    match name {
        "due_soon" => Some(Kind::DueSoon),
        "due_today" => Some(Kind::DueToday),
        "overdue_7" => Some(Kind::Overdue7),
        "overdue_30" => Some(Kind::Overdue30),
        "catch_up" => Some(Kind::CatchUp),
        "follow_up" => Some(Kind::FollowUp),
        "stage" => Some(Kind::Stage),
        "campaign" => Some(Kind::Campaign),
        other if other.starts_with("overdue_") => Some(Kind::OverdueOther),
        _ => None,
    }
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
                PrefClass::Missing => self.due_today || self.overdue,
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
