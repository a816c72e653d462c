//! Points and growth: check-ins, spends, expiry, earning where the action happens, campaigns,
//! adjustments and the operators' data, over both doors and the service.
mod adjustments;
mod check_ins;
mod earning;
mod expiry;
mod spends;
pub mod support;
