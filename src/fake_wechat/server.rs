//! HTTP plumbing of the fake: one handler that routes on method and path.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::Url;
use serde_json::{Value, json};

use chrono::{DateTime, Utc};

use super::FakeConfig;
use super::state::{FakeState, Fault, Inner, Reply, errmsg_for};

pub(super) fn spawn(state: Arc<FakeState>, workers: usize) -> std::io::Result<(Url, ServerHandle)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(dispatch))
    })
    .workers(workers)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    let url = Url::parse(&format!("http://{addr}"))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    Ok((url, handle))
}

/// The endpoints the fake knows, and whether each wants POST.
const ROUTES: &[(&str, bool)] = &[
    ("/cgi-bin/token", false),
    ("/cgi-bin/stable_token", true),
    ("/sns/jscode2session", false),
    ("/cgi-bin/message/template/send", true),
    ("/cgi-bin/message/subscribe/send", true),
    ("/cgi-bin/message/custom/send", true),
    ("/cgi-bin/menu/create", true),
    ("/cgi-bin/menu/get", false),
    ("/cgi-bin/get_current_selfmenu_info", false),
    ("/cgi-bin/menu/delete", false),
    ("/cgi-bin/qrcode/create", true),
    ("/cgi-bin/user/info", false),
    ("/wxa/business/getuserphonenumber", true),
];

async fn dispatch(req: HttpRequest, body: web::Bytes, state: web::Data<FakeState>) -> HttpResponse {
    let path = req.path().to_owned();
    if path.starts_with("/v3/") {
        return pay_dispatch(&req, &body, &state);
    }
    let Some(&(_, wants_post)) = ROUTES.iter().find(|(p, _)| *p == path) else {
        return HttpResponse::NotFound().finish();
    };
    match state.with(|s| s.arrive(&path)) {
        Some(Fault::Errcode(code)) => return answer(Err((code, errmsg_for(code).to_owned()))),
        Some(Fault::Http(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return HttpResponse::build(status)
                .content_type("text/html")
                .body("<html>fault</html>");
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let post = *req.method() == Method::POST;
    if wants_post != post {
        let (code, msg) = if wants_post {
            (43002, "require POST method")
        } else {
            (43001, "require GET method")
        };
        return answer(Err((code, msg.to_owned())));
    }
    let query: HashMap<String, String> = web::Query::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let json: Value = if post {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return answer(Err((47001, "data format error".into()))),
        }
    } else {
        Value::Null
    };
    let now = state.now();
    answer(state.with(|s| route(s, &state.config, &path, &query, json, now)))
}

fn route(
    s: &mut Inner,
    cfg: &FakeConfig,
    path: &str,
    query: &HashMap<String, String>,
    json: Value,
    now: DateTime<Utc>,
) -> Reply {
    match path {
        "/cgi-bin/token" => s.basic_token(query, now, cfg.token_ttl),
        "/cgi-bin/stable_token" => s.stable_token(&json, now, cfg.token_ttl, cfg.stable_handover),
        "/sns/jscode2session" => s.code2session(query),
        _ => {
            let appid = s.authorise(query, now)?;
            match path {
                "/cgi-bin/message/template/send" => s.template_send(path, appid, json),
                "/cgi-bin/message/subscribe/send" => s.subscribe_send(path, appid, json),
                "/cgi-bin/message/custom/send" => s.custom_send(path, appid, json),
                "/cgi-bin/menu/create" => s.menu_create(&json),
                "/cgi-bin/menu/get" => s.menu_get(),
                "/cgi-bin/get_current_selfmenu_info" => s.current_menu(),
                "/cgi-bin/menu/delete" => {
                    s.menu = None;
                    Ok(json!({"errcode": 0, "errmsg": "ok"}))
                }
                "/cgi-bin/qrcode/create" => s.qrcode_create(&json),
                "/cgi-bin/user/info" => s.user_info(query),
                "/wxa/business/getuserphonenumber" => s.phone_number(&appid, &json, now),
                _ => Err((48001, "api unauthorized".to_owned())),
            }
        }
    }
}

/// WeChat answers errors with HTTP 200 and a JSON body, and JSON as `text/plain` at times.
fn answer(reply: Reply) -> HttpResponse {
    let body = match reply {
        Ok(v) => v,
        Err((code, msg)) => json!({"errcode": code, "errmsg": format!("{msg} rid: fake")}),
    };
    HttpResponse::Ok()
        .content_type("application/json; encoding=utf-8")
        .json(body)
}

/// WeChat Pay v3: the request's signature first, then the route; every answer signed.
fn pay_dispatch(req: &HttpRequest, body: &[u8], state: &FakeState) -> HttpResponse {
    let fallback = state.now();
    let now = state.with(|s| s.pay.now(fallback));
    let path_and_query = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    let auth = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok());
    let method = req.method().as_str().to_owned();
    let (status, json, headers) = state.with(|s| {
        let (status, json) = match s
            .pay
            .check_request(&method, &path_and_query, auth, body, now)
        {
            Some(refused) => refused,
            None => {
                let parsed: Value = if body.is_empty() {
                    Value::Null
                } else {
                    match serde_json::from_slice(body) {
                        Ok(v) => v,
                        Err(_) => {
                            return (
                                400,
                                Some(json!({"code": "PARAM_ERROR", "message": "body is not JSON"})),
                                Vec::new(),
                            );
                        }
                    }
                };
                s.pay.route(&method, req.path(), &parsed, now)
            }
        };
        let text = json.as_ref().map(Value::to_string).unwrap_or_default();
        let headers = s.pay.sign_headers(&text, now.timestamp());
        (status, json, headers)
    });
    let mut answer = HttpResponse::build(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    for (name, value) in headers {
        answer.insert_header((name, value));
    }
    match json {
        Some(v) => answer.content_type("application/json").body(v.to_string()),
        None => answer.finish(),
    }
}
