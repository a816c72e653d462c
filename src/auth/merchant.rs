//! [`MerchantStaff`]: the merchant door's extractor.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::origin::request_origin;
use super::{Audience, bearer_subject, require_role};
use crate::domain::staff::MerchantRole;
use crate::error::AppError;
use crate::service::staff::AccountKind;
use crate::service::staff::accounts;
use crate::service::staff::audit::{Actor, Origin};

/// The merchant staff member a request's bearer token names, whose account is enabled.
/// Extracting it refuses the request with 401 `missing_token`, `invalid_token`, `token_expired`
/// or `account_disabled`.
#[derive(Debug, Clone)]
pub struct MerchantStaff {
    pub staff_id: i32,
    pub merchant_id: i32,
    /// The store they work at; None for staff of the whole merchant.
    pub store_id: Option<i32>,
    /// As the account says now, not as it was at login.
    pub role: MerchantRole,
    pub origin: Origin,
}

impl MerchantStaff {
    /// 403 `role_forbidden` unless the staff member has one of `allowed`.
    pub fn require(&self, allowed: &[MerchantRole]) -> Result<(), AppError> {
        require_role(self.role, allowed, MerchantRole::as_str)
    }

    /// The staff member as the audit log records them.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: AccountKind::MerchantStaff,
            id: self.staff_id,
            role: self.role.as_str(),
            origin: self.origin.clone(),
        }
    }
}

impl FromRequest for MerchantStaff {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer_subject(req, Audience::MerchantStaff, "POST /merchant/v1/auth/login")
            .map(|(state, id)| {
                let origin = request_origin(req, &state.settings.trusted_proxies);
                (state, id, origin)
            });
        Box::pin(async move {
            let (state, staff_id, origin) = bearer?;
            let account = accounts::active_merchant_staff(&state.db, staff_id).await?;
            Ok(MerchantStaff {
                staff_id,
                merchant_id: account.merchant_id,
                store_id: account.store_id,
                role: account.role,
                origin,
            })
        })
    }
}
