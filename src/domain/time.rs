//! Parents' calendar: dates they see (birth, due dates) are calendar dates in Asia/Shanghai.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// China Standard Time. No DST since 1991, so a fixed offset is exact.
pub const SHANGHAI_OFFSET_SECS: i32 = 8 * 3600;

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(SHANGHAI_OFFSET_SECS)
        .unwrap_or_else(|| unreachable!("+08:00 is a valid offset"))
}

/// The calendar date in Asia/Shanghai of an instant.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// A baby's age in days on `today` (0 on the birth day).
pub fn age_days(birth: NaiveDate, today: NaiveDate) -> i64 {
    (today - birth).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shanghai_day_starts_at_16_utc_the_day_before() {
        let day: NaiveDate = "2026-11-29".parse().unwrap();
        let start: DateTime<Utc> = "2026-11-28T16:00:00Z".parse().unwrap();
        assert_eq!(shanghai_date(start), day);
        assert_eq!(
            shanghai_date(start - chrono::Duration::seconds(1)),
            day.pred_opt().unwrap()
        );
    }
}
