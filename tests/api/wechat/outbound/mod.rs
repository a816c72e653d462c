//! The outbound WeChat client against the fake WeChat server: calls, error classification and
//! retries, WeChat's published answers, and access tokens shared by instances on one database.
mod client;
mod fixtures;
mod shared_tokens;
