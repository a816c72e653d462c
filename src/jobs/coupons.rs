//! The coupon worker `serve` runs: every hour, queue the "expires in three days" messages of
//! unused coupons (each coupon is told once, so several instances may run it).

use std::time::Duration;

use crate::service::commerce::coupons::notices;
use crate::state::AppState;

/// Stops the worker when dropped.
pub struct CouponWorker {
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for CouponWorker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the worker on the current (actix) runtime, looking every `every`.
pub fn spawn(state: &AppState, every: Duration) -> CouponWorker {
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let state = state.clone();
    actix_web::rt::spawn(async move {
        loop {
            if *rx.borrow() {
                return;
            }
            match notices::queue_expiring(&state.db, state.settings.push.quiet, state.clock.now())
                .await
            {
                Ok(0) => {}
                Ok(queued) => tracing::info!(queued, "coupon expiry messages queued"),
                Err(e) => tracing::error!(error = %e, "coupon expiry messages failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = rx.changed() => {}
            }
        }
    });
    CouponWorker { stop }
}
