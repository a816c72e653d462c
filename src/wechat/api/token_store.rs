//! Where access tokens live between instances, and the lease that lets one instance at a time
//! fetch a new one. Every WeChat fetch of `/cgi-bin/token` invalidates the previous token, so
//! instances must share one token rather than each fetching their own.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::error::StoreError;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Clone)]
pub struct StoredToken {
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Shared token storage. Boxed futures keep it usable as `Arc<dyn TokenStore>`.
///
/// Every method that changes a row is one guarded statement, so that implementations over a
/// database stay correct with several processes and no further locking.
pub trait TokenStore: Send + Sync + 'static {
    /// The stored token of `appid`, if there is one (it may be expired).
    fn load<'a>(&'a self, appid: &'a str)
    -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;

    /// Takes the refresh lease for `appid` until `until` if nobody holds an unexpired one.
    /// Returns whether `holder` now holds it.
    fn try_acquire_lease<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Saves a new token and releases the lease, only if `holder` still holds it (so a holder
    /// whose lease ran out cannot overwrite a newer token). Returns whether it was saved.
    fn store_and_release<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        token: &'a StoredToken,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Gives the lease up without a new token (the fetch failed).
    fn release_lease<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Marks the stored token expired, but only if it is still `rejected`: another instance may
    /// already have replaced it. Returns whether it was the stored one.
    fn invalidate<'a>(
        &'a self,
        appid: &'a str,
        rejected: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

#[derive(Default)]
struct Row {
    token: Option<StoredToken>,
    lease: Option<(String, DateTime<Utc>)>,
}

/// A process-local store: for unit tests and single-instance tools.
#[derive(Default)]
pub struct MemoryTokenStore {
    rows: Mutex<HashMap<String, Row>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_rows<T>(&self, f: impl FnOnce(&mut HashMap<String, Row>) -> T) -> T {
        f(&mut self.rows.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(
        &'a self,
        appid: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        let found = self.with_rows(|rows| rows.get(appid).and_then(|r| r.token.clone()));
        Box::pin(async move { Ok(found) })
    }

    fn try_acquire_lease<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let acquired = self.with_rows(|rows| {
            let row = rows.entry(appid.to_owned()).or_default();
            match &row.lease {
                Some((_, lease_until)) if *lease_until >= now => false,
                _ => {
                    row.lease = Some((holder.to_owned(), until));
                    true
                }
            }
        });
        Box::pin(async move { Ok(acquired) })
    }

    fn store_and_release<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        token: &'a StoredToken,
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let stored = self.with_rows(|rows| match rows.get_mut(appid) {
            Some(row) if row.lease.as_ref().is_some_and(|(h, _)| h == holder) => {
                row.token = Some(token.clone());
                row.lease = None;
                true
            }
            _ => false,
        });
        Box::pin(async move { Ok(stored) })
    }

    fn release_lease<'a>(
        &'a self,
        appid: &'a str,
        holder: &'a str,
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.with_rows(|rows| {
            if let Some(row) = rows.get_mut(appid)
                && row.lease.as_ref().is_some_and(|(h, _)| h == holder)
            {
                row.lease = None;
            }
        });
        Box::pin(async move { Ok(()) })
    }

    fn invalidate<'a>(
        &'a self,
        appid: &'a str,
        rejected: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let hit = self.with_rows(
            |rows| match rows.get_mut(appid).and_then(|r| r.token.as_mut()) {
                Some(t) if t.access_token.expose_secret() == rejected => {
                    t.expires_at = t.expires_at.min(now);
                    true
                }
                _ => false,
            },
        );
        Box::pin(async move { Ok(hit) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn token(value: &str, expires: i64) -> StoredToken {
        StoredToken {
            access_token: value.into(),
            expires_at: at(expires),
        }
    }

    #[tokio::test]
    async fn lease_is_exclusive_until_released_or_expired() {
        let s = MemoryTokenStore::new();
        assert!(
            s.try_acquire_lease("wx1", "a", at(0), at(30))
                .await
                .unwrap()
        );
        assert!(
            !s.try_acquire_lease("wx1", "b", at(10), at(40))
                .await
                .unwrap()
        );
        // Only the holder may store.
        assert!(
            !s.store_and_release("wx1", "b", &token("T1", 7200), at(10))
                .await
                .unwrap()
        );
        assert!(
            s.store_and_release("wx1", "a", &token("T1", 7200), at(10))
                .await
                .unwrap()
        );
        assert!(
            s.try_acquire_lease("wx1", "b", at(11), at(41))
                .await
                .unwrap()
        );
        // An abandoned lease can be taken over once it has run out.
        assert!(
            s.try_acquire_lease("wx1", "c", at(42), at(72))
                .await
                .unwrap()
        );
        s.release_lease("wx1", "b", at(43)).await.unwrap();
        assert!(
            !s.try_acquire_lease("wx1", "d", at(43), at(73))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn invalidation_only_hits_the_rejected_token() {
        let s = MemoryTokenStore::new();
        s.try_acquire_lease("wx1", "a", at(0), at(30))
            .await
            .unwrap();
        s.store_and_release("wx1", "a", &token("T2", 7200), at(0))
            .await
            .unwrap();
        assert!(!s.invalidate("wx1", "T1", at(5)).await.unwrap());
        assert_eq!(s.load("wx1").await.unwrap().unwrap().expires_at, at(7200));
        assert!(s.invalidate("wx1", "T2", at(5)).await.unwrap());
        assert_eq!(s.load("wx1").await.unwrap().unwrap().expires_at, at(5));
    }
}
