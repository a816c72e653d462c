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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx2c2769f8efd9abc2";

    fn article(n: usize) -> Article {
        Article {
            title: format!("t{n}"),
            description: format!("d{n}"),
            pic_url: format!("p{n}"),
            url: format!("u{n}"),
        }
    }

    #[test]
    fn text_and_image_replies_match_the_published_samples() {
        let text = Reply::Text {
            content: "content".into(),
        };
        assert_eq!(
            text.to_xml("to", "from", 1122),
            "<xml><ToUserName><![CDATA[to]]></ToUserName><FromUserName><![CDATA[from]]></FromUserName><CreateTime>1122</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[content]]></Content></xml>"
        );
        let image = Reply::Image {
            media_id: "ddfefesfsdfef".into(),
        };
        assert_eq!(
            image.to_xml("to", "from", 1122),
            "<xml><ToUserName><![CDATA[to]]></ToUserName><FromUserName><![CDATA[from]]></FromUserName><CreateTime>1122</CreateTime><MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[ddfefesfsdfef]]></MediaId></Image></xml>"
        );
    }

    #[test]
    fn news_keeps_every_field_in_order_and_at_most_eight_articles() {
        let two = Reply::News {
            articles: vec![article(1), article(2)],
        };
        assert_eq!(
            two.to_xml("to", "from", 1),
            "<xml><ToUserName><![CDATA[to]]></ToUserName><FromUserName><![CDATA[from]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>\
<item><Title><![CDATA[t1]]></Title><Description><![CDATA[d1]]></Description><PicUrl><![CDATA[p1]]></PicUrl><Url><![CDATA[u1]]></Url></item>\
<item><Title><![CDATA[t2]]></Title><Description><![CDATA[d2]]></Description><PicUrl><![CDATA[p2]]></PicUrl><Url><![CDATA[u2]]></Url></item>\
</Articles></xml>"
        );
        for (given, sent) in [(8, 8), (9, 8)] {
            let news = Reply::News {
                articles: (0..given).map(article).collect(),
            };
            let xml = news.to_xml("to", "from", 1);
            assert!(
                xml.contains(&format!("<ArticleCount>{sent}</ArticleCount>")),
                "{xml}"
            );
            assert_eq!(xml.matches("<item>").count(), sent);
            assert_eq!(xml.matches("</item>").count(), sent);
            assert!(!xml.contains("t8"), "the ninth article was sent: {xml}");
        }
    }

    #[test]
    fn transfer_names_the_agent_only_when_given() {
        let any = Reply::TransferCustomerService { kf_account: None };
        assert_eq!(
            any.to_xml("to", "from", 1),
            "<xml><ToUserName><![CDATA[to]]></ToUserName><FromUserName><![CDATA[from]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>"
        );
        let one = Reply::TransferCustomerService {
            kf_account: Some("test1@test".into()),
        };
        assert!(one.to_xml("to", "from", 1).ends_with(
            "<MsgType><![CDATA[transfer_customer_service]]></MsgType><TransInfo><KfAccount><![CDATA[test1@test]]></KfAccount></TransInfo></xml>"
        ));
    }

    #[test]
    fn the_safe_mode_envelope_is_signed_and_decrypts_to_the_reply() {
        let key = AesKey::from_encoding_aes_key(KEY).unwrap();
        let envelope = encrypt_reply("<xml>r</xml>", &key, "spamtest", APPID, "1409735669", "n1");
        let encrypted = envelope
            .strip_prefix("<xml><Encrypt><![CDATA[")
            .and_then(|rest| rest.split_once("]]></Encrypt>"))
            .map(|(encrypted, _)| encrypted)
            .unwrap();
        let msg_signature = signature::sign(&["spamtest", "1409735669", "n1", encrypted]);
        assert_eq!(
            envelope,
            format!(
                "<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{msg_signature}]]></MsgSignature><TimeStamp>1409735669</TimeStamp><Nonce><![CDATA[n1]]></Nonce></xml>"
            )
        );
        assert_eq!(key.decrypt(encrypted, APPID).unwrap(), "<xml>r</xml>");
    }
}
