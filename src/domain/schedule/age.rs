//! Ages and intervals as written in the schedule data, and the calendar arithmetic on them.

use std::fmt;

use chrono::{Days, Months, NaiveDate};
use serde::Deserialize;

/// An age (measured from birth) or an interval (measured from a dose): the parts are summed.
///
/// Arithmetic (see `age_arithmetic` in the edition data): whole months first, with the day of
/// month clamped to the month's last day (born Jan 31 + 1 month = Feb 28/29), then days.
/// Years count as 12 months and are added together with the months in one step, so
/// `{years: 13, months: 6}` from Feb 29 lands on Aug 29, not Aug 28.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Age {
    pub years: u32,
    pub months: u32,
    pub weeks: u32,
    pub days: u32,
    pub hours: u32,
}

impl Age {
    pub fn is_zero(&self) -> bool {
        *self == Age::default()
    }

    fn total_months(&self) -> Option<u32> {
        self.years.checked_mul(12)?.checked_add(self.months)
    }

    fn whole_days(&self, hours_rounded_up: bool) -> Option<u64> {
        let hour_days = if hours_rounded_up {
            self.hours.div_ceil(24)
        } else {
            self.hours / 24
        };
        let days = u64::from(self.weeks)
            .checked_mul(7)?
            .checked_add(u64::from(self.days))?;
        days.checked_add(u64::from(hour_days))
    }

    fn add(&self, start: NaiveDate, hours_rounded_up: bool) -> Option<NaiveDate> {
        start
            .checked_add_months(Months::new(self.total_months()?))?
            .checked_add_days(Days::new(self.whole_days(hours_rounded_up)?))
    }

    /// The first calendar day on which this much time has passed since `start`.
    /// Hours round down: a dose "from 0 h" may be given on the birth date.
    pub fn after(&self, start: NaiveDate) -> Option<NaiveDate> {
        self.add(start, false)
    }

    /// The last calendar day on which the age counted from `birth` is still below `self`
    /// (the meaning of `complete_by_age`: "give while age < X").
    ///
    /// Normally `(birth + X) - 1 day`. When X has an hours part the birth time matters and we
    /// don't know it, so we take the most lenient reading: the last day on which *some* birth
    /// time still leaves the child younger than X. For "within 24 h" that is the day after birth
    /// (a child born at 23:00 gets the birth dose the next morning, on time).
    pub fn last_day_below(&self, birth: NaiveDate) -> Option<NaiveDate> {
        if self.hours > 0 {
            self.add(birth, true)
        } else {
            self.add(birth, false)?.pred_opt()
        }
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.years, "year"),
            (self.months, "month"),
            (self.weeks, "week"),
            (self.days, "day"),
            (self.hours, "hour"),
        ];
        let mut written = false;
        for (amount, unit) in parts {
            if amount == 0 {
                continue;
            }
            if written {
                f.write_str(" ")?;
            }
            let plural = if amount == 1 { "" } else { "s" };
            write!(f, "{amount} {unit}{plural}")?;
            written = true;
        }
        if !written {
            f.write_str("0 days")?;
        }
        Ok(())
    }
}
