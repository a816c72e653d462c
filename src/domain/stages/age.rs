//! A baby's age as parents and child-health checks count it.

use chrono::{Datelike, Days, Months, NaiveDate};

/// Content follows the corrected age until this chronological age.
pub const CORRECTED_AGE_UNTIL_MONTHS: u32 = 24;

/// The birth date content is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentBirth {
    pub birth: NaiveDate,
    /// Corrected for prematurity (`birth` is the chronological birth date + the weeks born early).
    pub corrected: bool,
}

/// Completed months on `today`: N once the same day-of-month N months after birth (clamped to
/// the month's last day) is reached.
pub fn completed_months(birth: NaiveDate, today: NaiveDate) -> u32 {
    if today < birth {
        return 0;
    }
    let rough = i64::from(today.year() - birth.year()) * 12 + i64::from(today.month0())
        - i64::from(birth.month0());
    let mut months = u32::try_from(rough.max(0)).unwrap_or(0);
    while months > 0
        && birth
            .checked_add_months(Months::new(months))
            .is_none_or(|d| d > today)
    {
        months -= 1;
    }
    months
}

/// The birth date content is counted from on `today`: for a baby born `preterm_weeks` early, the
/// corrected birth date (never after today: a baby not yet at its due date gets newborn content)
/// until [`CORRECTED_AGE_UNTIL_MONTHS`]; otherwise the birth date.
pub fn content_birth(
    birth: NaiveDate,
    preterm_weeks: Option<u32>,
    today: NaiveDate,
) -> ContentBirth {
    let chronological = ContentBirth {
        birth,
        corrected: false,
    };
    let Some(weeks) = preterm_weeks else {
        return chronological;
    };
    let corrected_until = birth.checked_add_months(Months::new(CORRECTED_AGE_UNTIL_MONTHS));
    if corrected_until.is_none_or(|until| today >= until) {
        return chronological;
    }
    match birth.checked_add_days(Days::new(u64::from(weeks) * 7)) {
        Some(corrected) => ContentBirth {
            birth: corrected.min(today),
            corrected: true,
        },
        None => chronological,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn completed_months_follow_the_day_of_month_rule() {
        assert_eq!(completed_months(d("2026-01-31"), d("2026-02-27")), 0);
        assert_eq!(completed_months(d("2026-01-31"), d("2026-02-28")), 1);
        assert_eq!(completed_months(d("2026-01-15"), d("2027-01-14")), 11);
        assert_eq!(completed_months(d("2026-01-15"), d("2027-01-15")), 12);
        assert_eq!(completed_months(d("2026-01-15"), d("2025-01-15")), 0);
    }

    #[test]
    fn preterm_babies_get_content_by_corrected_age_until_two() {
        let birth = d("2026-01-01");
        let at = |today: &str, weeks| {
            let c = content_birth(birth, weeks, d(today));
            (c.birth, c.corrected)
        };
        assert_eq!(at("2026-06-01", Some(8)), (d("2026-02-26"), true));
        // Not yet at the due date: content for a newborn.
        assert_eq!(at("2026-02-01", Some(8)), (d("2026-02-01"), true));
        assert_eq!(at("2028-01-01", Some(8)), (d("2026-01-01"), false));
        assert_eq!(at("2026-06-01", None), (d("2026-01-01"), false));
    }
}
