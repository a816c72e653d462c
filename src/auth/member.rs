//! [`Member`]: the mini-program door's extractor, and [`UncheckedMember`] for the hot reads
//! that check the member in their own query.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{LocalBoxFuture, Ready, ready};

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

/// The member a valid bearer token names, NOT yet checked to still exist: only for a handler
/// whose one query also checks that the member exists and answers 401 `member_not_found` as
/// [`Member`] would (`schedule::schedule`), so the hot read costs one statement instead of two.
/// Token refusals are the same as [`Member`]'s. Every other handler takes [`Member`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UncheckedMember {
    pub member_id: i32,
}

impl FromRequest for UncheckedMember {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            bearer_subject(req, Audience::Member, "POST /api/v1/auth/login")
                .map(|(_, member_id)| UncheckedMember { member_id }),
        )
    }
}
