//! The mini-program API contract, generated from the handlers and types with utoipa, served at
//! `/api/v1/openapi.json` with a Swagger UI at `/docs`, and committed as
//! `miniprogram-api-spec/openapi.yaml` (a test fails on drift; regenerate with
//! `BABYVAX_UPDATE_SPEC=1 cargo test --test api mp_spec`).

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use super::{auth, babies, content, me, push, subscriptions, vaccinations};

/// Where the contract is served, and the UI that reads it.
pub const SPEC_URL: &str = "/api/v1/openapi.json";
pub const DOCS_PATH: &str = "/docs";

/// Every error code the `/api/v1` door answers: (code, HTTP status, meaning). The error schema
/// lists them; a test checks that every code the door's code produces is here.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "invalid_json",
        400,
        "the body is not the JSON this route takes",
    ),
    ("invalid_query", 400, "a query parameter is malformed"),
    ("invalid_path", 400, "a path parameter is malformed"),
    ("payload_too_large", 413, "the body is over 64 KiB"),
    ("not_found", 404, "no such route"),
    (
        "method_not_allowed",
        405,
        "the route does not take this method",
    ),
    ("internal_error", 500, "our fault; logged"),
    ("invalid_quiet_start", 400, "quiet_start is not HH:MM"),
    ("invalid_quiet_end", 400, "quiet_end is not HH:MM"),
    (
        "missing_token",
        401,
        "no `Authorization: Bearer <token>` header",
    ),
    (
        "invalid_token",
        401,
        "the token is malformed, tampered with, not HS256, or not ours",
    ),
    ("token_expired", 401, "the token has expired: log in again"),
    (
        "member_not_found",
        401,
        "the account was erased: log in again",
    ),
    (
        "mini_program_not_configured",
        503,
        "BABYVAX_MP_APPID / BABYVAX_MP_SECRET are unset",
    ),
    ("missing_code", 400, "no usable WeChat code in the body"),
    (
        "invalid_login_code",
        401,
        "WeChat 40029: unknown login code",
    ),
    (
        "login_code_used",
        401,
        "WeChat 40163: login code already used",
    ),
    (
        "login_blocked_by_wechat",
        403,
        "WeChat 40226: high-risk user",
    ),
    (
        "invalid_phone_code",
        400,
        "WeChat 40029: unknown phone-number code",
    ),
    (
        "phone_code_used",
        400,
        "WeChat 40163: phone-number code already used",
    ),
    (
        "wechat_rate_limited",
        429,
        "WeChat refuses more calls for now",
    ),
    (
        "wechat_unavailable",
        503,
        "WeChat does not answer (network, timeout, 5xx, busy)",
    ),
    (
        "wechat_error",
        502,
        "WeChat refused the call for another reason; logged",
    ),
    (
        "invalid_nickname",
        400,
        "nickname over 32 characters or with control characters",
    ),
    (
        "invalid_region",
        400,
        "province/city over 16 characters, or a city without a province",
    ),
    (
        "privacy_policy_version_mismatch",
        400,
        "consent sent for another version than the current one",
    ),
    (
        "privacy_consent_required",
        403,
        "consent to the current privacy policy first",
    ),
    ("invalid_baby_name", 400, "name empty or over 32 characters"),
    (
        "birth_date_in_future",
        400,
        "birth date after today (Asia/Shanghai)",
    ),
    ("birth_date_too_old", 400, "child 18 or older"),
    ("invalid_preterm_weeks", 400, "preterm_weeks outside 1-20"),
    ("too_many_babies", 409, "a member owns at most 20 babies"),
    (
        "baby_not_found",
        404,
        "no such baby among those shared with you",
    ),
    ("owner_only", 403, "only the baby's owner may do this"),
    (
        "owner_cannot_leave",
        400,
        "the owner cannot leave their own baby",
    ),
    (
        "caregiver_not_found",
        404,
        "that member is not a caregiver of the baby",
    ),
    ("invite_not_found", 404, "no invite has this code"),
    (
        "invite_already_used",
        409,
        "the invite was already accepted",
    ),
    ("invite_expired", 410, "the invite has expired"),
    (
        "already_caregiver",
        409,
        "the baby is already shared with you",
    ),
    (
        "unknown_vaccine",
        400,
        "not a vaccine or product of the schedule edition",
    ),
    ("unknown_dose", 400, "the vaccine has no such dose"),
    (
        "dose_before_birth",
        400,
        "a dose dated before the birth date",
    ),
    (
        "dose_in_future",
        400,
        "a dose dated after today (Asia/Shanghai)",
    ),
    ("invalid_clinic", 400, "clinic over 50 characters"),
    (
        "duplicate_dose",
        409,
        "that dose is already recorded (also through a combination product)",
    ),
    ("dose_not_found", 404, "no such dose recorded for the baby"),
    (
        "date_out_of_range",
        400,
        "a date too far from the birth date to compute with",
    ),
    (
        "recorded_history_invalid",
        409,
        "a recorded dose no longer fits the schedule edition; correct it",
    ),
    (
        "vaccine_not_optional",
        400,
        "a free-programme vaccine cannot be opted into (it is always scheduled)",
    ),
    ("too_many_opt_ins", 400, "more than 20 opt-ins"),
    ("article_not_found", 404, "no such published article"),
    ("no_subscribe_results", 400, "the report names no template"),
    (
        "invalid_subscribe_result",
        400,
        "an answer other than accept, reject, ban or filter",
    ),
    (
        "invalid_template_id",
        400,
        "template id empty or over 64 characters",
    ),
    (
        "too_many_templates",
        400,
        "more than 10 templates in one report",
    ),
    ("invalid_request_id", 400, "request_id over 64 characters"),
];

/// Every error of the door: a stable snake_case `code` (see the enum) and a human `message`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "babyvax mini-program API",
        version = "1.0.0",
        description = "The `/api/v1` door of babyvax, used by the WeChat mini-program: login, members, babies shared by families, doses, the vaccination schedule, stage content and subscribe-message allowances.\n\nEvery route but `POST /api/v1/auth/login` needs `Authorization: Bearer <token>` from that login. Errors are `{\"code\", \"message\"}` with a stable `code` (listed in the `ApiErrorBody` schema). Calendar dates are `YYYY-MM-DD` in Asia/Shanghai; times are UTC (RFC 3339). Generated from the code: do not edit by hand.",
    ),
    paths(
        auth::login,
        me::get_me,
        me::update_me,
        me::erase_me,
        me::set_phone,
        me::consent_to_privacy_policy,
        me::export_my_data,
        babies::create_baby,
        babies::list_babies,
        babies::get_baby,
        babies::update_baby,
        babies::delete_baby,
        babies::create_invite,
        babies::accept_invite,
        babies::list_caregivers,
        babies::remove_caregiver,
        vaccinations::list_vaccines,
        vaccinations::add_dose,
        vaccinations::list_doses,
        vaccinations::correct_dose,
        vaccinations::delete_dose,
        vaccinations::set_opt_ins,
        vaccinations::get_schedule,
        content::baby_feed,
        content::get_article,
        subscriptions::report_consents,
        subscriptions::list_allowances,
        push::get_push_preferences,
        push::set_push_preferences,
        push::list_undelivered,
    ),
    components(schemas(ApiErrorBody)),
    modifiers(&Contract),
    tags(
        (name = "auth", description = "Login with wx.login"),
        (name = "me", description = "Your profile, privacy consent, export and erasure"),
        (name = "babies", description = "Babies you own or that are shared with you"),
        (name = "families", description = "Sharing a baby: invites and caregivers"),
        (name = "vaccinations", description = "Doses, self-paid opt-ins and the schedule"),
        (name = "content", description = "Stage content and articles"),
        (name = "subscriptions", description = "Subscribe-message consents and allowances"),
        (name = "push", description = "Reminder preferences, quiet hours, and messages no channel could carry"),
    )
)]
pub struct MpApiDoc;

/// What the derive cannot say: the bearer scheme, the 401 every secured route can answer, and
/// the list of error codes.
struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "HS256 JWT from POST /api/v1/auth/login, valid for 24 hours",
                    ))
                    .build(),
            ),
        );
        let table: String = ERROR_CODES
            .iter()
            .map(|(code, status, meaning)| format!("- `{code}` ({status}): {meaning}\n"))
            .collect();
        let code = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ERROR_CODES.iter().map(|(code, ..)| *code)))
            .description(Some(format!("Stable error code:\n\n{table}")));
        let message = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("For people; may change. Clients act on `code`."));
        components.schemas.insert(
            "ApiErrorBody".to_owned(),
            RefOr::T(
                ObjectBuilder::new()
                    .property("code", code)
                    .required("code")
                    .property("message", message)
                    .required("message")
                    .description(Some("Every error of the door"))
                    .into(),
            ),
        );

        let unauthorized = ResponseBuilder::new()
            .description(
                "`missing_token`, `invalid_token`, `token_expired`, `member_not_found`: log in again",
            )
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ApiErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                if operation.security.is_some() {
                    operation
                        .responses
                        .responses
                        .entry("401".to_owned())
                        .or_insert_with(|| RefOr::T(unauthorized.clone()));
                }
            }
        }
    }
}

static SPEC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(MpApiDoc::openapi);

/// The contract as committed in `miniprogram-api-spec/openapi.yaml`.
pub fn openapi_yaml() -> Result<String, String> {
    SPEC.to_yaml().map_err(|e| e.to_string())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(DOCS_PATH).route(web::get().to(|| async {
        HttpResponse::PermanentRedirect()
            .insert_header(("Location", "/docs/"))
            .finish()
    })))
    .service(SwaggerUi::new("/docs/{_:.*}").url(SPEC_URL, SPEC.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Snake-case literals that follow `AppError::` (or are passed as a text check's code) in
    /// the door's code: every one must be in [`ERROR_CODES`].
    #[test]
    fn every_error_code_in_the_code_is_documented() {
        let root = env!("CARGO_MANIFEST_DIR");
        let files = [
            "src/auth.rs",
            "src/service/members.rs",
            "src/service/babies.rs",
            "src/service/vaccinations.rs",
            "src/service/feed.rs",
            "src/service/subscriptions.rs",
            "src/service/member_data.rs",
            "src/service/push/preferences.rs",
            "src/routes/mp/mod.rs",
        ];
        let documented: BTreeSet<&str> = ERROR_CODES.iter().map(|(c, ..)| *c).collect();
        let mut missing = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
            for (i, _) in text
                .match_indices("AppError::")
                .chain(text.match_indices("_text("))
            {
                let rest = &text[i..];
                // The first string literal within the call is the code.
                let window = &rest[..rest.len().min(200)];
                for literal in window.split('"').skip(1).step_by(2).take(1) {
                    let is_code = literal.contains('_')
                        && literal
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
                    if is_code && !documented.contains(literal) {
                        missing.insert(format!("{file}: {literal}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "undocumented error codes: {missing:#?}");
    }

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = BTreeSet::new();
        for (code, status, _) in ERROR_CODES {
            assert!(seen.insert(*code), "{code} twice");
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert!((400..600).contains(status));
        }
    }

    #[test]
    fn the_contract_generates() {
        let yaml = openapi_yaml().unwrap();
        assert!(yaml.contains("/api/v1/babies/{baby_id}/schedule"));
        assert!(yaml.contains("baby_not_found"));
    }
}
