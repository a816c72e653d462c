//! Passive replies: the XML answered in the callback's HTTP response, and the safe-mode envelope.

use serde::{Deserialize, Serialize};

use super::crypto::AesKey;
use super::signature;
use super::xml::push_cdata;

/// What the account says back. Serialised (JSON) into reply rules and the dedup record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    Text {
        content: String,
    },
    /// WeChat shows only the first article of a passive news reply since 2018; up to 8 are sent.
    News {
        articles: Vec<Article>,
    },
    Image {
        media_id: String,
    },
    TransferCustomerService {
        kf_account: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub pic_url: String,
    #[serde(default)]
    pub url: String,
}

pub const MAX_NEWS_ARTICLES: usize = 8;

impl Reply {
    /// The reply document addressed to `to_user` (the follower) from `from_user` (the account).
    pub fn to_xml(&self, to_user: &str, from_user: &str, create_time: i64) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("<xml><ToUserName>");
        push_cdata(&mut out, to_user);
        out.push_str("</ToUserName><FromUserName>");
        push_cdata(&mut out, from_user);
        out.push_str("</FromUserName><CreateTime>");
        out.push_str(&create_time.to_string());
        out.push_str("</CreateTime><MsgType>");
        match self {
            Reply::Text { content } => {
                push_cdata(&mut out, "text");
                out.push_str("</MsgType><Content>");
                push_cdata(&mut out, content);
                out.push_str("</Content>");
            }
            Reply::News { articles } => {
                let articles = &articles[..articles.len().min(MAX_NEWS_ARTICLES)];
                push_cdata(&mut out, "news");
                out.push_str("</MsgType><ArticleCount>");
                out.push_str(&articles.len().to_string());
                out.push_str("</ArticleCount><Articles>");
                for article in articles {
                    for (tag, value) in [
                        ("Title", &article.title),
                        ("Description", &article.description),
                        ("PicUrl", &article.pic_url),
                        ("Url", &article.url),
                    ] {
                        if tag == "Title" {
                            out.push_str("<item>");
                        }
                        out.push_str(&format!("<{tag}>"));
                        push_cdata(&mut out, value);
                        out.push_str(&format!("</{tag}>"));
                    }
                    out.push_str("</item>");
                }
                out.push_str("</Articles>");
            }
            Reply::Image { media_id } => {
                push_cdata(&mut out, "image");
                out.push_str("</MsgType><Image><MediaId>");
                push_cdata(&mut out, media_id);
                out.push_str("</MediaId></Image>");
            }
            Reply::TransferCustomerService { kf_account } => {
                push_cdata(&mut out, "transfer_customer_service");
                out.push_str("</MsgType>");
                if let Some(account) = kf_account {
                    out.push_str("<TransInfo><KfAccount>");
                    push_cdata(&mut out, account);
                    out.push_str("</KfAccount></TransInfo>");
                }
            }
        }
        out.push_str("</xml>");
        out
    }
}

/// Wraps a plaintext reply for safe mode: encrypted for `appid`, signed with `token`.
pub fn encrypt_reply(
    plain_xml: &str,
    key: &AesKey,
    token: &str,
    appid: &str,
    timestamp: &str,
    nonce: &str,
) -> String {
    let encrypted = key.encrypt(plain_xml, appid);
    let msg_signature = signature::sign(&[token, timestamp, nonce, &encrypted]);
    let mut out = String::with_capacity(encrypted.len() + 200);
    out.push_str("<xml><Encrypt>");
    push_cdata(&mut out, &encrypted);
    out.push_str("</Encrypt><MsgSignature>");
    push_cdata(&mut out, &msg_signature);
    out.push_str("</MsgSignature><TimeStamp>");
    out.push_str(timestamp);
    out.push_str("</TimeStamp><Nonce>");
    push_cdata(&mut out, nonce);
    out.push_str("</Nonce></xml>");
    out
}
