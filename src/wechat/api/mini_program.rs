//! Server-API calls of the mini-program (小程序).

use std::sync::Arc;

use secrecy::ExposeSecret;
use serde::Serialize;

use super::client::Call;
use super::error::ApiError;
use super::token::TokenManager;
use super::types::{
    Code2Session, PhoneInfo, PhoneNumberResponse, SubscribeMessage, SubscribeSendResponse,
};

#[derive(Debug, Clone)]
pub struct MiniProgram {
    tokens: Arc<TokenManager>,
}

impl MiniProgram {
    pub fn new(tokens: Arc<TokenManager>) -> Self {
        Self { tokens }
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    /// Sends a subscribe message; each send uses up one of the user's one-time consents.
    pub async fn send_subscribe(
        &self,
        message: &SubscribeMessage,
    ) -> Result<SubscribeSendResponse, ApiError> {
        let call = Call::post_json("/cgi-bin/message/subscribe/send", message)?;
        self.tokens.call(&call).await
    }

    /// Exchanges a `wx.login` code for the user's openid and session key. Codes are single use
    /// (40029 unknown, 40163 already used). Authenticated by appid and secret, not a token.
    pub async fn code2session(&self, js_code: &str) -> Result<Code2Session, ApiError> {
        let creds = self.tokens.credentials();
        let client = self.tokens.client();
        let call = Call::get("/sns/jscode2session")
            .query("appid", creds.appid.clone())
            .query("secret", creds.secret.expose_secret())
            .query("js_code", js_code)
            .query("grant_type", "authorization_code");
        client
            .retrying(call.path(), || client.send_once(&call, None))
            .await
    }

    /// The phone number behind a `getPhoneNumber` button's code.
    pub async fn phone_number(&self, code: &str) -> Result<PhoneInfo, ApiError> {
        #[derive(Serialize)]
        struct Body<'a> {
            code: &'a str,
        }
        let call = Call::post_json("/wxa/business/getuserphonenumber", &Body { code })?;
        let resp: PhoneNumberResponse = self.tokens.call(&call).await?;
        Ok(resp.phone_info)
    }
}
