//! Members' rights over their data: everything we hold about a member in one export, and
//! erasure, and staff's audited read of a member (support). It spans the features that keep
//! member data, so it sits above them.
pub mod member_data;
pub mod support_read;
