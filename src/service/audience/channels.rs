//! Acquisition channels (clinics, maternity hospitals, posters, referral codes) and their
//! permanent follow QR codes. A scan of the code follows the account with scene `ch:<code>`,
//! which the callback door attributes to the channel.

use chrono::{DateTime, Utc};
use entity::channels;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::error::{AppError, ErrorCode};
use crate::service::audience::followers::CHANNEL_SCENE_PREFIX;
use crate::wechat::api::{OfficialAccount, QrCodeRequest, QrTicket};

pub const KINDS: [&str; 5] = ["clinic", "hospital", "poster", "referral", "other"];
/// WeChat's scene_str holds 64 characters, three of which are the `ch:` prefix.
pub const MAX_CODE_LEN: usize = 64 - CHANNEL_SCENE_PREFIX.len();

#[derive(Debug, Clone)]
pub struct NewChannel {
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone)]
pub struct CreatedChannel {
    pub channel: channels::Model,
    pub ticket: QrTicket,
}

fn validate(new: &NewChannel) -> Result<(), AppError> {
    let code_ok = !new.code.is_empty()
        && new.code.len() <= MAX_CODE_LEN
        && new
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !code_ok {
        return Err(AppError::new(
            ErrorCode::InvalidChannelCode,
            format!("a channel code is 1..={MAX_CODE_LEN} letters, digits, '-' or '_'"),
        ));
    }
    if new.name.trim().is_empty() {
        return Err(AppError::new(
            ErrorCode::InvalidChannelName,
            "a channel needs a name",
        ));
    }
    if !KINDS.contains(&new.kind.as_str()) {
        return Err(AppError::new(
            ErrorCode::InvalidChannelKind,
            format!("kind must be one of {}", KINDS.join(", ")),
        ));
    }
    Ok(())
}

/// Issues the channel's permanent QR code and stores the channel with it. The code is issued
/// first: if WeChat refuses, nothing is stored.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    official_account: &OfficialAccount,
    new: NewChannel,
    now: DateTime<Utc>,
) -> Result<CreatedChannel, AppError> {
    validate(&new)?;
    if find(db, &new.code).await?.is_some() {
        return Err(AppError::new(
            ErrorCode::ChannelExists,
            format!("channel {} already exists", new.code),
        ));
    }
    let request = QrCodeRequest::permanent(&format!("{CHANNEL_SCENE_PREFIX}{}", new.code))
        .map_err(|e| AppError::new(ErrorCode::InvalidChannelCode, e.to_string()))?;
    let ticket = official_account
        .create_qrcode(&request)
        .await
        .map_err(crate::service::support::wechat_error)?;
    let channel = channels::ActiveModel {
        code: Set(new.code),
        name: Set(new.name.trim().to_owned()),
        kind: Set(new.kind),
        created_at: Set(now),
        qr_ticket: Set(Some(ticket.ticket.clone())),
        qr_url: Set(Some(ticket.url.clone())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedChannel { channel, ticket })
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Option<channels::Model>, AppError> {
    Ok(channels::Entity::find()
        .filter(channels::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<channels::Model>, AppError> {
    Ok(channels::Entity::find()
        .order_by_asc(channels::Column::Code)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_codes_fit_the_scene_string() {
        let ok = |code: &str| {
            validate(&NewChannel {
                code: code.into(),
                name: "n".into(),
                kind: "clinic".into(),
            })
        };
        assert!(ok("clinic-12").is_ok());
        assert!(ok(&"a".repeat(61)).is_ok());
        assert!(ok(&"a".repeat(62)).is_err());
        assert!(ok("").is_err());
        assert!(ok("has space").is_err());
        assert!(ok("ch:nested").is_err());
        assert!(
            validate(&NewChannel {
                code: "x".into(),
                name: "n".into(),
                kind: "shop".into()
            })
            .is_err()
        );
    }
}
