//! The service door: health, metrics, and the JSON error shape for unknown routes.

use crate::helpers::TestApp;

#[actix_web::test]
async fn healthz_reports_the_database() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    app.finish().await;
}

#[actix_web::test]
async fn unknown_routes_answer_a_json_error_with_a_code() {
    let app = TestApp::spawn().await;
    let res = app.get("/nope").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    app.finish().await;
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_callback_messages_by_type() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    let res = app
        .post_plain("<xml><ToUserName>gh</ToUserName><FromUserName>u1</FromUserName><CreateTime>1409735669</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>")
        .await;
    assert_eq!(res.status(), 200);
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(
            "babyvax_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("babyvax_http_request_duration_seconds_bucket{route=\"/wechat/callback\""),
        "{text}"
    );
    assert!(
        text.contains("babyvax_callback_messages_total{outcome=\"new\",type=\"text\"} 1"),
        "{text}"
    );
    app.finish().await;
}
