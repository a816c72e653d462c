//! [`Operator`]: the admin door's extractor.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::origin::request_origin;
use super::{Audience, bearer_subject, require_role};
use crate::domain::staff::OperatorRole;
use crate::error::AppError;
use crate::service::staff::AccountKind;
use crate::service::staff::accounts;
use crate::service::staff::audit::{Actor, Origin};

/// The operator a request's bearer token names, whose account is enabled. Extracting it refuses
/// the request with 401 `missing_token`, `invalid_token`, `token_expired` or `account_disabled`.
#[derive(Debug, Clone)]
pub struct Operator {
    pub operator_id: i32,
    /// As the account says now, not as it was at login.
    pub role: OperatorRole,
    pub origin: Origin,
}

impl Operator {
    /// 403 `role_forbidden` unless the operator has one of `allowed`.
    pub fn require(&self, allowed: &[OperatorRole]) -> Result<(), AppError> {
        require_role(self.role, allowed, OperatorRole::as_str)
    }

    /// The operator as the audit log records them.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: AccountKind::Operator,
            id: self.operator_id,
            role: self.role.as_str(),
            origin: self.origin.clone(),
        }
    }
}

impl FromRequest for Operator {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer_subject(req, Audience::Operator, "POST /admin/v1/auth/login").map(
            |(state, id)| {
                let origin = request_origin(req, &state.settings.trusted_proxies);
                (state, id, origin)
            },
        );
        Box::pin(async move {
            let (state, operator_id, origin) = bearer?;
            let role = accounts::active_operator(&state.db, operator_id).await?;
            Ok(Operator {
                operator_id,
                role,
                origin,
            })
        })
    }
}
