//! Staff accounts: operators of the `/admin/v1` door and merchant staff of the `/merchant/v1`
//! door. Accounts (with argon2id password hashes), login with lockout, and the audit log of what
//! staff do (staff's audited reads of members' data are `privacy::support_read`).
//!
//! Every write by a staff member writes its audit row in the same transaction as the write; a
//! read of a member's data writes its row before the data is answered.
pub mod accounts;
pub mod audit;
pub mod login;
mod password;
pub mod points;

pub use password::warm_up;

/// The two kinds of staff account, one per staff door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Operator,
    MerchantStaff,
}

impl AccountKind {
    /// As the audit log names the actor.
    pub const fn as_str(self) -> &'static str {
        match self {
            AccountKind::Operator => "operator",
            AccountKind::MerchantStaff => "merchant_staff",
        }
    }

    /// As login attempts name the door.
    pub const fn door(self) -> &'static str {
        match self {
            AccountKind::Operator => "admin",
            AccountKind::MerchantStaff => "merchant",
        }
    }
}
