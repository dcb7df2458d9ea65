//! The session engine: one request's session, from the `Cookie` header to
//! the `Set-Cookie`, as a small synchronous state machine. Every adapter
//! (the axum layer, the actix-web middleware, your own glue for another
//! framework) runs on it, so the rules live in one place.
//!
//! The public door is [`Sessions`](crate::Sessions); this module holds the
//! per-request state it hands out.
//!
//! * **Request side.** [`Sessions::open`](crate::Sessions::open) finds and
//!   opens the session cookie in the request's `Cookie` header field(s). An
//!   anonymous session is ready at once ([`Arrival::Ready`]); a user session
//!   waits for its epoch check ([`Arrival::NeedsEpoch`]), and only
//!   [`PendingEpoch::verify`] turns it into a [`SessionState`]; a stale
//!   revocation feed makes it [`Arrival::Unavailable`]. A cookie that was
//!   sent but did not open (tampered, expired, revoked, several different
//!   ones: [`OpenError`]) is remembered, so the response removes it.
//! * **Handler.** Read the data ([`SessionState::data`]), change it
//!   ([`SessionState::data_mut`]), [`login`](SessionState::login) a user or
//!   [`logout`](SessionState::logout).
//! * **Response side.** [`Sessions::finish`](crate::Sessions::finish), given
//!   the response's status, decides the `Set-Cookie`: none, the session
//!   re-sealed, a fresh cookie, or the removal cookie.
//!
//! # The rules
//!
//! | the request carried | the handler | outcome |
//! |---|---|---|
//! | no session cookie | read, or nothing | no `Set-Cookie` |
//! | no session cookie | changed the data | a fresh cookie (anonymous) |
//! | a cookie that did not open (tampered, expired, idle-expired, revoked, unknown user, several different ones) | read, or nothing | the removal cookie |
//! | a cookie that did not open | changed the data | a fresh cookie (anonymous) |
//! | a valid session | read, nothing due | no `Set-Cookie` |
//! | a valid session | read; [a re-seal reason](crate::ResealReasons): idle window half used, retired key, tightened policy, older schema or format | re-sealed |
//! | a valid session | changed the data | re-sealed |
//! | a session open only thanks to the leeway | read | no `Set-Cookie` (it is never re-sealed) |
//! | a session open only thanks to the leeway | changed the data | the removal cookie (the session has ended) |
//! | anything | `login(user, epoch, data)` | a fresh cookie (a new login time) |
//! | anything | `logout()` | the removal cookie |
//!
//! A re-sealed cookie keeps the login time and the absolute deadline; only
//! the idle window slides. If the response is a server error (5xx),
//! nothing is sealed (a half-done change is not kept), but removals still
//! happen.
//!
//! A session that no longer fits the size cap is an error
//! ([`SealError::TooLarge`]), never a silently dropped cookie;
//! [`SessionState::check_size`] is the pre-flight check.
//!
//! # Example
//! ```
//! use sealed_session::engine::{Arrival, Outcome, SessionState};
//! use sealed_session::{Key, KeyRing, SessionStore, UserId};
//! use time::OffsetDateTime;
//!
//! let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
//! let now = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
//!
//! // Request 1: no cookie; the handler logs user 42 in (their epoch is 0).
//! let Arrival::Ready(mut state) = SessionState::<u32>::open(&store, ["theme=dark"], now) else {
//!     unreachable!("no session cookie")
//! };
//! state.login(UserId::from(42u64), 0, 1);
//! let Outcome::Fresh(sealed) = state.finish(now)? else { unreachable!() };
//!
//! // Request 2: the cookie comes back; the user's epoch is looked up.
//! let header = format!("__Host-session={}", sealed.value());
//! let Arrival::NeedsEpoch(pending) = SessionState::<u32>::open(&store, [header.as_str()], now) else {
//!     unreachable!("a user session")
//! };
//! assert_eq!(pending.user_id(), &UserId::from(42u64));
//! let mut state = pending.verify(Some(0)); // current epoch 0: still valid
//! *state.data_mut() += 1;
//! assert!(matches!(state.finish(now)?, Outcome::Resealed(_)));
//!
//! // Request 3: the user logged out everywhere (epoch 1): removal cookie.
//! let Arrival::NeedsEpoch(pending) = SessionState::<u32>::open(&store, [header.as_str()], now) else {
//!     unreachable!()
//! };
//! let state = pending.verify(Some(1));
//! assert_eq!(state.data(), None);
//! assert_eq!(state.finish(now)?, Outcome::Remove);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::cookie::{Cookie, MAX_HEADER_PAIRS};
use crate::error::{OpenError, SealError};
use crate::format::nonce;
use crate::id::SessionId;
use crate::id::UserId;
use crate::revocation::{Revocation, RevocationError, RevocationSet};
use crate::session::{Opened, Sealed, SessionInfo, Unverified, Verified};
use crate::sessions::events;
use crate::store::SessionStore;

/// What the response does with the session cookie, decided by
/// [`SessionState::finish`].
///
/// # Example
/// ```
/// use sealed_session::engine::{Arrival, Outcome, SessionState};
/// use sealed_session::{Key, KeyRing, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let now = time::OffsetDateTime::now_utc();
/// let Arrival::Ready(state) = SessionState::<()>::open(&store, ["sid=forged"], now) else {
///     unreachable!()
/// };
/// assert_eq!(state.finish(now)?, Outcome::Remove);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[doc(hidden)] // what `SessionState::finish` decided; `Sessions::finish` turns it into a cookie
pub enum Outcome {
    /// No `Set-Cookie`: the browser's cookie is fine as it is (or there is
    /// none and nothing to store).
    Unchanged,
    /// The same session sealed again: same user, epoch, login time and
    /// absolute deadline; a renewed idle window; the current sealing key.
    Resealed(Sealed),
    /// A new cookie: a login, or a new anonymous session.
    Fresh(Sealed),
    /// The removal cookie: logout, or a cookie that did not open.
    Remove,
}

impl Outcome {
    /// The sealed value to send, for [`Outcome::Resealed`] and
    /// [`Outcome::Fresh`].
    ///
    /// # Example
    /// ```
    /// assert!(sealed_session::engine::Outcome::Remove.sealed().is_none());
    /// ```
    #[must_use]
    pub fn sealed(&self) -> Option<&Sealed> {
        match self {
            Outcome::Resealed(sealed) | Outcome::Fresh(sealed) => Some(sealed),
            Outcome::Unchanged | Outcome::Remove => None,
        }
    }
}

/// The request side's result: a session ready to use, a user session that
/// needs its epoch checked first, or a user session that cannot be checked
/// now (the revocation feed is stale). Every caller must handle all three:
/// there is no session state to run a handler on while sessions are
/// unavailable.
///
/// # Example
/// ```
/// use sealed_session::engine::{Arrival, SessionState};
/// use sealed_session::{Key, KeyRing, SessionStore, UserId};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let now = time::OffsetDateTime::now_utc();
/// let cookie = store.seal_for_user_at(&UserId::from(7u64), 3, &"data", now)?;
/// let header = format!("sid={}", cookie.value());
/// let state = match SessionState::<String>::open(&store, [header.as_str()], now) {
///     Arrival::Ready(state) => state,
///     Arrival::NeedsEpoch(pending) => {
///         let current = Some(3); // look pending.user_id() up in your database
///         pending.verify(current)
///     }
///     // only with a revocation set whose feed is stale: answer 503
///     Arrival::Unavailable(err) => return Err(err.into()),
/// };
/// assert_eq!(state.data().map(String::as_str), Some("data"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Glue that forgets the stale-feed case does not compile (so it cannot
/// run a handler on an empty session and overwrite a valid user cookie):
///
/// ```compile_fail,E0004
/// # use sealed_session::engine::{Arrival, SessionState};
/// # fn glue(opening: Arrival<u32>) -> SessionState<u32> {
/// match opening {
///     Arrival::Ready(state) => state,
///     Arrival::NeedsEpoch(pending) => pending.verify(Some(0)),
/// }
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub enum Arrival<T> {
    /// No user session in the cookie (none at all, an anonymous one, or one
    /// that did not open): ready.
    Ready(SessionState<T>),
    /// A user session: look the user's current epoch up, then
    /// [`PendingEpoch::verify`].
    NeedsEpoch(PendingEpoch<T>),
    /// A user session that cannot be checked now: the revocation feed is
    /// stale ([`RevocationError::Stale`]), so it fails closed. Answer with
    /// an error (the adapters answer 503) without running the handler and
    /// without a `Set-Cookie`: the cookie may well be valid, and a handler
    /// that ran on an empty session would replace it. Anonymous sessions
    /// are never unavailable.
    Unavailable(RevocationError),
}

/// A user session whose epoch has not been checked yet. Its data is not
/// reachable until [`PendingEpoch::verify`].
///
/// If the epoch cannot be looked up (the database is down), drop it and
/// answer with an error: no `Set-Cookie`, so a valid cookie survives the
/// outage, and the data was never seen.
///
/// # Example
/// ```
/// use sealed_session::engine::{Arrival, Outcome, SessionState};
/// use sealed_session::{Key, KeyRing, OpenError, SessionStore, UserId};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let now = time::OffsetDateTime::now_utc();
/// let cookie = store.seal_for_user_at(&UserId::from(7u64), 3, &(), now)?;
/// let header = format!("sid={}", cookie.value());
/// let Arrival::NeedsEpoch(pending) = SessionState::<()>::open(&store, [header.as_str()], now) else {
///     unreachable!()
/// };
/// let state = pending.verify(None); // no such user any more
/// assert_eq!(state.cookie_error(), Some(OpenError::Revoked));
/// assert_eq!(state.finish(now)?, Outcome::Remove);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the session is only usable after verify"]
pub struct PendingEpoch<T> {
    store: SessionStore,
    unverified: Unverified<T>,
}

impl<T> fmt::Debug for PendingEpoch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingEpoch")
            .field("user_id", self.unverified.user_id())
            .finish_non_exhaustive()
    }
}

impl<T> PendingEpoch<T> {
    /// Whose session this is: look their current epoch up with it.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::{Arrival, SessionState};
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let now = time::OffsetDateTime::now_utc();
    /// let cookie = store.seal_for_user_at(&UserId::from(7u64), 3, &(), now)?;
    /// let header = format!("sid={}", cookie.value());
    /// let Arrival::NeedsEpoch(pending) = SessionState::<()>::open(&store, [header.as_str()], now) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(pending.user_id(), &UserId::from(7u64));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn user_id(&self) -> &UserId {
        self.unverified.user_id()
    }

    /// Facts about the cookie (login time, deadlines, session id), before
    /// the epoch check: for logging, or a check of your own. The data stays
    /// out of reach until [`PendingEpoch::verify`].
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::{Arrival, SessionState};
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// let cookie = store.seal_for_user_at(&UserId::from(7u64), 3, &(), now)?;
    /// let header = format!("sid={}", cookie.value());
    /// let Arrival::NeedsEpoch(pending) = SessionState::<()>::open(&store, [header.as_str()], now) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(pending.info().login_at(), now);
    /// let _id = pending.info().session_id(); // every cookie carries one
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn info(&self) -> &SessionInfo {
        self.unverified.info()
    }

    /// Checks the session against the user's current epoch, `None` if the
    /// user does not exist (any more). A mismatch or a missing user ends
    /// the session ([`OpenError::Revoked`]): the handler sees no session and
    /// the response removes the cookie.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::{Arrival, SessionState};
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let now = time::OffsetDateTime::now_utc();
    /// let cookie = store.seal_for_user_at(&UserId::from(7u64), 3, &(), now)?;
    /// let header = format!("sid={}", cookie.value());
    /// let Arrival::NeedsEpoch(pending) = SessionState::<()>::open(&store, [header.as_str()], now) else {
    ///     unreachable!()
    /// };
    /// let state = pending.verify(Some(3));
    /// assert_eq!(state.epoch(), Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(self, current_epoch: Option<u64>) -> SessionState<T> {
        let result = match current_epoch {
            Some(epoch) => self.unverified.verify_epoch(epoch),
            None => Err(OpenError::Revoked),
        };
        match result {
            Ok(session) => SessionState::with(
                self.store,
                Sent::Opened,
                Phase::Open {
                    session,
                    changed: false,
                },
            ),
            Err(err) => {
                events::cookie_rejected(self.store.cookie_name(), err);
                SessionState::with(self.store, Sent::Rejected(err), Phase::Empty)
            }
        }
    }
}

/// What the request's `Cookie` header carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Nothing,
    Opened,
    Rejected(OpenError),
}

enum Phase<T> {
    /// No session: reads see nothing, a change starts an anonymous one.
    Empty,
    /// The request's session, verified (or anonymous).
    Open { session: Verified<T>, changed: bool },
    /// A session made in this request: a login, or a first change. Its
    /// session id is drawn when it is made (`None` if the generator failed:
    /// sealing then tries again).
    New {
        user: Option<(UserId, u64)>,
        data: T,
        id: Option<SessionId>,
    },
    /// `logout()` was called.
    LoggedOut,
}

/// One request's session: what the browser sent, what the handler did, and
/// (in [`SessionState::finish`]) the `Set-Cookie` that follows.
///
/// It keeps the [`SessionStore`] the request opened with, so a key rotation
/// during the request does not mix two stores.
///
/// `Debug` never prints the session data.
///
/// # Example
/// ```
/// use sealed_session::engine::{Arrival, Outcome, SessionState};
/// use sealed_session::{Key, KeyRing, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let now = time::OffsetDateTime::now_utc();
/// let Arrival::Ready(mut state) = SessionState::<Vec<u32>>::open(&store, [""], now) else {
///     unreachable!()
/// };
/// assert_eq!(state.data(), None); // no session yet
/// state.data_mut().push(7); // starts an anonymous one
/// let Outcome::Fresh(sealed) = state.finish(now)? else { unreachable!() };
/// assert!(sealed.value().len() > 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionState<T> {
    store: SessionStore,
    sent: Sent,
    phase: Phase<T>,
    /// The request's session, once `logout` (or a login over a user
    /// session) ended it: what to revoke.
    ended: Option<Revocation>,
    /// The user `logout()` signed out, for the logout event.
    logged_out_user: Option<UserId>,
}

impl<T> fmt::Debug for SessionState<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match &self.phase {
            Phase::Empty => "empty",
            Phase::Open { changed: false, .. } => "open",
            Phase::Open { changed: true, .. } => "open, changed",
            Phase::New { .. } => "new",
            Phase::LoggedOut => "logged out",
        };
        f.debug_struct("SessionState")
            .field("cookie_name", &self.store.cookie_name())
            .field("sent", &self.sent)
            .field("phase", &phase)
            .field("user_id", &self.user_id())
            .finish_non_exhaustive()
    }
}

/// Runs `f` on all `Cookie` header fields of a request as one string, the
/// way HTTP/1.1 sends them (HTTP/2 may split them into several fields): no
/// copy for the usual single field. Bytes that are not UTF-8 only spoil the
/// cookie they are in.
pub(crate) fn with_header<I, R>(fields: I, f: impl FnOnce(&str) -> R) -> R
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut fields = fields.into_iter();
    let Some(first) = fields.next() else {
        return f("");
    };
    let Some(second) = fields.next() else {
        return f(&String::from_utf8_lossy(first.as_ref()));
    };
    let mut all = String::from_utf8_lossy(first.as_ref()).into_owned();
    for field in core::iter::once(second).chain(fields) {
        all.push_str("; ");
        all.push_str(&String::from_utf8_lossy(field.as_ref()));
    }
    f(&all)
}

impl<T: DeserializeOwned> SessionState<T> {
    /// The request side: finds and opens the session cookie in the
    /// request's `Cookie` header field(s) at `now`. Pass every field (an
    /// HTTP/2 request may have several); `&str`, `&[u8]` and `http`'s
    /// `HeaderValue` all work.
    #[doc(hidden)] // the door is `Sessions::open`
    pub fn open<I>(store: &SessionStore, cookie_fields: I, now: OffsetDateTime) -> Arrival<T>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        Self::open_inner(store, cookie_fields, now, None)
    }

    /// [`SessionState::open`], then the session checked against
    /// `revocations` before anything else (hash lookups, no I/O; before the
    /// epoch lookup, so a revoked cookie costs no database query):
    #[doc(hidden)] // the door is `Sessions::open`
    pub fn open_checked<I>(
        store: &SessionStore,
        cookie_fields: I,
        now: OffsetDateTime,
        revocations: &RevocationSet,
    ) -> Arrival<T>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        Self::open_inner(store, cookie_fields, now, Some(revocations))
    }

    fn open_inner<I>(
        store: &SessionStore,
        cookie_fields: I,
        now: OffsetDateTime,
        revocations: Option<&RevocationSet>,
    ) -> Arrival<T>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let store = store.clone();
        let opened = with_header(cookie_fields, |header| {
            open_header::<T>(&store, header, now)
        });
        let checked = match (opened, revocations) {
            (Ok(Some(opened)), Some(set)) => match set.check(opened.info(), opened.user_id()) {
                Ok(()) => Ok(Some(opened)),
                Err(RevocationError::Revoked) => Err(Sent::Rejected(OpenError::Revoked)),
                Err(err) => {
                    events::session_unavailable();
                    return Arrival::Unavailable(err);
                }
            },
            (opened, _) => opened.map_err(Sent::Rejected),
        };
        if let Err(Sent::Rejected(err)) = checked {
            events::cookie_rejected(store.cookie_name(), err);
        }
        match checked {
            Ok(None) => Arrival::Ready(SessionState::with(store, Sent::Nothing, Phase::Empty)),
            Err(sent) => Arrival::Ready(SessionState::with(store, sent, Phase::Empty)),
            Ok(Some(Opened::Anonymous(session))) => Arrival::Ready(SessionState::with(
                store,
                Sent::Opened,
                Phase::Open {
                    session,
                    changed: false,
                },
            )),
            Ok(Some(Opened::User(unverified))) => {
                Arrival::NeedsEpoch(PendingEpoch { store, unverified })
            }
        }
    }
}

impl<T> SessionState<T> {
    fn with(store: SessionStore, sent: Sent, phase: Phase<T>) -> SessionState<T> {
        SessionState {
            store,
            sent,
            phase,
            ended: None,
            logged_out_user: None,
        }
    }

    /// A session id for a session made in this request.
    fn fresh_id(&self) -> Option<SessionId> {
        nonce::session_id().ok()
    }

    /// Remembers the request's own session as ended (to be revoked), if
    /// it carries a user. An anonymous session has no authority to protect:
    /// its logout drops the cookie and adds no (fleet-wide) entry, so a
    /// client without an account cannot grow the revocation state.
    fn end_request_session(&mut self) {
        if self.ended.is_none()
            && let Phase::Open { session, .. } = &self.phase
            && session.user_id().is_some()
        {
            self.ended = Some(Revocation::of_session(session.info()));
        }
    }

    /// A state for a request without a session cookie, for code that has
    /// no `Cookie` header at hand.
    #[must_use]
    #[doc(hidden)] // the door is `Sessions::open`
    pub fn empty(store: &SessionStore) -> SessionState<T> {
        SessionState::with(store.clone(), Sent::Nothing, Phase::Empty)
    }

    /// The store this request opened with (and will seal with).
    #[doc(hidden)] // a test hook: requests go through `Sessions::finish`
    #[must_use]
    pub fn store(&self) -> &SessionStore {
        &self.store
    }

    /// The session data, if there is a session: the request's (verified)
    /// session or one made in this request. `None` without one, and after
    /// [`logout`](SessionState::logout).
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert_eq!(state.data(), None);
    /// *state.data_mut() = 3;
    /// assert_eq!(state.data(), Some(&3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn data(&self) -> Option<&T> {
        match &self.phase {
            Phase::Open { session, .. } => Some(session.data()),
            Phase::New { data, .. } => Some(data),
            Phase::Empty | Phase::LoggedOut => None,
        }
    }

    /// The session data, to change: the response then carries the session
    /// re-sealed. Without a session (or after a logout) this starts a new
    /// anonymous one from `T::default()`.
    ///
    /// A session that opened only thanks to the leeway
    /// ([`SessionInfo::in_leeway`]) cannot be re-sealed: changing it ends
    /// it, and the response removes the cookie.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// *state.data_mut() += 1;
    /// assert_eq!(state.data(), Some(&1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn data_mut(&mut self) -> &mut T
    where
        T: Default,
    {
        if matches!(self.phase, Phase::Empty | Phase::LoggedOut) {
            self.phase = Phase::New {
                user: None,
                data: T::default(),
                id: self.fresh_id(),
            };
        }
        match &mut self.phase {
            Phase::Open { session, changed } => {
                *changed = true;
                session.data_mut()
            }
            Phase::New { data, .. } => data,
            // Made `New` just above.
            Phase::Empty | Phase::LoggedOut => unreachable_phase(),
        }
    }

    /// A new session for `user`, whose current epoch is `epoch`, with
    /// `data`: a new login time, the current sealing key. Call it after
    /// checking the user's credentials; it replaces whatever session the
    /// request had (so a session fixed by someone else is never reused).
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// state.login(UserId::from(42u64), 3, 0);
    /// assert_eq!(state.user_id(), Some(&UserId::from(42u64)));
    /// assert_eq!(state.epoch(), Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn login(&mut self, user: UserId, epoch: u64, data: T) {
        if self.user_id().is_some() {
            // A login over a user session ends that session.
            self.end_request_session();
        }
        self.phase = Phase::New {
            user: Some((user, epoch)),
            data,
            id: self.fresh_id(),
        };
    }

    /// Ends the session: the response removes the cookie, and
    /// [`Sessions::finish`](crate::Sessions::finish) revokes the session
    /// in its revocation set, if it has
    /// one, so a copied cookie is refused too. Without a revocation set a
    /// copy stays valid until it expires. To end every session of the user,
    /// revoke the user (or bump their epoch).
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// state.login(UserId::from(42u64), 3, 0);
    /// state.logout();
    /// assert_eq!(state.user_id(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn logout(&mut self) {
        self.end_request_session();
        if let Some(user) = self.user_id().cloned() {
            self.logged_out_user = Some(user);
        }
        self.phase = Phase::LoggedOut;
    }

    /// Whether `logout()` was the handler's last word.
    pub(crate) fn is_logged_out(&self) -> bool {
        matches!(self.phase, Phase::LoggedOut)
    }

    /// The user the request's `logout()` signed out, if any.
    pub(crate) fn logged_out_user(&self) -> Option<&UserId> {
        self.logged_out_user.as_ref()
    }

    /// The revocation this request calls for: the session the request
    /// carried, once [`logout`](SessionState::logout) ended it (or a
    /// [`login`](SessionState::login) replaced a user session). `None` if
    /// nothing ended.
    pub(crate) fn ended_session(&self) -> Option<&Revocation> {
        self.ended.as_ref()
    }

    /// The session's id: the request's session's
    /// ([`SessionInfo::session_id`]), or the one a session made in this
    /// request (a login) will carry. Record it at login to list a user's
    /// sessions and revoke one later ("log out that device"). `None`
    /// without a session.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::{Outcome, SessionState};
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let now = time::OffsetDateTime::now_utc();
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert_eq!(state.session_id(), None);
    /// state.login(UserId::from(42u64), 0, 0);
    /// let id = state.session_id().unwrap();
    /// let Outcome::Fresh(sealed) = state.finish(now)? else { unreachable!() };
    /// let opened = store.open_at::<u32>(sealed.value(), now)?;
    /// assert_eq!(opened.info().session_id(), id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn session_id(&self) -> Option<SessionId> {
        match &self.phase {
            Phase::Open { session, .. } => Some(session.info().session_id()),
            Phase::New { id, .. } => *id,
            Phase::Empty | Phase::LoggedOut => None,
        }
    }

    /// The signed-in user (verified against their epoch), if any.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert_eq!(state.user_id(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn user_id(&self) -> Option<&UserId> {
        match &self.phase {
            Phase::Open { session, .. } => session.user_id(),
            Phase::New {
                user: Some((id, _)),
                ..
            } => Some(id),
            Phase::New { user: None, .. } | Phase::Empty | Phase::LoggedOut => None,
        }
    }

    /// The user's epoch the session carries, for user sessions.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert_eq!(state.epoch(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn epoch(&self) -> Option<u64> {
        match &self.phase {
            Phase::Open { session, .. } => session.epoch(),
            Phase::New {
                user: Some((_, epoch)),
                ..
            } => Some(*epoch),
            Phase::New { user: None, .. } | Phase::Empty | Phase::LoggedOut => None,
        }
    }

    /// Facts about the request's session cookie (login time, deadlines, key
    /// id, re-seal reasons), while the request's session is in use.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert!(state.info().is_none()); // no cookie came with this request
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn info(&self) -> Option<&SessionInfo> {
        match &self.phase {
            Phase::Open { session, .. } => Some(session.info()),
            Phase::New { .. } | Phase::Empty | Phase::LoggedOut => None,
        }
    }

    /// Why a session cookie that the request carried did not open (or was
    /// revoked): the response removes it. `None` if there was none or it
    /// opened. [`OpenError::Invalid`] covers tampering and cookies sealed
    /// under removed keys; see [`OpenError`] for the rest.
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert_eq!(state.cookie_error(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn cookie_error(&self) -> Option<OpenError> {
        match self.sent {
            Sent::Rejected(err) => Some(err),
            Sent::Nothing | Sent::Opened => None,
        }
    }

    /// Whether the request carried a session cookie that opened (and, for a
    /// user session, passed its epoch check).
    ///
    /// # Example
    /// ```
    /// use sealed_session::engine::SessionState;
    /// use sealed_session::{Key, KeyRing, SessionStore, UserId};
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let mut state = SessionState::<u32>::empty(&store);
    /// assert!(!state.had_session());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn had_session(&self) -> bool {
        self.sent == Sent::Opened
    }
}

impl<T: Serialize> SessionState<T> {
    /// The response side, for a successful (non-5xx) response: what to do
    /// with the cookie, at `now`. See the [rules](self#the-rules).
    #[doc(hidden)] // a test hook: requests go through `Sessions::finish`
    pub fn finish(&self, now: OffsetDateTime) -> Result<Outcome, SealError> {
        self.decide(now, false)
    }

    /// The response side, for a server error (5xx): nothing is sealed, so
    /// a change made by a failed request is not kept and a failed login
    /// sets no cookie; a logout or a cookie that did not open is still
    /// removed.
    #[doc(hidden)] // a test hook: requests go through `Sessions::finish`
    pub fn finish_after_error(&self, now: OffsetDateTime) -> Result<Outcome, SealError> {
        self.decide(now, true)
    }

    /// Pre-flight: whether the session, as it is now, would seal at `now`
    /// (the size cap above all). Call it after growing the session, to
    /// answer the user with a proper message instead of a 500.
    #[doc(hidden)] // a test hook: requests go through `Sessions::finish`
    pub fn check_size(&self, now: OffsetDateTime) -> Result<(), SealError> {
        match &self.phase {
            Phase::Open { session, .. } if !session.info().in_leeway() => {
                self.store.reseal_at(session, now).map(drop)
            }
            Phase::New { user, data, id } => self.seal_new(user.as_ref(), data, *id, now).map(drop),
            Phase::Open { .. } | Phase::Empty | Phase::LoggedOut => Ok(()),
        }
    }

    fn seal_new(
        &self,
        user: Option<&(UserId, u64)>,
        data: &T,
        id: Option<SessionId>,
        now: OffsetDateTime,
    ) -> Result<Sealed, SealError> {
        let user = user.map(|(user, epoch)| (user, *epoch));
        self.store.seal_new_at(user, data, id, now)
    }

    fn decide(&self, now: OffsetDateTime, server_error: bool) -> Result<Outcome, SealError> {
        // A cookie that did not open is removed, except when several
        // authentic ones came (cookie tossing: the removal cookie, host-only
        // like the session cookie, would delete the victim's own cookie and
        // leave the planted one to sign them in as the attacker) and when
        // one came issued ahead of this server's clock (it opens a moment
        // later: a login sealed just past a "log out everywhere").
        let (removable, ambiguous) = match self.sent {
            Sent::Rejected(OpenError::Ambiguous) => (false, true),
            Sent::Rejected(OpenError::NotYetValid) => (false, false),
            Sent::Rejected(_) => (true, false),
            Sent::Nothing | Sent::Opened => (false, false),
        };
        match &self.phase {
            // Logging out of nothing while tossed cookies are present: the
            // removal would leave only the planted one.
            Phase::LoggedOut if ambiguous => Ok(Outcome::Unchanged),
            Phase::LoggedOut => Ok(Outcome::Remove),
            Phase::Empty | Phase::New { .. } if removable && server_error => Ok(Outcome::Remove),
            Phase::Empty if removable => Ok(Outcome::Remove),
            Phase::Empty => Ok(Outcome::Unchanged),
            Phase::New { .. } if server_error => Ok(Outcome::Unchanged),
            Phase::New { user, data, id } => self
                .seal_new(user.as_ref(), data, *id, now)
                .map(Outcome::Fresh),
            Phase::Open { session, changed } => {
                let info = session.info();
                if info.in_leeway() {
                    // Served as it is, never re-sealed: a change cannot be
                    // kept, so the session ends here.
                    return Ok(if *changed && !server_error {
                        Outcome::Remove
                    } else {
                        Outcome::Unchanged
                    });
                }
                let due = *changed || info.reseal_reasons().any();
                if !due || server_error {
                    return Ok(Outcome::Unchanged);
                }
                match self.store.reseal_at(session, now) {
                    Ok(sealed) => Ok(Outcome::Resealed(sealed)),
                    // Past a deadline by the response's clock: it is over.
                    Err(SealError::SessionExpired) => Ok(Outcome::Remove),
                    // Only a change the handler made may fail the response:
                    // a re-seal that a hint alone asked for (retired key,
                    // idle refresh, older schema) and that no longer fits
                    // serves the cookie as it came.
                    Err(err) if !*changed => {
                        events::reseal_skipped(&err);
                        Ok(Outcome::Unchanged)
                    }
                    Err(err) => Err(err),
                }
            }
        }
    }
}

/// Finds and opens the session cookie in a whole `Cookie` header at `now`.
///
/// * **Every** cookie with the name is tried, in any position, so junk
///   placed before the real cookie cannot hide it. The work stays bounded by
///   the header's own length: at most [`MAX_HEADER_PAIRS`] pairs are looked
///   at, a value longer than the size cap is refused before decoding, one
///   with an unknown key id before any AEAD work, and every other byte is
///   decrypted at most once.
/// * Exactly one different value authenticates: that cookie's outcome (`Ok`
///   with the session, or its typed error such as [`OpenError::Expired`]).
/// * Two or more different values authenticate (whether or not they are
///   expired): [`OpenError::Ambiguous`]. None is picked, since one of them
///   may be the attacker's own valid session. The same value sent twice
///   counts once.
/// * Cookies with the name but none authentic: [`OpenError::Invalid`].
/// * No cookie with the name: `Ok(None)`.
#[doc(hidden)] // a test hook: `Sessions::open` is the door
pub fn open_header<T: DeserializeOwned>(
    store: &SessionStore,
    header: &str,
    now: OffsetDateTime,
) -> Result<Option<Opened<T>>, OpenError> {
    let name = store.cookie_name();
    let candidates = Cookie::split_parse(header)
        .take(MAX_HEADER_PAIRS)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == name);
    // The authentic candidate so far: its value and its outcome.
    let mut authentic: Option<(Cookie<'_>, Result<Opened<T>, OpenError>)> = None;
    let mut seen_any = false;
    for cookie in candidates {
        seen_any = true;
        if authentic
            .as_ref()
            .is_some_and(|(first, _)| first.value_trimmed() == cookie.value_trimmed())
        {
            continue;
        }
        let outcome = store.open_at::<T>(cookie.value_trimmed(), now);
        if matches!(outcome, Err(OpenError::Invalid)) {
            continue;
        }
        if authentic.is_some() {
            return Err(OpenError::Ambiguous);
        }
        authentic = Some((cookie, outcome));
    }
    match authentic {
        Some((_, outcome)) => outcome.map(Some),
        None if seen_any => Err(OpenError::Invalid),
        None => Ok(None),
    }
}

#[cold]
fn unreachable_phase() -> ! {
    unreachable!("data_mut made the phase `New`")
}
