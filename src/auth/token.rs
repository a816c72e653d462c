//! Bearer JWTs of the three token doors, signed with one key (`BABYVAX_JWT_SECRET`).
//!
//! HS256 only. Each door has an audience of its own and checks only its own, so a token of one
//! door is `invalid_token` at every other. Expiry is checked against the state's clock, not the
//! system's, so tests and "as of" runs see the same time everywhere. A token names its account
//! (`sub`) and nothing else: roles, merchants and stores are read from the account on every
//! request, so a change takes effect at once.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};

/// The door a token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `/api/v1`: a mini-program member.
    Member,
    /// `/merchant/v1`: a merchant's staff member.
    MerchantStaff,
    /// `/admin/v1`: an operator.
    Operator,
}

impl Audience {
    const ALL: [Audience; 3] = [
        Audience::Member,
        Audience::MerchantStaff,
        Audience::Operator,
    ];

    /// The `aud` claim.
    pub const fn claim(self) -> &'static str {
        match self {
            Audience::Member => "babyvax-mp",
            Audience::MerchantStaff => "babyvax-merchant",
            Audience::Operator => "babyvax-admin",
        }
    }

    /// How long a login lasts. The mini-program logs in again silently with `wx.login`; staff
    /// log in once per working day.
    pub const fn ttl(self) -> Duration {
        match self {
            Audience::Member => Duration::hours(24),
            Audience::MerchantStaff | Audience::Operator => Duration::hours(12),
        }
    }

    const fn index(self) -> usize {
        match self {
            Audience::Member => 0,
            Audience::MerchantStaff => 1,
            Audience::Operator => 2,
        }
    }
}

/// What a token says. `sub` is the account id (member, staff member or operator).
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
    /// One per audience, in [`Audience::index`] order.
    validations: [Validation; 3],
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
        super::jwt_crypto::install();
        let validation = |audience: Audience| {
            let mut validation = Validation::new(Algorithm::HS256);
            // Expiry is ours to check, against the state's clock (see `verify`).
            validation.validate_exp = false;
            validation.leeway = 0;
            validation.set_required_spec_claims(&["exp", "sub", "aud"]);
            validation.set_audience(&[audience.claim()]);
            validation
        };
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validations: Audience::ALL.map(validation),
        }
    }

    /// `BABYVAX_JWT_SECRET`, or 32 random bytes when it is unset (tokens then die with the process).
    pub fn from_setting(secret: Option<&SecretString>) -> Self {
        match secret {
            Some(secret) => Self::from_secret(secret.expose_secret().as_bytes()),
            None => Self::from_secret(&rand::random::<[u8; 32]>()),
        }
    }

    /// A token for account `subject` at `audience`'s door, valid for the door's ttl from `now`.
    pub fn issue(
        &self,
        audience: Audience,
        subject: i32,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, AppError> {
        let expires_at = now + audience.ttl();
        let claims = Claims {
            sub: subject.to_string(),
            aud: audience.claim().to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a token: {e}")))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The account id in `token`, if it is ours, for `audience`, untampered, HS256 and not
    /// expired at `now`.
    pub fn verify(
        &self,
        audience: Audience,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<i32, AppError> {
        let invalid = |why: &str| {
            tracing::debug!(why, audience = audience.claim(), "token refused");
            AppError::new(
                ErrorCode::InvalidToken,
                "the bearer token is not valid for this door; log in again",
            )
        };
        let data = jsonwebtoken::decode::<Claims>(
            token,
            &self.decoding,
            &self.validations[audience.index()],
        )
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
            .map_err(|_| invalid("sub is not an account id"))
    }
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
        for audience in Audience::ALL {
            let issued = keys.issue(audience, 42, at(1_000_000)).unwrap();
            assert_eq!(issued.expires_at, at(1_000_000) + audience.ttl());
            assert_eq!(
                keys.verify(audience, &issued.token, at(1_000_000)).unwrap(),
                42
            );
            let last = issued.expires_at - Duration::seconds(1);
            assert_eq!(keys.verify(audience, &issued.token, last).unwrap(), 42);
            let err = keys
                .verify(audience, &issued.token, issued.expires_at)
                .unwrap_err();
            assert_eq!(err.code(), "token_expired");
        }
        assert_eq!(Audience::Member.ttl(), Duration::hours(24));
        assert_eq!(Audience::Operator.ttl(), Duration::hours(12));
        assert_eq!(Audience::MerchantStaff.ttl(), Duration::hours(12));
    }

    #[test]
    fn a_token_opens_only_its_own_door() {
        let keys = JwtKeys::from_secret(b"k");
        for issued_for in Audience::ALL {
            let issued = keys.issue(issued_for, 7, at(10)).unwrap();
            for door in Audience::ALL {
                let verified = keys.verify(door, &issued.token, at(10));
                if door == issued_for {
                    assert_eq!(verified.unwrap(), 7);
                } else {
                    assert_eq!(verified.unwrap_err().code(), "invalid_token");
                }
            }
        }
    }

    #[test]
    fn another_key_or_garbage_is_invalid() {
        let issued = JwtKeys::from_secret(b"k")
            .issue(Audience::Member, 1, at(10))
            .unwrap();
        let other = JwtKeys::from_secret(b"other");
        for token in [issued.token.as_str(), "a.b.c", ""] {
            assert_eq!(
                other
                    .verify(Audience::Member, token, at(10))
                    .unwrap_err()
                    .code(),
                "invalid_token"
            );
        }
    }

    #[test]
    fn random_keys_differ_per_process_start() {
        let a = JwtKeys::from_setting(None)
            .issue(Audience::Operator, 1, at(10))
            .unwrap();
        let b = JwtKeys::from_setting(None);
        assert_eq!(
            b.verify(Audience::Operator, &a.token, at(10))
                .unwrap_err()
                .code(),
            "invalid_token"
        );
    }
}
