//! Server-API calls of the official account (公众号).

use std::sync::Arc;

use super::client::Call;
use super::error::ApiError;
use super::token::TokenManager;
use super::types::{
    CurrentMenuInfo, CustomText, CustomTextMessage, Empty, MenuInfo, QrCodeRequest, QrTicket,
    TemplateMessage, TemplateSendResponse, UserInfo,
};

#[derive(Debug, Clone)]
pub struct OfficialAccount {
    tokens: Arc<TokenManager>,
}

impl OfficialAccount {
    pub fn new(tokens: Arc<TokenManager>) -> Self {
        Self { tokens }
    }

    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    /// Sends a template message; returns WeChat's msgid (echoed later in the
    /// TEMPLATESENDJOBFINISH event).
    pub async fn send_template(&self, message: &TemplateMessage) -> Result<i64, ApiError> {
        let call = Call::post_json("/cgi-bin/message/template/send", message)?;
        let resp: TemplateSendResponse = self.tokens.call(&call).await?;
        Ok(resp.msgid)
    }

    /// A customer-service text message; WeChat accepts it only within 48 hours of the user's
    /// last interaction.
    pub async fn send_custom_text(&self, openid: &str, content: &str) -> Result<(), ApiError> {
        let body = CustomTextMessage {
            touser: openid,
            msgtype: "text",
            text: CustomText { content },
        };
        let call = Call::post_json("/cgi-bin/message/custom/send", &body)?;
        self.tokens.call::<Empty>(&call).await.map(drop)
    }

    /// Replaces the custom menu; `menu` is WeChat's `{"button": [...]}`.
    pub async fn create_menu(&self, menu: &serde_json::Value) -> Result<(), ApiError> {
        let call = Call::post_json("/cgi-bin/menu/create", menu)?;
        self.tokens.call::<Empty>(&call).await.map(drop)
    }

    /// The menu set through the API (errcode 46003 when there is none).
    pub async fn get_menu(&self) -> Result<MenuInfo, ApiError> {
        self.tokens.call(&Call::get("/cgi-bin/menu/get")).await
    }

    /// The menu in effect, whether set through the API or the web console.
    pub async fn current_menu(&self) -> Result<CurrentMenuInfo, ApiError> {
        self.tokens
            .call(&Call::get("/cgi-bin/get_current_selfmenu_info"))
            .await
    }

    pub async fn delete_menu(&self) -> Result<(), ApiError> {
        self.tokens
            .call::<Empty>(&Call::get("/cgi-bin/menu/delete"))
            .await
            .map(drop)
    }

    /// Creates a parametric QR code; [`QrTicket::show_url`] gives the image.
    pub async fn create_qrcode(&self, request: &QrCodeRequest) -> Result<QrTicket, ApiError> {
        let call = Call::post_json("/cgi-bin/qrcode/create", request)?;
        self.tokens.call(&call).await
    }

    pub async fn user_info(&self, openid: &str) -> Result<UserInfo, ApiError> {
        let call = Call::get("/cgi-bin/user/info")
            .query("openid", openid)
            .query("lang", "zh_CN");
        self.tokens.call(&call).await
    }
}
