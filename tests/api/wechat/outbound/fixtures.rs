//! WeChat's published API answers (tests/fixtures/wechat-samples.json) parse into our types.

use babyvax::wechat::api::*;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

fn samples() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wechat-samples.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, ApiError> {
    parse_response(&serde_json::to_vec(v).unwrap())
}

#[test]
fn token_answers() {
    let s = samples();
    let t: TokenResponse = parse(&s["api_fixtures"]["token"]["response_json"]).unwrap();
    assert_eq!(
        (t.access_token.expose_secret(), t.expires_in),
        ("1234567890", 7200)
    );
    let shape: TokenResponse = parse(&s["api_fixtures"]["stable_token"]["response_shape"]).unwrap();
    assert_eq!(shape.expires_in, 7200);
}

#[test]
fn token_errors_ask_for_a_refresh() {
    let s = samples();
    let errors = &s["api_fixtures"]["errors_requiring_token_refresh"];
    let err = parse::<Empty>(&errors["example_real"]).unwrap_err();
    assert_eq!(
        (err.errcode(), err.retry_class()),
        (Some(40001), RetryClass::RefreshToken)
    );
    for code in ["40001", "40014", "42001"] {
        let body = json!({"errcode": code.parse::<i64>().unwrap(), "errmsg": errors[code]});
        assert_eq!(
            parse::<Empty>(&body).unwrap_err().retry_class(),
            RetryClass::RefreshToken
        );
    }
}

#[test]
fn qrcode_answers_and_requests() {
    let s = samples();
    let qr = &s["api_fixtures"]["qrcode_create"];
    let ticket: QrTicket = parse(&qr["response_json"]).unwrap();
    assert_eq!(ticket.expire_seconds, Some(1800));
    assert_eq!(ticket.url, "https://weixin.qq.com/q/kZgfwMTm72WWPkovabbI");
    let show = ticket.show_url();
    assert!(show.as_str().ends_with("UwMEmm3sUw%3D%3D"), "{show}");
    assert_eq!(show.query_pairs().next().unwrap().1, ticket.ticket);

    let examples = qr["request_examples"].as_array().unwrap();
    let ours = [
        QrCodeRequest::temporary_id(123, 604_800).unwrap(),
        QrCodeRequest::permanent_id(123).unwrap(),
        QrCodeRequest::permanent("123").unwrap(),
    ];
    for (example, ours) in examples.iter().zip(ours) {
        assert_eq!(&serde_json::to_value(ours).unwrap(), example);
    }
}

#[test]
fn user_info_and_menu_answers() {
    let s = samples();
    let info: UserInfo = parse(&s["api_fixtures"]["user_info"]["response_json"]).unwrap();
    assert_eq!(
        info.unionid.as_deref(),
        Some("o6_bmasdasdsad6_2sgVt7hMZOPfL")
    );
    assert_eq!(
        (info.sex, info.subscribe_time),
        (Some(1), Some(1_382_694_957))
    );
    let menu: MenuInfo = parse(&s["api_fixtures"]["menu_get"]["response_json"]).unwrap();
    assert_eq!(menu.menu["button"][0]["key"], "test");
    assert!(menu.conditionalmenu.is_empty());
}

#[test]
fn jscode2session_answers_with_and_without_errcode() {
    let s = samples();
    for case in s["miniprogram"]["jscode2session"].as_array().unwrap() {
        let Some(body) = case.get("response_json") else {
            continue;
        };
        match case["id"].as_str().unwrap() {
            "error-invalid-code-real" => {
                let err = parse::<Code2Session>(body).unwrap_err();
                assert_eq!(
                    (err.errcode(), err.retry_class()),
                    (Some(40029), RetryClass::Permanent)
                );
            }
            id => {
                let session: Code2Session = parse(body).unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(session.openid, body["openid"].as_str().unwrap());
                assert_eq!(
                    session.session_key.expose_secret(),
                    body["session_key"].as_str().unwrap()
                );
                assert!(session.unionid.is_some());
            }
        }
    }
}

#[test]
fn phone_number_answer() {
    let s = samples();
    let resp: PhoneNumberResponse =
        parse(&s["miniprogram"]["getuserphonenumber"]["response_json"]).unwrap();
    let phone = resp.phone_info;
    assert_eq!(
        (phone.phone_number.as_str(), phone.country_code.as_str()),
        ("13123456789", "86")
    );
    assert_eq!(phone.watermark.timestamp, 1_637_744_274);
}
