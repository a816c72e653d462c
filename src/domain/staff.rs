//! Staff accounts' value types and rules: the roles of the two staff doors, what a username and
//! a password must be, and when failed logins lock an account or a client address.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an operator (`/admin/v1`) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    /// Everything, including managing operators.
    Admin,
    /// Day-to-day operations (content, campaigns, merchants).
    Operator,
    /// Answers parents: may read a member's data (every read is audited).
    Support,
    /// Reads figures.
    Analyst,
}

impl OperatorRole {
    pub const ALL: [OperatorRole; 4] = [
        OperatorRole::Admin,
        OperatorRole::Operator,
        OperatorRole::Support,
        OperatorRole::Analyst,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Admin => "admin",
            OperatorRole::Operator => "operator",
            OperatorRole::Support => "support",
            OperatorRole::Analyst => "analyst",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// What a merchant's staff member (`/merchant/v1`) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MerchantRole {
    /// Runs the merchant's account: its stores, staff and coupons.
    Owner,
    /// Works a counter: redeems coupons.
    Clerk,
}

impl MerchantRole {
    pub const ALL: [MerchantRole; 2] = [MerchantRole::Owner, MerchantRole::Clerk];

    pub const fn as_str(self) -> &'static str {
        match self {
            MerchantRole::Owner => "owner",
            MerchantRole::Clerk => "clerk",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

pub const USERNAME_MIN_CHARS: usize = 3;
pub const USERNAME_MAX_CHARS: usize = 32;
/// The rule as the contracts state it.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9._-]{3,32}$";
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// The username as stored (lowercase), if `typed` is one: 3-32 ASCII letters, digits, '.', '_'
/// or '-'. Nothing is trimmed: what the contract's pattern refuses, this refuses.
pub fn normalize_username(typed: &str) -> Option<String> {
    let valid = (USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&typed.len())
        && typed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    valid.then(|| typed.to_ascii_lowercase())
}

/// Whether a new password is long enough (and not absurdly long), counted in characters as JSON
/// Schema's `minLength` / `maxLength` count them.
pub fn password_length_ok(password: &str) -> bool {
    (PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&password.chars().count())
}

/// Failures within [`LOCKOUT_WINDOW`] that lock an account or a client address.
pub const LOCKOUT_FAILURES: usize = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);
/// How long a lock lasts, from the failure that set it.
pub const LOCKOUT_DURATION: Duration = Duration::minutes(15);
/// How far back failures can still matter: a lock set by failures in one window lasts a
/// lockout after the last of them.
pub const LOCKOUT_LOOKBACK: Duration = Duration::minutes(30);

/// Until when failed logins at `failures` (oldest first; attempts refused while locked are not
/// failures) lock their account or address, if that is after `now`. Five failures within 15
/// minutes lock for 15 minutes from the fifth.
pub fn locked_until(failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    failures
        .windows(LOCKOUT_FAILURES)
        .filter(|run| run[LOCKOUT_FAILURES - 1] - run[0] <= LOCKOUT_WINDOW)
        .map(|run| run[LOCKOUT_FAILURES - 1] + LOCKOUT_DURATION)
        .max()
        .filter(|until| *until > now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64, second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + minute * 60 + second, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn usernames_follow_the_pattern_and_are_stored_lowercase() {
        assert_eq!(
            normalize_username("Ops.Lead-1_x").as_deref(),
            Some("ops.lead-1_x")
        );
        assert_eq!(normalize_username("abc").as_deref(), Some("abc"));
        assert_eq!(
            normalize_username(&"a".repeat(32)).map(|u| u.len()),
            Some(32)
        );
        for bad in [
            "ab",
            &"a".repeat(33),
            " admin",
            "admin ",
            "ad min",
            "adm\0n",
            "管理员",
            "a@b.c",
            "abc\n",
        ] {
            assert_eq!(normalize_username(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_counted_in_characters() {
        assert!(!password_length_ok("123456789"));
        assert!(password_length_ok("1234567890"));
        assert!(password_length_ok("密码密码密码密码密码"));
        assert!(!password_length_ok("密码密码密码密码密"));
        assert!(password_length_ok(&"x".repeat(128)));
        assert!(!password_length_ok(&"x".repeat(129)));
    }

    #[test]
    fn roles_round_trip_and_refuse_other_words() {
        for role in OperatorRole::ALL {
            assert_eq!(OperatorRole::parse(role.as_str()), Some(role));
        }
        for role in MerchantRole::ALL {
            assert_eq!(MerchantRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(OperatorRole::parse("Admin"), None);
        assert_eq!(OperatorRole::parse("owner"), None);
        assert_eq!(MerchantRole::parse("admin"), None);
    }

    #[test]
    fn five_failures_within_fifteen_minutes_lock_for_fifteen_minutes_from_the_fifth() {
        let four = [at(0, 0), at(1, 0), at(2, 0), at(3, 0)];
        assert_eq!(locked_until(&four, at(3, 1)), None);
        let five = [at(0, 0), at(1, 0), at(2, 0), at(3, 0), at(4, 0)];
        assert_eq!(locked_until(&five, at(4, 1)), Some(at(19, 0)));
        assert_eq!(locked_until(&five, at(18, 59)), Some(at(19, 0)));
        assert_eq!(locked_until(&five, at(19, 0)), None);
        // Spread over more than 15 minutes: no lock.
        let spread = [at(0, 0), at(4, 0), at(8, 0), at(12, 0), at(15, 1)];
        assert_eq!(locked_until(&spread, at(15, 2)), None);
        // Exactly 15 minutes apart still counts.
        let edge = [at(0, 0), at(4, 0), at(8, 0), at(12, 0), at(15, 0)];
        assert_eq!(locked_until(&edge, at(15, 1)), Some(at(30, 0)));
        // After a lock ends, the old failures do not lock again with one more.
        let after = [at(0, 0), at(1, 0), at(2, 0), at(3, 0), at(4, 0), at(19, 1)];
        assert_eq!(locked_until(&after, at(19, 2)), None);
    }
}
