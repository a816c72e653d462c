//! Small helpers shared by every feature: free-text checks, database error reading, and WeChat
//! refusals of operator calls.

use sea_orm::{DbErr, SqlErr};

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

/// Whether `err` is a unique-index violation (a duplicate, or a lost race to insert one).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
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
}
