//! The publishing side: one unbounded, never-discarding queue of
//! revocations and heartbeats; a task that writes them in order, many per
//! round trip (one `MULTI` per batch), retrying a failed batch forever with
//! a growing pause; and the heartbeat ticker.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{RedisError, Value};
use sealed_session::Revocation;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;

use crate::message;
use crate::{FeedEvent, Shared, bump};

const MIN_BACKOFF: Duration = Duration::from_millis(20);

/// The most queued items one `MULTI` carries.
pub(crate) const MAX_BATCH: usize = 2_000;

/// What the writer writes, in queue order.
pub(crate) enum Item {
    /// A revocation, with whoever waits for its acknowledgement.
    Revoke(Revocation, Option<oneshot::Sender<()>>),
    /// A revocation re-published after a resync, with its message (so a
    /// later resync does not queue it again while it waits).
    Republish(Revocation, String),
    /// This feed's heartbeat number `seq`.
    Beat(u64),
}

/// One batch, encoded: the snapshot members with their deadlines, the
/// stream messages, and the latest heartbeat in it.
struct Batch {
    items: Vec<Item>,
    /// (deadline, message) of the revocations still live.
    members: Vec<(i64, String)>,
    /// The messages to `XADD`, in order (the revocations, then the latest
    /// heartbeat: earlier ones in the same batch add nothing).
    stream: Vec<String>,
    beat: Option<u64>,
    latest_deadline: i64,
}

fn encode(shared: &Shared, items: Vec<Item>) -> Batch {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut batch = Batch {
        members: Vec::with_capacity(items.len()),
        stream: Vec::with_capacity(items.len()),
        beat: None,
        latest_deadline: now,
        items: Vec::new(),
    };
    for item in &items {
        match item {
            Item::Revoke(revocation, _) | Item::Republish(revocation, _) => {
                let deadline = shared.link.deadline(revocation);
                // Past its life: no cookie it matches can open, nothing to share.
                if deadline <= now {
                    continue;
                }
                if let Some(msg) = message::encode(revocation) {
                    batch.latest_deadline = batch.latest_deadline.max(deadline);
                    batch.stream.push(msg.clone());
                    batch.members.push((deadline, msg));
                }
            }
            Item::Beat(seq) => batch.beat = Some(batch.beat.map_or(*seq, |b| b.max(*seq))),
        }
    }
    if let Some(seq) = batch.beat {
        batch
            .stream
            .push(message::encode_heartbeat(shared.nonce, seq));
    }
    batch.items = items;
    batch
}

/// Writes one batch in one `MULTI`: prune the snapshot, add its members,
/// keep its TTL at the latest deadline, and append every message to the
/// stream. An error reply to any command fails the whole batch (it is
/// retried whole: `ZADD` and a second `XADD` of the same message are
/// harmless).
async fn write(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    batch: &Batch,
) -> Result<(), RedisError> {
    if batch.stream.is_empty() {
        return Ok(());
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut pipe = redis::pipe();
    pipe.atomic();
    if !batch.members.is_empty() {
        let ttl = batch.latest_deadline.saturating_sub(now).max(1);
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&shared.snapshot)
            .arg("-inf")
            .arg(now);
        let zadd = pipe.cmd("ZADD").arg(&shared.snapshot);
        for (deadline, msg) in &batch.members {
            zadd.arg(*deadline).arg(msg);
        }
        pipe.cmd("EXPIRE")
            .arg(&shared.snapshot)
            .arg(ttl)
            .arg("NX")
            .cmd("EXPIRE")
            .arg(&shared.snapshot)
            .arg(ttl)
            .arg("GT");
    }
    for msg in &batch.stream {
        pipe.cmd("XADD")
            .arg(&shared.stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(shared.maxlen)
            .arg("*")
            .arg("m")
            .arg(msg);
    }
    let reply: Value = pipe.query_async(conn).await?;
    reply.extract_error()?;
    Ok(())
}

/// The writer task: takes what is queued (up to [`MAX_BATCH`] at a time),
/// writes it, and on failure reconnects and retries the same batch, in
/// order, until it is written. Nothing is ever dropped.
pub(crate) async fn run(shared: Arc<Shared>, mut queued: UnboundedReceiver<Item>) {
    let mut conn: Option<MultiplexedConnection> = None;
    let mut items = Vec::with_capacity(MAX_BATCH);
    loop {
        if queued.recv_many(&mut items, MAX_BATCH).await == 0 {
            return; // the feed is gone
        }
        let batch = encode(&shared, std::mem::take(&mut items));
        let mut pause = MIN_BACKOFF;
        let mut failing_since: Option<Instant> = None;
        let mut reported = false;
        loop {
            let result = match conn.as_mut() {
                Some(c) => write(&shared, c, &batch).await,
                None => {
                    match crate::connect(&shared, shared.bound.max(Duration::from_secs(1))).await {
                        Ok(mut c) => {
                            let result = write(&shared, &mut c, &batch).await;
                            conn = Some(c);
                            result
                        }
                        Err(err) => Err(err),
                    }
                }
            };
            match result {
                Ok(()) => {
                    if failing_since.is_some() {
                        shared.write_recovered();
                    }
                    break;
                }
                Err(err) => {
                    // A fresh connection next time: the server may have
                    // become a replica, been failed over, or be gone.
                    conn = None;
                    bump(&shared.counters.publish_failures);
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    let error = err.to_string();
                    shared.write_failed(&error, since.elapsed(), &mut reported);
                    // Retry no later than the moment the failure reaches
                    // the bound, so it is reported then.
                    let sleep = if reported {
                        pause
                    } else {
                        pause.min(
                            shared
                                .bound
                                .saturating_sub(since.elapsed())
                                .max(Duration::from_millis(1)),
                        )
                    };
                    tokio::time::sleep(sleep).await;
                    pause = pause.saturating_mul(2).min(shared.bound);
                }
            }
        }
        let mut revocations = 0usize;
        for item in batch.items {
            match item {
                Item::Revoke(_, waiter) => {
                    revocations = revocations.saturating_add(1);
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(());
                    }
                }
                Item::Republish(_, msg) => {
                    revocations = revocations.saturating_add(1);
                    shared.republished(&msg);
                }
                Item::Beat(_) => {}
            }
        }
        if revocations > 0 {
            shared.counters.published.fetch_add(
                u64::try_from(revocations).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            shared
                .counters
                .pending
                .fetch_sub(revocations, Ordering::AcqRel);
            tracing::debug!(
                target: "sealed_session_redis",
                event = "revocations_published",
                revocations
            );
        }
        if let Some(seq) = batch.beat {
            shared.beat_acknowledged(seq);
        }
    }
}

/// The heartbeat ticker: every quarter of the bound, queue a heartbeat
/// (behind every revocation queued so far) and report freshness changes.
pub(crate) async fn heartbeats(shared: Arc<Shared>) {
    let every = shared
        .bound
        .checked_div(4)
        .unwrap_or_default()
        .max(Duration::from_millis(5));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was_stale = true;
    let mut ever_fresh = false;
    loop {
        ticker.tick().await;
        if !shared.send_beat() {
            return;
        }
        let stale = shared.link.set().is_stale();
        if stale != was_stale {
            if stale {
                shared.emit(&FeedEvent::Stale);
            } else if ever_fresh {
                shared.emit(&FeedEvent::Fresh);
            }
            ever_fresh |= !stale;
            was_stale = stale;
        }
    }
}
