//! Revocations shared across a fleet through Redis (feature `redis`, on
//! redis-rs 1.x and tokio; Redis 7.0 or later).
//!
//! [`RedisFeed::start`] attaches a feed to a [`RevocationSet`]: every
//! server keeps its own set in memory and checks requests against it with
//! no network call, and the feed keeps the sets in step.
//!
//! # How it works
//!
//! * **Durable feed: a stream.** A revocation is written with one `MULTI`
//!   transaction: `XADD <prefix>:stream MAXLEN ~ N * m <message>` and
//!   `ZADD <prefix>:snapshot <deadline> <message>`, plus pruning of the
//!   snapshot's expired members and its key TTL. The server that revokes
//!   applies it to its own set at once.
//! * **Reading: `XREAD BLOCK` from the last seen id**, on the feed's own
//!   connection (a blocking read holds a multiplexed connection), whose
//!   response timeout is longer than the block time (redis-rs's default of
//!   500 ms is not). The block time is a quarter of the staleness bound, so
//!   even a quiet stream answers (empty) well within the bound: silence
//!   still proves the server is caught up.
//! * **Snapshot: one sorted set.** Member = the message, score = the unix
//!   second the entry may go (the session's deadline plus the leeway, or
//!   the user's time plus the lifetime plus the leeway): each member's
//!   remaining life. Writers remove expired members in the same
//!   transaction (`ZREMRANGEBYSCORE -inf <now>`) and keep the key's TTL at
//!   the latest deadline (`EXPIRE NX`, then `EXPIRE GT`), so the key holds
//!   only live revocations and disappears when they are all gone. Reading
//!   it is `ZSCAN` over that one key: its cost is the number of live
//!   revocations, independent of the size of the keyspace and of the number
//!   of servers (there is no `SCAN` anywhere, and nothing per server is
//!   stored in Redis).
//! * **Start-up and every reconnect, in this order:** read the stream's
//!   current last id (`XINFO STREAM`), then load the snapshot, then read
//!   the stream from that id. A revocation written before the id is in the
//!   snapshot (both are written in one transaction); one written after it
//!   comes through the stream; applying twice is harmless. Nothing is
//!   missed.
//! * **Gaps.** After each non-empty read the feed compares the stream's
//!   `max-deleted-entry-id` with the id it read from: if trimming
//!   (`MAXLEN`) removed an entry it had not read, or the stream was
//!   recreated, it resynchronises from the snapshot as above.
//! * **Staleness.** The feed confirms it is caught up after each read that
//!   came back with less than a full batch, as of the moment that read was
//!   sent. User sessions are answered [`RevocationError::Stale`](crate::RevocationError::Stale) once the
//!   last confirmation is older than the bound (default 1 s): while Redis
//!   is up, a revocation takes effect on every server within the bound of
//!   its `MULTI` being acknowledged, and while it is down, user sessions
//!   fail closed after the bound (anonymous sessions are not affected).
//!   When Redis is back the feed reconnects, resynchronises and is fresh
//!   again by itself.
//! * **No pub/sub**: the blocking read is the wake-up.
//!
//! # Message format, version 1
//!
//! ASCII, at most [`MAX_MESSAGE_LEN`] bytes, fields separated by `:`, the
//! first field the version:
//!
//! * `1:s:<session id, 16 lowercase hex digits>:<expires_at, unix seconds>`
//! * `1:u:<logged_in_until, unix seconds>:i:<integer user id>`
//! * `1:u:<logged_in_until, unix seconds>:t:<text user id, 1 to 128 bytes of UTF-8>`
//!
//! A stream entry has exactly one field, `m`, holding the message; a
//! snapshot member is the message itself. Anything else (another version,
//! a malformed or oversized message, other entry fields) is rejected,
//! counted in [`FeedStats::rejected`], reported to the event hook, and
//! never applied.
//!
//! # Example
//! ```no_run
//! use sealed_session::redis::{Client, RedisFeed, RedisFeedConfig};
//! use sealed_session::{Key, KeyRing, RevocationSet, SessionStore, UserId};
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
//! revoked.check_opened(&opened)?;
//!
//! // log out everywhere, on every server
//! feed.revoke_user(&UserId::from(1u64), time::OffsetDateTime::now_utc()).await?;
//! # Ok(()) }
//! ```

mod message;
mod reader;
mod writer;

use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use ::redis::Client;
use ::redis::RedisError;
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::OffsetDateTime;
use tokio::task::JoinHandle;

pub use self::message::{MAX_MESSAGE_LEN, RejectReason};
use crate::epoch::UserId;
use crate::revocation::{
    AlreadyFed, FeedLink, FeedOptions, NoSessionId, Revocation, RevocationSet,
};
use crate::session::SessionInfo;

/// The default key prefix: keys `{sealed-session}:revocations:stream` and
/// `{sealed-session}:revocations:snapshot` (one hash slot).
///
/// # Example
/// ```
/// use sealed_session::redis::{DEFAULT_KEY_PREFIX, RedisFeedConfig};
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
/// use sealed_session::redis::{DEFAULT_STREAM_MAXLEN, RedisFeedConfig};
///
/// let config = RedisFeedConfig::default().stream_maxlen(DEFAULT_STREAM_MAXLEN * 2);
/// # let _ = config;
/// ```
pub const DEFAULT_STREAM_MAXLEN: usize = 100_000;

/// Shortest staleness bound accepted.
const MIN_BOUND: Duration = Duration::from_millis(20);

/// What the feed reports to its event hook ([`RedisFeedConfig::on_event`]).
/// The default hook prints the warnings (every variant but
/// [`FeedEvent::Connected`] and [`FeedEvent::Resynced`]) to standard error.
///
/// # Example
/// ```
/// use sealed_session::redis::{FeedEvent, RejectReason};
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
    },
    /// Writing a revocation to Redis failed (it is already applied here;
    /// queued revocations are retried).
    PublishFailed {
        /// The error, as redis-rs printed it.
        error: String,
    },
    /// The queue of revocations waiting to be written was full: one was
    /// applied here but will not be shared.
    PublishDropped,
}

impl FeedEvent {
    /// Whether the default hook prints it.
    ///
    /// # Example
    /// ```
    /// assert!(!sealed_session::redis::FeedEvent::Connected.is_warning());
    /// ```
    #[must_use]
    pub fn is_warning(&self) -> bool {
        !matches!(self, FeedEvent::Connected | FeedEvent::Resynced { .. })
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
            FeedEvent::Resynced { entries, gap } => write!(
                f,
                "feed resynchronised from the snapshot ({entries} entries{})",
                if *gap { ", after a gap" } else { "" }
            ),
            FeedEvent::PublishFailed { error } => {
                write!(f, "writing a revocation to redis failed: {error}")
            }
            FeedEvent::PublishDropped => {
                f.write_str("publish queue full: a revocation was applied locally only")
            }
        }
    }
}

type Hook = Arc<dyn Fn(&FeedEvent) + Send + Sync>;

fn default_hook(event: &FeedEvent) {
    if event.is_warning() {
        eprintln!("sealed-session: redis revocation feed: {event}");
    }
}

/// Settings of a [`RedisFeed`].
///
/// # Example
/// ```
/// use std::time::Duration;
/// use sealed_session::redis::RedisFeedConfig;
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
    queue: usize,
    hook: Hook,
}

impl fmt::Debug for RedisFeedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisFeedConfig")
            .field("prefix", &self.prefix)
            .field("options", &self.options)
            .field("block", &self.block_time())
            .field("maxlen", &self.maxlen)
            .field("batch", &self.batch)
            .field("queue", &self.queue)
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
            batch: 512,
            queue: 10_000,
            hook: Arc::new(default_hook),
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
    /// let config = sealed_session::redis::RedisFeedConfig::default().key_prefix("app1");
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
    /// let config = sealed_session::redis::RedisFeedConfig::default().staleness_bound(Duration::from_secs(2));
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
    /// let config = sealed_session::redis::RedisFeedConfig::default().dangerously_fail_open();
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
    /// let config = sealed_session::redis::RedisFeedConfig::default().block(Duration::from_millis(100));
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
    /// let config = sealed_session::redis::RedisFeedConfig::default().stream_maxlen(1_000);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn stream_maxlen(mut self, maxlen: usize) -> RedisFeedConfig {
        self.maxlen = maxlen.max(1);
        self
    }

    /// The most stream entries one read takes (`COUNT`, default 512).
    ///
    /// # Example
    /// ```
    /// let config = sealed_session::redis::RedisFeedConfig::default().batch(64);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn batch(mut self, batch: usize) -> RedisFeedConfig {
        self.batch = batch.max(1);
        self
    }

    /// How many revocations made through [`RevocationSet::revoke`] (which
    /// does not wait) may wait to be written (default 10 000).
    ///
    /// # Example
    /// ```
    /// let config = sealed_session::redis::RedisFeedConfig::default().queue(100);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn queue(mut self, queue: usize) -> RedisFeedConfig {
        self.queue = queue.max(1);
        self
    }

    /// Where the feed reports what happens (rejected messages, lost
    /// connections, ...). By default the warnings go to standard error.
    /// The hook must not block or panic.
    ///
    /// # Example
    /// ```
    /// use sealed_session::redis::{FeedEvent, RedisFeedConfig};
    ///
    /// let config = RedisFeedConfig::default().on_event(|event: &FeedEvent| {
    ///     if event.is_warning() {
    ///         eprintln!("revocations: {event}");
    ///     }
    /// });
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn on_event(
        mut self,
        hook: impl Fn(&FeedEvent) + Send + Sync + 'static,
    ) -> RedisFeedConfig {
        self.hook = Arc::new(hook);
        self
    }

    /// The stream's key.
    ///
    /// # Example
    /// ```
    /// let config = sealed_session::redis::RedisFeedConfig::default();
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
    /// let config = sealed_session::redis::RedisFeedConfig::default();
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
    /// assert_eq!(sealed_session::redis::RedisFeedConfig::default().block_time(), Duration::from_millis(250));
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
/// use sealed_session::redis::FeedError;
///
/// assert_eq!(FeedError::NoRuntime.to_string(), "no tokio runtime to run the revocation feed on");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum FeedError {
    /// Redis answered with an error, or could not be reached. For a write,
    /// the revocation is already applied on this server.
    Redis(RedisError),
    /// [`RedisFeed::start`] outside a tokio runtime.
    NoRuntime,
    /// The set already has a feed.
    AlreadyFed,
    /// The session has no session id to revoke (no opened cookie lacks
    /// one since format v1 was dropped).
    NoSessionId,
    /// An invalid setting.
    Config(&'static str),
    /// [`RedisFeed::wait_fresh`] or [`RedisFeed::flush`] timed out.
    Timeout,
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::Redis(err) => write!(f, "redis: {err}"),
            FeedError::NoRuntime => f.write_str("no tokio runtime to run the revocation feed on"),
            FeedError::AlreadyFed => AlreadyFed.fmt(f),
            FeedError::NoSessionId => NoSessionId.fmt(f),
            FeedError::Config(what) => write!(f, "invalid redis feed setting: {what}"),
            FeedError::Timeout => f.write_str("timed out waiting for the revocation feed"),
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
/// # async fn run(feed: sealed_session::redis::RedisFeed) {
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
    /// Revocations written to Redis.
    pub published: u64,
    /// Failed writes (queued ones are retried).
    pub publish_failures: u64,
    /// Revocations dropped because the write queue was full.
    pub dropped: u64,
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
    dropped: AtomicU64,
    /// Revocations queued and not yet written (or given up).
    pending: AtomicUsize,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// What the reader and writer tasks share.
struct Shared {
    client: Client,
    link: FeedLink,
    stream: String,
    snapshot: String,
    bound: Duration,
    block: Duration,
    maxlen: usize,
    batch: usize,
    hook: Hook,
    counters: Arc<Counters>,
    publisher: ConnectionManager,
}

impl Shared {
    fn emit(&self, event: &FeedEvent) {
        (self.hook)(event);
    }
}

/// A running feed: the handle the application keeps. Its background tasks
/// (one reader, one writer) run on the tokio runtime it was started on, and
/// stop when it is dropped or [shut down](RedisFeed::shutdown); the set
/// then goes stale after the bound (user sessions fail closed).
///
/// # Example
/// ```no_run
/// use sealed_session::redis::{Client, RedisFeed, RedisFeedConfig};
/// use sealed_session::{Key, KeyRing, RevocationSet, SessionStore};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let revoked = RevocationSet::new(&store);
/// let feed = RedisFeed::start(Client::open("redis://127.0.0.1/")?, &revoked, RedisFeedConfig::default())?;
/// // ... serve requests, checking `revoked` ...
/// feed.shutdown().await;
/// # Ok(()) }
/// ```
pub struct RedisFeed {
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
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
    /// [`RevocationError::Stale`](crate::RevocationError::Stale) until the feed has loaded the snapshot and
    /// caught up ([`RedisFeed::wait_fresh`] waits for that). If Redis is
    /// unreachable the feed keeps retrying in the background.
    ///
    /// From now on [`RevocationSet::revoke`] (and `revoke_session`,
    /// `revoke_user`) on `set` also queue the revocation to be written to
    /// Redis; [`RedisFeed::revoke`] writes it and waits.
    ///
    /// # Errors
    /// [`FeedError::NoRuntime`] outside a tokio runtime,
    /// [`FeedError::AlreadyFed`] if the set has a feed,
    /// [`FeedError::Config`] for an invalid setting,
    /// [`FeedError::Redis`] for an unusable client.
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session::redis::{Client, RedisFeed, RedisFeedConfig};
    /// # use sealed_session::RevocationSet;
    /// # async fn run(revoked: RevocationSet) -> Result<(), Box<dyn std::error::Error>> {
    /// let feed = RedisFeed::start(Client::open("redis://127.0.0.1/")?, &revoked, RedisFeedConfig::default())?;
    /// # let _ = feed;
    /// # Ok(()) }
    /// ```
    pub fn start(
        client: Client,
        set: &RevocationSet,
        config: RedisFeedConfig,
    ) -> Result<RedisFeed, FeedError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| FeedError::NoRuntime)?;
        config.validate()?;
        let publisher = client.get_connection_manager_lazy(
            ConnectionManagerConfig::new()
                .set_min_delay(Duration::from_millis(50))
                .set_max_delay(config.options.bound())
                .set_number_of_retries(3)
                .set_connection_timeout(Some(config.options.bound()))
                .set_response_timeout(Some(config.options.bound().max(Duration::from_secs(1)))),
        )?;
        let counters = Arc::new(Counters::default());
        let (queue, queued) = tokio::sync::mpsc::channel::<Revocation>(config.queue);
        let link = {
            let counters = Arc::clone(&counters);
            let hook = Arc::clone(&config.hook);
            set.attach_feed(config.options, move |revocation| {
                // Counted before sending, so the writer never sees it go
                // below zero.
                counters.pending.fetch_add(1, Ordering::AcqRel);
                if queue.try_send(revocation.clone()).is_err() {
                    counters.pending.fetch_sub(1, Ordering::AcqRel);
                    bump(&counters.dropped);
                    hook(&FeedEvent::PublishDropped);
                }
            })
            .map_err(|AlreadyFed| FeedError::AlreadyFed)?
        };
        let shared = Arc::new(Shared {
            client,
            link,
            stream: config.stream_key(),
            snapshot: config.snapshot_key(),
            bound: config.options.bound(),
            block: config.block_time(),
            maxlen: config.maxlen,
            batch: config.batch,
            hook: config.hook,
            counters,
            publisher,
        });
        let reader = runtime.spawn(reader::run(Arc::clone(&shared)));
        let writer = runtime.spawn(writer::run(Arc::clone(&shared), queued));
        Ok(RedisFeed {
            shared,
            reader,
            writer,
        })
    }

    /// Applies `revocation` here at once, then writes it to Redis (stream
    /// and snapshot, one transaction) and waits for the write.
    ///
    /// # Errors
    /// [`FeedError::Redis`] if the write failed: the revocation is in force
    /// on this server, but not (yet) on the others; retry, or tell the user.
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session::redis::RedisFeed;
    /// # use sealed_session::{Revocation, SessionId};
    /// # async fn run(feed: RedisFeed) -> Result<(), sealed_session::redis::FeedError> {
    /// let expires_at = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    /// feed.revoke(Revocation::session(SessionId::from_u64(7), expires_at)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, revocation: Revocation) -> Result<(), FeedError> {
        self.shared.link.apply(&revocation);
        match writer::publish(&self.shared, &revocation).await {
            Ok(()) => {
                bump(&self.shared.counters.published);
                Ok(())
            }
            Err(err) => {
                bump(&self.shared.counters.publish_failures);
                Err(FeedError::Redis(err))
            }
        }
    }

    /// [`RedisFeed::revoke`] of an opened cookie's session ("log out this
    /// device", on every server).
    ///
    /// # Errors
    /// [`FeedError::NoSessionId`] for a session without an id; otherwise as
    /// [`RedisFeed::revoke`].
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session::redis::RedisFeed;
    /// # async fn run(feed: RedisFeed, info: sealed_session::SessionInfo) -> Result<(), sealed_session::redis::FeedError> {
    /// feed.revoke_session(&info).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_session(&self, info: &SessionInfo) -> Result<(), FeedError> {
        let revocation = Revocation::of_session(info).ok_or(FeedError::NoSessionId)?;
        self.revoke(revocation).await
    }

    /// [`RedisFeed::revoke`] of every session of `user` that logged in at
    /// or before `logged_in_until` ("log out everywhere", on every server).
    ///
    /// # Errors
    /// As [`RedisFeed::revoke`].
    ///
    /// # Example
    /// ```no_run
    /// # use sealed_session::redis::RedisFeed;
    /// # use sealed_session::UserId;
    /// # async fn run(feed: RedisFeed) -> Result<(), sealed_session::redis::FeedError> {
    /// feed.revoke_user(&UserId::from(42u64), time::OffsetDateTime::now_utc()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_user(
        &self,
        user: &UserId,
        logged_in_until: OffsetDateTime,
    ) -> Result<(), FeedError> {
        self.revoke(Revocation::user(user.clone(), logged_in_until))
            .await
    }

    /// Waits until the set is fresh (the feed confirmed it is caught up
    /// within the bound), at most `timeout`.
    ///
    /// # Errors
    /// [`FeedError::Timeout`] if it is still stale after `timeout`.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session::redis::RedisFeed) -> Result<(), sealed_session::redis::FeedError> {
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

    /// Waits until every revocation queued by [`RevocationSet::revoke`] has
    /// been written (or given up because it expired), at most `timeout`.
    ///
    /// # Errors
    /// [`FeedError::Timeout`] if some are still waiting after `timeout`.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session::redis::RedisFeed) -> Result<(), sealed_session::redis::FeedError> {
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

    /// The feed's counters.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session::redis::RedisFeed) {
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
            dropped: get(&c.dropped),
        }
    }

    /// The set this feed feeds.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session::redis::RedisFeed) {
    /// let revoked = feed.set().clone();
    /// # let _ = revoked;
    /// # }
    /// ```
    #[must_use]
    pub fn set(&self) -> &RevocationSet {
        self.shared.link.set()
    }

    /// Stops the feed: writes what is queued (waiting at most the
    /// staleness bound), then ends both tasks. The set then goes stale
    /// after the bound.
    ///
    /// # Example
    /// ```no_run
    /// # async fn run(feed: sealed_session::redis::RedisFeed) {
    /// feed.shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        let _ = self.flush(self.shared.bound).await;
        self.reader.abort();
        self.writer.abort();
        // Both end only by being aborted: wait until they have.
        let _ = (&mut self.reader).await;
        let _ = (&mut self.writer).await;
    }
}

impl Drop for RedisFeed {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}
