//! The official account's custom menu, pushed from a JSON file (`babyvax menu push FILE`).

use crate::error::{AppError, ErrorCode};
use crate::service::support::wechat_error;
use crate::wechat::api::OfficialAccount;

/// Validates and installs `menu` (WeChat's `{"button": [...]}`) as the account's menu.
pub async fn push(
    official_account: &OfficialAccount,
    menu: &serde_json::Value,
) -> Result<(), AppError> {
    validate_menu(menu)?;
    official_account
        .create_menu(menu)
        .await
        .map_err(wechat_error)
}

/// The menu users see now, whether set through the API or WeChat's web console.
pub async fn show(official_account: &OfficialAccount) -> Result<serde_json::Value, AppError> {
    let current = official_account
        .current_menu()
        .await
        .map_err(wechat_error)?;
    Ok(serde_json::json!({
        "is_menu_open": current.is_menu_open == 1,
        "selfmenu_info": current.selfmenu_info,
    }))
}

/// Checks a menu document before it goes to WeChat, so a typo gets a precise message here rather
/// than WeChat's bare errcode: 1–3 buttons, each with a name and either 1–5 sub-buttons or a type.
pub fn validate_menu(menu: &serde_json::Value) -> Result<(), AppError> {
    let invalid = |message: String| AppError::new(ErrorCode::InvalidMenu, message);
    let buttons = menu
        .get("button")
        .and_then(|b| b.as_array())
        .ok_or_else(|| invalid("the menu must be an object with a \"button\" array".into()))?;
    if buttons.is_empty() || buttons.len() > 3 {
        return Err(invalid(format!(
            "a menu has 1 to 3 buttons, not {}",
            buttons.len()
        )));
    }
    for (i, button) in buttons.iter().enumerate() {
        check_button(button).map_err(|m| invalid(format!("button {}: {m}", i + 1)))?;
        if let Some(subs) = button
            .get("sub_button")
            .and_then(|s| s.as_array())
            .filter(|s| !s.is_empty())
        {
            if subs.len() > 5 {
                return Err(invalid(format!(
                    "button {} has {} sub-buttons; at most 5",
                    i + 1,
                    subs.len()
                )));
            }
            for (j, sub) in subs.iter().enumerate() {
                check_button(sub)
                    .map_err(|m| invalid(format!("button {}.{}: {m}", i + 1, j + 1)))?;
                if sub.get("type").is_none() {
                    return Err(invalid(format!("button {}.{}: needs a type", i + 1, j + 1)));
                }
            }
        } else if button.get("type").is_none() {
            return Err(invalid(format!(
                "button {}: needs a type or sub-buttons",
                i + 1
            )));
        }
    }
    Ok(())
}

fn check_button(button: &serde_json::Value) -> Result<(), String> {
    let name = button
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    if name.trim().is_empty() {
        return Err("needs a name".into());
    }
    match button.get("type").and_then(|t| t.as_str()) {
        Some("click")
            if button
                .get("key")
                .and_then(|k| k.as_str())
                .is_none_or(str::is_empty) =>
        {
            Err("a click button needs a key".into())
        }
        Some("view")
            if button
                .get("url")
                .and_then(|k| k.as_str())
                .is_none_or(str::is_empty) =>
        {
            Err("a view button needs a url".into())
        }
        Some("miniprogram")
            if ["appid", "pagepath", "url"].iter().any(|f| {
                button
                    .get(*f)
                    .and_then(|v| v.as_str())
                    .is_none_or(str::is_empty)
            }) =>
        {
            Err("a miniprogram button needs appid, pagepath and url".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn menus_are_checked_before_they_leave() {
        let good = json!({"button": [
            {"type": "click", "name": "接种计划", "key": "MENU_SCHEDULE"},
            {"name": "更多", "sub_button": [{"type": "view", "name": "官网", "url": "https://example.invalid"}]}
        ]});
        assert!(validate_menu(&good).is_ok());
        for bad in [
            json!({}),
            json!({"button": []}),
            json!({"button": [{"type": "click", "name": "a", "key": "k"}, {"type": "click", "name": "a", "key": "k"}, {"type": "click", "name": "a", "key": "k"}, {"type": "click", "name": "a", "key": "k"}]}),
            json!({"button": [{"type": "click", "name": "no key"}]}),
            json!({"button": [{"type": "view", "name": ""}]}),
            json!({"button": [{"name": "nothing"}]}),
        ] {
            assert!(validate_menu(&bad).is_err(), "{bad}");
        }
    }
}
