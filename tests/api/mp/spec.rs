//! The committed contract `miniprogram-api-spec/openapi.yaml` is what the code generates, every
//! operation in it is routed, and the contract and its docs page are served.
//!
//! After changing a route or a type, regenerate with:
//! `BABYVAX_UPDATE_SPEC=1 cargo test --test api mp::spec`

use babyvax::routes::mp::spec::openapi_yaml;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::check_committed_spec;
use crate::mp::support::MpApp;

#[test]
fn committed_spec_matches_the_code() {
    let generated = openapi_yaml().expect("the contract renders as YAML");
    check_committed_spec("miniprogram-api-spec/openapi.yaml", &generated, "mp::spec");
}

#[actix_web::test]
async fn every_operation_of_the_contract_is_routed_and_secured_as_documented() {
    let mp = MpApp::spawn().await;
    let (s, spec) = mp
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        spec["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let codes = spec["components"]["schemas"]["ApiErrorBody"]["properties"]["code"]["enum"]
        .as_array()
        .expect("error codes listed");
    assert!(codes.contains(&Value::from("baby_not_found")));

    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{baby_id}", "1")
            .replace("{dose_id}", "1")
            .replace("{member_id}", "1")
            .replace("{article_id}", "1")
            .replace("{order_id}", "1")
            .replace("{product_id}", "1")
            .replace("{group_id}", "1");
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let secured = operation.get("security").is_some();
            let body = operation.get("requestBody").map(|_| serde_json::json!({}));
            let (s, b) = mp.call(method.clone(), &concrete, None, body).await;
            operations += 1;
            if secured {
                assert_eq!(
                    (s, b["code"].as_str()),
                    (401, Some("missing_token")),
                    "{method} {path}"
                );
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path} documents its 401"
                );
            } else {
                // Login: routed (the empty body is refused), not 404/405.
                assert_eq!(
                    (s, b["code"].as_str()),
                    (400, Some("invalid_json")),
                    "{method} {path}"
                );
            }
        }
    }
    assert_eq!(operations, 67);

    let res = mp
        .app
        .http
        .get(format!("{}/docs", mp.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "/docs redirects to the UI");
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    let (s, b) = mp.call(Method::PATCH, "/api/v1/babies/1", None, None).await;
    assert_eq!((s, b["code"].as_str()), (405, Some("method_not_allowed")));
    // A 405 says which methods the route takes, as the contract lists them.
    let res = mp
        .app
        .http
        .patch(format!("{}/api/v1/babies/1", mp.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, PUT, DELETE");
    mp.finish().await;
}
