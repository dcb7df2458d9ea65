//! axum (0.8) and tower: [`SessionLayer`] and the [`SessionHandle`] /
//! [`UserSession`] extractors (feature `axum`).
//!
//! The layer depends only on `http`, `tower-layer`, `tower-service` and
//! `axum-core`: never on axum, hyper or tokio themselves.
//!
//! * Nothing happens on a route whose handler does not take a session
//!   extractor: no cookie is opened, no epoch looked up, no `Set-Cookie`.
//! * The first session extractor of a request opens the cookie and, for a
//!   user session, looks the user's epoch up in the [`EpochSource`] (once
//!   per request). A revoked, expired, tampered or ambiguous cookie looks
//!   like no session, and the response removes it.
//! * The `Set-Cookie` is added by the layer when the response is produced,
//!   whatever the handler returns: no jar to return, nothing to forget.
//!
//! Failures: an epoch source error fails closed (the handler does not run;
//! a 500); [`UserSession`] without a signed-in user is a 401; a session
//! that no longer fits the cookie at the response turns the response into a
//! 500 (logged); a session extractor without the layer is a 500 that says
//! so. [`SessionLayer::on_error`] replaces these responses.
//!
//! # Example
//! ```
//! use axum_core::response::IntoResponse;
//! use sealed_session::axum::SessionLayer;
//! use sealed_session::cookie::CookieOptions;
//! use sealed_session::{Key, KeyRing, MemoryEpochs, SessionStore, Sessions, UserSession};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize, Default)] struct Data { counter: u64 }
//!
//! let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
//! let sessions = Sessions::new(store, CookieOptions::new())?;
//! let layer = SessionLayer::new(sessions, MemoryEpochs::new());
//! // Router::new().route("/count", post(count)).layer(layer)
//!
//! async fn count(user: UserSession<Data>) -> impl IntoResponse {
//!     user.update(|d| d.counter += 1).into_response()
//! }
//! # let _ = (layer, count);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context as TaskContext, Poll};
use std::sync::Arc;

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE, VARY};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cookie::{CACHE_CONTROL_PRIVATE, needs_vary_cookie};
use crate::sessions::Sessions;
use crate::sessions::epoch_source::EpochSource;
use crate::sessions::error::SessionError;
use crate::sessions::handle::{Context, SessionHandle, Shared, UserSession};

type ErrorHook = Arc<dyn Fn(&SessionError) -> Response + Send + Sync>;

#[derive(Clone, Default)]
struct Hooks {
    on_error: Option<ErrorHook>,
}

impl Hooks {
    fn respond(&self, error: &SessionError) -> Response {
        match &self.on_error {
            Some(hook) => hook(error),
            None => default_response(error),
        }
    }
}

/// The response this layer gives for `error` unless
/// [`SessionLayer::on_error`] says otherwise: the status of
/// [`SessionError::status`] with a short plain-text body; server errors are
/// logged to stderr first. Call it from your hook for the cases you do not
/// handle.
///
/// # Example
/// ```
/// use sealed_session::SessionError;
/// use sealed_session::axum::default_response;
///
/// let response = default_response(&SessionError::SignInRequired);
/// assert_eq!(response.status(), 401);
/// ```
#[must_use]
pub fn default_response(error: &SessionError) -> Response {
    error.log_if_server_error();
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        error.public_message(),
    )
        .into_response()
}

/// The session layer: put it on the router (`Router::layer`), and
/// handlers can take [`SessionHandle`] and [`UserSession`].
///
/// Built from [`Sessions`] (cookie name, options, live store, clock) and
/// an [`EpochSource`] (the users' current epochs; [`NoEpochs`](crate::NoEpochs) with
/// a revocation set, or for anonymous sessions only). Cheap to clone.
///
/// # Example
/// ```
/// use sealed_session::axum::SessionLayer;
/// use sealed_session::cookie::CookieOptions;
/// use sealed_session::{Key, KeyRing, SessionStore, Sessions, UserId};
///
/// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
/// let sessions = Sessions::new(store, CookieOptions::new())?;
/// // the epoch source: any async closure from user id to epoch
/// let layer = SessionLayer::new(sessions, |user: UserId| async move {
///     Ok::<_, std::io::Error>(user.as_u64().map(|_| 0)) // look it up in your database
/// });
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    shared: Arc<Shared<Hooks>>,
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("sessions", self.shared.sessions())
            .field("on_error", &self.shared.hooks.on_error.is_some())
            .finish_non_exhaustive()
    }
}

impl SessionLayer {
    /// The layer for `sessions`, checking user sessions against `epochs`.
    ///
    /// # Example
    /// ```
    /// use sealed_session::axum::SessionLayer;
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, NoEpochs, SessionStore, Sessions};
    ///
    /// let store = SessionStore::builder("__Host-cart", KeyRing::new(1, Key::generate())).build()?;
    /// let layer = SessionLayer::new(Sessions::new(store, CookieOptions::new())?, NoEpochs);
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(sessions: Sessions, epochs: impl EpochSource) -> SessionLayer {
        SessionLayer {
            shared: Arc::new(Shared::new(sessions, epochs, Hooks::default())),
        }
    }

    /// Replaces the responses for [`SessionError`]s: a failed epoch lookup,
    /// a missing sign-in, a session too large to send. Handle what you care
    /// about and pass the rest to [`default_response`].
    ///
    /// # Example
    /// ```
    /// use axum_core::response::{IntoResponse, Response};
    /// use http::{StatusCode, header::LOCATION};
    /// use sealed_session::axum::{SessionLayer, default_response};
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, MemoryEpochs, SessionError, SessionStore, Sessions};
    ///
    /// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
    /// let layer = SessionLayer::new(Sessions::new(store, CookieOptions::new())?, MemoryEpochs::new())
    ///     .on_error(|err: &SessionError| -> Response {
    ///         match err {
    ///             SessionError::SignInRequired => (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response(),
    ///             other => default_response(other),
    ///         }
    ///     });
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn on_error(
        self,
        hook: impl Fn(&SessionError) -> Response + Send + Sync + 'static,
    ) -> SessionLayer {
        let mut shared = self.shared;
        let hook: ErrorHook = Arc::new(hook);
        match Arc::get_mut(&mut shared) {
            Some(unique) => unique.hooks.on_error = Some(hook),
            None => {
                shared = Arc::new(shared.with_hooks(Hooks {
                    on_error: Some(hook),
                }));
            }
        }
        SessionLayer { shared }
    }

    /// The [`Sessions`] this layer serves (to rotate keys, say).
    ///
    /// # Example
    /// ```
    /// use sealed_session::axum::SessionLayer;
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, NoEpochs, SessionStore, Sessions};
    /// let mut ring = KeyRing::new(1, Key::generate());
    /// let store = SessionStore::builder("__Host-s", ring.clone()).build()?;
    /// let layer = SessionLayer::new(Sessions::new(store, CookieOptions::new())?, NoEpochs);
    /// ring.rotate(2, Key::generate())?;
    /// layer.sessions().replace(SessionStore::builder("__Host-s", ring).build()?)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        self.shared.sessions()
    }
}

impl<S> tower_layer::Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service [`SessionLayer`] wraps around a route or router (made by
/// `Router::layer`, or by hand with [`tower_layer::Layer::layer`]).
///
/// # Example
/// ```
/// use sealed_session::axum::{SessionLayer, SessionService};
/// use sealed_session::cookie::CookieOptions;
/// use sealed_session::{Key, KeyRing, NoEpochs, SessionStore, Sessions};
/// use tower_layer::Layer as _;
///
/// let store = SessionStore::builder("__Host-s", KeyRing::new(1, Key::generate())).build()?;
/// let layer = SessionLayer::new(Sessions::new(store, CookieOptions::new())?, NoEpochs);
/// let service: SessionService<()> = layer.layer(()); // around any inner service
/// # let _ = service;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
// Hidden from the docs (as actix-session hides its inner middleware): the
// layer's service, named only by the type system.
#[doc(hidden)]
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    shared: Arc<Shared<Hooks>>,
}

impl<S> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService").finish_non_exhaustive()
    }
}

/// The request's session context, in the request extensions.
#[derive(Clone)]
struct RequestSession(Arc<Context<Hooks>>);

impl<S, B> tower_service::Service<Request<B>> for SessionService<S>
where
    S: tower_service::Service<Request<B>, Response = Response>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let context = Arc::new(Context::new(Arc::clone(&self.shared)));
        request
            .extensions_mut()
            .insert(RequestSession(Arc::clone(&context)));
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            finish(&context, &mut response);
            Ok(response)
        })
    }
}

/// The response side: adds the `Set-Cookie`, or turns the response into
/// the error response if the session cannot be sent.
fn finish(context: &Context<Hooks>, response: &mut Response) {
    let server_error = response.status().is_server_error();
    let error = match context.finish(server_error) {
        Ok(None) => {
            if context.depends_on_session() {
                mark_private(response.headers_mut());
            }
            return;
        }
        Ok(Some(cookie)) => match HeaderValue::try_from(cookie.to_string()) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
                mark_private(response.headers_mut());
                return;
            }
            Err(_) => SessionError::Header,
        },
        Err(err) => SessionError::Seal(err),
    };
    *response = context.shared().hooks.respond(&error);
    mark_private(response.headers_mut());
}

/// `Cache-Control: private` unless the app set its own, and `Vary: Cookie`
/// (see [`CACHE_CONTROL_PRIVATE`]).
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

/// Why a session extractor rejected the request; its response is the
/// layer's ([`SessionLayer::on_error`], else [`default_response`]).
///
/// Take `Result<UserSession<T>, SessionRejection>` to handle it in the
/// handler.
///
/// # Example
/// ```
/// use sealed_session::axum::SessionRejection;
/// use sealed_session::{SessionError, UserSession};
///
/// async fn page(user: Result<UserSession<()>, SessionRejection>) -> String {
///     match user {
///         Ok(user) => format!("hello {}", user.user_id()),
///         Err(rejection) if matches!(rejection.error(), SessionError::SignInRequired) => {
///             "hello stranger".to_owned()
///         }
///         Err(_) => "try again later".to_owned(),
///     }
/// }
/// # let _ = page;
/// ```
pub struct SessionRejection {
    error: SessionError,
    hooks: Option<Hooks>,
}

impl fmt::Debug for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionRejection")
            .field(&self.error)
            .finish()
    }
}

impl fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for SessionRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl SessionRejection {
    /// What went wrong.
    ///
    /// # Example
    /// ```
    /// use sealed_session::axum::SessionRejection;
    /// use sealed_session::{SessionError, UserSession};
    ///
    /// async fn page(user: Result<UserSession<()>, SessionRejection>) -> String {
    ///     user.map_or_else(|r| r.error().to_string(), |u| u.user_id().to_string())
    /// }
    /// # let _ = page;
    /// ```
    #[must_use]
    pub fn error(&self) -> &SessionError {
        &self.error
    }

    /// What went wrong, by value.
    ///
    /// # Example
    /// ```
    /// use sealed_session::axum::SessionRejection;
    /// use sealed_session::{SessionError, UserSession};
    ///
    /// async fn page(user: Result<UserSession<()>, SessionRejection>) -> String {
    ///     match user {
    ///         Ok(user) => user.user_id().to_string(),
    ///         Err(r) => match r.into_error() {
    ///             SessionError::SignInRequired => "hello stranger".into(),
    ///             other => other.to_string(),
    ///         },
    ///     }
    /// }
    /// # let _ = page;
    /// ```
    #[must_use]
    pub fn into_error(self) -> SessionError {
        self.error
    }
}

/// A [`SessionError`] a handler returns (for example from
/// [`SessionHandle::logout_everywhere`](crate::SessionHandle::logout_everywhere)
/// with `?`) answers with [`default_response`].
///
/// # Example
/// ```
/// use axum::response::IntoResponse;
/// use sealed_session::SessionError;
///
/// assert_eq!(SessionError::NoRevocationSet.into_response().status(), 500);
/// ```
impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        default_response(&self)
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match &self.hooks {
            Some(hooks) => hooks.respond(&self.error),
            None => default_response(&self.error),
        }
    }
}

fn context_of(parts: &Parts) -> Result<Arc<Context<Hooks>>, SessionRejection> {
    match parts.extensions.get::<RequestSession>() {
        Some(RequestSession(context)) => Ok(Arc::clone(context)),
        None => Err(SessionRejection {
            error: SessionError::MissingLayer,
            hooks: None,
        }),
    }
}

async fn handle<T>(parts: &Parts) -> Result<SessionHandle<T>, SessionRejection>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let context = context_of(parts)?;
    let reject = |error| SessionRejection {
        error,
        hooks: Some(context.shared().hooks.clone()),
    };
    if let Some(existing) = context.existing::<T>() {
        return existing.map_err(reject);
    }
    let opening = context.open::<T>(parts.headers.get_all(COOKIE));
    context.verify(opening).await.map_err(reject)
}

/// The request's session; see [`SessionHandle`]. Rejects only without the
/// layer, or when the epoch source fails.
impl<S, T> FromRequestParts<S> for SessionHandle<T>
where
    S: Send + Sync,
    T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        handle(parts).await
    }
}

/// The request's verified user session; see [`UserSession`]. Rejects
/// with [`SessionError::SignInRequired`] without one.
impl<S, T> FromRequestParts<S> for UserSession<T>
where
    S: Send + Sync,
    T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let handle = handle::<T>(parts).await?;
        let hooks = context_of(parts).ok().map(|c| c.shared().hooks.clone());
        UserSession::from_handle(handle).map_err(|error| SessionRejection { error, hooks })
    }
}
