//! `POST /wechat/pay/notify`: verify over the raw body, decrypt, compare, apply once.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{Applied, Fulfil, apply_transaction, settle_refund};
use crate::error::AppError;
use crate::wechat::pay::notify::{self, NotifyError};
use crate::wechat::pay::types::{RefundNotice, Transaction};
use crate::wechat::pay::{PayClient, SignedHeaders};

/// How the notify door answers.
#[derive(Debug)]
pub enum Answer {
    /// 204: received (applied now, applied before, or recorded as an alarm).
    Received(Option<Applied>),
    /// 4xx with `{"code":"FAIL","message":...}`: not verified or not readable; nothing applied.
    Refused { status: u16, message: String },
}

pub async fn handle(
    db: &DatabaseConnection,
    pay: &PayClient,
    fulfil: &dyn Fulfil,
    headers: SignedHeaders<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Answer, AppError> {
    let cfg = pay.config();
    let opened = match notify::open(
        &cfg.verifier,
        &cfg.api_v3_key,
        headers,
        body,
        now.timestamp(),
    ) {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, serial = headers.serial, "payment notification refused");
            let status = match e {
                NotifyError::Verify(_) => 401,
                _ => 400,
            };
            return Ok(Answer::Refused {
                status,
                message: e.to_string(),
            });
        }
    };
    let event = opened.notification.event_type.as_str();
    if event == "TRANSACTION.SUCCESS" {
        let tx: Transaction = match serde_json::from_slice(&opened.plaintext) {
            Ok(tx) => tx,
            Err(e) => {
                return Ok(Answer::Refused {
                    status: 400,
                    message: format!("transaction does not parse: {e}"),
                });
            }
        };
        let applied = apply_transaction(db, pay, &tx, fulfil, now).await?;
        return Ok(Answer::Received(Some(applied)));
    }
    if event.starts_with("REFUND.") {
        let notice: RefundNotice = match serde_json::from_slice(&opened.plaintext) {
            Ok(n) => n,
            Err(e) => {
                return Ok(Answer::Refused {
                    status: 400,
                    message: format!("refund does not parse: {e}"),
                });
            }
        };
        if notice.mchid != cfg.signer.mchid {
            tracing::error!(
                mchid = notice.mchid,
                "refund notification for another merchant"
            );
            return Ok(Answer::Received(Some(Applied::Mismatch)));
        }
        settle_refund(
            db,
            fulfil,
            &notice.out_refund_no,
            notice.refund_status,
            Some(&notice.refund_id),
            now,
        )
        .await?;
        return Ok(Answer::Received(None));
    }
    tracing::info!(event, "payment notification of a kind we do not handle");
    Ok(Answer::Received(None))
}
