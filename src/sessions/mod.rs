//! [`Sessions`]: the session cookie's name, its attributes and the live
//! store (with its clock), in one cheap-to-clone value that every adapter (and your
//! own glue for any other framework) works through.

pub mod cookie;
pub mod engine;
pub(crate) mod epoch_source;
pub(crate) mod error;
pub(crate) mod events;
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) mod handle;
pub mod testing;

use core::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::cookie::{Cookie, CookieOptions, CookieOptionsError};
use crate::engine::{Arrival, Outcome, SessionState};
use crate::error::SealError;

use crate::id::UserId;
use crate::revocation::RevocationSet;
use crate::session::Sealed;
use crate::sessions::error::SessionError;
use crate::store::SessionStore;

struct Shared {
    store: ArcSwap<SessionStore>,
    options: CookieOptions,
    /// Built (and so checked) once: the name and the options never change.
    removal: Cookie<'static>,
    /// Checked on every open, fed by logouts.
    revocations: Option<RevocationSet>,
}

/// The crate's one place for the session cookie: its name, its attributes
/// ([`CookieOptions`], checked once here) and the live [`SessionStore`]
/// (swap it to rotate keys while requests are in flight), whose [`Clock`]
/// it reads.
///
/// Cheap to clone (an `Arc`), `Send + Sync`. Reading the store takes no
/// lock; [`Sessions::replace`] is one atomic swap, and a request keeps the
/// store it started with.
///
/// The axum layer and the actix-web middleware run on it. For any other
/// framework (Rocket, Poem, Salvo, plain hyper) call it directly:
/// [`Sessions::open`] on the request, [`Sessions::finish`] for the
/// response's `Set-Cookie`.
///
/// # Example
/// ```
/// use sealed_session::cookie::CookieOptions;
/// use sealed_session::engine::Arrival;
/// use sealed_session::{Key, KeyRing, SessionStore, Sessions};
///
/// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
/// let sessions = Sessions::new(store, CookieOptions::new())?;
///
/// // a request without a cookie; the handler counts
/// let Arrival::Ready(mut state) = sessions.open::<u32>([""]) else { unreachable!() };
/// *state.data_mut() += 1;
/// let set_cookie = sessions.finish(&state, 200)?.expect("a new session");
/// assert!(set_cookie.to_string().starts_with("__Host-session="));
///
/// // the next request sends it back
/// let header = set_cookie.stripped().to_string();
/// let Arrival::Ready(state) = sessions.open::<u32>([header]) else { unreachable!() };
/// assert_eq!(state.data(), Some(&1));
/// assert!(sessions.finish(&state, 200)?.is_none()); // unchanged: no Set-Cookie
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Sessions {
    shared: Arc<Shared>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("store", &**self.shared.store.load())
            .field("options", &self.shared.options)
            .finish()
    }
}

impl Sessions {
    /// Puts `store` and the cookie `options` together, on the store's
    /// clock. The options are checked against the store's cookie name here,
    /// once, so every cookie made later is one browsers accept.
    ///
    /// The cookie name must carry the `__Host-` prefix: browsers then
    /// refuse a cookie of that name planted by a sibling subdomain (cookie
    /// tossing) or a plain-HTTP page. A name without it is refused unless
    /// the options say so loudly:
    /// [`CookieOptions::dangerously_allow_unprefixed_name`].
    ///
    /// # Errors
    /// [`CookieOptionsError`] if the options do not suit the name (for
    /// example a `__Host-` name with a `Domain`), or
    /// [`CookieOptionsError::NoHostPrefix`] for a name without `__Host-`.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::{CookieOptions, CookieOptionsError};
    /// use sealed_session::{Key, KeyRing, SessionStore, Sessions};
    ///
    /// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
    /// let err = Sessions::new(store, CookieOptions::new().domain("example.com")).unwrap_err();
    /// assert_eq!(err, CookieOptionsError::HostPrefix);
    ///
    /// let plain = SessionStore::builder("session", KeyRing::new(1, Key::generate())).build()?;
    /// let err = Sessions::new(plain.clone(), CookieOptions::new()).unwrap_err();
    /// assert_eq!(err, CookieOptionsError::NoHostPrefix);
    /// Sessions::new(plain, CookieOptions::new().dangerously_allow_unprefixed_name())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        store: SessionStore,
        options: CookieOptions,
    ) -> Result<Sessions, CookieOptionsError> {
        options.validate_for_sessions(store.cookie_name())?;
        let removal = options.removal(store.cookie_name())?;
        Ok(Sessions {
            shared: Arc::new(Shared {
                store: ArcSwap::from_pointee(store),
                options,
                removal,
                revocations: None,
            }),
        })
    }

    /// The same, checking every session against `revocations` (a
    /// [`RevocationSet`]; fed through Redis by the `sealed-session-redis` crate, to share
    /// it across servers). Clones made before keep their setting.
    ///
    /// * **Every open** checks the cookie first, with hash lookups and no
    ///   I/O (and before the epoch lookup): a revoked session is answered
    ///   like a revoked epoch, no session and the removal cookie.
    /// * **[`logout`](SessionState::logout) revokes the session**, not just
    ///   the browser's cookie: a copy of the cookie (and any re-seal of it)
    ///   is refused from then on, here and, through the feed, on every
    ///   server. A login over a user session revokes that session too.
    /// * **Log out everywhere**: [`Sessions::revoke_user`] (the extractors'
    ///   `logout_everywhere`), no epoch needed.
    /// * While a fed set is **stale** (it could not confirm within its
    ///   bound that it is caught up), user sessions fail closed: the
    ///   adapters answer 503 and leave the cookie alone. Anonymous sessions
    ///   are not affected.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::engine::Arrival;
    /// use sealed_session::{Key, KeyRing, OpenError, RevocationSet, SessionStore, Sessions, UserId};
    ///
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// let revocations = RevocationSet::new(&store);
    /// let sessions = Sessions::new(store, CookieOptions::new())?.with_revocations(revocations);
    ///
    /// let Arrival::Ready(mut state) = sessions.open::<u32>([""]) else { unreachable!() };
    /// state.login(UserId::from(7u64), 0, 7);
    /// let copy = sessions.finish(&state, 200)?.unwrap().stripped().to_string(); // kept by an attacker
    ///
    /// let Arrival::NeedsEpoch(pending) = sessions.open::<u32>([copy.as_str()]) else { unreachable!() };
    /// let mut state = pending.verify(Some(0));
    /// state.logout();
    /// assert_eq!(sessions.finish(&state, 200)?.unwrap().value(), ""); // removal cookie, and revoked
    ///
    /// let Arrival::Ready(state) = sessions.open::<u32>([copy.as_str()]) else { unreachable!() };
    /// assert_eq!(state.cookie_error(), Some(OpenError::Revoked)); // the copy no longer opens
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_revocations(self, revocations: RevocationSet) -> Sessions {
        revocations.cover_store(&self.shared.store.load());
        Sessions {
            shared: Arc::new(Shared {
                store: ArcSwap::new(self.shared.store.load_full()),
                options: self.shared.options.clone(),
                removal: self.shared.removal.clone(),
                revocations: Some(revocations),
            }),
        }
    }

    /// The revocation set sessions are checked against, if any
    /// ([`Sessions::with_revocations`]).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{cookie::CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// let sessions = Sessions::new(store.clone(), CookieOptions::new())?;
    /// assert!(sessions.revocations().is_none());
    /// let sessions = sessions.with_revocations(RevocationSet::new(&store));
    /// assert!(sessions.revocations().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn revocations(&self) -> Option<&RevocationSet> {
        self.shared.revocations.as_ref()
    }

    /// Log out everywhere: revokes every session of `user` that logged in
    /// up to now (the clock's time, to the second), in the
    /// [revocation set](Sessions::with_revocations) and, through its feed,
    /// on every server. No epoch is needed. Logging in again at once works:
    /// a login in the same second is sealed at the next one (inside the
    /// leeway; with a zero leeway, log in again a second later).
    ///
    /// # Errors
    /// [`SessionError::NoRevocationSet`] if these sessions have no
    /// revocation set: nothing is revoked (bump the user's epoch instead).
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::engine::Arrival;
    /// use sealed_session::{Key, KeyRing, OpenError, RevocationSet, SessionStore, Sessions, UserId};
    ///
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// let laptop = store.seal_for_user(&UserId::from(7u64), 0, &())?;
    /// let header = format!("__Host-sid={}", laptop.value());
    /// let sessions = Sessions::new(store.clone(), CookieOptions::new())?;
    /// assert!(sessions.revoke_user(&UserId::from(7u64)).is_err());
    ///
    /// let sessions = sessions.with_revocations(RevocationSet::new(&store));
    /// sessions.revoke_user(&UserId::from(7u64))?;
    /// let Arrival::Ready(state) = sessions.open::<()>([header]) else { unreachable!() };
    /// assert_eq!(state.cookie_error(), Some(OpenError::Revoked));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke_user(&self, user: &UserId) -> Result<(), SessionError> {
        let set = self.revocations().ok_or(SessionError::NoRevocationSet)?;
        let now = self.now();
        let until = set.user_until(user, now.unix_timestamp());
        let until = OffsetDateTime::from_unix_timestamp(until).unwrap_or(now);
        set.revoke_at(
            crate::Revocation::User {
                user: user.clone(),
                logged_in_until: until,
            },
            now,
        );
        events::logout_everywhere(user);
        Ok(())
    }

    /// The current store (a cheap clone). Keys rotate with
    /// [`Sessions::replace`].
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{cookie::CookieOptions, Key, KeyRing, SessionStore, Sessions};
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(3, Key::generate())).build()?;
    /// let sessions = Sessions::new(store, CookieOptions::new())?;
    /// assert_eq!(sessions.store().sealing_key_id(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn store(&self) -> SessionStore {
        SessionStore::clone(&self.shared.store.load())
    }

    /// Swaps in a new store, for example one built from a rotated key ring.
    /// Atomic: a request in flight finishes with the store it started
    /// with, the next one uses the new one. Cookies sealed under the old
    /// sealing key are re-sealed under the new one on their next request
    /// (keep the old key as a retired key until then). The new store's
    /// clock is the clock from then on.
    ///
    /// # Errors
    /// [`CookieOptionsError::NameMismatch`] if the store is for another
    /// cookie name (the options were checked against this one); nothing is
    /// swapped.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore, Sessions};
    ///
    /// let mut ring = KeyRing::new(1, Key::generate());
    /// let sessions = Sessions::new(SessionStore::builder("__Host-sid", ring.clone()).build()?, CookieOptions::new())?;
    /// ring.rotate(2, Key::generate())?; // key 1 stays, retired
    /// sessions.replace(SessionStore::builder("__Host-sid", ring).build()?)?;
    /// assert_eq!(sessions.store().sealing_key_id(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace(&self, store: SessionStore) -> Result<(), CookieOptionsError> {
        if self.shared.store.load().cookie_name() != store.cookie_name() {
            return Err(CookieOptionsError::NameMismatch);
        }
        // The set keeps entries for the longest-lived store it served.
        if let Some(set) = self.revocations() {
            set.cover_store(&store);
        }
        self.shared.store.store(Arc::new(store));
        Ok(())
    }

    /// The cookie's attributes.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{cookie::CookieOptions, Key, KeyRing, SessionStore, Sessions};
    /// # let store = SessionStore::builder("app", KeyRing::new(1, Key::generate())).build()?;
    /// let options = CookieOptions::new().path("/app").dangerously_allow_unprefixed_name();
    /// let sessions = Sessions::new(store, options)?;
    /// assert_eq!(sessions.options(), &options_again());
    /// # fn options_again() -> CookieOptions {
    /// #     CookieOptions::new().path("/app").dangerously_allow_unprefixed_name()
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(&self) -> &CookieOptions {
        &self.shared.options
    }

    /// The clock: the current store's ([`StoreBuilder::clock`](crate::StoreBuilder::clock)).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{cookie::CookieOptions, Key, KeyRing, SessionStore, Sessions};
    /// # let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// let sessions = Sessions::new(store, CookieOptions::new())?;
    /// assert_eq!(format!("{:?}", sessions.clock()), "Clock::system()");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn clock(&self) -> Clock {
        self.shared.store.load().clock().clone()
    }

    /// The clock's current time.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.shared.store.load().clock().now()
    }

    /// The request side: opens the session out of the request's `Cookie`
    /// header field(s) with the current store, at the clock's time: the
    /// cookie is checked against the revocation set (if any) before the
    /// epoch lookup, so a revoked cookie costs no database query.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::engine::Arrival;
    /// use sealed_session::{Key, KeyRing, SessionStore, Sessions, UserId};
    ///
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// let cookie = store.seal_for_user(&UserId::from(9u64), 4, &())?;
    /// let sessions = Sessions::new(store, CookieOptions::new())?;
    /// let header = format!("__Host-sid={}", cookie.value());
    /// let state = match sessions.open::<()>([header]) {
    ///     Arrival::Ready(state) => state,
    ///     Arrival::NeedsEpoch(pending) => pending.verify(Some(4)), // from your database
    ///     Arrival::Unavailable(err) => return Err(err.into()), // answer 503
    /// };
    /// assert_eq!(state.user_id(), Some(&UserId::from(9u64)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open<T: DeserializeOwned>(
        &self,
        cookie_fields: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Arrival<T> {
        let store = self.shared.store.load();
        let now = store.clock().now();
        match &self.shared.revocations {
            Some(set) => SessionState::open_checked(&store, cookie_fields, now, set),
            None => SessionState::open(&store, cookie_fields, now),
        }
    }

    /// The response side: the `Set-Cookie` for what the request did with
    /// its session (`None`: send none), at the clock's time, given the
    /// response's status. For a server error (`status` 500 to 599) a
    /// changed session is not kept: see [`SessionState::finish_after_error`].
    /// Every per-request rule is applied here: a login in the second of the
    /// user's "log out everywhere" is sealed just past it, what the request
    /// ended is revoked (unless the old cookie is kept), and logins and
    /// logouts are reported.
    ///
    /// # Errors
    /// As [`SessionState::finish`]; [`SealError::TooLarge`] above all. Answer
    /// with an error page (and log it), never with a missing cookie.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::engine::Arrival;
    /// use sealed_session::{Key, KeyRing, SessionStore, Sessions};
    ///
    /// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
    /// let sessions = Sessions::new(store, CookieOptions::new())?;
    /// let Arrival::Ready(mut state) = sessions.open::<u8>(["__Host-sid=tampered"]) else { unreachable!() };
    /// let removal = sessions.finish(&state, 200)?.expect("the removal cookie");
    /// assert_eq!(removal.value(), "");
    /// state.logout();
    /// assert!(sessions.finish(&state, 200)?.is_some());
    ///
    /// let Arrival::Ready(mut state) = sessions.open::<u8>([""]) else { unreachable!() };
    /// *state.data_mut() = 1;
    /// assert!(sessions.finish(&state, 500)?.is_none()); // a 5xx keeps no new session
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish<T: Serialize>(
        &self,
        state: &SessionState<T>,
        status: u16,
    ) -> Result<Option<Cookie<'static>>, SealError> {
        // The request's own store: its keys and its clock, even if the
        // store was replaced while the request ran.
        let now = state.store().clock().now();
        let outcome = if (500..600).contains(&status) {
            state.finish_after_error(now)?
        } else {
            state.finish(self.login_time(state, now))?
        };
        self.settle(state, &outcome, now);
        Ok(self.set_cookie(&outcome, now))
    }

    /// Log out everywhere from inside a request (the handles'
    /// `logout_everywhere`): the user's sessions are revoked at once, not
    /// at [`finish`](Sessions::finish) as a [`logout`](SessionState::logout)
    /// is, so a failing response cannot undo it; then this request's
    /// session ends. Without a revocation set nothing changes.
    #[cfg(any(feature = "axum", feature = "actix-web"))]
    pub(crate) fn logout_everywhere<T>(
        &self,
        state: &mut SessionState<T>,
    ) -> Result<(), SessionError> {
        if let Some(user) = state.user_id() {
            self.revoke_user(user)?;
        }
        state.logout();
        Ok(())
    }

    /// When a new login is sealed: now, or just past the user's "log out
    /// everywhere" point if that covers now (it reaches the leeway ahead,
    /// to cover servers whose clocks run ahead), so logging in again right
    /// after works. A login in the very second of the revocation is sealed
    /// ahead of the clock and opens from the next second on.
    fn login_time<T>(&self, state: &SessionState<T>, now: OffsetDateTime) -> OffsetDateTime {
        let (Some(set), Some(user), None) = (self.revocations(), state.user_id(), state.info())
        else {
            return now;
        };
        set.login_floor(user, now.unix_timestamp())
            .and_then(|floor| OffsetDateTime::from_unix_timestamp(floor).ok())
            .map_or(now, |floor| floor.max(now))
    }

    /// After the decision: revoke what the request ended (unless the
    /// response keeps the old cookie, as a failed login does), and report
    /// logins and logouts.
    fn settle<T>(&self, state: &SessionState<T>, outcome: &Outcome, now: OffsetDateTime) {
        let ended = state.ended_session();
        let mut revoked = false;
        if let (Some(set), Some(ended)) = (&self.shared.revocations, ended)
            && *outcome != Outcome::Unchanged
        {
            set.revoke_at(ended.clone(), now);
            revoked = true;
        }
        match outcome {
            Outcome::Fresh(_) => {
                if let Some(user) = state.user_id() {
                    events::login(user);
                }
                if ended.is_some() {
                    events::logout(None, revoked);
                }
            }
            Outcome::Remove if state.is_logged_out() => {
                events::logout(state.logged_out_user(), revoked);
            }
            Outcome::Remove | Outcome::Resealed(_) | Outcome::Unchanged => {}
        }
    }

    /// The `Set-Cookie` for an [`Outcome`] decided at `now`: the sealed
    /// cookie, the removal cookie, or `None`.
    fn set_cookie(&self, outcome: &Outcome, now: OffsetDateTime) -> Option<Cookie<'static>> {
        match outcome {
            Outcome::Unchanged => None,
            Outcome::Resealed(sealed) | Outcome::Fresh(sealed) => {
                Some(self.cookie_for(sealed, now))
            }
            Outcome::Remove => Some(self.removal()),
        }
    }

    /// The removal cookie: the cookie's name with the same `Path`,
    /// `Domain`, `Secure`, `HttpOnly` and `SameSite` as the session cookie
    /// (otherwise the browser keeps a `__Host-` or sub-path cookie), an
    /// empty value, `Max-Age=0` and an `Expires` in 1970.
    pub(crate) fn removal(&self) -> Cookie<'static> {
        self.shared.removal.clone()
    }

    /// A cookie for a value the request's store sealed: same name, options
    /// checked in [`Sessions::new`], so this cannot fail. Were it ever to,
    /// the browser gets the removal cookie (signed out), never a panic.
    fn cookie_for(&self, sealed: &Sealed, now: OffsetDateTime) -> Cookie<'static> {
        self.shared
            .options
            .cookie_at(sealed, now)
            .unwrap_or_else(|_| self.removal())
    }
}
