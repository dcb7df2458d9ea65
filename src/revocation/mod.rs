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

use core::fmt;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration as StdDuration, Instant};

use time::OffsetDateTime;

mod feed;
mod tables;

use feed::FeedState;
pub use feed::{DEFAULT_STALENESS_BOUND, FeedLink, FeedOptions};
use tables::{Due, PURGE_BATCH, SHARD_MASK, SHARDS, SessionShard, UserTable};

use crate::clock::Clock;
use crate::id::SessionId;
use crate::id::UserId;
use crate::session::SessionInfo;
use crate::store::SessionStore;
use crate::store::expiry::{self, datetime, unix};

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
