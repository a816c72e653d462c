//! Lots: each credit expires on its own date; spends take the earliest-expiring points first.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{ConfigError, PointsError};

/// `BABYVAX_POINTS_EXPIRY_MONTHS` when unset.
pub const DEFAULT_EXPIRY_MONTHS: u32 = 12;
/// Ten years: beyond that "expiry" means nothing and dates approach chrono's range.
pub const MAX_EXPIRY_MONTHS: u32 = 120;

/// The expiry setting as configuration takes it: 1 to [`MAX_EXPIRY_MONTHS`].
pub fn validate_expiry_months(months: u32) -> Result<u32, ConfigError> {
    if (1..=MAX_EXPIRY_MONTHS).contains(&months) {
        Ok(months)
    } else {
        Err(ConfigError::InvalidExpiryMonths {
            months,
            max: MAX_EXPIRY_MONTHS,
        })
    }
}

/// The last day on which points earned on `earned_on` can be spent: the end of the month
/// `expiry_months` months after the month they were earned (2025-01-15, 12 → 2026-01-31).
pub fn lot_expires_on(earned_on: NaiveDate, expiry_months: u32) -> Result<NaiveDate, PointsError> {
    earned_on
        .with_day(1)
        .and_then(|first| first.checked_add_months(Months::new(expiry_months.checked_add(1)?)))
        .and_then(|first_after| first_after.pred_opt())
        .ok_or(PointsError::DateOutOfRange)
}

/// An open credit: what is left of it and the last day it can be spent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub id: i64,
    pub remaining: i64,
    pub expires_on: NaiveDate,
}

impl Lot {
    fn is_open_on(&self, day: NaiveDate) -> bool {
        self.remaining > 0 && self.expires_on >= day
    }
}

/// Points a spend takes from one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotUse {
    pub lot_id: i64,
    pub points: i64,
}

/// An expired remainder, to be written as an `expire` ledger row and zeroed on the lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotExpiry {
    pub lot_id: i64,
    pub points: i64,
    pub expires_on: NaiveDate,
}

impl LotExpiry {
    /// The ledger key of this expiry, so a rerun of the job cannot write it twice.
    pub fn idempotency_key(&self) -> String {
        format!("expire:{}", self.lot_id)
    }
}

/// Points expiring on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringPoints {
    pub points: i64,
    pub expires_on: NaiveDate,
}

/// Points that can be spent on `today`: the remainders of lots not yet expired.
pub fn spendable(lots: &[Lot], today: NaiveDate) -> i64 {
    lots.iter()
        .filter(|lot| lot.is_open_on(today))
        .fold(0i64, |sum, lot| sum.saturating_add(lot.remaining))
}

/// Which lots a spend of `amount` on `today` consumes: earliest expiry first, then lowest id.
/// Refuses with `insufficient_points` (consuming nothing) when the spendable points fall short.
pub fn plan_spend(lots: &[Lot], amount: i64, today: NaiveDate) -> Result<Vec<LotUse>, PointsError> {
    if amount <= 0 {
        return Err(PointsError::InvalidAmount { amount });
    }
    let available = spendable(lots, today);
    if available < amount {
        return Err(PointsError::InsufficientPoints {
            needed: amount,
            available,
        });
    }
    let mut open: Vec<&Lot> = lots.iter().filter(|lot| lot.is_open_on(today)).collect();
    open.sort_by_key(|lot| (lot.expires_on, lot.id));
    let mut left = amount;
    let mut uses = Vec::new();
    for lot in open {
        if left == 0 {
            break;
        }
        let points = left.min(lot.remaining);
        uses.push(LotUse {
            lot_id: lot.id,
            points,
        });
        left -= points;
    }
    Ok(uses)
}

/// The remainders of lots that expired before `today`, in expiry order: the daily job's `expire`
/// rows. A lot expiring on `today` is still spendable today and is not listed.
pub fn expired_remainders(lots: &[Lot], today: NaiveDate) -> Vec<LotExpiry> {
    let mut expired: Vec<LotExpiry> = lots
        .iter()
        .filter(|lot| lot.remaining > 0 && lot.expires_on < today)
        .map(|lot| LotExpiry {
            lot_id: lot.id,
            points: lot.remaining,
            expires_on: lot.expires_on,
        })
        .collect();
    expired.sort_by_key(|e| (e.expires_on, e.lot_id));
    expired
}

/// Points that expire from `today` through `today + days`, summed per expiry date, soonest first.
pub fn expiring_within(lots: &[Lot], today: NaiveDate, days: u32) -> Vec<ExpiringPoints> {
    let last = today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX);
    let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for lot in lots
        .iter()
        .filter(|lot| lot.is_open_on(today) && lot.expires_on <= last)
    {
        let sum = by_day.entry(lot.expires_on).or_insert(0);
        *sum = sum.saturating_add(lot.remaining);
    }
    by_day
        .into_iter()
        .map(|(expires_on, points)| ExpiringPoints { points, expires_on })
        .collect()
}
