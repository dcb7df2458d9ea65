//! The session store: built once per cookie name, then seals and opens.

pub(crate) mod expiry;
pub(crate) mod schema;

use std::panic::RefUnwindSafe;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::error::{ConfigError, OpenError, SealError};
use crate::format::envelope::{self, HeadIn, HeadOut, TIMES_MAX_LEN, V2_EXTRA_MAX_LEN};
use crate::format::kdf::{self, Cipher};
use crate::format::nonce;
use crate::format::scratch;
use crate::format::wire::{
    self, BROWSER_COOKIE_LIMIT, Header, Layout, MAX_DECODED_LEN, NONCE_LEN, max_decoded_len,
};
use crate::id::SessionId;
use crate::id::{UserClaimRef, UserId, claim_encoded_len};
use crate::key::ring::{KeyEntry, KeyRing};
use crate::session::{Opened, ResealReasons, Sealed, SessionInfo, Unverified, Verified};
use crate::store::expiry::{Policy, Times};
use crate::store::schema::{Decoding, Schemas};

/// Default absolute lifetime: one day.
pub const DEFAULT_TTL: Duration = Duration::days(1);
/// Default clock-skew leeway: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::seconds(60);
/// Longest lifetime: 400 days, the cap browsers put on cookie lifetimes.
pub const MAX_TTL: Duration = Duration::days(400);

/// One key of the ring, ready to use for this cookie name: its header
/// layout, associated data and cipher, all derived once when the store is
/// built.
#[derive(Clone, Debug)]
struct KeySlot {
    id: u32,
    layout: Layout,
    aad: Vec<u8>,
    cipher: Cipher,
}

impl KeySlot {
    fn new(entry: &KeyEntry, cookie_name: &str) -> KeySlot {
        let header = Header::new(entry.id);
        let subkey = kdf::derive_subkey(
            &entry.key,
            entry.algorithm,
            entry.id,
            cookie_name.as_bytes(),
        );
        KeySlot {
            id: entry.id,
            layout: Layout::new(header),
            aad: kdf::aad(cookie_name.as_bytes(), header.as_bytes()),
            cipher: Cipher::new(&subkey, entry.algorithm),
        }
    }
}

#[derive(Debug)]
struct Inner {
    name: Arc<str>,
    max_len: usize,
    /// `max_len - name.len()`: longest value open looks at.
    max_value_len: usize,
    /// Largest plaintext the sealing key's header leaves room for.
    max_plaintext: usize,
    policy: Policy,
    padding: Option<usize>,
    schemas: Schemas,
    sealing: KeySlot,
    retired: Vec<KeySlot>,
    clock: Clock,
}

/// Seals sessions into cookie values and opens them again, for one cookie
/// name. Immutable once built, `Send + Sync`, and cheap to clone (an `Arc`):
/// subkeys and cipher instances are derived once, in
/// [`StoreBuilder::build`].
///
/// The cookie value is attacker-controlled input: [`SessionStore::open`]
/// never panics on it, allocates nothing beyond the payload's own data, and
/// reports every pre-authentication failure as the one opaque
/// [`OpenError::Invalid`].
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, Opened, SessionStore, UserId};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Cart { items: Vec<u32> }
///
/// let store = SessionStore::builder("__Host-cart", KeyRing::new(1, Key::generate())).build()?;
/// let sealed = store.seal(&Cart { items: vec![1, 2] })?;
/// let session = store.open::<Cart>(sealed.value())?.anonymous().unwrap();
/// assert_eq!(session.data().items, [1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionStore {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let i = &self.inner;
        f.debug_struct("SessionStore")
            .field("cookie_name", &i.name)
            .field("sealing_key_id", &i.sealing.id)
            .field(
                "retired_key_ids",
                &i.retired.iter().map(|s| s.id).collect::<Vec<_>>(),
            )
            .field("ttl_secs", &i.policy.ttl)
            .field("idle_secs", &i.policy.idle)
            .field("leeway_secs", &i.policy.leeway)
            .field("max_len", &i.max_len)
            .field("padding", &i.padding)
            .field("schemas", &i.schemas)
            .finish()
    }
}

/// Configures a [`SessionStore`]. Start with [`SessionStore::builder`].
///
/// Defaults: lifetime one day, no idle timeout, 60 s leeway, `name=value` at
/// most 4096 bytes, no padding.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, SessionStore};
/// use time::Duration;
///
/// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate()))
///     .ttl(Duration::days(7))
///     .idle_timeout(Duration::hours(2))
///     .leeway(Duration::seconds(30))
///     .padding(64)
///     .build()?;
/// assert_eq!(store.ttl(), Duration::days(7));
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct StoreBuilder {
    name: String,
    ring: KeyRing,
    ttl: Duration,
    idle: Option<Duration>,
    leeway: Duration,
    max_len: usize,
    padding: Option<usize>,
    schemas: Schemas,
    schema_conflict: bool,
    clock: Clock,
}

impl StoreBuilder {
    /// The clock every seal and open reads "now" from (default: the system
    /// clock). A [`Clock::manual`] lets tests move time by hand; the
    /// [`RevocationSet`](crate::RevocationSet) made from this store and
    /// [`Sessions`](crate::Sessions) over it use the same clock.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Clock, Key, KeyRing, OpenError, SessionStore};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let (clock, hand) = Clock::manual(OffsetDateTime::from_unix_timestamp(1_800_000_000)?);
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .ttl(Duration::hours(1))
    ///     .clock(clock)
    ///     .build()?;
    /// let cookie = store.seal(&"cart")?;
    /// hand.advance(Duration::hours(2));
    /// assert_eq!(store.open::<String>(cookie.value()).unwrap_err(), OpenError::Expired);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: Clock) -> StoreBuilder {
        self.clock = clock;
        self
    }

    /// Absolute session lifetime, from login; re-sealing never extends it.
    /// One second to 400 days (default one day).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .ttl(time::Duration::hours(12))
    ///     .build()?;
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> StoreBuilder {
        self.ttl = ttl;
        self
    }

    /// Idle (sliding) timeout: a cookie not re-sealed within it stops opening.
    /// At most the lifetime. Off by default.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .idle_timeout(time::Duration::minutes(30))
    ///     .build()?;
    /// assert_eq!(store.idle_timeout(), Some(time::Duration::minutes(30)));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn idle_timeout(mut self, idle: Duration) -> StoreBuilder {
        self.idle = Some(idle);
        self
    }

    /// Clock-skew leeway applied on both sides (issued in the future,
    /// expired). Zero to one hour, default 60 s.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .leeway(time::Duration::ZERO)
    ///     .build()?;
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> StoreBuilder {
        self.leeway = leeway;
        self
    }

    /// Maximum `len(name) + len(value)` in bytes. Default and maximum 4096:
    /// Chromium and Firefox silently drop a cookie of 4097.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .max_cookie_len(1024)
    ///     .build()?;
    /// assert!(SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .max_cookie_len(4097)
    ///     .build()
    ///     .is_err());
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn max_cookie_len(mut self, max: usize) -> StoreBuilder {
        self.max_len = max;
        self
    }

    /// Length hiding: round the plaintext up to a multiple of `bucket` bytes
    /// (never past the size cap), so the cookie's length reveals less about
    /// its contents. The padding is verified on open.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .padding(64)
    ///     .build()?;
    /// let a = store.seal(&"a")?;
    /// let b = store.seal(&"a longer value")?;
    /// assert_eq!(a.value().len(), b.value().len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn padding(mut self, bucket: usize) -> StoreBuilder {
        self.padding = Some(bucket);
        self
    }

    /// The payload schema number of the session type this build opens as
    /// (default 0). Bump it whenever the session struct changes shape, and
    /// declare the previous number with [`StoreBuilder::accept`], so cookies
    /// sealed by the previous build keep opening. See the README's
    /// "Changing your session struct".
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .schema(3)
    ///     .build()?;
    /// assert_eq!(store.schema(), 3);
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn schema(mut self, current: u32) -> StoreBuilder {
        if self.schemas.is_known(current) && current != self.schemas.current {
            self.schema_conflict = true;
        }
        self.schemas.current = current;
        self
    }

    /// Opens cookies of the older payload schema `schema`, decoded as
    /// `Old` and turned into the current type by `migrate`. Such a session
    /// opens as the current type, and its
    /// [re-seal reasons](crate::SessionInfo::reseal_reasons) say
    /// `old_schema`, so the next re-seal writes the current schema.
    ///
    /// The migration runs only on authenticated plaintext. `Cur` must be the
    /// type you open with (`open::<Cur>`); if it is not, the open fails with
    /// [`OpenError::Decode`], never a panic.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SessionStore};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct SessionV1 { cart: Vec<u32> }
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct SessionV2 { cart: Vec<u32>, theme: String }
    ///
    /// let ring = KeyRing::new(1, Key::generate());
    /// let old_build = SessionStore::builder("sid", ring.clone()).schema(1).build()?;
    /// let new_build = SessionStore::builder("sid", ring)
    ///     .schema(2)
    ///     .accept(1, |old: SessionV1| SessionV2 { cart: old.cart, theme: "light".into() })
    ///     .build()?;
    ///
    /// let cookie = old_build.seal(&SessionV1 { cart: vec![7] })?;
    /// let session = new_build.open::<SessionV2>(cookie.value())?.anonymous().unwrap();
    /// assert_eq!(session.data(), &SessionV2 { cart: vec![7], theme: "light".into() });
    /// assert!(session.info().reseal_reasons().old_schema);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept<Old, Cur>(
        self,
        schema: u32,
        migrate: impl Fn(Old) -> Cur + Send + Sync + RefUnwindSafe + 'static,
    ) -> StoreBuilder
    where
        Old: DeserializeOwned,
        Cur: Serialize,
    {
        self.try_accept(schema, move |old: Old| {
            Ok::<Cur, core::convert::Infallible>(migrate(old))
        })
    }

    /// As [`StoreBuilder::accept`], with a migration that can fail: a
    /// failure opens as [`OpenError::Migration`] (log it; the user is
    /// logged out), never a panic.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, OpenError, SessionStore};
    ///
    /// let ring = KeyRing::new(1, Key::generate());
    /// let old_build = SessionStore::builder("sid", ring.clone()).schema(1).build()?;
    /// let new_build = SessionStore::builder("sid", ring)
    ///     .schema(2)
    ///     .try_accept(1, |old: i64| u32::try_from(old))
    ///     .build()?;
    /// let fits = old_build.seal(&5i64)?;
    /// assert_eq!(*new_build.open::<u32>(fits.value())?.anonymous().unwrap().data(), 5);
    /// let negative = old_build.seal(&-5i64)?;
    /// assert_eq!(new_build.open::<u32>(negative.value()).unwrap_err(), OpenError::Migration);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_accept<Old, Cur, E>(
        mut self,
        schema: u32,
        migrate: impl Fn(Old) -> Result<Cur, E> + Send + Sync + RefUnwindSafe + 'static,
    ) -> StoreBuilder
    where
        Old: DeserializeOwned,
        Cur: Serialize,
    {
        if !self.schemas.add_accepted(schema, migrate) {
            self.schema_conflict = true;
        }
        self
    }

    /// ⚠️ Rolling deploys only: seal the *previous* schema `schema` (which
    /// must also be [accepted](StoreBuilder::accept)), converting the
    /// current type with `migrate`, so that servers still running the
    /// previous build can open what this one writes. The three phases,
    /// like key rotation:
    ///
    /// 1. deploy build N: it opens N−1 and N, and seals N−1 (this setting);
    /// 2. once every server runs N, remove this setting: it seals N;
    /// 3. after the longest session lifetime, drop `accept(N−1)`.
    ///
    /// A field the previous schema lacks is lost while this is on.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SessionStore};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct V1 { visits: u32 }
    /// #[derive(Serialize, Deserialize, Debug, PartialEq)]
    /// struct V2 { visits: u32, theme: String }
    ///
    /// let ring = KeyRing::new(1, Key::generate());
    /// let old_build = SessionStore::builder("sid", ring.clone()).schema(1).build()?;
    /// let rolling = SessionStore::builder("sid", ring)
    ///     .schema(2)
    ///     .accept(1, |old: V1| V2 { visits: old.visits, theme: "light".into() })
    ///     .seal_previous_schema(1, |cur: V2| V1 { visits: cur.visits })
    ///     .build()?;
    /// // the new build writes schema 1, which the old build still opens
    /// let cookie = rolling.seal(&V2 { visits: 3, theme: "dark".into() })?;
    /// let seen_by_old = old_build.open::<V1>(cookie.value())?.anonymous().unwrap();
    /// assert_eq!(seen_by_old.data(), &V1 { visits: 3 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seal_previous_schema<Cur, Old>(
        mut self,
        schema: u32,
        migrate: impl Fn(Cur) -> Old + Send + Sync + RefUnwindSafe + 'static,
    ) -> StoreBuilder
    where
        Cur: DeserializeOwned,
        Old: Serialize,
    {
        self.schemas.set_previous(schema, migrate);
        self
    }

    /// Checks the configuration, derives the subkeys and builds the store.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the setting that cannot work.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{ConfigError, Key, KeyRing, SessionStore};
    /// let err = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .ttl(time::Duration::days(401))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err, ConfigError::Ttl);
    /// ```
    pub fn build(self) -> Result<SessionStore, ConfigError> {
        if !wire::is_cookie_name(&self.name) {
            return Err(ConfigError::CookieName);
        }
        let ttl = expiry::secs(self.ttl)
            .filter(|s| (1..=MAX_TTL.whole_seconds()).contains(s))
            .ok_or(ConfigError::Ttl)?;
        let idle = match self.idle {
            Some(d) => Some(
                expiry::secs(d)
                    .filter(|s| (1..=ttl).contains(s))
                    .ok_or(ConfigError::IdleTimeout)?,
            ),
            None => None,
        };
        let leeway = expiry::secs(self.leeway)
            .filter(|s| *s <= 3600)
            .ok_or(ConfigError::Leeway)?;
        if self.max_len > BROWSER_COOKIE_LIMIT {
            return Err(ConfigError::MaxLength);
        }
        let max_value_len = self
            .max_len
            .checked_sub(self.name.len())
            .ok_or(ConfigError::MaxLength)?;
        if self.schema_conflict || !self.schemas.is_consistent() {
            return Err(ConfigError::Schema);
        }
        let sealing = KeySlot::new(&self.ring.sealing, &self.name);
        let max_plaintext = max_decoded_len(max_value_len)
            .checked_sub(sealing.layout.total_len(0))
            .filter(|room| *room > TIMES_MAX_LEN)
            .ok_or(ConfigError::MaxLength)?;
        if let Some(bucket) = self.padding
            && !(1..=max_plaintext).contains(&bucket)
        {
            return Err(ConfigError::Padding);
        }
        let retired = self
            .ring
            .retired
            .iter()
            .map(|entry| KeySlot::new(entry, &self.name))
            .collect();
        Ok(SessionStore {
            inner: Arc::new(Inner {
                name: self.name.into(),
                max_len: self.max_len,
                max_value_len,
                max_plaintext,
                policy: Policy { ttl, idle, leeway },
                padding: self.padding,
                schemas: self.schemas,
                sealing,
                retired,
                clock: self.clock,
            }),
        })
    }
}

impl SessionStore {
    /// The clock this store reads "now" from.
    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }
}

impl SessionStore {
    /// Starts configuring a store for the cookie `name` with the keys in `ring`.
    /// The name is bound into every cookie: a value moved to another cookie
    /// name does not open. Prefer a `__Host-` name (Secure, Path=/, no Domain).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SessionStore};
    ///
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// assert_eq!(store.cookie_name(), "__Host-sid");
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn builder(name: impl Into<String>, ring: KeyRing) -> StoreBuilder {
        StoreBuilder {
            name: name.into(),
            ring,
            ttl: DEFAULT_TTL,
            idle: None,
            leeway: DEFAULT_LEEWAY,
            max_len: BROWSER_COOKIE_LIMIT,
            padding: None,
            schemas: Schemas::default(),
            schema_conflict: false,
            clock: Clock::system(),
        }
    }

    /// The cookie name this store seals for.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.name
    }

    /// The absolute lifetime.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        Duration::seconds(self.inner.policy.ttl)
    }

    /// The idle timeout, if any.
    #[must_use]
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.inner.policy.idle.map(Duration::seconds)
    }

    /// The clock-skew leeway.
    #[must_use]
    pub fn leeway(&self) -> Duration {
        Duration::seconds(self.inner.policy.leeway)
    }

    /// The maximum `len(name) + len(value)`.
    #[must_use]
    pub fn max_cookie_len(&self) -> usize {
        self.inner.max_len
    }

    /// The id of the key new cookies are sealed under.
    #[must_use]
    pub fn sealing_key_id(&self) -> u32 {
        self.inner.sealing.id
    }

    /// The current payload schema: what `open::<T>` decodes as `T`.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// assert_eq!(store.schema(), 0);
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn schema(&self) -> u32 {
        self.inner.schemas.current
    }

    /// How many bytes of postcard-encoded payload always fit in this cookie,
    /// for an anonymous session (`user: None`) or a session of `user`, with
    /// the worst-case envelope. Check it at start-up against your largest
    /// session.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let budget = store.payload_budget(Some(&UserId::from(1u64)));
    /// assert!(budget > 2900 && budget < 3072);
    /// let payload = vec![0u8; budget - 2]; // a byte string costs a 2-byte length here
    /// assert!(store.seal_for_user(&UserId::from(u64::MAX), u64::MAX, &payload).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn payload_budget(&self, user: Option<&UserId>) -> usize {
        let user_len = user.map_or(1, |id| claim_encoded_len(id).saturating_add(1));
        self.inner
            .max_plaintext
            .saturating_sub(TIMES_MAX_LEN)
            .saturating_sub(V2_EXTRA_MAX_LEN)
            .saturating_sub(user_len)
    }

    /// Seals an anonymous session, at the system clock's time.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] if the cookie would not fit the browser limit
    /// (nothing is produced), [`SealError::Serialize`] if the payload's
    /// `Serialize` fails.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// # let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let sealed = store.seal(&vec!["a", "b"])?;
    /// # let _ = sealed;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seal<T: Serialize + ?Sized>(&self, data: &T) -> Result<Sealed, SealError> {
        self.seal_unix(data, self.inner.clock.now_unix())
    }

    #[doc(hidden)] // a test hook: time comes from the store's clock
    pub fn seal_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<Sealed, SealError> {
        self.seal_unix(data, expiry::unix(now))
    }

    /// [`SessionStore::seal_at`] at `now` unix seconds.
    fn seal_unix<T: Serialize + ?Sized>(&self, data: &T, now: i64) -> Result<Sealed, SealError> {
        let times = self.inner.policy.login(now)?;
        self.seal_envelope(data, None, times, None, None)
    }

    /// Seals a session for `user` whose current epoch is `epoch`, at the
    /// system clock's time (a login).
    ///
    /// # Errors
    /// As [`SessionStore::seal`].
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// # let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let sealed = store.seal_for_user(&UserId::from(42u64), 0, &"theme=dark")?;
    /// # let _ = sealed;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seal_for_user<T: Serialize + ?Sized>(
        &self,
        user: &UserId,
        epoch: u64,
        data: &T,
    ) -> Result<Sealed, SealError> {
        self.seal_for_user_unix(user, epoch, data, self.inner.clock.now_unix())
    }

    #[doc(hidden)] // a test hook: time comes from the store's clock
    pub fn seal_for_user_at<T: Serialize + ?Sized>(
        &self,
        user: &UserId,
        epoch: u64,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<Sealed, SealError> {
        self.seal_for_user_unix(user, epoch, data, expiry::unix(now))
    }

    /// [`SessionStore::seal_for_user_at`] at `now` unix seconds.
    fn seal_for_user_unix<T: Serialize + ?Sized>(
        &self,
        user: &UserId,
        epoch: u64,
        data: &T,
        now: i64,
    ) -> Result<Sealed, SealError> {
        let times = self.inner.policy.login(now)?;
        let claim = UserClaimRef { id: user, epoch };
        self.seal_envelope(data, Some(claim), times, None, None)
    }

    /// Seals a new session (a login, or a new anonymous session) at `now`,
    /// with the session id the engine drew beforehand (so it could tell the
    /// handler), or a fresh one for `None`.
    #[cfg(feature = "cookie")]
    pub(crate) fn seal_new_at<T: Serialize + ?Sized>(
        &self,
        user: Option<(&UserId, u64)>,
        data: &T,
        session_id: Option<SessionId>,
        now: OffsetDateTime,
    ) -> Result<Sealed, SealError> {
        let times = self.inner.policy.login(expiry::unix(now))?;
        let claim = user.map(|(id, epoch)| UserClaimRef { id, epoch });
        self.seal_envelope(data, claim, times, session_id, None)
    }

    /// Seals an opened session again, at the system clock's time: same user
    /// and epoch, same login time and absolute deadline, a renewed idle
    /// window, the current sealing key.
    ///
    /// # Errors
    /// As [`SessionStore::seal`], plus [`SealError::SessionExpired`] once
    /// the absolute or the idle deadline has passed. `open` accepts a cookie
    /// up to the leeway past its deadlines, to forgive clock skew between
    /// servers, but such a session ([`SessionInfo::in_leeway`]) is never
    /// re-sealed: otherwise every re-seal inside the leeway would grant a
    /// fresh idle window, and an idle session could live on indefinitely.
    /// Treat `SessionExpired` as logged out.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// # let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// # let cookie = store.seal(&1u32)?;
    /// let session = store.open::<u32>(cookie.value())?.anonymous().unwrap();
    /// let again = store.reseal(&session)?;
    /// assert_eq!(again.expires_at(), session.info().expires_at());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reseal<T: Serialize>(&self, session: &Verified<T>) -> Result<Sealed, SealError> {
        self.reseal_unix(session, self.inner.clock.now_unix())
    }

    #[doc(hidden)] // a test hook: time comes from the store's clock
    pub fn reseal_at<T: Serialize>(
        &self,
        session: &Verified<T>,
        now: OffsetDateTime,
    ) -> Result<Sealed, SealError> {
        self.reseal_unix(session, expiry::unix(now))
    }

    /// [`SessionStore::reseal_at`] at `now` unix seconds.
    fn reseal_unix<T: Serialize>(
        &self,
        session: &Verified<T>,
        now: i64,
    ) -> Result<Sealed, SealError> {
        self.reseal_nonce(session, now, None)
    }

    /// The re-seal (FORMAT.md section 6.2): the renewed times, the same user
    /// and session id; `nonce` is `None` except for golden vectors.
    fn reseal_nonce<T: Serialize>(
        &self,
        session: &Verified<T>,
        now: i64,
        nonce: Option<[u8; NONCE_LEN]>,
    ) -> Result<Sealed, SealError> {
        let times = self.inner.policy.renew(session.info.times, now)?;
        let claim = session.user.as_ref().map(UserClaimRef::from);
        // The session keeps its id.
        self.seal_envelope(
            &session.data,
            claim,
            times,
            Some(session.info.session_id),
            nonce,
        )
    }

    /// Opens a cookie value at the system clock's time.
    ///
    /// # Errors
    /// [`OpenError::Invalid`] for anything this store did not seal; after
    /// authentication [`OpenError::Expired`], [`OpenError::IdleExpired`],
    /// [`OpenError::NotYetValid`] or [`OpenError::Decode`].
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, OpenError, SessionStore};
    /// # let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let sealed = store.seal(&5u32)?;
    /// assert_eq!(*store.open::<u32>(sealed.value())?.anonymous().unwrap().data(), 5);
    /// assert_eq!(store.open::<u32>("AAAA").unwrap_err(), OpenError::Invalid);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn open<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.open_unix(value, self.inner.clock.now_unix())
    }

    #[doc(hidden)] // a test hook: time comes from the store's clock
    #[inline]
    pub fn open_at<T: DeserializeOwned>(
        &self,
        value: &str,
        now: OffsetDateTime,
    ) -> Result<Opened<T>, OpenError> {
        self.open_unix(value, expiry::unix(now))
    }

    /// [`SessionStore::open_at`] at `now` unix seconds.
    #[inline]
    fn open_unix<T: DeserializeOwned>(
        &self,
        value: &str,
        now: i64,
    ) -> Result<Opened<T>, OpenError> {
        scratch::with(|buf| {
            let result = self.open_frame(value, now, buf);
            // Base64 decoding writes nothing past the decoded bytes, at most
            // `max_decoded_len(value.len())`: only that prefix can hold
            // plaintext.
            let written = max_decoded_len(value.len()).min(MAX_DECODED_LEN);
            if let Some(used) = buf.get_mut(..written) {
                scratch::wipe(used);
            }
            result
        })
    }

    /// Frame → open → decode → check (FORMAT.md section 6).
    fn open_frame<T: DeserializeOwned>(
        &self,
        value: &str,
        now: i64,
        buf: &mut [u8; MAX_DECODED_LEN],
    ) -> Result<Opened<T>, OpenError> {
        let inner = &*self.inner;
        // 1-5. Length cap, base64url, header, nonce ‖ ciphertext ‖ tag; an
        // unknown key id stops before any AEAD work.
        let frame = wire::decode(value, inner.max_value_len, buf).ok_or(OpenError::Invalid)?;
        let (slot, retired) = self.key_slot(frame.key_id).ok_or(OpenError::Invalid)?;
        // 6. Authenticate and decrypt.
        if !slot
            .cipher
            .open_in_place(frame.nonce, &slot.aad, frame.ciphertext, frame.tag)
        {
            return Err(OpenError::Invalid);
        }
        // 7. Decode the head, then the payload as its schema's type (an
        // older schema through its migration), then check the padding.
        let plaintext = &*frame.ciphertext;
        let (head, rest) = HeadIn::read(plaintext).ok_or(OpenError::Decode)?;
        let cookie_times =
            Times::from_wire(head.issued_at, head.login_age, head.lifetime, head.idle)
                .ok_or(OpenError::Decode)?;
        let (payload, padding): (T, &[u8]) = match inner.schemas.decoding(head.schema) {
            None => return Err(OpenError::UnknownSchema),
            Some(Decoding::Current) => {
                postcard::take_from_bytes::<T>(rest).map_err(|_| OpenError::Decode)?
            }
            Some(Decoding::Older(upgrade)) => {
                let (current, padding) = upgrade(rest)?;
                let payload = postcard::from_bytes::<T>(&current).map_err(|_| OpenError::Decode)?;
                (payload, padding)
            }
        };
        if !envelope::is_padding(padding) {
            return Err(OpenError::Decode);
        }
        // 8-9. Time checks, with the store's current policy applied on top.
        let verdict = inner.policy.check(cookie_times, now)?;
        let info = SessionInfo {
            times: verdict.times,
            cookie_expires_at: cookie_times.expires_at,
            key_id: frame.key_id,
            version: wire::V2,
            session_id: head.session_id,
            schema: head.schema,
            in_leeway: verdict.in_leeway,
            // A cookie in the leeway cannot be re-sealed: nothing to suggest.
            reseal: if verdict.in_leeway {
                ResealReasons::default()
            } else {
                ResealReasons {
                    retired_key: retired,
                    idle_half_used: verdict.idle_half_used,
                    policy_tightened: verdict.policy_tightened,
                    old_schema: head.schema != inner.schemas.sealing(),
                }
            },
        };
        // 10. A user session is handed out only through `verify_epoch`.
        Ok(match head.user {
            None => Opened::Anonymous(Verified {
                data: payload,
                user: None,
                info,
            }),
            Some(claim) => Opened::User(Unverified {
                data: payload,
                claim,
                info,
            }),
        })
    }

    /// The key slot for a key id and whether it is retired.
    fn key_slot(&self, id: u32) -> Option<(&KeySlot, bool)> {
        let inner = &*self.inner;
        if inner.sealing.id == id {
            return Some((&inner.sealing, false));
        }
        inner.retired.iter().find(|s| s.id == id).map(|s| (s, true))
    }

    /// Seals `data` with `user`, `times` and `session_id` (`None`: a fresh
    /// one, drawn with the nonce) under the sealing key: head → payload
    /// (down-migrated during a rollout) → padding → AEAD → frame →
    /// base64url. `nonce` is `None` except in tests that reproduce golden
    /// vectors.
    fn seal_envelope<T: Serialize + ?Sized>(
        &self,
        data: &T,
        user: Option<UserClaimRef<'_>>,
        times: Times,
        session_id: Option<SessionId>,
        nonce: Option<[u8; NONCE_LEN]>,
    ) -> Result<Sealed, SealError> {
        self.seal_with(data, user, times, session_id, nonce)
    }

    fn seal_with<T: Serialize + ?Sized>(
        &self,
        data: &T,
        user: Option<UserClaimRef<'_>>,
        times: Times,
        session_id: Option<SessionId>,
        nonce: Option<[u8; NONCE_LEN]>,
    ) -> Result<Sealed, SealError> {
        let (issued_at, login_age, lifetime, idle) = times.to_wire().ok_or(SealError::Clock)?;
        let (nonce, session_id) = match (nonce, session_id) {
            (None, None) => nonce::fresh_with_session_id()?,
            (None, Some(id)) => (nonce::fresh()?, id),
            (Some(n), Some(id)) => (n, id),
            (Some(n), None) => (n, nonce::session_id()?),
        };
        let head = HeadOut {
            issued_at,
            login_age,
            lifetime,
            idle,
            user,
            session_id,
            schema: self.inner.schemas.sealing(),
        };
        let result = scratch::with(|buf| {
            let result = self.seal_into(&head, data, &nonce, buf);
            // On success the plaintext was encrypted in place: the buffer
            // holds only the public header, nonce, ciphertext and tag. On
            // failure it may hold a partial plaintext anywhere in the
            // plaintext room.
            if result.is_err() {
                scratch::wipe(buf);
            }
            result
        });
        result.map(|value| Sealed {
            value,
            name: Arc::clone(&self.inner.name),
            expires_at: times.expires_at,
            idle_deadline: times.idle_deadline,
        })
    }

    fn seal_into<T: Serialize + ?Sized>(
        &self,
        head: &HeadOut<'_>,
        data: &T,
        nonce: &[u8; NONCE_LEN],
        buf: &mut [u8; MAX_DECODED_LEN],
    ) -> Result<String, SealError> {
        let inner = &*self.inner;
        let slot = &inner.sealing;
        let layout = slot.layout;
        let pt_start = layout.plaintext_start();
        let pt_room = buf
            .get_mut(pt_start..pt_start.saturating_add(inner.max_plaintext))
            .ok_or(SealError::Serialize)?;
        let too_large = |len: usize| SealError::TooLarge {
            len: inner.name.len().saturating_add(layout.encoded_len(len)),
            max: inner.max_len,
        };
        let payload_size = || {
            postcard::serialize_with_flavor(data, postcard::ser_flavors::Size::default())
                .map_err(|_| SealError::Serialize)
        };
        let head_len = match head.write(pt_room) {
            Some(len) => len,
            // A tiny size cap: not even the head fits.
            None => {
                let head_size = head.size().ok_or(SealError::Serialize)?;
                return Err(too_large(head_size.saturating_add(payload_size()?)));
            }
        };
        let payload_room = pt_room.get_mut(head_len..).ok_or(SealError::Serialize)?;
        let payload_len = match inner.schemas.downgrade() {
            None => match postcard::to_slice(data, payload_room) {
                Ok(written) => written.len(),
                Err(postcard::Error::SerializeBufferFull) => {
                    return Err(too_large(head_len.saturating_add(payload_size()?)));
                }
                Err(_) => return Err(SealError::Serialize),
            },
            Some(downgrade) => {
                let current = zeroize::Zeroizing::new(
                    postcard::to_allocvec(data).map_err(|_| SealError::Serialize)?,
                );
                let previous = downgrade(&current)?;
                let room = payload_room
                    .get_mut(..previous.len())
                    .ok_or_else(|| too_large(head_len.saturating_add(previous.len())))?;
                room.copy_from_slice(&previous);
                previous.len()
            }
        };
        let pt_len = head_len.saturating_add(payload_len);
        // Zero padding up to the bucket, never past the size cap (the
        // scratch buffer may hold an earlier cookie there).
        let padded = match inner.padding {
            Some(bucket) => pt_len
                .div_ceil(bucket)
                .saturating_mul(bucket)
                .min(inner.max_plaintext),
            None => pt_len,
        };
        let plaintext = buf
            .get_mut(pt_start..pt_start.saturating_add(padded))
            .ok_or(SealError::Serialize)?;
        if let Some(padding) = plaintext.get_mut(pt_len..) {
            padding.fill(0);
        }
        let tag = slot
            .cipher
            .seal_in_place(nonce, &slot.aad, plaintext)
            .ok_or(SealError::Serialize)?;
        let value = layout
            .encode(buf, nonce, padded, &tag)
            .ok_or(SealError::Serialize)?;
        // `max_plaintext` was derived from the limit, so this always holds.
        let len = inner.name.len().saturating_add(value.len());
        if len > inner.max_len {
            return Err(SealError::TooLarge {
                len,
                max: inner.max_len,
            });
        }
        Ok(value)
    }

    /// Seals arbitrary plaintext bytes (not an envelope) with the sealing key,
    /// to test what open does with authentic garbage. Test builds only.
    #[cfg(test)]
    pub(crate) fn seal_raw_plaintext(&self, plaintext: &[u8], nonce: [u8; NONCE_LEN]) -> String {
        let header = Header::new(self.inner.sealing.id);
        self.seal_raw_over_header(header.as_bytes(), plaintext, nonce)
    }

    /// Seals arbitrary plaintext bytes with the sealing key's subkey behind
    /// arbitrary `header` bytes, the associated data computed over them
    /// (FORMAT.md section 3): a cookie authentic for an opener that ignores
    /// the header rules (a format v1 header `01 ‖ key id`, say). Test
    /// builds only.
    #[cfg(test)]
    pub(crate) fn seal_raw_over_header(
        &self,
        header: &[u8],
        plaintext: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> String {
        use base64::Engine as _;
        let slot = &self.inner.sealing;
        let aad = kdf::aad(self.inner.name.as_bytes(), header);
        let mut body = plaintext.to_vec();
        let tag = slot
            .cipher
            .seal_in_place(&nonce, &aad, &mut body)
            .unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode([header, &nonce, &body, &tag].concat())
    }

    /// Re-seals an opened session at `now` (unix seconds) with a fixed
    /// nonce, to reproduce the re-seal golden vectors. Test builds only.
    #[cfg(test)]
    pub(crate) fn reseal_with_nonce<T: Serialize>(
        &self,
        session: &Verified<T>,
        now: i64,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed, SealError> {
        self.reseal_nonce(session, now, Some(nonce))
    }

    /// Seals with a fixed nonce and session id, to reproduce golden vectors.
    /// Test builds only.
    #[cfg(test)]
    pub(crate) fn seal_with_nonce<T: Serialize + ?Sized>(
        &self,
        data: &T,
        user: Option<(&UserId, u64)>,
        times: Times,
        session_id: SessionId,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed, SealError> {
        let claim = user.map(|(id, epoch)| UserClaimRef { id, epoch });
        self.seal_with(data, claim, times, Some(session_id), Some(nonce))
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::format::kdf::DECRYPT_CALLS;
    use crate::format::wire::TAG_LEN;
    use crate::{Key, KeyRing};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn calls() -> u64 {
        DECRYPT_CALLS.with(core::cell::Cell::get)
    }

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + secs)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn unknown_key_id_attempts_no_decryption() {
        let Ok(a) = SessionStore::builder("s", KeyRing::new(1, Key::generate())).build() else {
            panic!("build");
        };
        let Ok(b) = SessionStore::builder("s", KeyRing::new(2, Key::generate())).build() else {
            panic!("build");
        };
        let Ok(cookie) = a.seal_at(&7u32, t(0)) else {
            panic!("seal")
        };
        let before = calls();
        assert_eq!(
            b.open_at::<u32>(cookie.value(), t(1)).err(),
            Some(OpenError::Invalid)
        );
        assert_eq!(calls(), before, "an unknown key id must cost no AEAD work");
        // The same cookie with a known id does reach the AEAD exactly once.
        assert!(a.open_at::<u32>(cookie.value(), t(1)).is_ok());
        assert_eq!(calls(), before + 1);
        // A removed retired key behaves like an unknown one.
        let mut ring = KeyRing::new(1, Key::generate());
        assert!(ring.rotate(2, Key::generate()).is_ok());
        assert!(ring.remove_retired(1).is_ok());
        let Ok(c) = SessionStore::builder("s", ring).build() else {
            panic!("build")
        };
        let before = calls();
        assert_eq!(
            c.open_at::<u32>(cookie.value(), t(1)).err(),
            Some(OpenError::Invalid)
        );
        assert_eq!(calls(), before);
    }

    #[test]
    fn authentic_garbage_is_a_decode_error() {
        let Ok(store) = SessionStore::builder("s", KeyRing::new(1, Key::generate())).build() else {
            panic!("build");
        };
        let garbage: [&[u8]; 6] = [
            b"",
            &[0xff; 40],
            &[0x80; 20],                           // unterminated varints
            &[0x01, 0x00, 0x01, 0x02, 0x00, 0x00], // Option tag 2
            &[0x01, 0x00, 0x05, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00], // empty text user id
            &[
                0x01, 0x00, 0x05, 0x00, 0x01, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x00,
            ], // bad UTF-8
        ];
        for (i, pt) in garbage.iter().enumerate() {
            let value = store.seal_raw_plaintext(pt, [u8::try_from(i).unwrap_or(0); NONCE_LEN]);
            let got = store.open_at::<(u8, u8)>(&value, t(1)).err();
            assert_eq!(got, Some(OpenError::Decode), "case {i}");
        }
        // The same bytes sealed under another key are just invalid.
        let Ok(other) = SessionStore::builder("s", KeyRing::new(1, Key::generate())).build() else {
            panic!("build");
        };
        let value = other.seal_raw_plaintext(&[0xff; 40], [0; NONCE_LEN]);
        assert_eq!(
            store.open_at::<u8>(&value, t(1)).err(),
            Some(OpenError::Invalid)
        );
    }

    #[test]
    fn ciphertext_shorter_than_nonce_and_tag_is_invalid() {
        let Ok(store) = SessionStore::builder("s", KeyRing::new(1, Key::generate())).build() else {
            panic!("build");
        };
        for len in 0..=(NONCE_LEN + TAG_LEN) {
            let mut bytes = vec![2u8, 1];
            bytes.resize(2 + len, 0);
            let value = URL_SAFE_NO_PAD.encode(&bytes);
            let before = calls();
            assert_eq!(
                store.open_at::<u8>(&value, t(1)).err(),
                Some(OpenError::Invalid)
            );
            // Only the exactly-empty-ciphertext case reaches the AEAD.
            assert!(calls() - before <= u64::from(len == NONCE_LEN + TAG_LEN));
        }
    }

    /// Format v1 is gone (FORMAT.md section 8): an authentic cookie under a
    /// v1 header (`01 ‖ key id`, the associated data over it, a valid v1
    /// envelope: the v2 head without session id and schema) is the one
    /// opaque `Invalid`, refused before any AEAD work.
    #[test]
    fn format_v1_cookie_is_invalid_before_authentication() {
        let Ok(store) = SessionStore::builder("s", KeyRing::new(1, Key::generate())).build() else {
            panic!("build");
        };
        // issued_at = t(0), login_age 0, lifetime 1 day, no idle, no user,
        // then the payload 7u32.
        let v1_envelope = [
            0x80, 0xa4, 0xa7, 0xda, 0x06, 0x00, 0x80, 0xa3, 0x05, 0x00, 0x00, 0x07,
        ];
        let v1 = store.seal_raw_over_header(&[0x01, 0x01], &v1_envelope, [5; NONCE_LEN]);
        let before = calls();
        assert_eq!(
            store.open_at::<u32>(&v1, t(1)).err(),
            Some(OpenError::Invalid)
        );
        assert_eq!(calls(), before, "a v1 header costs no AEAD work");
        // The same envelope under a v1 header whose AEAD is over the v2
        // header: still invalid (the version byte is authenticated).
        let relabelled = store.seal_raw_over_header(&[0x02, 0x01], &v1_envelope, [6; NONCE_LEN]);
        let mut bytes = URL_SAFE_NO_PAD.decode(&relabelled).unwrap_or_default();
        bytes[0] = 0x01;
        let relabelled = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(
            store.open_at::<u32>(&relabelled, t(1)).err(),
            Some(OpenError::Invalid)
        );
        // Control: the same session sealed as v2 opens.
        let Ok(v2) = store.seal_at(&7u32, t(0)) else {
            panic!("seal");
        };
        assert!(store.open_at::<u32>(v2.value(), t(1)).is_ok());
    }
}
