//! The extension point a feed drives: [`FeedOptions`], the set's
//! [`attach_feed`](RevocationSet::attach_feed) and staleness, and the
//! [`FeedLink`] a feed applies and confirms through.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use time::OffsetDateTime;

#[cfg(doc)]
use super::RevocationError;
use super::{Revocation, RevocationSet, nanos, read};
use crate::id::SessionId;
use crate::store::expiry::{datetime, unix};

/// The default staleness bound of a fed set: one second.
///
/// # Example
/// ```
/// assert_eq!(sealed_session::DEFAULT_STALENESS_BOUND, std::time::Duration::from_secs(1));
/// ```
pub const DEFAULT_STALENESS_BOUND: StdDuration = StdDuration::from_secs(1);

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

pub(super) type Publisher = Box<dyn Fn(&Revocation) + Send + Sync>;

pub(super) struct FeedState {
    pub(super) bound_nanos: u64,
    pub(super) fail_open: bool,
    /// Nanoseconds since `Inner::base` of the last confirmation, plus one;
    /// 0 = never confirmed.
    pub(super) confirmed: AtomicU64,
    pub(super) publish: Publisher,
    pub(super) stale_answers: AtomicU64,
}

impl RevocationSet {
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

    pub(super) fn stale_answers(&self) -> u64 {
        self.inner
            .feed
            .get()
            .map_or(0, |feed| feed.stale_answers.load(Ordering::Relaxed))
    }
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
