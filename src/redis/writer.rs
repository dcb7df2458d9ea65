//! The publishing side: one `MULTI` per revocation (stream and snapshot
//! together), and the task that writes what `RevocationSet::revoke` queued.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ::redis::RedisError;
use tokio::sync::mpsc::Receiver;

use super::{FeedEvent, Shared, bump, message};
use crate::expiry::{self, unix};
use crate::revocation::Revocation;

const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// Writes `revocation` durably: the stream entry and the snapshot member in
/// one transaction, pruning the snapshot's expired members and keeping its
/// TTL at the latest deadline. Nothing is written for a revocation already
/// past its life (no cookie it matches can open).
pub(super) async fn publish(shared: &Shared, revocation: &Revocation) -> Result<(), RedisError> {
    let now = unix(expiry::now());
    let deadline = shared.link.set().deadline_of(revocation);
    let Some(ttl) = deadline.checked_sub(now).filter(|ttl| *ttl > 0) else {
        return Ok(());
    };
    let msg = message::encode(revocation);
    let mut conn = shared.publisher.clone();
    ::redis::pipe()
        .atomic()
        .cmd("ZREMRANGEBYSCORE")
        .arg(&shared.snapshot)
        .arg("-inf")
        .arg(now)
        .ignore()
        .cmd("ZADD")
        .arg(&shared.snapshot)
        .arg(deadline)
        .arg(&msg)
        .ignore()
        .cmd("EXPIRE")
        .arg(&shared.snapshot)
        .arg(ttl)
        .arg("NX")
        .ignore()
        .cmd("EXPIRE")
        .arg(&shared.snapshot)
        .arg(ttl)
        .arg("GT")
        .ignore()
        .cmd("XADD")
        .arg(&shared.stream)
        .arg("MAXLEN")
        .arg("~")
        .arg(shared.maxlen)
        .arg("*")
        .arg("m")
        .arg(&msg)
        .ignore()
        .query_async::<()>(&mut conn)
        .await
}

/// Writes the queued revocations in order, retrying each (with a growing
/// pause, up to the staleness bound) until it is written or past its life.
pub(super) async fn run(shared: Arc<Shared>, mut queued: Receiver<Revocation>) {
    while let Some(revocation) = queued.recv().await {
        let mut pause = MIN_BACKOFF;
        loop {
            match publish(&shared, &revocation).await {
                Ok(()) => {
                    bump(&shared.counters.published);
                    break;
                }
                Err(err) => {
                    bump(&shared.counters.publish_failures);
                    shared.emit(&FeedEvent::PublishFailed {
                        error: err.to_string(),
                    });
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2).min(shared.bound);
                }
            }
        }
        shared.counters.pending.fetch_sub(1, Ordering::AcqRel);
    }
}
