//! A request's JSON body as every door reads it: an object (serde alone would also build a
//! struct from an array), whose numbers mean what they mean in JSON and in the contract's JSON
//! Schema, where `10.0` is the integer 10.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{AppError, ErrorCode};

/// Like `web::Json` (same limits and errors), for request bodies.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = value.await?;
            if !value.is_object() {
                return Err(AppError::new(
                    ErrorCode::InvalidJson,
                    "the body must be a JSON object",
                )
                .into());
            }
            serde_json::from_value(whole_numbers(value))
                .map(Json)
                .map_err(|e| {
                    AppError::new(
                        ErrorCode::InvalidJson,
                        format!("Json deserialize error: {e}"),
                    )
                    .into()
                })
        })
    }
}

/// Beyond this a float no longer holds every integer exactly.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// `value` with every number that has no fractional part as an integer, so that integer fields
/// take `10.0` as JSON Schema does; `10.5` stays a float and is refused by them.
fn whole_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() <= EXACT_INTEGERS => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn whole_floats_become_integers_and_the_rest_stays() {
        assert_eq!(
            whole_numbers(json!({"a": 10.0, "b": [1.5, -0.0, 3], "c": "10.0", "d": 1e300})),
            json!({"a": 10, "b": [1.5, 0, 3], "c": "10.0", "d": 1e300})
        );
    }
}
