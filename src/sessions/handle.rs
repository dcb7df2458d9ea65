//! What the axum layer and the actix-web middleware share: the epoch source,
//! the session handles the extractors hand out, the errors, and the
//! per-request context that connects an extractor to the response.
//!
//! The rules themselves are the [engine](crate::engine)'s; this module only
//! runs them lazily: nothing is opened until a handler asks for the session,
//! and the user's epoch is looked up once per request, only for a user
//! session.

use core::any::Any;
use core::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cookie::Cookie;
use crate::engine::{Arrival, SessionState};
use crate::error::{OpenError, SealError};
use crate::id::SessionId;
use crate::id::UserId;
use crate::session::SessionInfo;
use crate::sessions::Sessions;
use crate::sessions::epoch_source::{DynEpochSource, EpochSource};
use crate::sessions::error::SessionError;

/// What every request context of one layer shares.
pub(crate) struct Shared<H> {
    sessions: Sessions,
    epochs: Arc<dyn DynEpochSource>,
    pub(crate) hooks: H,
}

impl<H> Shared<H> {
    pub(crate) fn new(sessions: Sessions, epochs: impl EpochSource, hooks: H) -> Shared<H> {
        Shared {
            sessions,
            epochs: Arc::new(epochs),
            hooks,
        }
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The same sessions and epoch source, with other hooks.
    pub(crate) fn with_hooks<H2>(&self, hooks: H2) -> Shared<H2> {
        Shared {
            sessions: self.sessions.clone(),
            epochs: Arc::clone(&self.epochs),
            hooks,
        }
    }
}

/// The response side of a session of any data type.
trait Finish: Send + Sync {
    fn finish(
        &self,
        sessions: &Sessions,
        server_error: bool,
    ) -> Result<Option<Cookie<'static>>, SealError>;
}

impl<T: Serialize + Send> Finish for Mutex<SessionState<T>> {
    fn finish(
        &self,
        sessions: &Sessions,
        server_error: bool,
    ) -> Result<Option<Cookie<'static>>, SealError> {
        let state = self.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.finish(&state, if server_error { 500 } else { 200 })
    }
}

struct Slot {
    any: Arc<dyn Any + Send + Sync>,
    finish: Arc<dyn Finish>,
}

/// One request's link between the extractors and the response: empty
/// until a handler asks for the session.
pub(crate) struct Context<H> {
    shared: Arc<Shared<H>>,
    slot: Mutex<Option<Slot>>,
    /// A session extractor ran (whatever it answered): the response
    /// depends on the request's cookie.
    asked: AtomicBool,
}

impl<H> Context<H> {
    pub(crate) fn new(shared: Arc<Shared<H>>) -> Context<H> {
        Context {
            shared,
            slot: Mutex::new(None),
            asked: AtomicBool::new(false),
        }
    }

    pub(crate) fn shared(&self) -> &Shared<H> {
        &self.shared
    }

    fn lock_slot(&self) -> MutexGuard<'_, Option<Slot>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The handle of a session already extracted in this request.
    pub(crate) fn existing<T: Send + 'static>(
        &self,
    ) -> Option<Result<SessionHandle<T>, SessionError>> {
        let slot = self.lock_slot();
        slot.as_ref().map(|slot| self.typed(slot))
    }

    fn typed<T: Send + 'static>(&self, slot: &Slot) -> Result<SessionHandle<T>, SessionError> {
        Arc::clone(&slot.any)
            .downcast::<Mutex<SessionState<T>>>()
            .map(|state| SessionHandle {
                state,
                sessions: self.shared.sessions.clone(),
            })
            .map_err(|_| SessionError::TypeMismatch)
    }

    /// Opens the session (the request side), out of the `Cookie` fields.
    pub(crate) fn open<T: DeserializeOwned>(
        &self,
        cookie_fields: impl IntoIterator<Item = impl AsRef<[u8]>>,
    ) -> Arrival<T> {
        self.asked.store(true, Ordering::Relaxed);
        self.shared.sessions.open(cookie_fields)
    }

    /// Whether the response depends on the session: a session extractor
    /// ran in this request. Such a response (and one that sets the cookie)
    /// is marked `Cache-Control: private` and `Vary: Cookie`.
    pub(crate) fn depends_on_session(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }

    /// Verifies an opened session (the one epoch lookup of the request, for
    /// a user session) and keeps it for the response.
    pub(crate) async fn verify<T>(
        &self,
        opening: Arrival<T>,
    ) -> Result<SessionHandle<T>, SessionError>
    where
        T: Serialize + Send + 'static,
    {
        let state = match opening {
            Arrival::Ready(state) => state,
            // Fail closed, before the handler runs, and keep no slot: the
            // response sets no cookie.
            Arrival::Unavailable(err) => return Err(SessionError::Revocations(err)),
            Arrival::NeedsEpoch(pending) => {
                let current = self
                    .shared
                    .epochs
                    .epoch_boxed(pending.user_id())
                    .await
                    .map_err(SessionError::EpochSource)?;
                pending.verify(current)
            }
        };
        let mut slot = self.lock_slot();
        // Two extractors of one handler may run at once (actix-web polls
        // them together): the first to finish sets the request's session.
        if let Some(existing) = slot.as_ref() {
            return self.typed(existing);
        }
        let state = Arc::new(Mutex::new(state));
        *slot = Some(Slot {
            any: Arc::clone(&state) as Arc<dyn Any + Send + Sync>,
            finish: Arc::clone(&state) as Arc<dyn Finish>,
        });
        Ok(SessionHandle {
            state,
            sessions: self.shared.sessions.clone(),
        })
    }

    /// The response side: the `Set-Cookie`, if the session was used.
    pub(crate) fn finish(&self, server_error: bool) -> Result<Option<Cookie<'static>>, SealError> {
        let finish = self
            .lock_slot()
            .as_ref()
            .map(|slot| Arc::clone(&slot.finish));
        match finish {
            None => Ok(None),
            Some(finish) => finish.finish(&self.shared.sessions, server_error),
        }
    }
}

/// The request's session, as a handler sees it: read it, change it, log a
/// user in or out. The axum and actix-web extractors hand it out.
///
/// A user session is only handed out after its epoch check passed; a
/// cookie that did not open (tampered, expired, revoked) looks like no
/// session here ([`SessionHandle::cookie_error`] says why), and the
/// response removes it. Clones share the session; every change is sent in
/// the response's `Set-Cookie` (see the [engine's rules](crate::engine#the-rules)).
///
/// `Debug` never prints the session data.
///
/// # Example
/// ```
/// # #[cfg(feature = "axum")] {
/// use sealed_session::{SessionHandle, UserId};
///
/// #[derive(serde::Serialize, serde::Deserialize, Default)]
/// struct Cart { items: Vec<u32> }
///
/// async fn add(session: SessionHandle<Cart>) -> String {
///     session.update(|cart| cart.items.push(7)); // re-sealed in the response
///     format!("{} items", session.read(|cart| cart.items.len()))
/// }
///
/// async fn login(session: SessionHandle<Cart>) {
///     // after checking the password; 3 is the user's current epoch
///     session.login(UserId::from(42u64), 3, Cart::default());
/// }
/// # let _ = (add, login);
/// # }
/// ```
pub struct SessionHandle<T> {
    state: Arc<Mutex<SessionState<T>>>,
    sessions: Sessions,
}

impl<T> Clone for SessionHandle<T> {
    fn clone(&self) -> SessionHandle<T> {
        SessionHandle {
            state: Arc::clone(&self.state),
            sessions: self.sessions.clone(),
        }
    }
}

impl<T> fmt::Debug for SessionHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionHandle").field(&*self.lock()).finish()
    }
}

impl<T> SessionHandle<T> {
    fn lock(&self) -> MutexGuard<'_, SessionState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the session data (`T::default()` if there is no session).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn count(session: SessionHandle<Cart>) -> usize {
    ///     session.read(|cart| cart.items.len())
    /// }
    /// # let _ = count;
    /// ```
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R
    where
        T: Default,
    {
        let state = self.lock();
        match state.data() {
            Some(data) => f(data),
            None => f(&T::default()),
        }
    }

    /// A copy of the session data (`T::default()` if there is no session).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn show(session: SessionHandle<Cart>) -> String {
    ///     format!("{:?}", session.get().items)
    /// }
    /// # let _ = show;
    /// ```
    #[must_use]
    pub fn get(&self) -> T
    where
        T: Default + Clone,
    {
        self.lock().data().cloned().unwrap_or_default()
    }

    /// Changes the session data; the response carries it re-sealed.
    /// Without a session this starts an anonymous one from `T::default()`.
    /// A session inside the leeway cannot be re-sealed: changing it ends it
    /// (the response removes the cookie).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn add(session: SessionHandle<Cart>) -> usize {
    ///     session.update(|cart| { cart.items.push(7); cart.items.len() })
    /// }
    /// # let _ = add;
    /// ```
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default,
    {
        f(self.lock().data_mut())
    }

    /// Replaces the session data (as [`SessionHandle::update`]).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn empty(session: SessionHandle<Cart>) {
    ///     session.set(Cart::default());
    /// }
    /// # let _ = empty;
    /// ```
    pub fn set(&self, data: T)
    where
        T: Default,
    {
        *self.lock().data_mut() = data;
    }

    /// Logs `user` in, whose current epoch is `epoch`: a new session with
    /// `data` and a new login time replaces whatever the request had. Call
    /// it after checking the credentials.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn login(session: SessionHandle<Cart>) {
    ///     // the password checked; 42's current epoch is 3
    ///     session.login(42u64, 3, Cart::default());
    ///     assert_eq!(session.user_id(), Some(UserId::from(42u64)));
    /// }
    /// # let _ = login;
    /// ```
    pub fn login(&self, user: impl Into<UserId>, epoch: u64, data: T) {
        self.lock().login(user.into(), epoch, data);
    }

    /// Logs out: the response removes the cookie and, with a
    /// [revocation set](Sessions::with_revocations), the session is revoked
    /// (a copy of the cookie is refused too). To end every session of the
    /// user, [`logout_everywhere`](SessionHandle::logout_everywhere) (or bump
    /// their epoch).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn logout(session: SessionHandle<Cart>) {
    ///     session.logout();
    ///     assert_eq!(session.user_id(), None);
    /// }
    /// # let _ = logout;
    /// ```
    pub fn logout(&self) {
        self.lock().logout();
    }

    /// Log out everywhere: revokes every session of the signed-in user that
    /// logged in up to now, on every server (through the revocation set's
    /// feed), then [`logout`](SessionHandle::logout)s here. No epoch is
    /// needed. Without a signed-in user it only logs out.
    ///
    /// # Errors
    /// [`SessionError::NoRevocationSet`] if the [`Sessions`] have no
    /// [revocation set](Sessions::with_revocations): nothing is revoked
    /// and the session stays (bump the user's epoch instead).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionError, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn everywhere(user: UserSession<Cart>) -> Result<&'static str, SessionError> {
    ///     user.logout_everywhere()?;
    ///     Ok("signed out on every device")
    /// }
    /// # let _ = everywhere;
    /// ```
    pub fn logout_everywhere(&self) -> Result<(), SessionError> {
        self.sessions.logout_everywhere(&mut self.lock())
    }

    /// The session's id, including that of a session made in this request
    /// (record it at login to list a user's devices and revoke one later).
    /// See [`SessionState::session_id`].
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn login(session: SessionHandle<Cart>) -> String {
    ///     session.login(7u64, 0, Cart::default());
    ///     let id = session.session_id().expect("a new session has an id");
    ///     format!("new device session {id:?}")
    /// }
    /// # let _ = login;
    /// ```
    #[must_use]
    pub fn session_id(&self) -> Option<SessionId> {
        self.lock().session_id()
    }

    /// The signed-in user, verified against their current epoch (or logged
    /// in during this request).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn whoami(session: SessionHandle<Cart>) -> String {
    ///     session.user_id().map_or_else(|| "nobody".into(), |user| user.to_string())
    /// }
    /// # let _ = whoami;
    /// ```
    #[must_use]
    pub fn user_id(&self) -> Option<UserId> {
        self.lock().user_id().cloned()
    }

    /// The epoch the user session carries.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn epoch(session: SessionHandle<Cart>) -> Option<u64> {
    ///     session.epoch()
    /// }
    /// # let _ = epoch;
    /// ```
    #[must_use]
    pub fn epoch(&self) -> Option<u64> {
        self.lock().epoch()
    }

    /// Facts about the request's session cookie (login time, deadlines, key
    /// id, re-seal reasons); `None` without one.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn since(session: SessionHandle<Cart>) -> String {
    ///     session.info().map_or_else(String::new, |info| info.login_at().to_string())
    /// }
    /// # let _ = since;
    /// ```
    #[must_use]
    pub fn info(&self) -> Option<SessionInfo> {
        self.lock().info().copied()
    }

    /// Why the cookie the request carried did not open, if it did not:
    /// [`OpenError::Expired`], [`OpenError::Revoked`] (logged out
    /// everywhere, or the user is gone), [`OpenError::Invalid`]
    /// (tampered), … The response removes it.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// use sealed_session::OpenError;
    ///
    /// async fn why(session: SessionHandle<Cart>) -> &'static str {
    ///     match session.cookie_error() {
    ///         Some(OpenError::Revoked) => "you were logged out everywhere",
    ///         Some(OpenError::Expired | OpenError::IdleExpired) => "your session expired",
    ///         Some(_) => "your session cookie was not valid",
    ///         None => "",
    ///     }
    /// }
    /// # let _ = why;
    /// ```
    #[must_use]
    pub fn cookie_error(&self) -> Option<OpenError> {
        self.lock().cookie_error()
    }

    /// Pre-flight: whether the session, as it is now, still fits the
    /// cookie. Call it after growing the session, to answer the user with a
    /// message; otherwise a session that does not fit makes the response a
    /// 500 (never a silently dropped cookie).
    ///
    /// # Errors
    /// [`SealError::TooLarge`] (or another seal error) as the response
    /// would get it.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn add_many(session: SessionHandle<Cart>) -> &'static str {
    ///     let before = session.get();
    ///     session.update(|cart| cart.items.extend(0..2000));
    ///     if session.check_size().is_err() {
    ///         session.set(before); // keep what fits
    ///         return "your cart is full";
    ///     }
    ///     "added"
    /// }
    /// # let _ = add_many;
    /// ```
    pub fn check_size(&self) -> Result<(), SealError>
    where
        T: Serialize,
    {
        let now = self.sessions.now();
        self.lock().check_size(now)
    }

    /// The session layer's [`Sessions`] (store, options, clock).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn key(session: SessionHandle<Cart>) -> u32 {
    ///     session.sessions().store().sealing_key_id()
    /// }
    /// # let _ = key;
    /// ```
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
}

/// A verified, signed-in user's session. The extractor rejects a request
/// without one ([`SessionError::SignInRequired`], a 401 by default), so a
/// handler that takes it cannot forget the epoch check. Everything of
/// [`SessionHandle`] is available through `Deref`.
///
/// # Example
/// ```
/// # #[cfg(feature = "axum")] {
/// use sealed_session::UserSession;
///
/// #[derive(serde::Serialize, serde::Deserialize, Default)]
/// struct Data { counter: u64 }
///
/// async fn count(user: UserSession<Data>) -> String {
///     let n = user.update(|d| { d.counter += 1; d.counter });
///     format!("user {} counted to {n}", user.user_id())
/// }
/// # let _ = count;
/// # }
/// ```
pub struct UserSession<T> {
    handle: SessionHandle<T>,
    user: UserId,
    epoch: u64,
}

impl<T> Clone for UserSession<T> {
    fn clone(&self) -> UserSession<T> {
        UserSession {
            handle: self.handle.clone(),
            user: self.user.clone(),
            epoch: self.epoch,
        }
    }
}

impl<T> fmt::Debug for UserSession<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSession")
            .field("user", &self.user)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl<T> UserSession<T> {
    /// The handle's user session, or [`SessionError::SignInRequired`].
    pub(crate) fn from_handle(handle: SessionHandle<T>) -> Result<UserSession<T>, SessionError> {
        let (user, epoch) = {
            let state = handle.lock();
            match (state.user_id(), state.epoch()) {
                (Some(user), Some(epoch)) => (user.clone(), epoch),
                _ => return Err(SessionError::SignInRequired),
            }
        };
        Ok(UserSession {
            handle,
            user,
            epoch,
        })
    }

    /// The user this request was verified for.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn hello(user: UserSession<Cart>) -> String {
    ///     format!("hello {}", user.user_id())
    /// }
    /// # let _ = hello;
    /// ```
    #[must_use]
    pub fn user_id(&self) -> &UserId {
        &self.user
    }

    /// The user's epoch this session was verified against.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn epoch(user: UserSession<Cart>) -> u64 {
    ///     user.epoch()
    /// }
    /// # let _ = epoch;
    /// ```
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The underlying handle.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{SessionHandle, UserId, UserSession};
    /// #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
    /// struct Cart { items: Vec<u32> }
    /// async fn cart(user: UserSession<Cart>) -> SessionHandle<Cart> {
    ///     user.handle().clone()
    /// }
    /// # let _ = cart;
    /// ```
    #[must_use]
    pub fn handle(&self) -> &SessionHandle<T> {
        &self.handle
    }
}

impl<T> Deref for UserSession<T> {
    type Target = SessionHandle<T>;

    fn deref(&self) -> &SessionHandle<T> {
        &self.handle
    }
}
