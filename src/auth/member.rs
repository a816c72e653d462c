//! [`Member`]: the mini-program door's extractor.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{Audience, bearer_subject};
use crate::error::AppError;
use crate::service::audience::members;

/// The member a request's `Authorization: Bearer <JWT>` names, who still exists. Extracting it
/// refuses the request with 401 `missing_token`, `invalid_token`, `token_expired` or
/// `member_not_found` (erased).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub member_id: i32,
}

impl FromRequest for Member {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer_subject(req, Audience::Member, "POST /api/v1/auth/login");
        Box::pin(async move {
            let (state, member_id) = bearer?;
            members::ensure_exists(&state.db, member_id).await?;
            Ok(Member { member_id })
        })
    }
}
