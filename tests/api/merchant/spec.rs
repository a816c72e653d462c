//! The committed contract `miniprogram-api-spec/merchant-openapi.yaml` is what the code
//! generates, and every operation in it is routed and secured as it says.
//!
//! After changing a route or a type, regenerate with:
//! `BABYVAX_UPDATE_SPEC=1 cargo test --test api merchant::spec`

use babyvax::routes::merchant::spec::{MerchantApiDoc, openapi_yaml};
use utoipa::OpenApi;

use crate::admin::support::{Door, check_served_contract};
use crate::helpers::check_committed_spec;
use crate::mp::support::MpApp;

#[test]
fn committed_spec_matches_the_code() {
    let generated = openapi_yaml().expect("the contract renders as YAML");
    check_committed_spec(
        "miniprogram-api-spec/merchant-openapi.yaml",
        &generated,
        "merchant::spec",
    );
}

#[actix_web::test]
async fn every_operation_of_the_contract_is_routed_and_secured_as_documented() {
    let mp = MpApp::spawn().await;
    let generated = MerchantApiDoc::openapi();
    check_served_contract(
        &mp,
        Door::Merchant,
        &generated,
        17,
        "invalid_credentials",
        "cannot_disable_self",
    )
    .await;
    mp.finish().await;
}
