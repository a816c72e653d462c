//! Small helpers shared by every feature: free-text checks, database error reading, hand-written
//! statements' placeholders, and WeChat refusals of operator calls.

use sea_orm::{DatabaseBackend, DbErr, SqlErr};

use crate::error::{AppError, ErrorCode};

/// `value` trimmed; None when empty. Refuses more than `max_chars` characters or control
/// characters (they only ever come from broken or hostile clients, and break push templates).
pub fn optional_text(
    value: Option<&str>,
    max_chars: usize,
    code: ErrorCode,
    field: &str,
) -> Result<Option<String>, AppError> {
    let Some(trimmed) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > max_chars {
        return Err(AppError::new(
            code,
            format!("{field} is longer than {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AppError::new(
            code,
            format!("{field} contains control characters"),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Like [`optional_text`], but the value must be there.
pub fn required_text(
    value: &str,
    max_chars: usize,
    code: ErrorCode,
    field: &str,
) -> Result<String, AppError> {
    optional_text(Some(value), max_chars, code, field)?
        .ok_or_else(|| AppError::new(code, format!("{field} must not be empty")))
}

/// WeChat refusing or failing a call the operator asked for: a bad gateway, with WeChat's reason.
pub fn wechat_error(e: crate::wechat::api::ApiError) -> AppError {
    AppError::new(ErrorCode::WechatError, format!("WeChat refused: {e}"))
}

/// What `str::trim` strips (Unicode White_Space), as the body of a regex character class.
const WHITE_SPACE: &str =
    r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Unicode `Cc`, what `char::is_control` refuses, likewise.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// The contract's statement of [`required_text`] (or, `optional`, [`optional_text`]) with
/// `max_chars`: a regex (ECMA 262, as JSON Schema reads it) matching exactly what they accept.
/// Surrounding white space is allowed because it is trimmed before the checks.
pub fn text_pattern(max_chars: usize, optional: bool) -> String {
    let edge = format!("[^{CONTROL}{WHITE_SPACE}]");
    let core = match max_chars {
        0 => String::new(),
        1 => edge,
        n => format!("{edge}(?:[^{CONTROL}]{{0,{}}}{edge})?", n - 2),
    };
    let core = if optional && !core.is_empty() {
        format!("(?:{core})?")
    } else {
        core
    };
    trimmed_pattern(&core)
}

/// A regex matching `core` with any white space around it, which the server trims.
pub fn trimmed_pattern(core: &str) -> String {
    format!("^[{WHITE_SPACE}]*{core}[{WHITE_SPACE}]*$")
}

/// A string schema stating [`text_pattern`]; `optional` ones may also be null.
pub fn text_schema(max_chars: usize, optional: bool, description: &str) -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type, schema::SchemaType};
    let schema_type = if optional {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .pattern(Some(text_pattern(max_chars, optional)))
        .description(Some(description))
        .build()
}

/// Whether `err` is a unique-index violation (a duplicate, or a lost race to insert one).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Appends the placeholder of a hand-written statement's `number`th bound value (from 1): `$n`
/// on PostgreSQL, `?` on SQLite (whose parser looks each numbered one up in a list, which gets
/// slow with thousands of values).
pub fn push_placeholder(sql: &mut String, backend: DatabaseBackend, number: usize) {
    use std::fmt::Write as _;
    match backend {
        DatabaseBackend::Postgres => {
            let _ = write!(sql, "${number}");
        }
        _ => sql.push('?'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            optional_text(Some("  "), 3, ErrorCode::InvalidNickname, "f").unwrap(),
            None
        );
        assert_eq!(
            optional_text(None, 3, ErrorCode::InvalidNickname, "f").unwrap(),
            None
        );
        assert_eq!(
            optional_text(Some(" 小明 "), 3, ErrorCode::InvalidNickname, "f")
                .unwrap()
                .as_deref(),
            Some("小明")
        );
        assert_eq!(
            optional_text(Some("四个汉字"), 3, ErrorCode::InvalidNickname, "f")
                .unwrap_err()
                .code(),
            "invalid_nickname"
        );
        assert!(optional_text(Some("a\u{0}b"), 3, ErrorCode::InvalidNickname, "f").is_err());
        assert_eq!(
            required_text(" ", 3, ErrorCode::InvalidNickname, "f")
                .unwrap_err()
                .code(),
            "invalid_nickname"
        );
    }

    fn matches(max_chars: usize, optional: bool, value: &str) -> bool {
        regex::Regex::new(&text_pattern(max_chars, optional))
            .unwrap()
            .is_match(value)
    }

    #[test]
    fn the_text_pattern_reads_like_the_check() {
        for (value, required_ok) in [
            ("a", true),
            (" 小明 ", true),
            ("\n小明\t", true),
            ("\u{3000}a c\u{3000}", true),
            ("四个汉字", false),
            ("", false),
            ("   ", false),
            ("a\u{0}b", false),
            ("a\nb", false),
            ("\u{feff}", true),
        ] {
            let code = ErrorCode::InvalidNickname;
            assert_eq!(
                matches(3, false, value),
                required_text(value, 3, code, "f").is_ok(),
                "{value:?}"
            );
            assert_eq!(matches(3, false, value), required_ok, "{value:?}");
            assert_eq!(
                matches(3, true, value),
                optional_text(Some(value), 3, code, "f").is_ok(),
                "{value:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn the_text_pattern_accepts_exactly_what_the_check_accepts(
            value in "[ a\t\n\u{0}\u{85}\u{a0}\u{3000}\u{feff}小]{0,8}",
            max_chars in 1usize..5,
        ) {
            let code = ErrorCode::InvalidNickname;
            proptest::prop_assert_eq!(
                matches(max_chars, false, &value),
                required_text(&value, max_chars, code, "f").is_ok()
            );
            proptest::prop_assert_eq!(
                matches(max_chars, true, &value),
                optional_text(Some(&value), max_chars, code, "f").is_ok()
            );
        }
    }
}
