//! actix-web 4: [`SessionMiddleware`] and the [`SessionHandle`] /
//! [`UserSession`] extractors (feature `actix-web`).
//!
//! The same rules as the axum layer, on the same [engine](crate::engine):
//! the session is opened when a handler first asks for it, a user
//! session's epoch is looked up once, and the middleware adds the
//! `Set-Cookie` (with actix-web's own `cookie` 0.16 types) when the
//! response is produced. Failures answer as in the axum layer;
//! [`SessionMiddleware::on_error`] replaces the responses.
//!
//! # Example
//! ```
//! use actix_web::{App, HttpResponse, web};
//! use sealed_session::actix::SessionMiddleware;
//! use sealed_session::cookie::CookieOptions;
//! use sealed_session::{Key, KeyRing, MemoryEpochs, SessionStore, Sessions, UserSession};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize, Default)] struct Data { counter: u64 }
//!
//! async fn count(user: UserSession<Data>) -> HttpResponse {
//!     let n = user.update(|d| { d.counter += 1; d.counter });
//!     HttpResponse::Ok().body(n.to_string())
//! }
//!
//! let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
//! let middleware = SessionMiddleware::new(Sessions::new(store, CookieOptions::new())?, MemoryEpochs::new());
//! let app = App::new().wrap(middleware).route("/count", web::post().to(count));
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::future::{Future, Ready, ready};
use core::pin::Pin;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, ContentType, HeaderMap, HeaderValue, VARY};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cookie::{CACHE_CONTROL_PRIVATE, Cookie, SameSite, needs_vary_cookie};
use crate::sessions::Sessions;
use crate::sessions::epoch_source::EpochSource;
use crate::sessions::error::SessionError;
use crate::sessions::handle::{Context, SessionHandle, Shared, UserSession};

/// actix-web's own cookie types (`cookie` 0.16), re-exported from
/// actix-web.
pub use actix_web::cookie as actix_cookie;

type ErrorHook = Arc<dyn Fn(&SessionError) -> HttpResponse + Send + Sync>;

#[derive(Clone, Default)]
struct Hooks {
    on_error: Option<ErrorHook>,
}

impl Hooks {
    fn respond(&self, error: &SessionError) -> HttpResponse {
        match &self.on_error {
            Some(hook) => hook(error),
            None => default_response(error),
        }
    }
}

/// The response the middleware gives for `error` unless
/// [`SessionMiddleware::on_error`] says otherwise: the status of
/// [`SessionError::status`] with a short plain-text body; server errors are
/// logged to stderr first.
///
/// # Example
/// ```
/// use sealed_session::SessionError;
/// use sealed_session::actix::default_response;
///
/// assert_eq!(default_response(&SessionError::SignInRequired).status(), 401);
/// ```
#[must_use]
pub fn default_response(error: &SessionError) -> HttpResponse {
    error.log_if_server_error();
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(ContentType::plaintext())
        .body(error.public_message())
}

/// The `cookie` 0.18 cookie this crate builds, as actix-web's `cookie` 0.16
/// one, attribute for attribute (name, value, `HttpOnly`, `Secure`,
/// `SameSite`, `Path`, `Domain`, `Max-Age`, `Expires`).
///
/// # Example
/// ```
/// use sealed_session::actix::to_actix_cookie;
/// use sealed_session::cookie::CookieOptions;
///
/// let removal = to_actix_cookie(&CookieOptions::new().removal("__Host-session")?);
/// let response = actix_web::HttpResponse::Ok().cookie(removal).finish();
/// # let _ = response;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn to_actix_cookie(cookie: &Cookie<'_>) -> actix_cookie::Cookie<'static> {
    let mut out = actix_cookie::Cookie::new(cookie.name().to_owned(), cookie.value().to_owned());
    if let Some(http_only) = cookie.http_only() {
        out.set_http_only(http_only);
    }
    if let Some(secure) = cookie.secure() {
        out.set_secure(secure);
    }
    if let Some(same_site) = cookie.same_site() {
        out.set_same_site(match same_site {
            SameSite::Strict => actix_cookie::SameSite::Strict,
            SameSite::Lax => actix_cookie::SameSite::Lax,
            SameSite::None => actix_cookie::SameSite::None,
        });
    }
    if let Some(path) = cookie.path() {
        out.set_path(path.to_owned());
    }
    if let Some(domain) = cookie.domain() {
        out.set_domain(domain.to_owned());
    }
    if let Some(max_age) = cookie.max_age() {
        out.set_max_age(max_age);
    }
    if let Some(expires) = cookie.expires_datetime() {
        out.set_expires(expires);
    }
    out
}

/// The session middleware: `App::wrap` it, and handlers can take
/// [`SessionHandle`] and [`UserSession`].
///
/// Built from [`Sessions`] and an [`EpochSource`], like the axum layer.
/// Cheap to clone (the app factory runs once per worker).
///
/// # Example
/// ```
/// use sealed_session::actix::SessionMiddleware;
/// use sealed_session::cookie::CookieOptions;
/// use sealed_session::{Key, KeyRing, NoEpochs, SessionStore, Sessions};
///
/// let store = SessionStore::builder("__Host-visits", KeyRing::new(1, Key::generate())).build()?;
/// let middleware = SessionMiddleware::new(Sessions::new(store, CookieOptions::new())?, NoEpochs);
/// # let _ = middleware;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionMiddleware {
    shared: Arc<Shared<Hooks>>,
}

impl fmt::Debug for SessionMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("sessions", self.shared.sessions())
            .field("on_error", &self.shared.hooks.on_error.is_some())
            .finish_non_exhaustive()
    }
}

impl SessionMiddleware {
    /// The middleware for `sessions`, checking user sessions against
    /// `epochs`.
    ///
    /// # Example
    /// ```
    /// use sealed_session::actix::SessionMiddleware;
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore, Sessions, UserId};
    ///
    /// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
    /// let middleware = SessionMiddleware::new(
    ///     Sessions::new(store, CookieOptions::new())?,
    ///     |user: UserId| async move { Ok::<_, std::io::Error>(Some(0)) }, // your database
    /// );
    /// # let _ = middleware;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(sessions: Sessions, epochs: impl EpochSource) -> SessionMiddleware {
        SessionMiddleware {
            shared: Arc::new(Shared::new(sessions, epochs, Hooks::default())),
        }
    }

    /// Replaces the responses for [`SessionError`]s; pass what you do not
    /// handle to [`default_response`].
    ///
    /// # Example
    /// ```
    /// use actix_web::HttpResponse;
    /// use sealed_session::actix::{SessionMiddleware, default_response};
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, MemoryEpochs, SessionError, SessionStore, Sessions};
    ///
    /// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
    /// let middleware = SessionMiddleware::new(Sessions::new(store, CookieOptions::new())?, MemoryEpochs::new())
    ///     .on_error(|err: &SessionError| match err {
    ///         SessionError::SignInRequired => HttpResponse::SeeOther().insert_header(("location", "/login")).finish(),
    ///         other => default_response(other),
    ///     });
    /// # let _ = middleware;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn on_error(
        self,
        hook: impl Fn(&SessionError) -> HttpResponse + Send + Sync + 'static,
    ) -> SessionMiddleware {
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
        SessionMiddleware { shared }
    }

    /// The [`Sessions`] this middleware serves (to rotate keys, say).
    ///
    /// # Example
    /// ```
    /// use sealed_session::actix::SessionMiddleware;
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, NoEpochs, SessionStore, Sessions};
    /// let store = SessionStore::builder("__Host-s", KeyRing::new(1, Key::generate())).build()?;
    /// let middleware = SessionMiddleware::new(Sessions::new(store, CookieOptions::new())?, NoEpochs);
    /// assert_eq!(middleware.sessions().store().sealing_key_id(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        self.shared.sessions()
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<SessionMiddlewareService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionMiddlewareService {
            service,
            shared: Arc::clone(&self.shared),
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around an app or scope (made by
/// `App::wrap`).
///
/// # Example
/// ```
/// use actix_web::{App, web};
/// use sealed_session::actix::SessionMiddleware;
/// use sealed_session::cookie::CookieOptions;
/// use sealed_session::{Key, KeyRing, NoEpochs, SessionStore, Sessions};
///
/// let store = SessionStore::builder("__Host-s", KeyRing::new(1, Key::generate())).build()?;
/// let middleware = SessionMiddleware::new(Sessions::new(store, CookieOptions::new())?, NoEpochs);
/// let scope = web::scope("/app").wrap(middleware); // a SessionMiddlewareService inside
/// let app = App::new().service(scope);
/// # let _ = app;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
// Hidden from the docs, as actix-session hides its inner middleware.
#[doc(hidden)]
pub struct SessionMiddlewareService<S> {
    service: S,
    shared: Arc<Shared<Hooks>>,
}

impl<S> fmt::Debug for SessionMiddlewareService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddlewareService")
            .finish_non_exhaustive()
    }
}

/// The request's session context, in the request extensions.
#[derive(Clone)]
struct RequestSession(Arc<Context<Hooks>>);

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for SessionMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let context = Arc::new(Context::new(Arc::clone(&self.shared)));
        request
            .extensions_mut()
            .insert(RequestSession(Arc::clone(&context)));
        let response = self.service.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            let server_error = response.status().is_server_error();
            let error = match context.finish(server_error) {
                Ok(None) => {
                    if context.depends_on_session() {
                        mark_private(response.headers_mut());
                    }
                    return Ok(response.map_into_left_body());
                }
                Ok(Some(cookie)) => {
                    match response
                        .response_mut()
                        .add_cookie(&to_actix_cookie(&cookie))
                    {
                        Ok(()) => {
                            mark_private(response.headers_mut());
                            return Ok(response.map_into_left_body());
                        }
                        Err(_) => SessionError::Header,
                    }
                }
                Err(err) => SessionError::Seal(err),
            };
            let mut replacement = context.shared().hooks.respond(&error);
            mark_private(replacement.headers_mut());
            let (request, _) = response.into_parts();
            Ok(ServiceResponse::new(request, replacement).map_into_right_body())
        })
    }
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
/// middleware's ([`SessionMiddleware::on_error`], else
/// [`default_response`]).
///
/// # Example
/// ```
/// use sealed_session::actix::SessionRejection;
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

impl SessionRejection {
    /// What went wrong.
    ///
    /// # Example
    /// ```
    /// use sealed_session::actix::SessionRejection;
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
    /// use sealed_session::actix::SessionRejection;
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

/// A [`SessionError`] a handler returns (for example from
/// [`SessionHandle::logout_everywhere`](crate::SessionHandle::logout_everywhere)
/// with `?`) answers with [`default_response`].
///
/// # Example
/// ```
/// use actix_web::ResponseError;
/// use sealed_session::SessionError;
///
/// assert_eq!(SessionError::NoRevocationSet.error_response().status(), 500);
/// ```
impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        default_response(self)
    }
}

impl ResponseError for SessionRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.hooks {
            Some(hooks) => hooks.respond(&self.error),
            None => default_response(&self.error),
        }
    }
}

fn handle<T>(request: &HttpRequest) -> LocalFuture<Result<SessionHandle<T>, SessionRejection>>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let context = match request.extensions().get::<RequestSession>() {
        Some(RequestSession(context)) => Arc::clone(context),
        None => {
            return Box::pin(ready(Err(SessionRejection {
                error: SessionError::MissingLayer,
                hooks: None,
            })));
        }
    };
    let reject = {
        let hooks = context.shared().hooks.clone();
        move |error| SessionRejection {
            error,
            hooks: Some(hooks),
        }
    };
    if let Some(existing) = context.existing::<T>() {
        return Box::pin(ready(existing.map_err(reject)));
    }
    let opening = context.open::<T>(request.headers().get_all(COOKIE));
    Box::pin(async move { context.verify(opening).await.map_err(reject) })
}

/// The request's session; see [`SessionHandle`].
impl<T> FromRequest for SessionHandle<T>
where
    T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
{
    type Error = SessionRejection;
    type Future = LocalFuture<Result<SessionHandle<T>, SessionRejection>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        handle(request)
    }
}

/// The request's verified user session; see [`UserSession`]. Rejects
/// with [`SessionError::SignInRequired`] without one.
impl<T> FromRequest for UserSession<T>
where
    T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
{
    type Error = SessionRejection;
    type Future = LocalFuture<Result<UserSession<T>, SessionRejection>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let hooks = request
            .extensions()
            .get::<RequestSession>()
            .map(|RequestSession(context)| context.shared().hooks.clone());
        let handle = handle::<T>(request);
        Box::pin(async move {
            let handle = handle.await?;
            UserSession::from_handle(handle).map_err(|error| SessionRejection { error, hooks })
        })
    }
}
