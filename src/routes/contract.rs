//! What every door's OpenAPI contract shares: the error body with the door's codes from the
//! registry ([`crate::error::ErrorCode`]), the bearer scheme, the 401 every secured route can
//! answer, and the 405 and malformed-path answers every route can give.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, ToSchema};

use crate::error::{Doors, ErrorCode};

/// Every error of a door: a stable snake_case `code` (listed per door) and a human `message`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}

/// A door's part of its contract that the derive cannot say.
pub struct DoorContract {
    pub door: Doors,
    /// How to get a bearer token, for the security scheme.
    pub bearer: &'static str,
    /// The 401 answer of secured routes.
    pub unauthorized: &'static str,
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                .build(),
        )
        .build()
}

impl Modify for DoorContract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(self.bearer))
                    .build(),
            ),
        );
        let codes: Vec<ErrorCode> = ErrorCode::of_door(self.door).collect();
        let table: String = codes
            .iter()
            .map(|c| {
                format!(
                    "- `{}` ({}): {}\n",
                    c.as_str(),
                    c.http_status(),
                    c.meaning()
                )
            })
            .collect();
        let code = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(codes.iter().map(|c| c.as_str())))
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

        let unauthorized = error_response(self.unauthorized);
        let bad_path = error_response("`invalid_path`: a path parameter is malformed");
        let bad_body = error_response(
            "`invalid_json`: the body is not the JSON this route takes, or is over 64 KiB",
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for (operation, takes_body) in [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, false),
                (&mut item.patch, true),
            ] {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                let responses = &mut operation.responses.responses;
                if operation.security.is_some() {
                    responses
                        .entry("401".to_owned())
                        .or_insert_with(|| RefOr::T(unauthorized.clone()));
                }
                if has_path_params || (takes_body && operation.request_body.is_some()) {
                    let answer = if has_path_params {
                        &bad_path
                    } else {
                        &bad_body
                    };
                    responses
                        .entry("400".to_owned())
                        .or_insert_with(|| RefOr::T(answer.clone()));
                }
            }
        }
    }
}

/// The methods `spec` lists for the route `pattern`, for a 405's `Allow` header.
pub fn allowed_methods(spec: &utoipa::openapi::OpenApi, pattern: &str) -> Option<String> {
    let item = spec.paths.paths.get(pattern)?;
    let methods: Vec<&str> = [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("PATCH", &item.patch),
    ]
    .into_iter()
    .filter(|(_, operation)| operation.is_some())
    .map(|(method, _)| method)
    .collect();
    Some(methods.join(", "))
}
