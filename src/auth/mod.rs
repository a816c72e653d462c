//! Who is knocking, door by door. Each token door has its extractor:
//!
//! | door | extractor | audience | who |
//! |---|---|---|---|
//! | `/api/v1` | [`Member`] | `babyvax-mp` | a mini-program member (wx.login) |
//! | `/merchant/v1` | [`MerchantStaff`] | `babyvax-merchant` | a merchant's owner or clerk |
//! | `/admin/v1` | [`Operator`] | `babyvax-admin` | an operator: admin, operator, support or analyst |
//!
//! One signing key ([`JwtKeys`]) serves all three; each door accepts only its own audience, so a
//! token of one door answers 401 `invalid_token` at the others. After the token, each extractor
//! reads the account by primary key: an erased member answers 401 `member_not_found`, a disabled
//! (or deleted) staff account 401 `account_disabled`, and roles, merchant and store come from
//! the account as it is now.
//!
//! The token is checked before anything else of the request is read, so a missing or bad token
//! always wins over a bad body. The account read is asynchronous: a request whose body is also
//! malformed may be refused for its body (400) first. Either way no handler runs.

mod jwt_crypto;
mod member;
mod merchant;
mod operator;
pub mod origin;
mod token;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, web};

pub use member::{Member, UncheckedMember};
pub use merchant::MerchantStaff;
pub use operator::Operator;
pub use origin::ClientOrigin;
pub use token::{Audience, Claims, IssuedToken, JwtKeys};

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// The state, and the account id of the request's bearer token for `audience`'s door.
/// `login` says where a token comes from, for the `missing_token` message.
fn bearer_subject(
    req: &HttpRequest,
    audience: Audience,
    login: &str,
) -> Result<(web::Data<AppState>, i32), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState is not registered")))?;
    let missing = || {
        AppError::new(
            ErrorCode::MissingToken,
            format!("send Authorization: Bearer <token> from {login}"),
        )
    };
    let header = req.headers().get(AUTHORIZATION).ok_or_else(missing)?;
    let value = header.to_str().map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    let subject = state
        .jwt
        .verify(audience, token.trim(), state.clock.now())?;
    Ok((state, subject))
}

/// 403 `role_forbidden` unless `role` is one of `allowed`.
fn require_role<R: PartialEq + Copy>(
    role: R,
    allowed: &[R],
    name: fn(R) -> &'static str,
) -> Result<(), AppError> {
    if allowed.contains(&role) {
        return Ok(());
    }
    let allowed: Vec<&str> = allowed.iter().map(|r| name(*r)).collect();
    Err(AppError::new(
        ErrorCode::RoleForbidden,
        format!(
            "your role ({}) may not do this; it needs {}",
            name(role),
            allowed.join(" or ")
        ),
    ))
}
