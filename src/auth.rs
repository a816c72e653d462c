//! Bearer JWTs of the mini-program door: issued at login, checked by the [`AuthenticatedMember`]
//! extractor on every other `/api/v1` route.
//!
//! HS256 only, with an audience of its own so a token of another door (merchant, operator) is
//! never taken for a member's. Expiry is checked against the state's clock, not the system's, so
//! tests and "as of" runs see the same time everywhere.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// How long a login lasts. The mini-program logs in again silently with `wx.login` when it ends.
pub const TOKEN_TTL: Duration = Duration::hours(24);
/// The `aud` claim of mini-program member tokens.
pub const MEMBER_AUDIENCE: &str = "babyvax-mp";

/// What a member token says. `sub` is the member id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signing and checking keys, made once at start-up and kept in the state.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([REDACTED])")
    }
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is ours to check, against the state's clock (see `verify`).
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        validation.set_audience(&[MEMBER_AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// `BABYVAX_JWT_SECRET`, or 32 random bytes when it is unset (tokens then die with the process).
    pub fn from_setting(secret: Option<&SecretString>) -> Self {
        match secret {
            Some(secret) => Self::from_secret(secret.expose_secret().as_bytes()),
            None => Self::from_secret(&rand::random::<[u8; 32]>()),
        }
    }

    pub fn issue(&self, member_id: i32, now: DateTime<Utc>) -> Result<IssuedToken, AppError> {
        let expires_at = now + TOKEN_TTL;
        let claims = Claims {
            sub: member_id.to_string(),
            aud: MEMBER_AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a member token: {e}")))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The member id in `token`, if it is ours, untampered, HS256 and not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<i32, AppError> {
        let invalid = |why: &str| {
            tracing::debug!(why, "member token refused");
            AppError::new(
                ErrorCode::InvalidToken,
                "the bearer token is not valid; log in again",
            )
        };
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| invalid(&format!("{:?}", e.kind())))?;
        if data.claims.exp <= now.timestamp() {
            return Err(AppError::new(
                ErrorCode::TokenExpired,
                "the bearer token has expired; log in again",
            ));
        }
        data.claims
            .sub
            .parse()
            .map_err(|_| invalid("sub is not a member id"))
    }
}

/// The member a request's `Authorization: Bearer <JWT>` names. Extracting it refuses the request
/// with 401 when the header is missing or the token is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticatedMember {
    pub member_id: i32,
}

impl FromRequest for AuthenticatedMember {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthenticatedMember, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState is not registered")))?;
    let missing = || {
        AppError::new(
            ErrorCode::MissingToken,
            "send Authorization: Bearer <token> from POST /api/v1/auth/login",
        )
    };
    let header = req.headers().get(AUTHORIZATION).ok_or_else(missing)?;
    let value = header.to_str().map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    let member_id = state.jwt.verify(token.trim(), state.clock.now())?;
    Ok(AuthenticatedMember { member_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap()
    }

    #[test]
    fn a_token_is_valid_until_it_expires() {
        let keys = JwtKeys::from_secret(b"k");
        let issued = keys.issue(42, at(1_000_000)).unwrap();
        assert_eq!(keys.verify(&issued.token, at(1_000_000)).unwrap(), 42);
        let last = issued.expires_at - Duration::seconds(1);
        assert_eq!(keys.verify(&issued.token, last).unwrap(), 42);
        let err = keys.verify(&issued.token, issued.expires_at).unwrap_err();
        assert_eq!(err.code(), "token_expired");
    }

    #[test]
    fn another_key_or_garbage_is_invalid() {
        let issued = JwtKeys::from_secret(b"k").issue(1, at(10)).unwrap();
        let other = JwtKeys::from_secret(b"other");
        assert_eq!(
            other.verify(&issued.token, at(10)).unwrap_err().code(),
            "invalid_token"
        );
        assert_eq!(
            other.verify("a.b.c", at(10)).unwrap_err().code(),
            "invalid_token"
        );
        assert_eq!(
            other.verify("", at(10)).unwrap_err().code(),
            "invalid_token"
        );
    }

    #[test]
    fn random_keys_differ_per_process_start() {
        let a = JwtKeys::from_setting(None).issue(1, at(10)).unwrap();
        let b = JwtKeys::from_setting(None);
        assert_eq!(
            b.verify(&a.token, at(10)).unwrap_err().code(),
            "invalid_token"
        );
    }
}
