//! The command line, run as a separate process.
mod operator;
mod operator_accounts;
mod points;
mod schedule;
