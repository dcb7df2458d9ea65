//! What seal returns and open hands out. Trust is carried by types: a user
//! cookie opens as [`Unverified`], and only [`Unverified::verify_epoch`]
//! turns it into a [`Verified`].

use core::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::error::OpenError;
use crate::id::SessionId;
use crate::id::{UserClaim, UserId};
use crate::store::expiry::{Times, datetime};

/// A sealed cookie value, ready for `Set-Cookie`, with the cookie name it was
/// sealed for and the deadlines the cookie's `Max-Age` should not outlive.
///
/// The value opens only under its [cookie name](Sealed::cookie_name) (the
/// name is bound into the encryption), and `name=value` is within the
/// store's size cap, so a cookie built from a `Sealed` is never one that
/// browsers drop.
///
/// `Debug` hides the value: a cookie is a bearer credential.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let sealed = store.seal(&"cart: 3 items")?;
/// assert!(sealed.value().len() < 110);
/// assert!(!format!("{sealed:?}").contains(sealed.value()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub(crate) value: String,
    pub(crate) name: Arc<str>,
    pub(crate) expires_at: i64,
    pub(crate) idle_deadline: Option<i64>,
}

impl Sealed {
    /// The cookie value (base64url, no padding).
    ///
    /// # Example
    /// ```
    /// # let store = sealed_session::SessionStore::builder("sid", sealed_session::KeyRing::new(1, sealed_session::Key::generate())).build()?;
    /// let value = store.seal(&1u8)?.value().to_owned();
    /// assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cookie value, by value.
    ///
    /// # Example
    /// ```
    /// # let store = sealed_session::SessionStore::builder("sid", sealed_session::KeyRing::new(1, sealed_session::Key::generate())).build()?;
    /// let value: String = store.seal(&1u8)?.into_value();
    /// # let _ = value;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_value(self) -> String {
        self.value
    }

    /// The cookie name this value was sealed for (the store's name): it
    /// opens under no other.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore};
    /// let store = SessionStore::builder("__Host-cart", KeyRing::new(1, Key::generate())).build()?;
    /// assert_eq!(store.seal(&1u8)?.cookie_name(), "__Host-cart");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.name
    }

    /// The absolute end of the session (fixed at login).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SessionStore};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .ttl(Duration::hours(8))
    ///     .build()?;
    /// let now = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// let sealed = store.seal_at(&1u8, now)?;
    /// assert_eq!(sealed.expires_at(), now + Duration::hours(8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        datetime(self.expires_at)
    }

    /// The idle deadline, if the store has an idle timeout.
    ///
    /// # Example
    /// ```
    /// # let store = sealed_session::SessionStore::builder("sid", sealed_session::KeyRing::new(1, sealed_session::Key::generate())).build()?;
    /// assert_eq!(store.seal(&1u8)?.idle_deadline(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn idle_deadline(&self) -> Option<OffsetDateTime> {
        self.idle_deadline.map(datetime)
    }

    /// The earlier of the two deadlines: the cookie should not live past it.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SessionStore};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .idle_timeout(Duration::minutes(30))
    ///     .build()?;
    /// let now = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// assert_eq!(store.seal_at(&1u8, now)?.deadline(), now + Duration::minutes(30));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn deadline(&self) -> OffsetDateTime {
        datetime(
            self.idle_deadline
                .map_or(self.expires_at, |d| d.min(self.expires_at)),
        )
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("cookie_name", &self.name)
            .field(
                "value",
                &format_args!("<{} bytes redacted>", self.value.len()),
            )
            .field("expires_at", &self.expires_at)
            .field("idle_deadline", &self.idle_deadline)
            .finish()
    }
}

/// Why an opened session should be sealed again (and sent back in
/// `Set-Cookie`). All fields `false` means the cookie is fine as it is.
///
/// # Example
/// ```
/// # let store = sealed_session::SessionStore::builder("sid", sealed_session::KeyRing::new(1, sealed_session::Key::generate())).build()?;
/// # let cookie = store.seal(&5u32)?;
/// let session = store.open::<u32>(cookie.value())?.anonymous().unwrap();
/// let why = session.info().reseal_reasons();
/// assert!(!why.any());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ResealReasons {
    /// Sealed under a retired key: re-seal to move it to the sealing key, so
    /// the retired key can be removed.
    pub retired_key: bool,
    /// More than half of the idle window is used: re-seal to slide it.
    pub idle_half_used: bool,
    /// The store's current lifetime or idle settings are stricter than the
    /// cookie's own deadlines (the stricter ones were applied).
    pub policy_tightened: bool,
    /// The payload is of another schema than the one the store seals (it
    /// was migrated on open): re-seal to write the current schema.
    pub old_schema: bool,
}

impl ResealReasons {
    /// Whether any reason is set.
    ///
    /// # Example
    /// ```
    /// assert!(!sealed_session::ResealReasons::default().any());
    /// ```
    #[must_use]
    pub fn any(&self) -> bool {
        self.retired_key || self.idle_half_used || self.policy_tightened || self.old_schema
    }
}

/// Facts about an opened cookie, available before and after epoch
/// verification.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, SessionStore};
/// use time::{Duration, OffsetDateTime};
///
/// let store = SessionStore::builder("sid", KeyRing::new(9, Key::generate())).build()?;
/// let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
/// let cookie = store.seal_at(&"hi", t0)?;
/// let opened = store.open_at::<String>(cookie.value(), t0 + Duration::minutes(5))?;
/// let info = opened.info();
/// assert_eq!(info.key_id(), 9);
/// assert_eq!(info.issued_at(), t0);
/// assert_eq!(info.login_at(), t0);
/// assert_eq!(info.expires_at(), t0 + Duration::days(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    pub(crate) times: Times,
    /// The cookie's own absolute deadline, before the opener's policy
    /// capped it into `times`: what a revocation entry must outlive, since
    /// another server (or a longer-lived store swapped in) may accept the
    /// cookie until then.
    pub(crate) cookie_expires_at: i64,
    pub(crate) key_id: u32,
    pub(crate) version: u8,
    pub(crate) session_id: SessionId,
    pub(crate) schema: u32,
    pub(crate) in_leeway: bool,
    pub(crate) reseal: ResealReasons,
}

/// The session id is left out: only [`SessionId`]'s own formatting shows it.
impl fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionInfo")
            .field("login_at", &self.times.login_at)
            .field("issued_at", &self.times.issued_at)
            .field("expires_at", &self.times.expires_at)
            .field("idle_deadline", &self.times.idle_deadline)
            .field("key_id", &self.key_id)
            .field("format_version", &self.version)
            .field("schema", &self.schema)
            .field("in_leeway", &self.in_leeway)
            .field("reseal", &self.reseal)
            .finish_non_exhaustive()
    }
}

impl SessionInfo {
    /// When the user logged in (the first seal of this session).
    #[must_use]
    pub fn login_at(&self) -> OffsetDateTime {
        datetime(self.times.login_at)
    }

    /// When this cookie was sealed.
    #[must_use]
    pub fn issued_at(&self) -> OffsetDateTime {
        datetime(self.times.issued_at)
    }

    /// The absolute end of the session (the stricter of the cookie's and the
    /// store's current lifetime).
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        datetime(self.times.expires_at)
    }

    /// The idle deadline, if any.
    #[must_use]
    pub fn idle_deadline(&self) -> Option<OffsetDateTime> {
        self.times.idle_deadline.map(datetime)
    }

    /// The id of the key that sealed this cookie.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The session's random id, drawn at login and kept by every re-seal.
    /// See [`SessionId`].
    #[must_use]
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// The payload schema the cookie was sealed with. The
    /// data was migrated to the current schema if they differ.
    #[must_use]
    pub fn schema(&self) -> u32 {
        self.schema
    }

    /// The cookie's format version (always 2, the only format).
    #[must_use]
    pub fn format_version(&self) -> u8 {
        self.version
    }

    /// Why the cookie should be re-sealed, if at all. All `false` for a
    /// cookie [in the leeway](SessionInfo::in_leeway), which cannot be.
    #[must_use]
    pub fn reseal_reasons(&self) -> ResealReasons {
        self.reseal
    }

    /// Shorthand for `self.reseal_reasons().any()`.
    #[must_use]
    pub fn should_reseal(&self) -> bool {
        self.reseal.any()
    }

    /// Whether the cookie opened only thanks to the clock-skew leeway: by
    /// the opener's clock its absolute or idle deadline has passed, but by
    /// less than the leeway.
    ///
    /// Such a session serves the request it came with and then ends: it
    /// cannot be re-sealed ([`SessionStore::reseal`](crate::SessionStore::reseal)
    /// returns [`SealError::SessionExpired`](crate::SealError::SessionExpired),
    /// and [`reseal_reasons`](SessionInfo::reseal_reasons) suggests
    /// nothing), so re-sealing inside the leeway never stretches a session
    /// past its deadlines. This is the one rule; an application does not
    /// compare deadlines with its clock itself.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, SealError, SessionStore};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
    ///     .idle_timeout(Duration::minutes(5))
    ///     .leeway(Duration::minutes(1))
    ///     .build()?;
    /// let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// let cookie = store.seal_at(&(), t0)?;
    /// let late = t0 + Duration::seconds(5 * 60 + 30); // idle deadline + 30 s
    /// let session = store.open_at::<()>(cookie.value(), late)?.anonymous().unwrap();
    /// assert!(session.info().in_leeway());
    /// assert_eq!(store.reseal_at(&session, late).unwrap_err(), SealError::SessionExpired);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_leeway(&self) -> bool {
        self.in_leeway
    }
}

/// An authenticated, unexpired session whose epoch (if it has a user) was
/// verified. Edit the data and [`SessionStore::reseal`](crate::SessionStore::reseal)
/// it to send it back.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let cookie = store.seal(&0u32)?;
/// let mut session = store.open::<u32>(cookie.value())?.anonymous().unwrap();
/// *session.data_mut() += 1;
/// let next = store.reseal(&session)?;
/// let again = store.open::<u32>(next.value())?.anonymous().unwrap();
/// assert_eq!(*again.data(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Verified<T> {
    pub(crate) data: T,
    pub(crate) user: Option<UserClaim>,
    pub(crate) info: SessionInfo,
}

impl<T> Verified<T> {
    /// The application's session data.
    #[must_use]
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The application's session data, to change before re-sealing.
    #[must_use]
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// The application's session data, by value.
    #[must_use]
    #[inline]
    pub fn into_data(self) -> T {
        self.data
    }

    /// The signed-in user, for user sessions.
    #[must_use]
    pub fn user_id(&self) -> Option<&UserId> {
        self.user.as_ref().map(|c| &c.id)
    }

    /// The user's epoch this session was verified against, for user sessions.
    #[must_use]
    pub fn epoch(&self) -> Option<u64> {
        self.user.as_ref().map(|c| c.epoch)
    }

    /// Facts about the cookie.
    #[must_use]
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }
}

/// A user session that is authentic and unexpired, but whose epoch has not
/// been checked yet. Look up the user's current epoch with
/// [`Unverified::user_id`], then call [`Unverified::verify_epoch`].
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, OpenError, Opened, SessionStore, UserId};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let cookie = store.seal_for_user(&UserId::from(42u64), 7, &"prefs")?;
/// let Opened::User(pending) = store.open::<String>(cookie.value())? else { unreachable!() };
/// assert_eq!(pending.user_id().as_u64(), Some(42));
/// // the user logged out everywhere: their epoch is now 8
/// assert_eq!(pending.clone().verify_epoch(8).unwrap_err(), OpenError::Revoked);
/// let session = pending.verify_epoch(7)?;
/// assert_eq!(session.data(), "prefs");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[must_use = "the session is only usable after verify_epoch"]
pub struct Unverified<T> {
    pub(crate) data: T,
    pub(crate) claim: UserClaim,
    pub(crate) info: SessionInfo,
}

impl<T> Unverified<T> {
    /// Whose session this is: look their current epoch up with it.
    #[must_use]
    pub fn user_id(&self) -> &UserId {
        &self.claim.id
    }

    /// Facts about the cookie.
    #[must_use]
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// Hands out the session if `current` is the user's current epoch.
    ///
    /// # Errors
    /// [`OpenError::Revoked`] if the epoch changed since the cookie was sealed.
    #[inline]
    pub fn verify_epoch(self, current: u64) -> Result<Verified<T>, OpenError> {
        if self.claim.epoch != current {
            return Err(OpenError::Revoked);
        }
        Ok(Verified {
            data: self.data,
            user: Some(self.claim),
            info: self.info,
        })
    }

    /// ⚠️ Hands out the session **without** checking the user's epoch, so
    /// "log out everywhere" does not apply to it. Only for code that cannot
    /// reach the epoch store and accepts that revoked sessions stay valid
    /// until they expire.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, Opened, SessionStore, UserId};
    /// # let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// # let cookie = store.seal_for_user(&UserId::from(1u64), 0, &())?;
    /// let Opened::User(pending) = store.open::<()>(cookie.value())? else { unreachable!() };
    /// let session = pending.dangerously_skip_epoch_check();
    /// assert_eq!(session.epoch(), Some(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn dangerously_skip_epoch_check(self) -> Verified<T> {
        Verified {
            data: self.data,
            user: Some(self.claim),
            info: self.info,
        }
    }
}

/// An opened cookie: an anonymous session, usable at once, or a user session
/// that needs its epoch verified.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, Opened, SessionStore, UserId};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let cookie = store.seal_for_user(&UserId::from(42u64), 3, &"data")?;
/// let epochs = |id: &UserId| (id.as_u64() == Some(42)).then_some(3u64); // your database
/// let session = match store.open::<String>(cookie.value())? {
///     Opened::Anonymous(session) => session,
///     Opened::User(pending) => {
///         let current = epochs(pending.user_id()).unwrap_or(u64::MAX);
///         pending.verify_epoch(current)?
///     }
/// };
/// assert_eq!(session.user_id(), Some(&UserId::from(42u64)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub enum Opened<T> {
    /// No user in the cookie: the session is ready.
    Anonymous(Verified<T>),
    /// A user session: call [`Unverified::verify_epoch`].
    User(Unverified<T>),
}

impl<T> Opened<T> {
    /// Facts about the cookie.
    #[must_use]
    pub fn info(&self) -> &SessionInfo {
        match self {
            Opened::Anonymous(s) => &s.info,
            Opened::User(u) => &u.info,
        }
    }

    /// The user, if this is a user session.
    #[must_use]
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Opened::Anonymous(_) => None,
            Opened::User(u) => Some(&u.claim.id),
        }
    }

    /// The session if it is anonymous; `None` for a user session (which
    /// must go through [`Unverified::verify_epoch`]).
    #[must_use]
    #[inline]
    pub fn anonymous(self) -> Option<Verified<T>> {
        match self {
            Opened::Anonymous(s) => Some(s),
            Opened::User(_) => None,
        }
    }

    /// Verifies with a synchronous epoch lookup: `lookup` returns the user's
    /// current epoch, or `None` if the user no longer exists (then the
    /// session is [`OpenError::Revoked`]). Anonymous sessions pass through.
    /// For an async database, match on [`Opened`] instead.
    ///
    /// # Errors
    /// [`OpenError::Revoked`] if the epoch differs or the user is gone.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// # let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let cookie = store.seal_for_user(&UserId::text("alice")?, 1, &())?;
    /// let session = store
    ///     .open::<()>(cookie.value())?
    ///     .verify_with(|user| (user.as_str() == Some("alice")).then_some(1))?;
    /// assert_eq!(session.epoch(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn verify_with(
        self,
        lookup: impl FnOnce(&UserId) -> Option<u64>,
    ) -> Result<Verified<T>, OpenError> {
        match self {
            Opened::Anonymous(s) => Ok(s),
            Opened::User(u) => match lookup(u.user_id()) {
                Some(current) => u.verify_epoch(current),
                None => Err(OpenError::Revoked),
            },
        }
    }
}

// `Debug` never prints the session data: it is decrypted plaintext (and, for
// an `Unverified`, possibly a revoked user's), which has no place in logs.

impl<T> fmt::Debug for Verified<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("user_id", &self.user_id())
            .field("info", &self.info)
            .field("data", &format_args!(".."))
            .finish()
    }
}

impl<T> fmt::Debug for Unverified<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unverified")
            .field("user_id", &self.claim.id)
            .field("info", &self.info)
            .field("data", &format_args!(".."))
            .finish()
    }
}

impl<T> fmt::Debug for Opened<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opened::Anonymous(s) => f.debug_tuple("Anonymous").field(s).finish(),
            Opened::User(u) => f.debug_tuple("User").field(u).finish(),
        }
    }
}
