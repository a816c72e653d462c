//! Members of the mini-program: login through `jscode2session` (linking the official-account
//! follower by unionid), profile and phone number.

use chrono::{DateTime, Utc};
use entity::{followers, members};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::consent::{ConsentView, PRIVACY_POLICY_VERSION, current_consent};
use crate::error::{AppError, ErrorCode};
use crate::service::support::{optional_text, text_schema, trimmed_pattern};
use crate::wechat::api::{ApiError, MiniProgram, RetryClass};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub id: i32,
    pub nickname: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    /// Without the country code.
    pub phone_number: Option<String>,
    pub phone_country_code: Option<String>,
    /// Linked by unionid to a follower who currently follows the official account (reminders
    /// by template message need that).
    pub follows_official_account: bool,
    /// The member's consent to the current privacy policy, if given.
    pub privacy_consent: Option<ConsentView>,
    /// The current privacy policy version, to show and send to `POST /api/v1/me/consent`.
    pub privacy_policy_version: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct LoginOutcome {
    pub member: MemberView,
    /// This login created the member.
    pub new_member: bool,
}

/// A new profile: every field replaces the stored one. Text is trimmed; control characters are
/// refused.
#[derive(Debug, Clone, Deserialize)]
pub struct ProfileUpdate {
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
}

const NICKNAME_CHARS: usize = 32;
const REGION_CHARS: usize = 16;

// Derived schemas cannot say "a city needs its province", so this one is written out.
impl utoipa::PartialSchema for ProfileUpdate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Type};
        let fields = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "nickname",
                text_schema(
                    NICKNAME_CHARS,
                    true,
                    "Up to 32 characters; blank or null clears it.",
                ),
            )
            .property(
                "province",
                text_schema(REGION_CHARS, true, "Up to 16 characters, e.g. `广东省`."),
            )
            .property(
                "city",
                text_schema(
                    REGION_CHARS,
                    true,
                    "Up to 16 characters, e.g. `深圳市`; needs a province.",
                ),
            );
        let no_city = ObjectBuilder::new().property(
            "city",
            text_schema(0, true, "No city: absent, null or blank."),
        );
        let with_province = ObjectBuilder::new()
            .property(
                "province",
                text_schema(REGION_CHARS, false, "A province for the city."),
            )
            .required("province");
        AllOfBuilder::new()
            .item(fields)
            .item(AnyOfBuilder::new().item(no_city).item(with_province))
            .description(Some(
                "A new profile: every field replaces the stored one (absent is null). Text is \
                 trimmed; control characters are refused (`invalid_nickname`, `invalid_region`). \
                 A city needs its province (`invalid_region`).",
            ))
            .into()
    }
}

impl ToSchema for ProfileUpdate {}

/// Which WeChat call failed, for the error code the client sees.
#[derive(Debug, Clone, Copy)]
enum WechatCall {
    Login,
    Phone,
}

fn not_configured() -> AppError {
    AppError::new(
        ErrorCode::MiniProgramNotConfigured,
        "the mini-program door needs BABYVAX_MP_APPID and BABYVAX_MP_SECRET",
    )
}

/// How [`checked_code`] reads a code, for the contract.
pub fn code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(trimmed_pattern("[!-~]{1,256}")))
        .description(Some(
            "The code WeChat gave the mini-program: 1 to 256 printable ASCII characters \
             (`missing_code` otherwise).",
        ))
        .build()
}

fn checked_code(code: &str) -> Result<&str, AppError> {
    let code = code.trim();
    // wx.login and getPhoneNumber codes are a few dozen characters.
    if code.is_empty() || code.len() > 256 || !code.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::new(
            ErrorCode::MissingCode,
            "code must be the non-empty code WeChat gave the mini-program",
        ));
    }
    Ok(code)
}

/// WeChat's answer as the client should see it: its code mistakes as 4xx, WeChat being down as
/// 503, and anything else from WeChat (our configuration, a new errcode) as 502.
fn wechat_error(call: WechatCall, err: ApiError) -> AppError {
    match (call, err.errcode()) {
        (WechatCall::Login, Some(40029)) => {
            return AppError::new(
                ErrorCode::InvalidLoginCode,
                "WeChat does not know this login code; call wx.login again",
            );
        }
        (WechatCall::Login, Some(40163)) => {
            return AppError::new(
                ErrorCode::LoginCodeUsed,
                "this login code was already used; call wx.login again",
            );
        }
        (WechatCall::Login, Some(40226)) => {
            return AppError::new(
                ErrorCode::LoginBlockedByWechat,
                "WeChat blocked this login (high-risk user)",
            );
        }
        (WechatCall::Phone, Some(40029)) => {
            return AppError::new(
                ErrorCode::InvalidPhoneCode,
                "WeChat does not know this phone-number code",
            );
        }
        (WechatCall::Phone, Some(40163)) => {
            return AppError::new(
                ErrorCode::PhoneCodeUsed,
                "this phone-number code was already used; ask the user again",
            );
        }
        _ => {}
    }
    match err.retry_class() {
        RetryClass::Quota => AppError::new(
            ErrorCode::WechatRateLimited,
            "WeChat refuses more calls for now; try again later",
        ),
        RetryClass::Transient => {
            tracing::warn!(error = %err, ?call, "WeChat unavailable");
            AppError::new(
                ErrorCode::WechatUnavailable,
                "WeChat is not answering; try again shortly",
            )
        }
        RetryClass::RefreshToken | RetryClass::Permanent => {
            tracing::error!(error = %err, ?call, "WeChat refused the call");
            AppError::new(
                ErrorCode::WechatError,
                "WeChat refused the call; it has been logged",
            )
        }
    }
}

/// Exchanges a `wx.login` code for the member, creating them on their first login and linking
/// them to the official-account follower that has the same unionid.
pub async fn login<C: ConnectionTrait>(
    db: &C,
    mini_program: Option<&MiniProgram>,
    code: &str,
    now: DateTime<Utc>,
) -> Result<LoginOutcome, AppError> {
    let mini_program = mini_program.ok_or_else(not_configured)?;
    let code = checked_code(code)?;
    let session = mini_program
        .code2session(code)
        .await
        .map_err(|e| wechat_error(WechatCall::Login, e))?;
    if session.openid.is_empty() {
        return Err(wechat_error(
            WechatCall::Login,
            ApiError::Decode("code2session answered an empty openid".into()),
        ));
    }
    // Insert-or-ignore, so two first logins racing end up on one member.
    let inserted = members::Entity::insert(members::ActiveModel {
        openid: Set(session.openid.clone()),
        unionid: Set(session.unionid.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(members::Column::Openid)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let member = members::Entity::find()
        .filter(members::Column::Openid.eq(session.openid.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("member vanished after insert")))?;

    // WeChat gives the unionid only when the apps share an open-platform account; keep the one
    // we have when a session comes without it.
    let unionid = session.unionid.or(member.unionid.clone());
    let follower_id = match &unionid {
        Some(unionid) => follower_by_unionid(db, unionid).await?.map(|f| f.id),
        None => member.follower_id,
    };
    let mut active: members::ActiveModel = member.into();
    active.unionid = Set(unionid);
    active.follower_id = Set(follower_id);
    active.last_login_at = Set(now);
    let member = active.update(db).await?;
    Ok(LoginOutcome {
        member: view(db, member).await?,
        new_member: inserted == 1,
    })
}

async fn follower_by_unionid<C: ConnectionTrait>(
    db: &C,
    unionid: &str,
) -> Result<Option<followers::Model>, AppError> {
    Ok(followers::Entity::find()
        .filter(followers::Column::Unionid.eq(unionid))
        .order_by_asc(followers::Column::Id)
        .one(db)
        .await?)
}

/// The member a valid token names; 401 once the member erased their account.
pub async fn find<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<members::Model, AppError> {
    members::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .ok_or_else(member_gone)
}

fn member_gone() -> AppError {
    AppError::new(
        ErrorCode::MemberNotFound,
        "this account no longer exists; log in again",
    )
}

/// Refuses a member who is gone (erased). One primary-key read of the id alone: the member
/// door's extractor makes it on every request.
pub async fn ensure_exists<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<(), AppError> {
    members::Entity::find_by_id(member_id)
        .select_only()
        .column(members::Column::Id)
        .into_tuple::<i32>()
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(member_gone)
}

pub async fn view<C: ConnectionTrait>(
    db: &C,
    member: members::Model,
) -> Result<MemberView, AppError> {
    let follower = match (&member.unionid, member.follower_id) {
        (Some(unionid), _) => follower_by_unionid(db, unionid).await?,
        (None, Some(id)) => followers::Entity::find_by_id(id).one(db).await?,
        (None, None) => None,
    };
    Ok(MemberView {
        id: member.id,
        nickname: member.nickname,
        province: member.province,
        city: member.city,
        phone_number: member.phone_number,
        phone_country_code: member.phone_country_code,
        follows_official_account: follower.is_some_and(|f| f.subscribed),
        privacy_consent: current_consent(db, member.id).await?,
        privacy_policy_version: PRIVACY_POLICY_VERSION.to_owned(),
        created_at: member.created_at,
    })
}

pub async fn profile<C: ConnectionTrait>(db: &C, member_id: i32) -> Result<MemberView, AppError> {
    let member = find(db, member_id).await?;
    view(db, member).await
}

pub async fn update_profile<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    update: &ProfileUpdate,
    now: DateTime<Utc>,
) -> Result<MemberView, AppError> {
    let nickname = optional_text(
        update.nickname.as_deref(),
        NICKNAME_CHARS,
        ErrorCode::InvalidNickname,
        "nickname",
    )?;
    let province = optional_text(
        update.province.as_deref(),
        REGION_CHARS,
        ErrorCode::InvalidRegion,
        "province",
    )?;
    let city = optional_text(
        update.city.as_deref(),
        REGION_CHARS,
        ErrorCode::InvalidRegion,
        "city",
    )?;
    if city.is_some() && province.is_none() {
        return Err(AppError::new(
            ErrorCode::InvalidRegion,
            "a city needs its province",
        ));
    }
    let mut active: members::ActiveModel = find(db, member_id).await?.into();
    active.nickname = Set(nickname);
    active.province = Set(province);
    active.city = Set(city);
    active.updated_at = Set(now);
    let member = active.update(db).await?;
    view(db, member).await
}

/// Stores the phone number behind a `getPhoneNumber` button's code.
pub async fn set_phone<C: ConnectionTrait>(
    db: &C,
    mini_program: Option<&MiniProgram>,
    member_id: i32,
    code: &str,
    now: DateTime<Utc>,
) -> Result<MemberView, AppError> {
    let mini_program = mini_program.ok_or_else(not_configured)?;
    let code = checked_code(code)?;
    let member = find(db, member_id).await?;
    let phone = mini_program
        .phone_number(code)
        .await
        .map_err(|e| wechat_error(WechatCall::Phone, e))?;
    let mut active: members::ActiveModel = member.into();
    active.phone_number = Set(Some(phone.pure_phone_number));
    active.phone_country_code = Set(Some(phone.country_code));
    active.phone_verified_at = Set(Some(now));
    active.updated_at = Set(now);
    let member = active.update(db).await?;
    view(db, member).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_errors_get_codes_the_client_can_act_on() {
        let code = |call, err| wechat_error(call, err).code();
        assert_eq!(
            code(WechatCall::Login, ApiError::wechat(40029, "x")),
            "invalid_login_code"
        );
        assert_eq!(
            code(WechatCall::Login, ApiError::wechat(40163, "x")),
            "login_code_used"
        );
        assert_eq!(
            code(WechatCall::Phone, ApiError::wechat(40029, "x")),
            "invalid_phone_code"
        );
        assert_eq!(
            code(WechatCall::Login, ApiError::wechat(-1, "busy")),
            "wechat_unavailable"
        );
        assert_eq!(
            code(WechatCall::Login, ApiError::HttpStatus(503)),
            "wechat_unavailable"
        );
        assert_eq!(
            code(WechatCall::Login, ApiError::wechat(45011, "freq")),
            "wechat_rate_limited"
        );
        assert_eq!(
            code(WechatCall::Login, ApiError::wechat(40013, "invalid appid")),
            "wechat_error"
        );
    }

    #[test]
    fn codes_must_look_like_codes() {
        assert!(checked_code(" 0a1b ").is_ok());
        for bad in ["", "  ", "a b", "码"] {
            assert_eq!(
                checked_code(bad).unwrap_err().code(),
                "missing_code",
                "{bad:?}"
            );
        }
    }
}
