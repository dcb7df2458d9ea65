//! Revocations shared across a fleet of [`sealed_session`] servers through
//! Redis (redis-rs 1.x on tokio; Redis 7.0 or later), built only on the
//! core crate's feed extension point ([`RevocationSet::attach_feed`]).
//!
//! [`RedisFeed::start`] attaches a feed to a [`RevocationSet`]: every
//! server keeps its own set in memory and checks requests against it with
//! no network call, and the feed keeps the sets in step. The README (also
//! on this page's source, `README.md`) has the fleet recipe, the trust
//! model with a minimal ACL, and the fault table.
//!
//! # How it works
//!
//! * **Never drop a revocation.** [`RevocationSet::revoke`] applies it
//!   here and puts it on an unbounded queue (it never blocks and never
//!   discards). One writer task writes the queue in order, up to 2 000
//!   items per round trip: one `MULTI` with `ZREMRANGEBYSCORE` (prune),
//!   one `ZADD <prefix>:snapshot <deadline> <message> ...` for the whole
//!   batch, `EXPIRE NX` / `EXPIRE GT` (the key's TTL follows the latest
//!   deadline) and one `XADD <prefix>:stream MAXLEN ~ N * m <message>` per
//!   message. A batch that fails (any error reply, a lost connection, a
//!   timeout) is retried whole, forever, with a pause growing to the
//!   staleness bound, on a new connection.
//! * **Heartbeats: the bound covers writing too.** Every quarter of the
//!   bound the feed queues a heartbeat (`1:h:<nonce>:<seq>`) behind the
//!   revocations queued so far. It is written through the same queue,
//!   batch and `MULTI`, and the set is confirmed fresh as of the moment
//!   it was queued only once Redis acknowledged its batch **and** the
//!   feed's own reader read it back from the stream. So a Redis that
//!   refuses writes (`OOM` under `noeviction`, a `READONLY` replica, a
//!   stream whose ids are exhausted) or does not answer (a partition)
//!   turns **every** server stale within the bound: user sessions fail
//!   closed ([`RevocationError::Stale`](sealed_session::RevocationError::Stale)),
//!   and so does a revocation this server made that is not acknowledged
//!   within the bound. A write failure that lasts past the bound is
//!   reported: [`RedisFeed::health`] and [`FeedEvent::WriteFailing`].
//! * **Reading: `XREAD BLOCK` from the last seen id**, on the feed's own
//!   connection, whose response timeout is longer than the block time
//!   (a quarter of the bound).
//! * **Snapshot: one sorted set.** Member = the message, score = the unix
//!   second the entry may go ([`FeedLink::deadline`]). Reading it is
//!   `ZSCAN` over that one key.
//! * **Start-up, every reconnect and every gap, in this order:** read the
//!   stream's current last id (`XINFO STREAM`), load the snapshot, then
//!   read the stream from that id; then **re-publish** every live entry of
//!   the set that the snapshot lacks (one not yet written since an
//!   earlier resync queued it is not queued twice). A Redis that lost data
//!   (restarted empty or from an older snapshot, a replica promoted before
//!   it had the last writes) thus gets back every revocation any live
//!   server knows.
//! * **Gaps.** The feed compares `XINFO STREAM` with where it read from:
//!   if trimming removed an entry it had not read, or the stream went
//!   backwards (deleted, recreated, an older copy), it resynchronises.
//! * **Connections:** `redis://`, `rediss://` (rustls; custom roots through
//!   [`Client::build_with_tls`]), user and password in the URL (ACL), or
//!   Redis Sentinel ([`Connector::sentinel`]): every reconnect asks the
//!   sentinels for the current primary.
//! * **Events** go to [`tracing`] (target `sealed_session_redis`, an
//!   `event` field naming each, a `detail` field with its text; never a
//!   key, a cookie or a password) and to an optional hook
//!   ([`RedisFeedConfig::on_event`]): `feed_stale` / `feed_fresh`,
//!   `revocation_write_failed` (first failure, retried),
//!   `revocation_write_failing` (failing for longer than the bound),
//!   `revocation_write_recovered`, `feed_message_rejected`,
//!   `feed_disconnected`, `feed_connected`, `feed_resynced` (at `WARN` when
//!   it re-published entries), and `revocations_published` (`DEBUG`, per
//!   written batch).
//!
//! # Message format, version 1
//!
//! ASCII, at most [`MAX_MESSAGE_LEN`] bytes, fields separated by `:`, the
//! first field the version:
//!
//! * `1:s:<session id, 16 lowercase hex digits>:<expires_at, unix seconds>`
//! * `1:u:<logged_in_until, unix seconds>:i:<integer user id>`
//! * `1:u:<logged_in_until, unix seconds>:t:<text user id, 1 to 128 bytes of UTF-8>`
//! * `1:h:<nonce, 16 lowercase hex digits>:<sequence, decimal>`: a
//!   heartbeat (stream only, never in the snapshot); only the server whose
//!   feed drew the nonce acts on it, the others skip it.
//!
//! A stream entry has exactly one field, `m`, holding the message; a
//! snapshot member is the message itself. Anything else (another version,
//! a malformed or oversized message, other entry fields) is rejected,
//! counted in [`FeedStats::rejected`], reported ([`FeedEvent::Rejected`]),
//! and never applied.
//!
//! # Example
//! ```no_run
//! use sealed_session::{Key, KeyRing, RevocationSet, SessionStore, UserId};
//! use sealed_session_redis::{Client, RedisFeed, RedisFeedConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
//! let revoked = RevocationSet::new(&store);
//! let client = Client::open("redis://127.0.0.1:6379/")?;
//! let feed = RedisFeed::start(client, &revoked, RedisFeedConfig::default())?;
//! feed.wait_fresh(std::time::Duration::from_secs(5)).await?;
//!
//! // per request: no I/O
//! let cookie = store.seal_for_user(&UserId::from(1u64), 0, &())?;
//! let opened = store.open::<()>(cookie.value())?;
//! revoked.check(opened.info(), opened.user_id())?;
//!
//! // log out everywhere, on every server
//! feed.revoke_user(&UserId::from(1u64), sealed_session::time::OffsetDateTime::now_utc()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Every feed message is attacker-controlled: no panics, unchecked
// arithmetic or lossy casts in the library (unit tests may unwrap: see the
// workspace's clippy.toml).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod message;
mod reader;
mod writer;

use core::fmt;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
pub use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
pub use redis::{Client, IntoConnectionInfo, RedisError, TlsCertificates};
use sealed_session::time::OffsetDateTime;
use sealed_session::{FeedLink, FeedOptions, Revocation, RevocationSet, SessionInfo, UserId};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub use self::message::{MAX_MESSAGE_LEN, RejectReason};
use self::writer::Item;

/// The default key prefix: keys `{sealed-session}:revocations:stream` and
/// `{sealed-session}:revocations:snapshot` (one hash slot).
///
/// # Example
/// ```
/// use sealed_session_redis::{DEFAULT_KEY_PREFIX, RedisFeedConfig};
///
/// let key = RedisFeedConfig::default().stream_key();
/// assert_eq!(key, format!("{DEFAULT_KEY_PREFIX}:stream"));
/// ```
pub const DEFAULT_KEY_PREFIX: &str = "{sealed-session}:revocations";

/// The default approximate stream length (`XADD MAXLEN ~`): how far a
/// server may fall behind before it must resynchronise from the snapshot.
///
/// # Example
/// ```
/// use sealed_session_redis::{DEFAULT_STREAM_MAXLEN, RedisFeedConfig};
///
/// let config = RedisFeedConfig::default().stream_maxlen(DEFAULT_STREAM_MAXLEN * 2);
/// # let _ = config;
/// ```
pub const DEFAULT_STREAM_MAXLEN: usize = 100_000;

/// Shortest staleness bound accepted.
const MIN_BOUND: Duration = Duration::from_millis(20);

/// What the feed reports: to [`tracing`] (target `sealed_session_redis`;
/// warnings at `WARN`, the rest at `INFO`), and to the hook of
/// [`RedisFeedConfig::on_event`] if one is set.
///
/// # Example
/// ```
/// use sealed_session_redis::{FeedEvent, RejectReason};
///
/// let event = FeedEvent::Rejected { entry: "1700000000000-0".into(), reason: RejectReason::Malformed };
/// assert_eq!(event.to_string(), "rejected feed entry 1700000000000-0: malformed message");
/// assert!(event.is_warning());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedEvent {
    /// A message was rejected and not applied. `entry` is the stream entry
    /// id, or `snapshot` for a snapshot member.
    Rejected {
        /// Where it was.
        entry: String,
        /// Why.
        reason: RejectReason,
    },
    /// The feed's reading connection failed or could not be opened (it
    /// retries; user sessions go stale after the bound).
    Disconnected {
        /// The error, as redis-rs printed it.
        error: String,
    },
    /// The reading connection is (again) established.
    Connected,
    /// The set was (re)loaded from the snapshot.
    Resynced {
        /// Snapshot members read.
        entries: usize,
        /// Whether a gap in the stream (trimmed entries, or a recreated
        /// stream) caused it, rather than a (re)connect.
        gap: bool,
        /// Live entries of this set the snapshot lacked, queued to be
        /// written again (Redis lost data, or they were still queued).
        republished: usize,
    },
    /// Writing to Redis failed for the first time in a row. The batch is
    /// retried until it is written; nothing is dropped.
    WriteRetrying {
        /// The error, as redis-rs printed it.
        error: String,
    },
    /// Writes have failed for longer than the staleness bound: this
    /// server's revocations are not reaching the others, and every server
    /// of the fleet is (or soon is) stale. Reported once per outage;
    /// [`RedisFeed::health`] has the latest error.
    WriteFailing {
        /// The latest error, as redis-rs printed it.
        error: String,
        /// How long writes have been failing.
        failing_for: Duration,
    },
    /// Writes work again after failing.
    WriteRecovered,
    /// The set went stale: user sessions are refused (fail closed) until
    /// the feed proves again that writes are accepted and read back.
    Stale,
    /// The set is fresh again after being stale.
    Fresh,
}

impl FeedEvent {
    /// Whether it is a warning (logged at `WARN`).
    ///
    /// # Example
    /// ```
    /// assert!(!sealed_session_redis::FeedEvent::Connected.is_warning());
    /// assert!(sealed_session_redis::FeedEvent::Stale.is_warning());
    /// ```
    #[must_use]
    pub fn is_warning(&self) -> bool {
        !matches!(
            self,
            FeedEvent::Connected
                | FeedEvent::Resynced { republished: 0, .. }
                | FeedEvent::WriteRecovered
                | FeedEvent::Fresh
        )
    }
}

impl fmt::Display for FeedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedEvent::Rejected { entry, reason } => {
                write!(f, "rejected feed entry {entry}: {reason}")
            }
            FeedEvent::Disconnected { error } => write!(f, "feed connection lost: {error}"),
            FeedEvent::Connected => f.write_str("feed connected"),
            FeedEvent::Resynced {
                entries,
                gap,
                republished,
            } => write!(
                f,
                "feed resynchronised from the snapshot ({entries} entries{}, {republished} re-published)",
                if *gap { ", after a gap" } else { "" }
            ),
            FeedEvent::WriteRetrying { error } => {
                write!(f, "writing revocations to redis failed, retrying: {error}")
            }
            FeedEvent::WriteFailing { error, failing_for } => write!(
                f,
                "writing revocations to redis has failed for {} ms: {error}",
                failing_for.as_millis()
            ),
            FeedEvent::WriteRecovered => f.write_str("writing revocations to redis works again"),
            FeedEvent::Stale => {
                f.write_str("revocation feed stale: user sessions are refused until it recovers")
            }
            FeedEvent::Fresh => f.write_str("revocation feed fresh again"),
        }
    }
}

type Hook = Arc<dyn Fn(&FeedEvent) + Send + Sync>;

/// Settings of a [`RedisFeed`].
///
/// # Example
/// ```
/// use std::time::Duration;
/// use sealed_session_redis::RedisFeedConfig;
///
/// let config = RedisFeedConfig::default()
///     .key_prefix("myapp:revocations")
///     .staleness_bound(Duration::from_millis(500));
/// assert_eq!(config.block_time(), Duration::from_millis(125));
/// ```
#[derive(Clone)]
pub struct RedisFeedConfig {
    prefix: String,
    options: FeedOptions,
    block: Option<Duration>,
    maxlen: usize,
    batch: usize,
    hook: Option<Hook>,
}

impl fmt::Debug for RedisFeedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisFeedConfig")
            .field("prefix", &self.prefix)
            .field("options", &self.options)
            .field("block", &self.block_time())
            .field("maxlen", &self.maxlen)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl Default for RedisFeedConfig {
    fn default() -> RedisFeedConfig {
        RedisFeedConfig {
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            options: FeedOptions::default(),
            block: None,
            maxlen: DEFAULT_STREAM_MAXLEN,
            batch: 4096,
            hook: None,
        }
    }
}

impl RedisFeedConfig {
    /// The prefix of the two keys (`<prefix>:stream`, `<prefix>:snapshot`).
    /// Every server of one fleet uses the same; [`DEFAULT_KEY_PREFIX`] by
    /// default.
    ///
    /// # Example
    /// ```
    /// let config = sealed_session_redis::RedisFeedConfig::default().key_prefix("app1");
    /// assert_eq!(config.stream_key(), "app1:stream");
    /// ```
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> RedisFeedConfig {
        self.prefix = prefix.into();
        self
    }

    /// The staleness bound (default 1 s, at least 20 ms): see
    /// [`FeedOptions::staleness_bound`].
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// let config = sealed_session_redis::RedisFeedConfig::default().staleness_bound(Duration::from_secs(2));
    /// assert_eq!(config.block_time(), Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn staleness_bound(mut self, bound: Duration) -> RedisFeedConfig {
        self.options = self.options.staleness_bound(bound);
        self
    }

    /// ⚠️ **Fail open** while Redis is unreachable: see
    /// [`FeedOptions::dangerously_fail_open`]. Revocations made on other
    /// servers during the outage are not enforced here until the feed is
    /// back.
    ///
    /// # Example
    /// ```
    /// let config = sealed_session_redis::RedisFeedConfig::default().dangerously_fail_open();
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn dangerously_fail_open(mut self) -> RedisFeedConfig {
        self.options = self.options.dangerously_fail_open();
        self
    }

    /// The `XREAD BLOCK` time (default a quarter of the staleness bound; it
    /// must be shorter than the bound).
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// let config = sealed_session_redis::RedisFeedConfig::default().block(Duration::from_millis(100));
    /// assert_eq!(config.block_time(), Duration::from_millis(100));
    /// ```
    #[must_use]
    pub fn block(mut self, block: Duration) -> RedisFeedConfig {
        self.block = Some(block);
        self
    }

    /// The approximate number of entries the stream keeps (`MAXLEN ~`,
    /// default [`DEFAULT_STREAM_MAXLEN`]); a server that falls further
    /// behind reloads the snapshot.
    ///
    /// # Example
    /// ```
    /// let config = sealed_session_redis::RedisFeedConfig::default().stream_maxlen(1_000);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn stream_maxlen(mut self, maxlen: usize) -> RedisFeedConfig {
        self.maxlen = maxlen.max(1);
        self
    }

    /// The most stream entries one read takes (`COUNT`, default 4096).
    ///
    /// # Example
    /// ```
    /// let config = sealed_session_redis::RedisFeedConfig::default().batch(64);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn batch(mut self, batch: usize) -> RedisFeedConfig {
        self.batch = batch.max(1);
        self
    }

    /// Also reports what happens (rejected messages, lost connections,
    /// write failures, staleness, ...) to `hook`, besides [`tracing`].
    /// The hook must not block or panic.
    ///
    /// # Example
    /// ```
    /// use sealed_session_redis::{FeedEvent, RedisFeedConfig};
    ///
    /// let config = RedisFeedConfig::default().on_event(|event: &FeedEvent| {
    ///     if matches!(event, FeedEvent::WriteFailing { .. }) {
    ///         // page the operator
    ///     }
    /// });
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn on_event(
        mut self,
        hook: impl Fn(&FeedEvent) + Send + Sync + 'static,
    ) -> RedisFeedConfig {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The stream's key.
    ///
    /// # Example
    /// ```
    /// let config = sealed_session_redis::RedisFeedConfig::default();
    /// assert_eq!(config.stream_key(), "{sealed-session}:revocations:stream");
    /// ```
    #[must_use]
    pub fn stream_key(&self) -> String {
        format!("{}:stream", self.prefix)
    }

    /// The snapshot's key.
    ///
    /// # Example
    /// ```
    /// let config = sealed_session_redis::RedisFeedConfig::default();
    /// assert_eq!(config.snapshot_key(), "{sealed-session}:revocations:snapshot");
    /// ```
    #[must_use]
    pub fn snapshot_key(&self) -> String {
        format!("{}:snapshot", self.prefix)
    }

    /// The `XREAD BLOCK` time in use.
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(sealed_session_redis::RedisFeedConfig::default().block_time(), Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn block_time(&self) -> Duration {
        self.block
            .unwrap_or_else(|| self.options.bound().checked_div(4).unwrap_or_default())
    }

    fn validate(&self) -> Result<(), FeedError> {
        let bound = self.options.bound();
        if bound < MIN_BOUND {
            return Err(FeedError::Config("staleness bound below 20 ms"));
        }
        let block = self.block_time();
        if block < Duration::from_millis(1) || block >= bound {
            return Err(FeedError::Config(
                "block time must be at least 1 ms and shorter than the staleness bound",
            ));
        }
        if self.prefix.is_empty() {
            return Err(FeedError::Config("empty key prefix"));
        }
        Ok(())
    }
}

/// Why the feed could not start, or a revocation could not be written.
///
/// # Example
/// ```
/// use sealed_session_redis::FeedError;
///
/// assert_eq!(FeedError::NoRuntime.to_string(), "no tokio runtime to run the revocation feed on");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum FeedError {
    /// Redis answered with an error, or could not be reached.
    Redis(RedisError),
    /// [`RedisFeed::start`] outside a tokio runtime.
    NoRuntime,
    /// The set already has a feed.
    AlreadyFed,
    /// An invalid setting.
    Config(&'static str),
    /// [`RedisFeed::wait_fresh`] or [`RedisFeed::flush`] timed out.
    Timeout,
    /// [`RedisFeed::revoke`]: Redis did not acknowledge the revocation
    /// within the staleness bound. It is in force on this server, stays
    /// queued and is retried until written; until then this server is
    /// stale (see [`RedisFeed::health`]).
    NotAcknowledged,
    /// The feed was shut down.
    Stopped,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Redis(err) => write!(f, "redis: {err}"),
            FeedError::NoRuntime => f.write_str("no tokio runtime to run the revocation feed on"),
            FeedError::AlreadyFed => f.write_str("revocation set already has a feed"),
            FeedError::Config(what) => write!(f, "invalid redis feed setting: {what}"),
            FeedError::Timeout => f.write_str("timed out waiting for the revocation feed"),
            FeedError::NotAcknowledged => f.write_str(
                "redis has not acknowledged the revocation within the staleness bound (it stays queued)",
            ),
            FeedError::Stopped => f.write_str("the revocation feed was shut down"),
        }
    }
}

impl std::error::Error for FeedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FeedError::Redis(err) => Some(err),
            _ => None,
        }
    }
}

impl From<RedisError> for FeedError {
    fn from(err: RedisError) -> FeedError {
        FeedError::Redis(err)
    }
}

/// Counters of a feed, since it started.
///
/// # Example
/// ```no_run
/// # async fn run(feed: sealed_session_redis::RedisFeed) {
/// let stats = feed.stats();
/// println!("applied {}, rejected {}, resyncs {}", stats.applied, stats.rejected, stats.resyncs);
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeedStats {
    /// Stream entries and snapshot members applied.
    pub applied: u64,
    /// Messages rejected (malformed, oversized, unknown version).
    pub rejected: u64,
    /// Loads of the snapshot (start, reconnects, gaps).
    pub resyncs: u64,
    /// Of which caused by a gap in the stream.
    pub gaps: u64,
    /// Reading connections opened.
    pub connections: u64,
    /// Revocations written to Redis (acknowledged).
    pub published: u64,
    /// Failed write attempts (each failed batch is retried until written).
    pub publish_failures: u64,
    /// Revocations queued again after a resync found them missing from
    /// the snapshot.
    pub republished: u64,
}

#[derive(Default)]
struct Counters {
    applied: AtomicU64,
    rejected: AtomicU64,
    resyncs: AtomicU64,
    gaps: AtomicU64,
    connections: AtomicU64,
    published: AtomicU64,
    publish_failures: AtomicU64,
    republished: AtomicU64,
    /// Revocations queued and not yet written.
    pending: AtomicUsize,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The state of a feed, for health checks ([`RedisFeed::health`]).
///
/// # Example
/// ```no_run
/// # fn run(feed: &sealed_session_redis::RedisFeed) {
/// let health = feed.health();
/// if let Some(error) = &health.write_error {
///     // writes failing longer than the bound: page someone
///     let _ = (error, health.unacknowledged);
/// }
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeedHealth {
    /// Whether user sessions are accepted (the feed proved within the
    /// bound that writes are accepted and read back).
    pub fresh: bool,
    /// The latest write error, once writes have failed for longer than
    /// the staleness bound ([`FeedEvent::WriteFailing`] was reported); `None`
    /// again once a write succeeds.
    pub write_error: Option<String>,
    /// How long writes have been failing (`None` while they work).
    pub failing_for: Option<Duration>,
    /// Revocations queued and not yet acknowledged by Redis.
    pub unacknowledged: usize,
}

/// Heartbeats sent, acknowledged and read back.
#[derive(Default)]
struct Beats {
    /// (sequence, when it was queued), oldest first.
    sent: VecDeque<(u64, Instant)>,
    /// The latest heartbeat whose batch Redis acknowledged.
    acked: u64,
    /// The latest of ours read back from the stream.
    heard: u64,
}

impl Beats {
    /// When the latest heartbeat both acknowledged and read back was
    /// queued (forgetting it and the ones before): the moment as of which
    /// the set is proven caught up. `None` if no new one is proven.
    fn proven(&mut self) -> Option<Instant> {
        let proven = self.acked.min(self.heard);
        let mut at = None;
        while let Some(&(seq, sent)) = self.sent.front() {
            if seq > proven {
                break;
            }
            at = Some(sent);
            self.sent.pop_front();
        }
        at
    }
}

/// Write failures, for [`RedisFeed::health`].
#[derive(Default)]
struct Writes {
    failing_since: Option<Instant>,
    last_error: Option<String>,
    /// Whether [`FeedEvent::WriteFailing`] was reported for this outage.
    reported: bool,
}

/// What the reader, writer and ticker tasks share.
struct Shared {
    connector: Connector,
    link: FeedLink,
    stream: String,
    snapshot: String,
    bound: Duration,
    block: Duration,
    maxlen: usize,
    batch: usize,
    hook: Option<Hook>,
    counters: Arc<Counters>,
    queue: UnboundedSender<Item>,
    nonce: u64,
    next_beat: AtomicU64,
    beats: Mutex<Beats>,
    writes: Mutex<Writes>,
    /// Messages queued for re-publishing and not yet written.
    pending_republish: Mutex<HashSet<String>>,
}

/// The tracing target of every event.
const TARGET: &str = "sealed_session_redis";

impl FeedEvent {
    /// The `event` field of its `tracing` event.
    fn name(&self) -> &'static str {
        match self {
            FeedEvent::Rejected { .. } => "feed_message_rejected",
            FeedEvent::Disconnected { .. } => "feed_disconnected",
            FeedEvent::Connected => "feed_connected",
            FeedEvent::Resynced { .. } => "feed_resynced",
            FeedEvent::WriteRetrying { .. } => "revocation_write_failed",
            FeedEvent::WriteFailing { .. } => "revocation_write_failing",
            FeedEvent::WriteRecovered => "revocation_write_recovered",
            FeedEvent::Stale => "feed_stale",
            FeedEvent::Fresh => "feed_fresh",
        }
    }
}

fn log(event: &FeedEvent) {
    let name = event.name();
    if event.is_warning() {
        tracing::warn!(target: TARGET, event = name, detail = %event);
    } else {
        tracing::info!(target: TARGET, event = name, detail = %event);
    }
}

impl Shared {
    fn emit(&self, event: &FeedEvent) {
        log(event);
        if let Some(hook) = &self.hook {
            hook(event);
        }
    }

    /// Whether `msg` may be queued for re-publishing: `false` while an
    /// earlier resync's copy of it still waits in the queue (it is marked
    /// as waiting from now on).
    fn republishing(&self, msg: &str) -> bool {
        self.pending_republish
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(msg.to_owned())
    }

    /// A re-published message was written.
    fn republished(&self, msg: &str) {
        self.pending_republish
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(msg);
    }

    /// Queues an item; `false` once the feed is gone.
    fn enqueue(&self, item: Item) -> bool {
        let revocation = matches!(item, Item::Revoke(..) | Item::Republish(..));
        if revocation {
            self.counters.pending.fetch_add(1, Ordering::AcqRel);
        }
        if self.queue.send(item).is_err() {
            if revocation {
                self.counters.pending.fetch_sub(1, Ordering::AcqRel);
            }
            return false;
        }
        true
    }

    /// Queues the next heartbeat, remembering when; `false` once the feed
    /// is gone.
    fn send_beat(&self) -> bool {
        let seq = self
            .next_beat
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        {
            let mut beats = self.beats.lock().unwrap_or_else(PoisonError::into_inner);
            beats.sent.push_back((seq, Instant::now()));
            // Bounded memory during a long outage: the oldest ones can
            // only confirm times already past the bound.
            while beats.sent.len() > 4096 {
                beats.sent.pop_front();
            }
        }
        self.enqueue(Item::Beat(seq))
    }

    fn beat_acknowledged(&self, seq: u64) {
        let mut beats = self.beats.lock().unwrap_or_else(PoisonError::into_inner);
        beats.acked = beats.acked.max(seq);
        self.confirm(&mut beats);
    }

    fn beat_heard(&self, seq: u64) {
        let mut beats = self.beats.lock().unwrap_or_else(PoisonError::into_inner);
        beats.heard = beats.heard.max(seq);
        self.confirm(&mut beats);
    }

    /// Confirms the set as of the latest heartbeat both acknowledged and
    /// read back: everything queued before it was written, and the reader
    /// has applied everything the stream held before it.
    fn confirm(&self, beats: &mut Beats) {
        if let Some(at) = beats.proven() {
            self.link.confirm(at);
        }
    }

    fn write_failed(&self, error: &str, failing_for: Duration, reported: &mut bool) {
        let first = {
            let mut writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
            writes.last_error = Some(error.to_owned());
            let first = writes.failing_since.is_none();
            if first {
                writes.failing_since = Instant::now().checked_sub(failing_for);
            }
            first
        };
        if first {
            self.emit(&FeedEvent::WriteRetrying {
                error: error.to_owned(),
            });
        }
        if !*reported && failing_for >= self.bound {
            *reported = true;
            self.writes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .reported = true;
            self.emit(&FeedEvent::WriteFailing {
                error: error.to_owned(),
                failing_for,
            });
        }
    }

    fn write_recovered(&self) {
        {
            let mut writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
            writes.failing_since = None;
            writes.last_error = None;
            writes.reported = false;
        }
        self.emit(&FeedEvent::WriteRecovered);
    }
}

/// Where the feed connects: one Redis ([`Client`]: `redis://`,
/// `rediss://`, with user and password in the URL), or the current primary
/// of a Redis Sentinel setup, asked again on every reconnect.
///
/// # Example
/// ```
/// use sealed_session_redis::{Client, Connector, SentinelClient, SentinelServerType};
///
/// let one: Connector = Client::open("rediss://feed:secret@redis.example:6380/")?.into();
/// let sentinels = SentinelClient::build(
///     vec!["redis://10.0.0.1:26379/", "redis://10.0.0.2:26379/", "redis://10.0.0.3:26379/"],
///     "mymaster",
///     None,
///     SentinelServerType::Master,
/// )?;
/// let ha = Connector::sentinel(sentinels);
/// # let _ = (one, ha);
/// # Ok::<(), sealed_session_redis::RedisError>(())
/// ```
#[derive(Clone)]
pub struct Connector(ConnectorKind);

#[derive(Clone)]
enum ConnectorKind {
    Client(Box<Client>),
    Sentinel(Arc<tokio::sync::Mutex<SentinelClient>>),
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            ConnectorKind::Client(_) => "Connector::Client",
            ConnectorKind::Sentinel(_) => "Connector::Sentinel",
        })
    }
}

impl From<Client> for Connector {
    fn from(client: Client) -> Connector {
        Connector(ConnectorKind::Client(Box::new(client)))
    }
}

impl Connector {
    /// Connects to the primary that the sentinels name (for a client built
    /// with [`SentinelServerType::Master`]); every reconnect asks again, so
    /// the feed follows a failover. Give the primary's user, password and
    /// TLS settings in the client's [`SentinelNodeConnectionInfo`].
    ///
    /// # Example
    /// ```
    /// use sealed_session_redis::{Connector, SentinelClient, SentinelServerType};
    ///
    /// let sentinels = SentinelClient::build(
    ///     vec!["redis://127.0.0.1:26379/"],
    ///     "mymaster",
    ///     None,
    ///     SentinelServerType::Master,
    /// )?;
    /// let connector = Connector::sentinel(sentinels);
    /// # let _ = connector;
    /// # Ok::<(), sealed_session_redis::RedisError>(())
    /// ```
    #[must_use]
    pub fn sentinel(client: SentinelClient) -> Connector {
        Connector(ConnectorKind::Sentinel(Arc::new(tokio::sync::Mutex::new(
            client,
        ))))
    }

    /// [`Connector::sentinel`] from the sentinels' addresses and the name
    /// of the monitored primary (`sentinel monitor <name> ...`); `node`
    /// carries the primary's user, password and TLS settings (`None`: no
    /// authentication, plain TCP).
    ///
    /// # Errors
    /// A malformed sentinel address.
    ///
    /// # Example
    /// ```
    /// use sealed_session_redis::Connector;
    ///
    /// let connector = Connector::from_sentinels(
    ///     vec!["redis://10.0.0.1:26379/", "redis://10.0.0.2:26379/", "redis://10.0.0.3:26379/"],
    ///     "mymaster",
    ///     None,
    /// )?;
    /// # let _ = connector;
    /// # Ok::<(), sealed_session_redis::RedisError>(())
    /// ```
    pub fn from_sentinels<T: IntoConnectionInfo>(
        sentinels: Vec<T>,
        primary: &str,
        node: Option<SentinelNodeConnectionInfo>,
    ) -> Result<Connector, RedisError> {
        SentinelClient::build(sentinels, primary, node, SentinelServerType::Master)
            .map(Connector::sentinel)
    }

    async fn client(&self) -> Result<Client, RedisError> {
        match &self.0 {
            ConnectorKind::Client(client) => Ok(Client::clone(client)),
            ConnectorKind::Sentinel(sentinel) => sentinel.lock().await.async_get_client().await,
        }
    }
}

/// The name the feed's connections give themselves (`CLIENT LIST` shows it).
const CLIENT_NAME: &str = "sealed-session-revocation-feed";

/// A new connection with the given response timeout.
async fn connect(shared: &Shared, response: Duration) -> Result<MultiplexedConnection, RedisError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(shared.bound.max(Duration::from_millis(500))))
        .set_response_timeout(Some(response));
    let client = shared.connector.client().await?;
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg(CLIENT_NAME)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(conn)
}

/// A running feed: the handle the application keeps (dropping it stops the
/// feed, and the set goes stale after the bound). Its background tasks (one
/// reader, one writer, one heartbeat ticker) run on the tokio runtime it
/// was started on.
///
/// # Example
/// ```no_run
/// use sealed_session::{Key, KeyRing, RevocationSet, SessionStore};
/// use sealed_session_redis::{Client, RedisFeed, RedisFeedConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let revoked = RevocationSet::new(&store);
/// let feed = RedisFeed::start(Client::open("redis://127.0.0.1/")?, &revoked, RedisFeedConfig::default())?;
/// // ... serve requests, checking `revoked` ...
/// feed.shutdown().await;
/// # Ok(()) }
/// ```
#[must_use = "dropping the feed stops it, and the set turns stale: every signed-in request then fails closed (503)"]
pub struct RedisFeed {
    shared: Arc<Shared>,
    tasks: [JoinHandle<()>; 3],
}

impl fmt::Debug for RedisFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisFeed")
            .field("stream", &self.shared.stream)
            .field("snapshot", &self.shared.snapshot)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RedisFeed {
    /// Attaches a feed to `set` and starts it on the current tokio runtime.
    /// It returns at once: the set answers user sessions
    /// [`RevocationError::Stale`](sealed_session::RevocationError::Stale)
    /// until the feed has loaded the snapshot, written a heartbeat and read
    /// it back ([`RedisFeed::wait_fresh`] waits for that). If Redis is
    /// unreachable the feed keeps retrying in the background.
    ///
    /// From now on [`RevocationSet::revoke`] on `set` (and so the layer's
    /// logouts) also queue the revocation to be written to
    /// Redis (never dropped); [`RedisFeed::revoke`] also waits for the
    /// write.
    ///
    /// # Errors
    /// [`FeedError::NoRuntime`] outside a tokio runtime,
    /// [`FeedError::AlreadyFed`] if the set has a feed,
    /// [`FeedError::Config`] for an invalid setting.
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session_redis::{Client, RedisFeed, RedisFeedConfig};
    /// # use sealed_session::RevocationSet;
    /// # async fn run(revoked: RevocationSet) -> Result<(), Box<dyn std::error::Error>> {
    /// let feed = RedisFeed::start(Client::open("redis://127.0.0.1/")?, &revoked, RedisFeedConfig::default())?;
    /// # let _ = feed;
    /// # Ok(()) }
    /// ```
    pub fn start(
        connector: impl Into<Connector>,
        set: &RevocationSet,
        config: RedisFeedConfig,
    ) -> Result<RedisFeed, FeedError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| FeedError::NoRuntime)?;
        config.validate()?;
        let counters = Arc::new(Counters::default());
        let (queue, queued) = tokio::sync::mpsc::unbounded_channel::<Item>();
        let link = {
            let counters = Arc::clone(&counters);
            let queue = queue.clone();
            set.attach_feed(config.options, move |revocation| {
                counters.pending.fetch_add(1, Ordering::AcqRel);
                // Unbounded: never blocks, never discards. It fails only
                // once the feed is stopped (the set is stale then).
                if queue.send(Item::Revoke(revocation.clone(), None)).is_err() {
                    counters.pending.fetch_sub(1, Ordering::AcqRel);
                    tracing::warn!(
                        target: TARGET,
                        "revocation feed stopped: a revocation was applied on this server only"
                    );
                }
            })
            .ok_or(FeedError::AlreadyFed)?
        };
        let shared = Arc::new(Shared {
            connector: connector.into(),
            link,
            stream: config.stream_key(),
            snapshot: config.snapshot_key(),
            bound: config.options.bound(),
            block: config.block_time(),
            maxlen: config.maxlen,
            batch: config.batch,
            hook: config.hook,
            counters,
            queue,
            nonce: rand::random(),
            next_beat: AtomicU64::new(0),
            beats: Mutex::default(),
            writes: Mutex::default(),
            pending_republish: Mutex::default(),
        });
        let tasks = [
            runtime.spawn(reader::run(Arc::clone(&shared))),
            runtime.spawn(writer::run(Arc::clone(&shared), queued)),
            runtime.spawn(writer::heartbeats(Arc::clone(&shared))),
        ];
        Ok(RedisFeed { shared, tasks })
    }

    /// Applies `revocation` here at once, queues it to be written (like
    /// [`RevocationSet::revoke`]) and waits until Redis acknowledged it, at
    /// most the staleness bound.
    ///
    /// # Errors
    /// [`FeedError::NotAcknowledged`] if Redis did not acknowledge it within
    /// the bound: it is in force on this server, stays queued and is
    /// retried until written; this server is stale until then.
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session_redis::RedisFeed;
    /// # use sealed_session::{Revocation, SessionId};
    /// # async fn run(feed: RedisFeed) -> Result<(), sealed_session_redis::FeedError> {
    /// let expires_at = sealed_session::time::OffsetDateTime::now_utc() + sealed_session::time::Duration::hours(1);
    /// feed.revoke(Revocation::Session { id: SessionId::from_u64(7), expires_at }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, revocation: Revocation) -> Result<(), FeedError> {
        self.shared.link.apply(&revocation);
        let (done, acked) = tokio::sync::oneshot::channel();
        if !self.shared.enqueue(Item::Revoke(revocation, Some(done))) {
            return Err(FeedError::Stopped);
        }
        match tokio::time::timeout(self.shared.bound, acked).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(FeedError::Stopped),
            Err(_) => Err(FeedError::NotAcknowledged),
        }
    }

    /// [`RedisFeed::revoke`] of an opened cookie's session ("log out this
    /// device", on every server).
    ///
    /// # Errors
    /// As [`RedisFeed::revoke`].
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session_redis::RedisFeed;
    /// # async fn run(feed: RedisFeed, info: sealed_session::SessionInfo) -> Result<(), sealed_session_redis::FeedError> {
    /// feed.revoke_session(&info).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_session(&self, info: &SessionInfo) -> Result<(), FeedError> {
        self.revoke(Revocation::of_session(info)).await
    }

    /// [`RedisFeed::revoke`] of every session of `user` that logged in at
    /// or before `logged_in_until` ("log out everywhere", on every server).
    ///
    /// # Errors
    /// As [`RedisFeed::revoke`].
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session_redis::RedisFeed;
    /// # use sealed_session::UserId;
    /// # async fn run(feed: RedisFeed) -> Result<(), sealed_session_redis::FeedError> {
    /// feed.revoke_user(&UserId::from(42u64), sealed_session::time::OffsetDateTime::now_utc()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_user(
        &self,
        user: &UserId,
        logged_in_until: OffsetDateTime,
    ) -> Result<(), FeedError> {
        self.revoke(Revocation::User {
            user: user.clone(),
            logged_in_until,
        })
        .await
    }

    /// Waits until the set is fresh (the feed proved within the bound that
    /// writes are accepted and read back), at most `timeout`. Call it at
    /// start-up before taking traffic.
    ///
    /// # Errors
    /// [`FeedError::Timeout`] if it is still stale after `timeout`.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session_redis::RedisFeed) -> Result<(), sealed_session_redis::FeedError> {
    /// feed.wait_fresh(std::time::Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_fresh(&self, timeout: Duration) -> Result<(), FeedError> {
        let start = Instant::now();
        while self.shared.link.set().is_stale() {
            if start.elapsed() >= timeout {
                return Err(FeedError::Timeout);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// Waits until every queued revocation has been acknowledged by Redis,
    /// at most `timeout`.
    ///
    /// # Errors
    /// [`FeedError::Timeout`] if some are still waiting after `timeout`
    /// (they stay queued).
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session_redis::RedisFeed) -> Result<(), sealed_session_redis::FeedError> {
    /// feed.flush(std::time::Duration::from_secs(1)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn flush(&self, timeout: Duration) -> Result<(), FeedError> {
        let start = Instant::now();
        while self.shared.counters.pending.load(Ordering::Acquire) > 0 {
            if start.elapsed() >= timeout {
                return Err(FeedError::Timeout);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok(())
    }

    /// The feed's state for health checks: fresh or not, the write error
    /// if writes have failed for longer than the bound, and how many
    /// revocations wait for Redis.
    ///
    /// # Example
    /// ```no_run
    /// # fn run(feed: &sealed_session_redis::RedisFeed) {
    /// let health = feed.health();
    /// assert!(health.fresh || health.write_error.is_some() || health.unacknowledged > 0 || true);
    /// # }
    /// ```
    #[must_use]
    pub fn health(&self) -> FeedHealth {
        let (failing_for, write_error) = {
            let writes = self
                .shared
                .writes
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            (
                writes.failing_since.map(|since| since.elapsed()),
                writes.last_error.clone().filter(|_| writes.reported),
            )
        };
        FeedHealth {
            fresh: !self.shared.link.set().is_stale(),
            write_error,
            failing_for,
            unacknowledged: self.shared.counters.pending.load(Ordering::Acquire),
        }
    }

    /// The feed's counters.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session_redis::RedisFeed) {
    /// assert_eq!(feed.stats().rejected, 0);
    /// # }
    /// ```
    #[must_use]
    pub fn stats(&self) -> FeedStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FeedStats {
            applied: get(&c.applied),
            rejected: get(&c.rejected),
            resyncs: get(&c.resyncs),
            gaps: get(&c.gaps),
            connections: get(&c.connections),
            published: get(&c.published),
            publish_failures: get(&c.publish_failures),
            republished: get(&c.republished),
        }
    }

    /// The set this feed feeds.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session_redis::RedisFeed) {
    /// let revoked = feed.set().clone();
    /// # let _ = revoked;
    /// # }
    /// ```
    #[must_use]
    pub fn set(&self) -> &RevocationSet {
        self.shared.link.set()
    }

    /// Stops the feed: writes what is queued (waiting at most the
    /// staleness bound), then ends its tasks. The set then goes stale
    /// after the bound.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session_redis::RedisFeed) {
    /// feed.shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        let _ = self.flush(self.shared.bound).await;
        for task in &self.tasks {
            task.abort();
        }
        // They end only by being aborted: wait until they have.
        for task in &mut self.tasks {
            let _ = task.await;
        }
    }
}

impl Drop for RedisFeed {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_proves_freshness_only_once_acknowledged_and_read_back() {
        let t0 = Instant::now();
        let at = |n: u64| t0 + Duration::from_millis(n);
        let mut beats = Beats::default();
        beats.sent.extend([(1, at(1)), (2, at(2)), (3, at(3))]);
        // read back but not acknowledged (the reply was lost): nothing
        beats.heard = 2;
        assert_eq!(beats.proven(), None);
        // acknowledged but not read back (the reader is behind): only up to what was read
        beats.acked = 3;
        assert_eq!(beats.proven(), Some(at(2)));
        assert_eq!(beats.proven(), None, "once");
        // a forged or unknown sequence proves nothing beyond what was sent and acknowledged
        beats.heard = 99;
        assert_eq!(beats.proven(), Some(at(3)));
        assert!(beats.sent.is_empty());
        beats.sent.push_back((4, at(4)));
        assert_eq!(beats.proven(), None, "4 is not acknowledged");
    }

    #[test]
    fn events_display_lower_case() {
        for event in [
            FeedEvent::Connected,
            FeedEvent::Stale,
            FeedEvent::Fresh,
            FeedEvent::WriteRecovered,
            FeedEvent::WriteRetrying { error: "x".into() },
            FeedEvent::WriteFailing {
                error: "x".into(),
                failing_for: Duration::from_secs(2),
            },
            FeedEvent::Resynced {
                entries: 1,
                gap: true,
                republished: 2,
            },
        ] {
            let text = event.to_string();
            assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
        }
        for error in [
            FeedError::Timeout,
            FeedError::NotAcknowledged,
            FeedError::Stopped,
        ] {
            let text = error.to_string();
            assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
        }
        assert!(FeedEvent::Stale.is_warning());
        assert!(!FeedEvent::Fresh.is_warning());
        assert!(
            FeedEvent::Resynced {
                entries: 0,
                gap: false,
                republished: 1
            }
            .is_warning()
        );
    }
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
