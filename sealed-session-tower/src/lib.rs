//! A [tower-sessions]-compatible layer on sealed cookies: the request's
//! [`tower_sessions_core::Session`] (what tower-sessions apps and axum-login
//! extract) is backed by one sealed-session cookie instead of a server-side
//! store.
//!
//! [`SealedSessionLayer`] takes the place of tower-sessions'
//! `SessionManagerLayer`. Per request it opens the cookie through
//! [`Sessions::open`] (key ring, expiry, skew, revocation check), gives the
//! handler a `Session` whose store is that request's opened record, and, if
//! the handler changed the session, seals the record through
//! [`Sessions::finish`] (size cap, padding, cache headers, 5xx rules).
//!
//! * The record's values are JSON (`serde_json::Value`), carried as the
//!   map's JSON bytes in a postcard payload ([`Payload`]).
//! * tower-sessions' session id is ours: `Id(session_id as i128)`.
//!   `cycle_id()` (axum-login's login) starts a new session id and revokes the
//!   old one; `flush()` (axum-login's logout) revokes the session in the
//!   [`RevocationSet`](sealed_session::RevocationSet) of the `Sessions`, so a
//!   copied cookie stops working (on every server sharing a Redis feed).
//! * Nothing is written when the handler did not change the session.
//! * A record that no longer fits the cookie is an error response (500),
//!   never a dropped cookie.
//!
//! [tower-sessions]: https://docs.rs/tower-sessions/0.14
//!
//! # Example
//! ```
//! use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
//! use sealed_session_tower::SealedSessionLayer;
//! use tower_sessions_core::Expiry;
//!
//! let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
//! let sessions = Sessions::new(store, CookieOptions::new())?;
//! // instead of `SessionManagerLayer::new(MemoryStore::default())`:
//! let layer = SealedSessionLayer::new(sessions)
//!     .with_expiry(Expiry::OnInactivity(time::Duration::hours(1)));
//! # let _ = layer;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "axum-login")]
mod auth;
#[cfg(feature = "axum-login")]
pub use auth::AuthLayer;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use async_trait::async_trait;
use http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use sealed_session::cookie::{CACHE_CONTROL_PRIVATE, needs_vary_cookie};
use sealed_session::engine::{Arrival, SessionState};
use sealed_session::{Revocation, Sessions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore};
use tower_sessions_core::{Expiry, Session};

/// What the sealed cookie carries: the tower-sessions record's values as the
/// JSON bytes of its map (self-describing, as `serde_json::Value` needs;
/// postcard cannot carry `Value` itself), and its expiry date.
///
/// # Example
/// ```
/// let payload = sealed_session_tower::Payload::default();
/// assert!(payload.data.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// `serde_json::to_vec` of the record's `HashMap<String, Value>`.
    pub data: Vec<u8>,
    /// The record's `expiry_date`, Unix seconds: checked when the cookie
    /// opens (an expired record is no session, as a store would answer).
    pub expiry_date: i64,
}

/// tower-sessions' id for one of our sessions.
fn tower_id(id: sealed_session::SessionId) -> Id {
    Id(i128::from(id.as_u64()))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The per-request store behind the request's `Session`: it holds the
/// record opened from the cookie and what the handler saved or deleted.
/// Nothing here does I/O.
#[derive(Debug, Default)]
struct CookieRecordStore {
    loaded: Mutex<Option<Record>>,
    written: Mutex<Option<Record>>,
    deleted: Mutex<Option<Id>>,
}

#[async_trait]
impl SessionStore for CookieRecordStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // The real id is drawn by sealed-session when the record is sealed
        // (`Id(session_id)` from the next request on).
        *lock(&self.written) = Some(record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        *lock(&self.written) = Some(record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(lock(&self.loaded).clone().filter(|record| record.id == *id))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut loaded = lock(&self.loaded);
        if loaded.as_ref().is_some_and(|record| record.id == *id) {
            *loaded = None;
            *lock(&self.deleted) = Some(*id);
        }
        Ok(())
    }
}

/// A drop-in for tower-sessions' `SessionManagerLayer`: puts a
/// `tower_sessions::Session` backed by the sealed cookie in each request.
///
/// The cookie's name, attributes and keys are those of the [`Sessions`];
/// [`with_expiry`](SealedSessionLayer::with_expiry) sets tower-sessions'
/// expiry policy (the cookie's `Max-Age`/`Expires` and the record's expiry
/// date), within the store's own idle and absolute deadlines.
///
/// # Example
/// ```
/// use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
/// use sealed_session_tower::SealedSessionLayer;
///
/// let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
/// let layer = SealedSessionLayer::new(Sessions::new(store, CookieOptions::new())?);
/// assert!(layer.sessions().revocations().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SealedSessionLayer {
    sessions: Sessions,
    expiry: Option<Expiry>,
    always_save: bool,
}

impl SealedSessionLayer {
    /// The layer over `sessions` (with a revocation set, `flush` and
    /// `cycle_id` revoke the ended session; without one, a copied cookie
    /// stays valid until it expires).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};
    /// let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
    /// let revoked = RevocationSet::new(&store);
    /// let sessions = Sessions::new(store, CookieOptions::new())?.with_revocations(revoked);
    /// let _layer = sealed_session_tower::SealedSessionLayer::new(sessions);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(sessions: Sessions) -> SealedSessionLayer {
        SealedSessionLayer {
            sessions,
            expiry: None,
            always_save: false,
        }
    }

    /// tower-sessions' `with_expiry`: the default expiry of every session.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
    /// # let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
    /// # let sessions = Sessions::new(store, CookieOptions::new())?;
    /// use tower_sessions_core::Expiry;
    /// let layer = sealed_session_tower::SealedSessionLayer::new(sessions)
    ///     .with_expiry(Expiry::OnSessionEnd);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> SealedSessionLayer {
        self.expiry = Some(expiry);
        self
    }

    /// tower-sessions' `with_always_save`: re-seal every non-empty session on
    /// every (non-5xx) response, so `Expiry::OnInactivity` rolls on reads too.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
    /// # let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
    /// # let sessions = Sessions::new(store, CookieOptions::new())?;
    /// let layer = sealed_session_tower::SealedSessionLayer::new(sessions).with_always_save(true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_always_save(mut self, always_save: bool) -> SealedSessionLayer {
        self.always_save = always_save;
        self
    }

    /// The engine the layer seals and opens with.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
    /// # let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
    /// # let sessions = Sessions::new(store, CookieOptions::new())?;
    /// let layer = sealed_session_tower::SealedSessionLayer::new(sessions);
    /// assert_eq!(layer.sessions().store().cookie_name(), "__Host-id");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
}

impl<S> tower_layer::Layer<S> for SealedSessionLayer {
    type Service = SealedSessionService<S>;

    fn layer(&self, inner: S) -> SealedSessionService<S> {
        SealedSessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`SealedSessionLayer`] wraps around the app.
///
/// # Example
/// ```
/// # use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
/// # let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
/// # let sessions = Sessions::new(store, CookieOptions::new())?;
/// use tower_layer::Layer;
/// let service = sealed_session_tower::SealedSessionLayer::new(sessions).layer(());
/// # let _ = service;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SealedSessionService<S> {
    inner: S,
    layer: SealedSessionLayer,
}

fn status_response<B: Default>(status: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    mark_private(response.headers_mut());
    response
}

/// `Cache-Control: private` unless the app set its own, and `Vary: Cookie`.
fn mark_private(headers: &mut HeaderMap) {
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL_PRIVATE),
        );
    }
    if needs_vary_cookie(headers.get_all(VARY)) {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}

/// The record a payload opened to, or `None` if it is not one (JSON that
/// does not parse) or its expiry date has passed.
fn record_of(payload: &Payload, id: Id, now: OffsetDateTime) -> Option<Record> {
    let expiry_date = OffsetDateTime::from_unix_timestamp(payload.expiry_date).ok()?;
    if expiry_date <= now {
        return None;
    }
    let data: HashMap<String, serde_json::Value> = serde_json::from_slice(&payload.data).ok()?;
    Some(Record {
        id,
        data,
        expiry_date,
    })
}

impl<ReqBody, ResBody, S> tower_service::Service<Request<ReqBody>> for SealedSessionService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default + Send,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let layer = self.layer.clone();
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let sessions = &layer.sessions;
        let opening = sessions.open::<Payload>(
            request
                .headers()
                .get_all(COOKIE)
                .iter()
                .map(HeaderValue::as_bytes),
        );
        let mut state = match opening {
            Arrival::Ready(state) => state,
            // A user session sealed by sealed-session's own layer under the
            // same name: no user epochs here, so it does not open.
            Arrival::NeedsEpoch(pending) => pending.verify(None),
            Arrival::Unavailable(_) => {
                return Box::pin(async { Ok(status_response(StatusCode::SERVICE_UNAVAILABLE)) });
            }
        };
        // Revocation of these (anonymous to the engine) sessions is the
        // only thing that ends a copied cookie: with a stale feed, fail
        // closed as the engine does for user sessions.
        if state.had_session() && sessions.revocations().is_some_and(|set| set.is_stale()) {
            return Box::pin(async { Ok(status_response(StatusCode::SERVICE_UNAVAILABLE)) });
        }
        // The record's expiry date is judged on the store's clock, as the
        // cookie's own deadlines are.
        let now = sessions.clock().now();
        let store = Arc::new(CookieRecordStore::default());
        let mut id = None;
        if let (Some(payload), Some(session_id)) = (state.data(), state.session_id()) {
            match record_of(payload, tower_id(session_id), now) {
                Some(record) => {
                    id = Some(record.id);
                    *lock(&store.loaded) = Some(record);
                }
                // Expired or unreadable: no session (the cookie is removed
                // unless the handler starts a new one).
                None => state.logout(),
            }
        }
        let session = Session::new(id, Arc::clone(&store), layer.expiry);
        request.extensions_mut().insert(session.clone());
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            let status = response.status();
            match settle(&layer, &mut state, &store, &session, status).await {
                Ok(()) => {}
                Err(status) => return Ok(status_response(status)),
            }
            let sessions = &layer.sessions;
            match sessions.finish(&state, status.as_u16()) {
                Ok(Some(mut cookie)) => {
                    if !cookie.value().is_empty() {
                        apply_expiry(&mut cookie, session.expiry());
                    }
                    match HeaderValue::try_from(cookie.to_string()) {
                        Ok(value) => {
                            response.headers_mut().append(SET_COOKIE, value);
                        }
                        Err(_) => return Ok(status_response(StatusCode::INTERNAL_SERVER_ERROR)),
                    }
                    mark_private(response.headers_mut());
                }
                Ok(None) => {
                    if state.had_session() {
                        mark_private(response.headers_mut());
                    }
                }
                Err(err) => {
                    tracing::error!(target: "sealed_session", error = %err, "session not sealed");
                    return Ok(status_response(StatusCode::INTERNAL_SERVER_ERROR));
                }
            }
            Ok(response)
        })
    }
}

/// The response side of tower-sessions' rules, on the engine's state:
/// a deleted session (`flush`, `cycle_id`, `delete`) is revoked and ended;
/// an emptied one removed; a changed one saved into the state.
async fn settle(
    layer: &SealedSessionLayer,
    state: &mut SessionState<Payload>,
    store: &CookieRecordStore,
    session: &Session,
    status: StatusCode,
) -> Result<(), StatusCode> {
    let modified = session.is_modified();
    let empty = session.is_empty().await;
    let deleted = lock(&store.deleted).take();
    if deleted.is_some() {
        if let (Some(set), Some(info)) = (layer.sessions.revocations(), state.info()) {
            set.revoke(Revocation::of_session(info));
            tracing::info!(target: "sealed_session", "session revoked (flush or cycle_id)");
        }
        state.logout();
    }
    if empty {
        if state.data().is_some() {
            state.logout();
        }
        return Ok(());
    }
    if !(modified || layer.always_save) || status.is_server_error() {
        return Ok(());
    }
    if session.save().await.is_err() {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let Some(record) = lock(&store.written).take() else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let data = serde_json::to_vec(&record.data).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    *state.data_mut() = Payload {
        data,
        expiry_date: record.expiry_date.unix_timestamp(),
    };
    Ok(())
}

/// The cookie's lifetime by tower-sessions' policy: none for
/// `OnSessionEnd`, `Max-Age` for `OnInactivity`, `Expires` for
/// `AtDateTime`; the `Sessions`' own cookie options without a policy.
fn apply_expiry(cookie: &mut sealed_session::cookie::Cookie<'static>, expiry: Option<Expiry>) {
    match expiry {
        None => {}
        Some(Expiry::OnSessionEnd) => {
            cookie.unset_expires();
            cookie.set_max_age(None);
        }
        Some(Expiry::OnInactivity(duration)) => {
            cookie.unset_expires();
            cookie.set_max_age(duration);
        }
        Some(Expiry::AtDateTime(at)) => {
            cookie.set_max_age(None);
            cookie.set_expires(at);
        }
    }
}
