//! The WeChat server API, outbound: one pooled HTTP client, access tokens shared by every
//! instance through a [`TokenStore`] ([`DbTokenStore`] in production), typed calls for the
//! official account and the mini-program, and WeChat's error codes as [`ApiError`] with a
//! [`RetryClass`].
//!
//! ```ignore
//! let client = ApiClient::new(ApiConfig::new(base_url))?;
//! let tokens = Arc::new(TokenManager::new(client, oa_credentials, store, clock));
//! let oa = OfficialAccount::new(tokens);
//! let msgid = oa.send_template(&message).await?;
//! ```

mod client;
mod config;
mod db_store;
mod error;
mod mini_program;
mod official_account;
mod token;
mod token_store;
mod types;

pub use client::{ApiClient, parse_response};
pub use config::{ApiConfig, RetryPolicy, TokenPolicy, TokenSource};
pub use db_store::DbTokenStore;
pub use error::{ApiError, RetryClass, StoreError, TOKEN_ERRCODES, classify_errcode};
pub use mini_program::MiniProgram;
pub use official_account::OfficialAccount;
pub use token::TokenManager;
pub use token_store::{BoxFuture, MemoryTokenStore, StoredToken, TokenStore};
pub use types::*;
