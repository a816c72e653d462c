//! Check-in streaks on the Asia/Shanghai calendar.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::PointsError;

/// The member's last check-in, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCheckIn {
    pub day: NaiveDate,
    /// 1-based day of the streak ladder that check-in was.
    pub streak_day: u8,
}

/// Today's check-in: its streak day and the ladder's points for it (before multipliers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInDay {
    pub streak_day: u8,
    pub points: i64,
}

/// Today's streak day and base points, given the ladder (points of day 1, 2, ...; validated by
/// [`super::RuleSet`]) and the last check-in. The day after the last one continues the streak;
/// a missed day restarts at day 1; after the ladder's last day the cycle restarts at day 1, as
/// it does when an operator shortened the ladder below the stored streak. A last check-in on or
/// after today refuses with `already_checked_in`.
pub fn check_in(
    ladder: &[i64],
    last: Option<LastCheckIn>,
    today: NaiveDate,
) -> Result<CheckInDay, PointsError> {
    let streak_day = match last {
        Some(last) if last.day >= today => {
            return Err(PointsError::AlreadyCheckedIn { day: last.day });
        }
        Some(last) if Some(last.day) == today.pred_opt() => {
            let next = usize::from(last.streak_day) + 1;
            if next > ladder.len() { 1 } else { next }
        }
        _ => 1,
    };
    Ok(CheckInDay {
        streak_day: u8::try_from(streak_day).unwrap_or(1),
        points: ladder.get(streak_day - 1).copied().unwrap_or(0),
    })
}

/// The streak to show on `today`: the last streak day while it is alive (checked in today or
/// yesterday), 0 once a day was missed.
pub fn current_streak(last: Option<LastCheckIn>, today: NaiveDate) -> u8 {
    match last {
        Some(last) if last.day == today || Some(last.day) == today.pred_opt() => last.streak_day,
        _ => 0,
    }
}
