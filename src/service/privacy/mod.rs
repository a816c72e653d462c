//! Members' rights over their data: everything we hold about a member in one export, and
//! erasure. It spans the features that keep member data, so it sits above them.
pub mod member_data;
