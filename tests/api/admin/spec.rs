//! The committed contract `miniprogram-api-spec/admin-openapi.yaml` is what the code generates,
//! and every operation in it is routed and secured as it says.
//!
//! After changing a route or a type, regenerate with:
//! `BABYVAX_UPDATE_SPEC=1 cargo test --test api admin::spec`

use babyvax::routes::admin::spec::{AdminApiDoc, openapi_yaml};
use utoipa::OpenApi;

use crate::admin::support::{Door, check_served_contract};
use crate::helpers::check_committed_spec;
use crate::mp::support::MpApp;

#[test]
fn committed_spec_matches_the_code() {
    let generated = openapi_yaml().expect("the contract renders as YAML");
    check_committed_spec(
        "miniprogram-api-spec/admin-openapi.yaml",
        &generated,
        "admin::spec",
    );
}

#[actix_web::test]
async fn every_operation_of_the_contract_is_routed_and_secured_as_documented() {
    let mp = MpApp::spawn().await;
    let generated = AdminApiDoc::openapi();
    check_served_contract(
        &mp,
        Door::Admin,
        &generated,
        65,
        "cannot_disable_self",
        "baby_not_found",
    )
    .await;
    mp.finish().await;
}

#[actix_web::test]
async fn a_method_a_route_does_not_take_answers_405_with_its_methods() {
    let mp = MpApp::spawn().await;
    for (path, allow) in [
        ("/admin/v1/operators", "GET, POST"),
        ("/merchant/v1/me", "GET"),
    ] {
        let res = mp
            .app
            .http
            .delete(format!("{}{path}", mp.app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{path}");
        assert_eq!(res.headers()["allow"], allow, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed", "{path}");
    }
    mp.finish().await;
}
