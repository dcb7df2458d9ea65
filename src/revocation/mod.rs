//! Revocation without a lookup per request: an in-memory set of revoked
//! sessions and users, checked with hash lookups and no I/O.
//!
//! Two kinds of entry:
//!
//! * **one session** ("log out this device"): every cookie that carries
//!   this [`SessionId`] is refused, including every later re-seal of it
//!   (re-seals keep the id). Kept until the session's absolute deadline plus
//!   the leeway, after which no cookie of it opens anyway.
//! * **one user up to a time** ("log out everywhere"): every session of the
//!   user that logged in at or before that time is refused. Kept until that
//!   time plus the store's lifetime plus the leeway: a session logged in by
//!   then has expired by then.
//!
//! The set is local memory. A feed (such as the `sealed-session-redis`
//! crate's `RedisFeed`) shares it across servers; a fed set knows when the feed
//! last confirmed it was caught up, and answers
//! [`RevocationError::Stale`] for user sessions once that is older than the
//! staleness bound (fail closed).

use core::cmp::Ordering as CmpOrdering;
use core::fmt;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration as StdDuration, Instant};

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::id::SessionId;
use crate::id::UserId;
use crate::session::SessionInfo;
use crate::store::SessionStore;
use crate::store::expiry::{self, datetime, unix};

/// The default staleness bound of a fed set: one second.
///
/// # Example
/// ```
/// assert_eq!(sealed_session::DEFAULT_STALENESS_BOUND, std::time::Duration::from_secs(1));
/// ```
pub const DEFAULT_STALENESS_BOUND: StdDuration = StdDuration::from_secs(1);

/// Session entries are spread over this many independently locked shards,
/// so a writer (an insert that grows a table, a purge batch) holds up only
/// the readers of one shard, for a short time.
const SHARDS: usize = 16;
/// `(id >> 32) & SHARD_MASK` picks a shard (`SHARDS` is a power of two);
/// the table inside uses the low and the top bits, independent of these.
const SHARD_MASK: u64 = 15;

/// The hasher of the session-id tables: the id is its own hash. Session
/// ids are uniformly random (64 bits from the CSPRNG, drawn by the server
/// and authenticated inside the cookie), so a client cannot pick them to
/// collide, and SipHash would only add its cost to every check.
#[derive(Clone, Copy, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u64` keys; a plain fold keeps it total.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdTable = HashMap<u64, i64, BuildHasherDefault<IdHasher>>;

/// Most expired entries removed per lock hold during a purge.
const PURGE_BATCH: usize = 1024;

/// One revocation: a session, or a user's sessions up to a login time.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, Revocation, SessionStore, UserId};
/// use time::OffsetDateTime;
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let cookie = store.seal_for_user(&UserId::from(7u64), 0, &())?;
/// let opened = store.open::<()>(cookie.value())?;
/// // this device
/// let device = Revocation::of_session(opened.info());
/// assert!(matches!(device, Revocation::Session { .. }));
/// // everywhere, for sessions logged in until now
/// let everywhere = Revocation::User { user: UserId::from(7u64), logged_in_until: OffsetDateTime::now_utc() };
/// assert!(matches!(everywhere, Revocation::User { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// Every cookie of the session with this id is revoked.
    Session {
        /// The session's id ([`SessionInfo::session_id`]).
        id: SessionId,
        /// The session's absolute deadline ([`SessionInfo::expires_at`]):
        /// the entry is kept until then plus the leeway.
        expires_at: OffsetDateTime,
    },
    /// Every session of `user` that logged in at or before
    /// `logged_in_until` is revoked.
    User {
        /// Whose sessions.
        user: UserId,
        /// Sessions with [`SessionInfo::login_at`] at or before this time
        /// (to the second) are revoked; later logins are not.
        logged_in_until: OffsetDateTime,
    },
}

impl Revocation {
    /// The revocation of the session an opened cookie belongs to, kept until
    /// the cookie's own absolute deadline (not one this server's policy
    /// capped it to: another server may accept the cookie until then).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, Revocation, SessionStore};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let cookie = store.seal(&())?;
    /// let opened = store.open::<()>(cookie.value())?;
    /// let Revocation::Session { id, expires_at } = Revocation::of_session(opened.info()) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(id, opened.info().session_id());
    /// assert_eq!(expires_at, opened.info().expires_at());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn of_session(info: &SessionInfo) -> Revocation {
        // The cookie's own deadline, not the one this server's policy
        // capped it to: elsewhere it may open until then.
        Revocation::Session {
            id: info.session_id(),
            expires_at: datetime(info.cookie_expires_at.max(unix(info.expires_at()))),
        }
    }
}

/// Why [`RevocationSet::check`] refused a session.
///
/// Answer [`Revoked`](RevocationError::Revoked) like a revoked epoch (no
/// session, and the removal cookie), and [`Stale`](RevocationError::Stale)
/// like a failing epoch source (no session for this request, but keep the
/// cookie: it is accepted again once the feed has caught up).
///
/// # Example
/// ```
/// use sealed_session::RevocationError;
///
/// assert_eq!(RevocationError::Revoked.to_string(), "session revoked");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationError {
    /// The session, or every session of its user up to its login, was
    /// revoked.
    Revoked,
    /// A user session, and the set's feed has not confirmed within the
    /// staleness bound that the set is caught up: it cannot be sure the
    /// session was not revoked elsewhere (fail closed).
    Stale,
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RevocationError::Revoked => "session revoked",
            RevocationError::Stale => {
                "revocation list not confirmed up to date within its staleness bound"
            }
        })
    }
}

impl std::error::Error for RevocationError {}

/// How a fed set judges staleness (see [`RevocationSet::attach_feed`]).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use sealed_session::FeedOptions;
///
/// let options = FeedOptions::default().staleness_bound(Duration::from_millis(500));
/// assert_eq!(options.bound(), Duration::from_millis(500));
/// assert_ne!(options, FeedOptions::default().dangerously_fail_open());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedOptions {
    bound: StdDuration,
    fail_open: bool,
}

impl Default for FeedOptions {
    fn default() -> FeedOptions {
        FeedOptions {
            bound: DEFAULT_STALENESS_BOUND,
            fail_open: false,
        }
    }
}

impl FeedOptions {
    /// The longest a check trusts the feed's last confirmation that the set
    /// is caught up ([`DEFAULT_STALENESS_BOUND`], 1 s, by default). Older
    /// than that, user sessions are answered [`RevocationError::Stale`].
    ///
    /// # Example
    /// ```
    /// # use std::time::Duration;
    /// let options = sealed_session::FeedOptions::default().staleness_bound(Duration::from_secs(2));
    /// assert_eq!(options.bound(), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn staleness_bound(mut self, bound: StdDuration) -> FeedOptions {
        self.bound = bound;
        self
    }

    /// ⚠️ **Fail open**: when the feed is stale, accept user sessions
    /// anyway, with whatever the set knew when it last heard from the feed.
    /// A revocation made elsewhere during a feed outage is then **not**
    /// enforced on this server until the feed recovers, so a stolen cookie
    /// that was revoked keeps working for as long as the outage lasts. Only
    /// for applications that prefer availability to that guarantee.
    ///
    /// # Example
    /// ```
    /// let options = sealed_session::FeedOptions::default().dangerously_fail_open();
    /// assert_ne!(options, sealed_session::FeedOptions::default());
    /// ```
    #[must_use]
    pub fn dangerously_fail_open(mut self) -> FeedOptions {
        self.fail_open = true;
        self
    }

    /// The staleness bound.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sealed_session::FeedOptions::default().bound(), sealed_session::DEFAULT_STALENESS_BOUND);
    /// ```
    #[must_use]
    pub fn bound(&self) -> StdDuration {
        self.bound
    }
}

/// An expiry-ordered item: a key and the unix second its entry may go.
/// Ordered by the deadline only.
struct Due<K> {
    deadline: i64,
    key: K,
}

impl<K> PartialEq for Due<K> {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}
impl<K> Eq for Due<K> {}
impl<K> PartialOrd for Due<K> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Due<K> {
    // Reversed: `BinaryHeap` is a max-heap, the earliest deadline goes first.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other.deadline.cmp(&self.deadline)
    }
}

/// Revoked session ids (and their deadlines) of one shard.
#[derive(Default)]
struct SessionShard {
    /// Session id -> the unix second the entry may go.
    deadlines: IdTable,
    due: BinaryHeap<Due<u64>>,
}

/// Revoked users: the latest "logged in until" time of each.
#[derive(Default)]
struct UserTable {
    /// User -> (sessions logged in at or before this unix second are
    /// revoked, the purge deadline the entry was kept for: the lifetime can
    /// grow while it lives, see `RevocationSet::cover_store`).
    until: HashMap<UserId, (i64, i64)>,
    due: BinaryHeap<Due<UserId>>,
}

type Publisher = Box<dyn Fn(&Revocation) + Send + Sync>;

struct FeedState {
    bound_nanos: u64,
    fail_open: bool,
    /// Nanoseconds since `Inner::base` of the last confirmation, plus one;
    /// 0 = never confirmed.
    confirmed: AtomicU64,
    publish: Publisher,
    stale_answers: AtomicU64,
}

struct Inner {
    /// The store's lifetime and leeway, whole seconds; they only ever grow
    /// (`fetch_max`), following the longest-lived store the set served.
    lifetime: AtomicI64,
    leeway: AtomicI64,
    shards: [RwLock<SessionShard>; SHARDS],
    users: RwLock<UserTable>,
    /// Number of user entries (changed under the `users` write lock): a
    /// check of a user session skips the user table while it is empty.
    user_count: AtomicUsize,
    feed: OnceLock<FeedState>,
    /// The wall clock of revocations and purges (the store's).
    clock: Clock,
    base: Instant,
    /// Unix second after which the next write purges expired entries.
    next_purge: AtomicI64,
}

/// The in-memory revocation set. Cheap to clone (clones share it) and
/// thread-safe.
///
/// Two kinds of entry:
///
/// * **one session** ("log out this device", [`Revocation::of_session`]):
///   every cookie that carries this [`SessionId`] is refused, including every
///   later re-seal of it (re-seals keep the id). Kept until the session's
///   absolute deadline plus the leeway, after which no cookie of it opens.
/// * **one user up to a time** ("log out everywhere", [`Revocation::User`]):
///   every session of the user that logged in at or before that time is
///   refused. Kept until that time plus the store's lifetime plus the
///   leeway: a session logged in by then no longer opens by then.
///
/// The set is local memory. A feed (such as the Redis feed of the
/// `sealed-session-redis` crate) shares it across servers: see [`RevocationSet::attach_feed`].
///
/// A check is one or two hash lookups under a read lock, with no I/O.
/// Entries are spread over 16 shards, each behind its own `RwLock`, and
/// writers hold a lock only for one insert or one purge batch of at most
/// 1024 removals, so readers never wait long.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, Revocation, RevocationError, RevocationSet, SessionStore, UserId};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let revoked = RevocationSet::new(&store);
///
/// let alice = UserId::text("alice")?;
/// let phone = store.seal_for_user(&alice, 0, &())?;
/// let laptop = store.seal_for_user(&alice, 0, &())?;
/// let phone = store.open::<()>(phone.value())?;
/// let laptop = store.open::<()>(laptop.value())?;
/// assert_eq!(revoked.check(phone.info(), phone.user_id()), Ok(()));
///
/// // "log out this device" on the phone
/// revoked.revoke(Revocation::of_session(phone.info()));
/// assert_eq!(revoked.check(phone.info(), phone.user_id()), Err(RevocationError::Revoked));
/// assert_eq!(revoked.check(laptop.info(), laptop.user_id()), Ok(()));
///
/// // "log out everywhere"
/// revoked.revoke(Revocation::User { user: alice.clone(), logged_in_until: time::OffsetDateTime::now_utc() });
/// assert_eq!(revoked.check(laptop.info(), laptop.user_id()), Err(RevocationError::Revoked));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RevocationSet {
    inner: Arc<Inner>,
}

impl fmt::Debug for RevocationSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationSet")
            .field("sessions", &self.session_entries())
            .field("users", &self.user_entries())
            .field("fed", &self.inner.feed.get().is_some())
            .finish_non_exhaustive()
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

fn nanos(d: StdDuration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl RevocationSet {
    /// An empty set for cookies of `store`: entries live as long as its
    /// lifetime ([`SessionStore::ttl`]) and leeway say a matching cookie
    /// can still open. Not fed: never stale.
    ///
    /// Every server sharing revocations should run with the same lifetime
    /// and leeway. If you lengthen the store's lifetime, sessions revoked
    /// earlier keep the deadline recorded when they were revoked.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, RevocationSet, SessionStore};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let revoked = RevocationSet::new(&store);
    /// assert_eq!(revoked.stats().entries, 0);
    /// assert!(!revoked.is_stale());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(store: &SessionStore) -> RevocationSet {
        RevocationSet::build(store.ttl(), store.leeway(), store.clock().clone())
    }

    /// An empty set for sessions that live at most `lifetime` after their
    /// login and open up to `leeway` past their deadlines (negative values
    /// count as zero). [`RevocationSet::new`] takes both from a store.
    ///
    /// # Example
    /// ```
    /// use sealed_session::RevocationSet;
    /// use time::Duration;
    ///
    /// let revoked = RevocationSet::with_lifetime(Duration::hours(8), Duration::seconds(60));
    /// assert_eq!(revoked.stats().entries, 0);
    /// ```
    #[must_use]
    pub fn with_lifetime(lifetime: time::Duration, leeway: time::Duration) -> RevocationSet {
        RevocationSet::build(lifetime, leeway, Clock::system())
    }

    fn build(lifetime: time::Duration, leeway: time::Duration, clock: Clock) -> RevocationSet {
        let shards = core::array::from_fn(|_| RwLock::new(SessionShard::default()));
        RevocationSet {
            inner: Arc::new(Inner {
                lifetime: AtomicI64::new(expiry::secs(lifetime).unwrap_or(0)),
                leeway: AtomicI64::new(expiry::secs(leeway).unwrap_or(0)),
                shards,
                users: RwLock::new(UserTable::default()),
                user_count: AtomicUsize::new(0),
                feed: OnceLock::new(),
                clock,
                base: Instant::now(),
                next_purge: AtomicI64::new(i64::MIN),
            }),
        }
    }

    fn shard(&self, id: u64) -> &RwLock<SessionShard> {
        // Session ids are uniformly random: four of their bits pick the shard.
        let index = usize::try_from((id >> 32) & SHARD_MASK).unwrap_or(0);
        let [first, ..] = &self.inner.shards;
        // `index < SHARDS`: the fallback is never taken.
        self.inner.shards.get(index).unwrap_or(first)
    }

    /// Checks an opened cookie: its session id against the session entries,
    /// and, for a user session, its login time against the user's entry and
    /// the feed's freshness. Hash lookups only: no I/O, no epoch lookup.
    ///
    /// Anonymous sessions (`user` is `None`) are never stale: only a session
    /// id entry refuses them.
    ///
    /// # Errors
    /// [`RevocationError::Revoked`] if an entry matches (also when the feed
    /// is stale); [`RevocationError::Stale`] for a user session when the set
    /// is fed and its feed has not confirmed being caught up within the
    /// staleness bound (unless it [fails open](FeedOptions::dangerously_fail_open)).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, Opened, RevocationSet, SessionStore, UserId};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let revoked = RevocationSet::new(&store);
    /// let cookie = store.seal_for_user(&UserId::from(1u64), 0, &())?;
    /// let Opened::User(pending) = store.open::<()>(cookie.value())? else { unreachable!() };
    /// revoked.check(pending.info(), Some(pending.user_id()))?;
    /// let session = pending.verify_epoch(0)?;
    /// # let _ = session;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, info: &SessionInfo, user: Option<&UserId>) -> Result<(), RevocationError> {
        // The clock is read only when staleness matters.
        let now = match (user, self.inner.feed.get()) {
            (Some(_), Some(_)) => Some(Instant::now()),
            _ => None,
        };
        self.check_inner(info, user, now)
    }

    #[doc(hidden)] // a test hook: time comes from the clock
    pub fn check_at(
        &self,
        info: &SessionInfo,
        user: Option<&UserId>,
        now: Instant,
    ) -> Result<(), RevocationError> {
        self.check_inner(info, user, Some(now))
    }

    fn check_inner(
        &self,
        info: &SessionInfo,
        user: Option<&UserId>,
        now: Option<Instant>,
    ) -> Result<(), RevocationError> {
        // Read the feed's confirmation before the tables (Acquire): every
        // entry applied before that confirmation is then visible below.
        let confirmed = match (user, self.inner.feed.get()) {
            (Some(_), Some(feed)) => Some((feed, feed.confirmed.load(Ordering::Acquire))),
            _ => None,
        };
        let id = info.session_id().as_u64();
        if read(self.shard(id)).deadlines.contains_key(&id) {
            return Err(RevocationError::Revoked);
        }
        if let Some(user) = user
            && self.inner.user_count.load(Ordering::Acquire) > 0
        {
            let login = unix(info.login_at());
            if read(&self.inner.users)
                .until
                .get(user)
                .is_some_and(|(until, _)| login <= *until)
            {
                return Err(RevocationError::Revoked);
            }
        }
        if let Some((feed, confirmed)) = confirmed {
            let now = now.unwrap_or_else(Instant::now);
            if self.stale(feed, confirmed, now) {
                feed.stale_answers.fetch_add(1, Ordering::Relaxed);
                if !feed.fail_open {
                    return Err(RevocationError::Stale);
                }
            }
        }
        Ok(())
    }

    fn stale(&self, feed: &FeedState, confirmed: u64, now: Instant) -> bool {
        let Some(at) = confirmed.checked_sub(1) else {
            return true; // never confirmed
        };
        let now = nanos(now.saturating_duration_since(self.inner.base));
        now.saturating_sub(at) > feed.bound_nanos
    }

    /// Applies a revocation here at once, and hands it to the feed's
    /// publisher (if the set has a feed) to share it with the other servers.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Revocation, RevocationSet, SessionId};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// let expires_at = OffsetDateTime::now_utc() + Duration::hours(1);
    /// revoked.revoke(Revocation::Session { id: SessionId::from_u64(5), expires_at });
    /// assert!(revoked.is_session_revoked(SessionId::from_u64(5)));
    /// ```
    pub fn revoke(&self, revocation: Revocation) {
        self.revoke_at(revocation, self.inner.clock.now());
    }

    #[doc(hidden)] // a test hook: time comes from the clock
    pub fn revoke_at(&self, revocation: Revocation, now: OffsetDateTime) -> bool {
        let kept = self.apply_at(&revocation, now);
        if let Some(feed) = self.inner.feed.get() {
            (feed.publish)(&revocation);
        }
        kept
    }

    /// The unix second at which an entry for `revocation` may be dropped.
    fn deadline(&self, revocation: &Revocation) -> i64 {
        match revocation {
            Revocation::Session { expires_at, .. } => {
                unix(*expires_at).saturating_add(self.inner.leeway.load(Ordering::Relaxed))
            }
            Revocation::User {
                logged_in_until, ..
            } => self.user_deadline(unix(*logged_in_until)),
        }
    }

    /// Keeps entries long enough for `store`'s sessions: the set's lifetime
    /// and leeway only ever grow to the store's. [`Sessions`](crate::Sessions)
    /// calls it for every store it is given, so a store swapped in with a
    /// longer lifetime never outlives the revocations made under it.
    #[cfg(feature = "cookie")]
    pub(crate) fn cover_store(&self, store: &SessionStore) {
        if let Some(ttl) = expiry::secs(store.ttl()) {
            self.inner.lifetime.fetch_max(ttl, Ordering::Relaxed);
        }
        if let Some(leeway) = expiry::secs(store.leeway()) {
            self.inner.leeway.fetch_max(leeway, Ordering::Relaxed);
        }
    }

    /// The revocation point for "log out everywhere" of `user` at `now`
    /// (unix seconds): every login up to `now + leeway`, since an opener
    /// accepts a cookie issued up to the leeway in its future (a server
    /// whose clock runs ahead); one second past the user's current point if
    /// that already reaches as far, so a second "log out everywhere" in the
    /// same second also ends the logins made between the two (they were
    /// sealed just past the first point: [`RevocationSet::login_floor`]).
    #[cfg(feature = "cookie")]
    pub(crate) fn user_until(&self, user: &UserId, now: i64) -> i64 {
        let covered = now.saturating_add(self.inner.leeway.load(Ordering::Relaxed));
        match read(&self.inner.users).until.get(user) {
            Some((until, _)) if *until >= covered => until.saturating_add(1),
            _ => covered,
        }
    }

    /// The earliest login time (unix seconds) that `user`'s revocation
    /// does not cover: `None` if a login at `now` is not covered anyway.
    #[cfg(feature = "cookie")]
    pub(crate) fn login_floor(&self, user: &UserId, now: i64) -> Option<i64> {
        if self.inner.user_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        match read(&self.inner.users).until.get(user) {
            Some((until, _)) if *until >= now => Some(until.saturating_add(1)),
            _ => None,
        }
    }

    fn user_deadline(&self, until: i64) -> i64 {
        until
            .saturating_add(self.inner.lifetime.load(Ordering::Relaxed))
            .saturating_add(self.inner.leeway.load(Ordering::Relaxed))
    }

    /// Applies locally only (no publishing). Returns whether it was kept.
    pub(crate) fn apply_at(&self, revocation: &Revocation, now: OffsetDateTime) -> bool {
        let now = unix(now);
        let deadline = self.deadline(revocation);
        if deadline <= now {
            return false;
        }
        match revocation {
            Revocation::Session { id, .. } => {
                let id = id.as_u64();
                let mut shard = write(self.shard(id));
                let entry = shard.deadlines.entry(id).or_insert(i64::MIN);
                if *entry < deadline {
                    *entry = deadline;
                    shard.due.push(Due { deadline, key: id });
                }
            }
            Revocation::User {
                user,
                logged_in_until,
            } => {
                let until = unix(*logged_in_until);
                let mut users = write(&self.inner.users);
                let previous = users.until.get(user).copied();
                if previous.is_none_or(|(previous, _)| previous < until) {
                    users.until.insert(user.clone(), (until, deadline));
                    self.inner
                        .user_count
                        .store(users.until.len(), Ordering::Release);
                    users.due.push(Due {
                        deadline,
                        key: user.clone(),
                    });
                }
            }
        }
        self.maybe_purge(now);
        true
    }

    /// Purges at most once per second of `now`, on writes.
    fn maybe_purge(&self, now: i64) {
        let next = self.inner.next_purge.load(Ordering::Relaxed);
        if now >= next
            && self
                .inner
                .next_purge
                .compare_exchange(
                    next,
                    now.saturating_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            self.purge_secs(now);
        }
    }

    /// Whether the session `id` is revoked (regardless of the feed).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{RevocationSet, SessionId};
    /// # use time::Duration;
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// assert!(!revoked.is_session_revoked(SessionId::from_u64(1)));
    /// ```
    #[must_use]
    pub fn is_session_revoked(&self, id: SessionId) -> bool {
        let id = id.as_u64();
        read(self.shard(id)).deadlines.contains_key(&id)
    }

    /// The time up to which `user`'s logins are revoked, if they are:
    /// sessions that logged in at or before it are refused.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Revocation, RevocationSet, UserId};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// let now = OffsetDateTime::now_utc().replace_nanosecond(0)?;
    /// revoked.revoke(Revocation::User { user: UserId::from(3u64), logged_in_until: now });
    /// assert_eq!(revoked.user_revoked_until(&UserId::from(3u64)), Some(now));
    /// assert_eq!(revoked.user_revoked_until(&UserId::from(4u64)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn user_revoked_until(&self, user: &UserId) -> Option<OffsetDateTime> {
        read(&self.inner.users)
            .until
            .get(user)
            .map(|(t, _)| datetime(*t))
    }

    /// Drops every entry that no cookie can match any more at the system
    /// clock's time; returns how many. Writes do this on their own (at most
    /// once a second), and so does a feed; call it from a timer if the set
    /// goes long without writes and you want the memory back.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::RevocationSet;
    /// # use time::Duration;
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// assert_eq!(revoked.purge(), 0);
    /// ```
    pub fn purge(&self) -> usize {
        self.purge_at(self.inner.clock.now())
    }

    #[doc(hidden)] // a test hook: time comes from the clock
    pub fn purge_at(&self, now: OffsetDateTime) -> usize {
        self.purge_secs(unix(now))
    }

    fn purge_secs(&self, now: i64) -> usize {
        let mut removed = 0usize;
        for shard in self.inner.shards.iter() {
            loop {
                let mut shard = write(shard);
                let mut batch = 0usize;
                while batch < PURGE_BATCH {
                    let Some(top) = shard.due.peek() else { break };
                    if top.deadline > now {
                        break;
                    }
                    let Some(Due { deadline, key }) = shard.due.pop() else {
                        break;
                    };
                    // A later revocation of the same id pushed a later
                    // deadline: only the latest one removes the entry.
                    if shard.deadlines.get(&key) == Some(&deadline) {
                        shard.deadlines.remove(&key);
                        removed = removed.saturating_add(1);
                    }
                    batch = batch.saturating_add(1);
                }
                if batch < PURGE_BATCH {
                    break;
                }
            }
        }
        loop {
            let mut users = write(&self.inner.users);
            let mut batch = 0usize;
            while batch < PURGE_BATCH {
                let Some(top) = users.due.peek() else { break };
                if top.deadline > now {
                    break;
                }
                let Some(Due { deadline, key }) = users.due.pop() else {
                    break;
                };
                let current = users.until.get(&key).map(|(_, kept)| *kept);
                if current == Some(deadline) {
                    users.until.remove(&key);
                    self.inner
                        .user_count
                        .store(users.until.len(), Ordering::Release);
                    removed = removed.saturating_add(1);
                }
                batch = batch.saturating_add(1);
            }
            if batch < PURGE_BATCH {
                break;
            }
        }
        removed
    }

    fn session_entries(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| read(s).deadlines.len())
            .fold(0usize, usize::saturating_add)
    }

    fn user_entries(&self) -> usize {
        read(&self.inner.users).until.len()
    }

    fn heap_bytes(&self) -> usize {
        fn table(capacity: usize, entry: usize) -> usize {
            if capacity == 0 {
                return 0;
            }
            let buckets = capacity
                .saturating_mul(8)
                .checked_div(7)
                .unwrap_or(capacity)
                .checked_next_power_of_two()
                .unwrap_or(usize::MAX);
            buckets
                .saturating_mul(entry.saturating_add(1))
                .saturating_add(16)
        }
        let mut total = 0usize;
        for shard in self.inner.shards.iter() {
            let shard = read(shard);
            total = total
                .saturating_add(table(shard.deadlines.capacity(), size_of::<(u64, i64)>()))
                .saturating_add(shard.due.capacity().saturating_mul(size_of::<Due<u64>>()));
        }
        let users = read(&self.inner.users);
        let text: usize = users
            .until
            .keys()
            .filter_map(UserId::as_str)
            .map(str::len)
            .fold(0usize, usize::saturating_add);
        total
            .saturating_add(table(
                users.until.capacity(),
                size_of::<(UserId, (i64, i64))>(),
            ))
            .saturating_add(
                users
                    .due
                    .capacity()
                    .saturating_mul(size_of::<Due<UserId>>()),
            )
            .saturating_add(text.saturating_mul(2))
    }

    /// Marks the set as fed by a remote source (another server's
    /// revocations arrive through it) and returns the link the feed drives.
    /// `publish` is called with every revocation made on this set through
    /// [`RevocationSet::revoke`] and its shorthands, to share it; it must
    /// not block (queue it).
    ///
    /// From now on user sessions are answered [`RevocationError::Stale`]
    /// unless the feed [confirmed](FeedLink::confirm) it was caught up
    /// within the bound — also before its first confirmation, and after the
    /// feed stops. A set has at most one feed.
    ///
    /// # The extension point for feeds
    ///
    /// This method and [`FeedLink`] are all a feed needs: the
    /// `sealed-session-redis` crate is built on them alone, and a feed for
    /// another store (a database table, a message bus, ...) implements the
    /// same contract. The set fails closed for user sessions whenever the
    /// feed does not keep it, so a feed must:
    ///
    /// 1. **Publish without blocking and never drop.** `publish` runs inside
    ///    [`RevocationSet::revoke`] on the request path: put the revocation
    ///    on an unbounded (or back-pressured, never discarding) queue and
    ///    write it from a task, in order, retrying failed writes forever
    ///    (with a pause). Batch the writes: a flood of logouts must not
    ///    outrun one round trip per revocation. Store each entry with its
    ///    [deadline](FeedLink::deadline): nothing needs it after that.
    /// 2. **Apply remote entries** with [`FeedLink::apply`] (never
    ///    [`RevocationSet::revoke`], which would publish them again). Treat
    ///    every stored byte as attacker-controlled: parse without panicking,
    ///    and reject (do not apply) what does not parse.
    /// 3. **Confirm only what it can show.** Call [`FeedLink::confirm`]`(t)`
    ///    only when (a) every revocation this set handed to `publish` before
    ///    `t` is acknowledged by the store, and (b) this set has applied
    ///    everything the store held at `t`. A simple way to show both is a
    ///    heartbeat: write a small marker through the same queue and write
    ///    path as the revocations at `t`, and confirm `t` once that marker
    ///    has come back through the reader. Then a store that refuses writes
    ///    (full, read-only, partitioned) turns every server stale within
    ///    the bound, which is what failing closed needs. Never confirm on a
    ///    timer or because a read returned without error.
    /// 4. **Resynchronise** from a full copy (a snapshot) whenever the feed
    ///    may have missed entries (start-up, reconnect, a gap, the store
    ///    restarted or failed over), reading the position first, then the
    ///    copy, then following from the position. After loading it,
    ///    re-publish the live entries this set holds that the copy lacks
    ///    ([`FeedLink::entries`]): then a store that lost data (restarted
    ///    empty, an older backup, a promoted replica that missed writes)
    ///    converges back to every revocation a live server knows.
    /// 5. **Report** failures the application must see (a write refused for
    ///    longer than the bound, rejected entries) through its own API, not
    ///    only a log line.
    ///
    /// `None` if the set already has a feed (a set has one feed, for good).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{FeedOptions, Key, KeyRing, RevocationError, RevocationSet, SessionStore, UserId};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let revoked = RevocationSet::new(&store);
    /// let feed = revoked.attach_feed(FeedOptions::default(), |r| println!("share {r:?}")).unwrap();
    /// let cookie = store.seal_for_user(&UserId::from(1u64), 0, &())?;
    /// let opened = store.open::<()>(cookie.value())?;
    /// assert_eq!(revoked.check(opened.info(), opened.user_id()), Err(RevocationError::Stale)); // not caught up yet
    /// feed.confirm(std::time::Instant::now());
    /// assert_eq!(revoked.check(opened.info(), opened.user_id()), Ok(()));
    /// assert!(revoked.attach_feed(FeedOptions::default(), |_| {}).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach_feed(
        &self,
        options: FeedOptions,
        publish: impl Fn(&Revocation) + Send + Sync + 'static,
    ) -> Option<FeedLink> {
        let state = FeedState {
            bound_nanos: nanos(options.bound),
            fail_open: options.fail_open,
            confirmed: AtomicU64::new(0),
            publish: Box::new(publish),
            stale_answers: AtomicU64::new(0),
        };
        self.inner.feed.set(state).ok()?;
        Some(FeedLink { set: self.clone() })
    }

    /// What the set holds, for metrics and health checks: its entries, an
    /// estimate of their heap memory, and how many checks found the feed
    /// stale.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Revocation, RevocationSet, SessionId};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// let expires_at = OffsetDateTime::now_utc() + Duration::hours(1);
    /// revoked.revoke(Revocation::Session { id: SessionId::from_u64(5), expires_at });
    /// let stats = revoked.stats();
    /// assert_eq!((stats.session_entries, stats.user_entries), (1, 0));
    /// assert_eq!(stats.stale_answers, 0);
    /// assert!(stats.heap_bytes < 4096);
    /// ```
    #[must_use]
    pub fn stats(&self) -> RevocationStats {
        let (session_entries, user_entries) = (self.session_entries(), self.user_entries());
        RevocationStats {
            entries: session_entries.saturating_add(user_entries),
            session_entries,
            user_entries,
            heap_bytes: self.heap_bytes(),
            stale_answers: self.stale_answers(),
        }
    }

    /// Whether the set is fed and its feed has not confirmed being caught up
    /// within the staleness bound (so user sessions answer
    /// [`RevocationError::Stale`], or pass if it fails open). A set with no
    /// feed is never stale. For health checks.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::RevocationSet;
    /// # use time::Duration;
    /// assert!(!RevocationSet::with_lifetime(Duration::days(1), Duration::ZERO).is_stale());
    /// ```
    #[must_use]
    pub fn is_stale(&self) -> bool {
        self.is_stale_at(Instant::now())
    }

    #[doc(hidden)] // a test hook: time comes from the clock
    #[must_use]
    pub fn is_stale_at(&self, now: Instant) -> bool {
        self.inner
            .feed
            .get()
            .is_some_and(|feed| self.stale(feed, feed.confirmed.load(Ordering::Acquire), now))
    }

    fn stale_answers(&self) -> u64 {
        self.inner
            .feed
            .get()
            .map_or(0, |feed| feed.stale_answers.load(Ordering::Relaxed))
    }
}

/// What a [`RevocationSet`] holds, from [`RevocationSet::stats`].
///
/// # Example
/// ```
/// use sealed_session::RevocationSet;
/// use time::Duration;
///
/// let stats = RevocationSet::with_lifetime(Duration::days(1), Duration::ZERO).stats();
/// assert_eq!(stats.entries, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationStats {
    /// Entries of both kinds.
    pub entries: usize,
    /// Revoked sessions ("log out this device").
    pub session_entries: usize,
    /// Users with a revocation ("log out everywhere").
    pub user_entries: usize,
    /// An estimate of the heap memory the tables hold, in bytes, from
    /// their capacities (hash tables and expiry heaps; text user ids
    /// counted twice).
    pub heap_bytes: usize,
    /// How many checks of user sessions found the feed stale so far
    /// (refused, or accepted when failing open).
    pub stale_answers: u64,
}

/// What a feed drives: it applies revocations that arrive from elsewhere
/// (without publishing them again) and confirms when the set is caught up.
/// Cheap to clone. Made by [`RevocationSet::attach_feed`].
///
/// # Example
/// ```
/// use sealed_session::{FeedOptions, Revocation, RevocationSet, SessionId};
/// use time::{Duration, OffsetDateTime};
///
/// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
/// let link = revoked.attach_feed(FeedOptions::default(), |_| {}).expect("a new set has no feed");
/// let expires_at = OffsetDateTime::now_utc() + Duration::hours(1);
/// link.apply(&Revocation::Session { id: SessionId::from_u64(8), expires_at });
/// link.confirm(std::time::Instant::now());
/// assert!(revoked.is_session_revoked(SessionId::from_u64(8)));
/// assert!(!revoked.is_stale());
/// ```
#[derive(Clone)]
pub struct FeedLink {
    set: RevocationSet,
}

impl fmt::Debug for FeedLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedLink").field("set", &self.set).finish()
    }
}

impl FeedLink {
    /// Applies a revocation that arrived from the feed (not published
    /// again). Returns whether an entry was kept (`false` if it is already
    /// past its life).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{FeedOptions, Revocation, RevocationSet, UserId};
    /// # use time::{Duration, OffsetDateTime};
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// let link = revoked.attach_feed(FeedOptions::default(), |_| panic!("not published")).expect("a new set has no feed");
    /// assert!(link.apply(&Revocation::User { user: UserId::from(1u64), logged_in_until: OffsetDateTime::now_utc() }));
    /// assert_eq!(revoked.stats().user_entries, 1);
    /// ```
    pub fn apply(&self, revocation: &Revocation) -> bool {
        self.set.apply_at(revocation, self.set.inner.clock.now())
    }

    #[doc(hidden)] // a test hook: time comes from the set's clock
    pub fn apply_at(&self, revocation: &Revocation, now: OffsetDateTime) -> bool {
        self.set.apply_at(revocation, now)
    }

    /// Records that the set is caught up with the feed as of `at`: the
    /// moment a read that came back empty was sent, or `Instant::now()`
    /// after applying everything the feed had up to now. A confirmation
    /// older than the latest one changes nothing.
    ///
    /// # Example
    /// ```
    /// # use std::time::{Duration, Instant};
    /// # use sealed_session::{FeedOptions, RevocationSet};
    /// # let revoked = RevocationSet::with_lifetime(time::Duration::days(1), time::Duration::ZERO);
    /// let link = revoked.attach_feed(FeedOptions::default(), |_| {}).expect("a new set has no feed");
    /// assert!(revoked.is_stale());
    /// link.confirm(Instant::now());
    /// assert!(!revoked.is_stale());
    /// let t = Instant::now();
    /// link.confirm(t + Duration::from_secs(1));
    /// link.confirm(t); // older: ignored
    /// assert!(!revoked.is_stale_at(t + Duration::from_secs(2)));
    /// ```
    pub fn confirm(&self, at: Instant) {
        if let Some(feed) = self.set.inner.feed.get() {
            let at = nanos(at.saturating_duration_since(self.set.inner.base)).saturating_add(1);
            feed.confirmed.fetch_max(at, Ordering::AcqRel);
        }
    }

    /// The unix second after which no cookie that `revocation` matches can
    /// open any more, so a stored copy of it may go: the session's
    /// `expires_at` plus the leeway, or the user's `logged_in_until` plus
    /// the lifetime plus the leeway (saturating). A feed stores each entry
    /// with it (for example as the TTL or the score by which the store
    /// prunes it).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{FeedOptions, Revocation, RevocationSet, SessionId};
    /// # use time::{Duration, OffsetDateTime};
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// let link = revoked.attach_feed(FeedOptions::default(), |_| {}).expect("a new set has no feed");
    /// let at = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// assert_eq!(link.deadline(&Revocation::Session { id: SessionId::from_u64(1), expires_at: at }), 1_800_000_060);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn deadline(&self, revocation: &Revocation) -> i64 {
        self.set.deadline(revocation)
    }

    /// Every entry the set holds that is still live at `now`, as the
    /// revocations that would make it (a session entry as its session,
    /// a user entry as its latest "logged in until"; times to the whole
    /// second, as the set keeps them), in no particular order. A feed re-publishes those its store lacks after a
    /// resynchronisation (see [`RevocationSet::attach_feed`]). Takes each
    /// lock briefly, one shard at a time.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{FeedOptions, Revocation, RevocationSet, SessionId, UserId};
    /// # use time::{Duration, OffsetDateTime};
    /// let revoked = RevocationSet::with_lifetime(Duration::days(1), Duration::minutes(1));
    /// let link = revoked.attach_feed(FeedOptions::default(), |_| {}).expect("a new set has no feed");
    /// // (entries keep whole seconds)
    /// let now = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp())?;
    /// let r = Revocation::Session { id: SessionId::from_u64(3), expires_at: now + Duration::hours(1) };
    /// link.apply(&r);
    /// link.apply(&Revocation::User { user: UserId::from(4u64), logged_in_until: now });
    /// let entries = link.entries(now);
    /// assert_eq!(entries.len(), 2);
    /// assert!(entries.contains(&r));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn entries(&self, now: OffsetDateTime) -> Vec<Revocation> {
        let now = unix(now);
        // A session entry keeps expires_at + leeway: given back as the
        // expires_at that, with this set's leeway, keeps the same deadline.
        let leeway = self.set.inner.leeway.load(Ordering::Relaxed);
        let mut out = Vec::new();
        for shard in self.set.inner.shards.iter() {
            let shard = read(shard);
            out.extend(
                shard
                    .deadlines
                    .iter()
                    .filter(|(_, deadline)| **deadline > now)
                    .map(|(id, deadline)| Revocation::Session {
                        id: SessionId::from_u64(*id),
                        expires_at: datetime(deadline.saturating_sub(leeway)),
                    }),
            );
        }
        let users = read(&self.set.inner.users);
        out.extend(
            users
                .until
                .iter()
                .filter(|(_, (_, deadline))| *deadline > now)
                .map(|(user, (until, _))| Revocation::User {
                    user: user.clone(),
                    logged_in_until: datetime(*until),
                }),
        );
        out
    }

    /// The set this link feeds.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{FeedOptions, RevocationSet};
    /// # let revoked = RevocationSet::with_lifetime(time::Duration::days(1), time::Duration::ZERO);
    /// let link = revoked.attach_feed(FeedOptions::default(), |_| {}).expect("a new set has no feed");
    /// assert_eq!(link.set().stats().entries, 0);
    /// ```
    #[must_use]
    pub fn set(&self) -> &RevocationSet {
        &self.set
    }
}
