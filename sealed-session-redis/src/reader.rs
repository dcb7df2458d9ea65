//! The reading side: a dedicated connection, `XREAD BLOCK` from the last
//! seen id, snapshot (re)loads on start, reconnect and gaps, and the
//! confirmations that keep the set fresh.
//!
//! Replies are walked as raw [`Value`]s (RESP2 or RESP3), so no stream
//! entry, whatever it holds, can make a reply fail to parse: a bad entry is
//! rejected on its own and the feed moves past it.

use core::convert::Infallible;
use core::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::collections::HashSet;

use redis::aio::MultiplexedConnection;
use redis::streams::StreamReadOptions;
use redis::{ErrorKind, RedisError, Value};

use crate::message::{self, MAX_MESSAGE_LEN, Message, RejectReason};
use crate::writer::Item;
use crate::{FeedEvent, Shared, bump};

const MIN_BACKOFF: Duration = Duration::from_millis(50);

/// How often the feed purges expired entries from the set.
const PURGE_EVERY: Duration = Duration::from_secs(1);

/// Snapshot members per `ZSCAN` call.
const SCAN_COUNT: usize = 1000;

/// A stream entry id, `<ms>-<seq>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct StreamId {
    ms: u64,
    seq: u64,
}

impl StreamId {
    fn parse(bytes: &[u8]) -> Option<StreamId> {
        let text = core::str::from_utf8(bytes).ok()?;
        let (ms, seq) = text.split_once('-')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return None;
        }
        Some(StreamId {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

fn protocol_error(what: &'static str) -> RedisError {
    RedisError::from((ErrorKind::UnexpectedReturnType, what))
}

/// Strips RESP3 attributes.
fn plain(value: &Value) -> &Value {
    match value {
        Value::Attribute { data, .. } => plain(data),
        other => other,
    }
}

fn bytes(value: &Value) -> Option<&[u8]> {
    match plain(value) {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        Value::VerbatimString { text, .. } => Some(text.as_bytes()),
        _ => None,
    }
}

/// Items of an array-like value (arrays and sets).
fn items(value: &Value) -> Option<&[Value]> {
    match plain(value) {
        Value::Array(items) | Value::Set(items) => Some(items),
        _ => None,
    }
}

/// Key-value pairs of a RESP3 map or a RESP2 flat array.
fn pairs(value: &Value) -> Option<Vec<(&Value, &Value)>> {
    match plain(value) {
        Value::Map(pairs) => Some(pairs.iter().map(|(k, v)| (k, v)).collect()),
        Value::Array(flat) => {
            let mut out = Vec::with_capacity(flat.len() / 2);
            let mut it = flat.iter();
            while let Some(k) = it.next() {
                out.push((k, it.next()?));
            }
            Some(out)
        }
        _ => None,
    }
}

/// The message of a stream entry's fields: exactly one field, `m`.
fn entry_message(fields: &Value) -> Result<&[u8], RejectReason> {
    let Some(pairs) = pairs(fields) else {
        return Err(RejectReason::Malformed);
    };
    // One message plus its field name, with room to spare: anything longer
    // is oversized, whatever its shape.
    let size = pairs
        .iter()
        .map(|(k, v)| {
            bytes(k)
                .map_or(0, <[u8]>::len)
                .saturating_add(bytes(v).map_or(0, <[u8]>::len))
        })
        .fold(0usize, usize::saturating_add);
    if size > MAX_MESSAGE_LEN.saturating_add(16) {
        return Err(RejectReason::Oversized);
    }
    match pairs.as_slice() {
        [(field, value)] if bytes(field) == Some(b"m".as_slice()) => {
            bytes(value).ok_or(RejectReason::Malformed)
        }
        _ => Err(RejectReason::Malformed),
    }
}

type Entry<'a> = (StreamId, Result<&'a [u8], RejectReason>);

/// The entries of an `XREAD` reply for one stream (nil: none).
fn xread_entries(reply: &Value) -> Result<Vec<Entry<'_>>, RedisError> {
    let streams: Vec<(&Value, &Value)> = match plain(reply) {
        Value::Nil => return Ok(Vec::new()),
        Value::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
        Value::Array(streams) => streams
            .iter()
            .map(|s| match items(s) {
                Some([key, entries]) => Ok((key, entries)),
                _ => Err(protocol_error("unexpected XREAD reply")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(protocol_error("unexpected XREAD reply")),
    };
    let mut out = Vec::new();
    for (_key, entries) in streams {
        for entry in items(entries).ok_or_else(|| protocol_error("unexpected XREAD entries"))? {
            let Some([id, fields]) = items(entry) else {
                return Err(protocol_error("unexpected XREAD entry"));
            };
            let id = bytes(id)
                .and_then(StreamId::parse)
                .ok_or_else(|| protocol_error("unexpected stream id"))?;
            out.push((id, entry_message(fields)));
        }
    }
    Ok(out)
}

/// What the feed needs of `XINFO STREAM`.
#[derive(Clone, Copy, Debug, Default)]
struct StreamInfo {
    last_generated: StreamId,
    /// Largest id removed by `XDEL` (Redis 7; trimming leaves it alone).
    max_deleted: Option<StreamId>,
    /// The oldest entry still in the stream.
    first_entry: Option<StreamId>,
    length: Option<u64>,
    /// Entries ever added (Redis 7): more than `length` once anything was
    /// trimmed or deleted.
    entries_added: Option<u64>,
}

impl StreamInfo {
    /// Whether entries after `from` may have been removed before they were
    /// read, given that a read from `from` returned `first_read` first.
    ///
    /// Trimming removes the oldest entries. If one after `from` went before
    /// the read, the read started at the stream's first entry then, so the
    /// first entry now is `first_read` or later. Conversely a first entry
    /// older than `first_read` proves nothing after `from` was trimmed. A
    /// stream that never lost an entry (`entries-added == length`) has no
    /// gap at all. An `XDEL` past `from` is always treated as a gap.
    fn gap_after(&self, from: StreamId, first_read: StreamId) -> bool {
        if self.max_deleted.is_some_and(|deleted| deleted > from) {
            return true;
        }
        let lost_any = match (self.entries_added, self.length) {
            (Some(added), Some(length)) => added > length,
            _ => true,
        };
        lost_any && self.first_entry.is_some_and(|first| first >= first_read)
    }
}

fn parse_stream_info(reply: &Value) -> Result<StreamInfo, RedisError> {
    let fields = pairs(reply).ok_or_else(|| protocol_error("unexpected XINFO reply"))?;
    let mut info = StreamInfo::default();
    let id = |value: &Value| bytes(value).and_then(StreamId::parse);
    let int = |value: &Value| match plain(value) {
        Value::Int(n) => u64::try_from(*n).ok(),
        other => bytes(other)
            .and_then(|b| core::str::from_utf8(b).ok())
            .and_then(|s| s.parse().ok()),
    };
    for (name, value) in fields {
        match bytes(name) {
            Some(b"last-generated-id") => {
                info.last_generated =
                    id(value).ok_or_else(|| protocol_error("unexpected last-generated-id"))?;
            }
            Some(b"max-deleted-entry-id") => info.max_deleted = id(value),
            Some(b"first-entry") => {
                info.first_entry = items(value)
                    .and_then(<[Value]>::first)
                    .and_then(id)
                    .or(info.first_entry);
            }
            Some(b"length") => info.length = int(value),
            Some(b"entries-added") => info.entries_added = int(value),
            _ => {}
        }
    }
    Ok(info)
}

async fn stream_info(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
) -> Result<StreamInfo, RedisError> {
    let reply = redis::cmd("XINFO")
        .arg("STREAM")
        .arg(&shared.stream)
        .query_async::<Value>(conn)
        .await;
    match reply {
        Ok(reply) => parse_stream_info(&reply),
        // No stream yet (nothing revoked, or Redis restarted empty).
        Err(err) if err.detail().is_some_and(|d| d.contains("no such key")) => {
            Ok(StreamInfo::default())
        }
        Err(err) => Err(err),
    }
}

/// The start-up / reconnect / gap order: the stream's current last id
/// first, then the whole snapshot; reading then goes on from that id.
/// Then every live entry of the set that the snapshot lacks is queued to be
/// written again: a Redis that lost data (restarted empty or from an older
/// snapshot, a promoted replica that missed writes) gets back every
/// revocation this server knows.
async fn resync(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
    gap: bool,
) -> Result<StreamId, RedisError> {
    let start = stream_info(shared, conn).await?.last_generated;
    let now = time::OffsetDateTime::now_utc();
    let mut cursor = b"0".to_vec();
    let mut entries = 0usize;
    let mut members: HashSet<Vec<u8>> = HashSet::new();
    loop {
        let reply = redis::cmd("ZSCAN")
            .arg(&shared.snapshot)
            .arg(cursor.as_slice())
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async::<Value>(conn)
            .await?;
        let Some([next, page]) = items(&reply) else {
            return Err(protocol_error("unexpected ZSCAN reply"));
        };
        let next = bytes(next).ok_or_else(|| protocol_error("unexpected ZSCAN cursor"))?;
        let page = items(page).ok_or_else(|| protocol_error("unexpected ZSCAN members"))?;
        // Members and scores alternate; the score is only for pruning.
        for member in page.iter().step_by(2) {
            entries = entries.saturating_add(1);
            let raw = bytes(member);
            let parsed = raw
                .ok_or(RejectReason::Malformed)
                .and_then(message::parse_message);
            apply(shared, &"snapshot", parsed, now);
            if let Some(raw) = raw {
                members.insert(raw.to_vec());
            }
        }
        if next == b"0" {
            break;
        }
        cursor = next.to_vec();
    }
    let mut republished = 0usize;
    for revocation in shared.link.entries(now) {
        let Some(msg) = message::encode(&revocation) else {
            continue;
        };
        if !members.contains(msg.as_bytes())
            && shared.republishing(&msg)
            && shared.enqueue(Item::Republish(revocation, msg))
        {
            republished = republished.saturating_add(1);
        }
    }
    bump(&shared.counters.resyncs);
    if gap {
        bump(&shared.counters.gaps);
    }
    shared.counters.republished.fetch_add(
        u64::try_from(republished).unwrap_or(u64::MAX),
        core::sync::atomic::Ordering::Relaxed,
    );
    shared.emit(&FeedEvent::Resynced {
        entries,
        gap,
        republished,
    });
    Ok(start)
}

fn apply(
    shared: &Shared,
    entry: &dyn fmt::Display,
    parsed: Result<Message, RejectReason>,
    now: time::OffsetDateTime,
) {
    match parsed {
        Ok(Message::Revocation(revocation)) => {
            shared.link.apply_at(&revocation, now);
            bump(&shared.counters.applied);
        }
        Ok(Message::Heartbeat { nonce, seq }) => {
            if nonce == shared.nonce {
                shared.beat_heard(seq);
            }
        }
        Err(reason) => {
            bump(&shared.counters.rejected);
            shared.emit(&FeedEvent::Rejected {
                entry: entry.to_string(),
                reason,
            });
        }
    }
}

/// Follows the stream on one connection until it fails.
async fn follow(
    shared: &Shared,
    conn: &mut MultiplexedConnection,
) -> Result<Infallible, RedisError> {
    let mut last = resync(shared, conn, false).await?;
    let mut last_check = Instant::now();
    let mut last_purge = Instant::now();
    // How often the feed checks that the stream was not recreated under it
    // (deleted, restarted, an older copy): a reader stuck at an id the
    // stream will never reach again would otherwise stay stale.
    let check_every = shared.bound.checked_div(2).unwrap_or_default();
    let block_ms = usize::try_from(shared.block.as_millis())
        .unwrap_or(usize::MAX)
        .max(1);
    let mut block = false;
    loop {
        let mut options = StreamReadOptions::default().count(shared.batch);
        if block {
            options = options.block(block_ms);
        }
        let reply = redis::cmd("XREAD")
            .arg(&options)
            .arg("STREAMS")
            .arg(&shared.stream)
            .arg(last.to_string())
            .query_async::<Value>(conn)
            .await?;
        let entries = xread_entries(&reply)?;
        let read = entries.len();
        let from = last;
        let first_read = entries.first().map(|(id, _)| *id);
        let now = time::OffsetDateTime::now_utc();
        for (id, msg) in entries {
            apply(shared, &id, msg.and_then(message::parse_message), now);
            last = last.max(id);
        }
        if read > 0 || last_check.elapsed() >= check_every {
            last_check = Instant::now();
            let info = stream_info(shared, conn).await?;
            let gap = first_read.is_some_and(|first| info.gap_after(from, first));
            if gap || info.last_generated < last {
                last = resync(shared, conn, true).await?;
                block = false;
                continue;
            }
        }
        // A full batch: there may be more, read again at once.
        block = read < shared.batch;
        if last_purge.elapsed() >= PURGE_EVERY {
            last_purge = Instant::now();
            shared.link.set().purge();
        }
    }
}

/// The reader task: connect, follow, and on any failure reconnect with a
/// growing pause (up to the staleness bound), for as long as it runs.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut pause = MIN_BACKOFF;
    let mut reported = false;
    // The blocking read must come back before the response timeout.
    let response = shared
        .block
        .saturating_add(shared.bound.max(Duration::from_millis(500)));
    loop {
        match crate::connect(&shared, response).await {
            Ok(mut conn) => {
                bump(&shared.counters.connections);
                shared.emit(&FeedEvent::Connected);
                pause = MIN_BACKOFF;
                let Err(err) = follow(&shared, &mut conn).await;
                shared.emit(&FeedEvent::Disconnected {
                    error: err.to_string(),
                });
                reported = true;
            }
            Err(err) => {
                if !reported {
                    shared.emit(&FeedEvent::Disconnected {
                        error: err.to_string(),
                    });
                    reported = true;
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = pause.saturating_mul(2).min(shared.bound);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &[u8]) -> Value {
        Value::BulkString(s.to_vec())
    }

    #[test]
    fn stream_ids() {
        assert_eq!(StreamId::parse(b"5-3"), Some(StreamId { ms: 5, seq: 3 }));
        assert!(StreamId::parse(b"5-3") < StreamId::parse(b"5-4"));
        assert!(StreamId::parse(b"5-9") < StreamId::parse(b"6-0"));
        for bad in [&b""[..], b"5", b"-3", b"5-", b"+5-3", b"5-3-1", b"\xff-1"] {
            assert_eq!(StreamId::parse(bad), None);
        }
        assert_eq!(StreamId { ms: 7, seq: 1 }.to_string(), "7-1");
    }

    #[test]
    fn entries_of_both_protocols_and_bad_shapes() {
        let entry =
            |id: &[u8], fields: Vec<Value>| Value::Array(vec![bulk(id), Value::Array(fields)]);
        let good = entry(b"1-0", vec![bulk(b"m"), bulk(b"1:u:5:i:3")]);
        let two_fields = entry(b"2-0", vec![bulk(b"m"), bulk(b"x"), bulk(b"v"), bulk(b"1")]);
        let other_field = entry(b"3-0", vec![bulk(b"x"), bulk(b"1:u:5:i:3")]);
        let huge = entry(b"4-0", vec![bulk(b"m"), bulk(&[b'a'; 4096])]);
        let odd = entry(b"5-0", vec![bulk(b"m")]);
        let entries = Value::Array(vec![good, two_fields, other_field, huge, odd]);
        let resp2 = Value::Array(vec![Value::Array(vec![bulk(b"k"), entries.clone()])]);
        let resp3 = Value::Map(vec![(bulk(b"k"), entries)]);
        for reply in [resp2, resp3] {
            let got = xread_entries(&reply).unwrap();
            let reasons: Vec<_> = got.iter().map(|(_, m)| m.map(|b| b.to_vec())).collect();
            assert_eq!(
                reasons,
                vec![
                    Ok(b"1:u:5:i:3".to_vec()),
                    Err(RejectReason::Malformed),
                    Err(RejectReason::Malformed),
                    Err(RejectReason::Oversized),
                    Err(RejectReason::Malformed),
                ]
            );
            assert_eq!(got[4].0, StreamId { ms: 5, seq: 0 });
        }
        assert!(xread_entries(&Value::Nil).unwrap().is_empty());
        assert!(xread_entries(&Value::Int(3)).is_err());
    }

    #[test]
    fn stream_info_fields_and_gaps() {
        let id = |ms| StreamId { ms, seq: 0 };
        let reply = |added: i64, deleted: &[u8]| {
            Value::Array(vec![
                bulk(b"length"),
                Value::Int(2),
                bulk(b"last-generated-id"),
                bulk(b"9-0"),
                bulk(b"max-deleted-entry-id"),
                bulk(deleted),
                bulk(b"entries-added"),
                Value::Int(added),
                bulk(b"first-entry"),
                Value::Array(vec![bulk(b"5-0"), Value::Array(vec![])]),
            ])
        };
        let trimmed = parse_stream_info(&reply(7, b"0-0")).unwrap();
        assert_eq!(trimmed.last_generated, id(9));
        // first entry now 5: a read from 3 that began at 5 may have lost 4
        assert!(trimmed.gap_after(id(3), id(5)));
        // the entry read first was trimmed since: it may have been a gap
        assert!(trimmed.gap_after(id(3), id(4)));
        // a read from 5 (still there) that began at 6: nothing lost
        assert!(!trimmed.gap_after(id(5), id(6)));
        // never lost an entry: no gap whatever the ids
        let whole = parse_stream_info(&reply(2, b"0-0")).unwrap();
        assert!(!whole.gap_after(id(0), id(5)));
        // an XDEL after the read position
        let deleted = parse_stream_info(&reply(2, b"4-0")).unwrap();
        assert!(deleted.gap_after(id(3), id(5)));
        assert!(!deleted.gap_after(id(4), id(5)));
        // Redis before 7: no counters, first entry only
        let old = StreamInfo {
            max_deleted: None,
            entries_added: None,
            ..trimmed
        };
        assert!(old.gap_after(id(3), id(5)));
        assert!(!old.gap_after(id(5), id(6)));
    }
}
