//! axum-login on the sealed cookie: [`AuthLayer`], axum-login's
//! `AuthManager` service composed inside [`SealedSessionLayer`] (axum-login's
//! own `AuthManagerLayerBuilder` takes only tower-sessions'
//! `SessionManagerLayer`).

use axum_login::{AuthManager, AuthnBackend};

use crate::{SealedSessionLayer, SealedSessionService};

/// axum-login's default key for its data in the session.
const DATA_KEY: &str = "axum-login.data";

impl SealedSessionLayer {
    /// axum-login on this layer: what
    /// `AuthManagerLayerBuilder::new(backend, session_layer).build()` is on
    /// tower-sessions' layer. Handlers keep extracting `AuthSession`, and
    /// `login_required!` works unchanged.
    ///
    /// # Example
    /// ```
    /// # use axum_login::{AuthUser, AuthnBackend, UserId};
    /// # #[derive(Clone, Debug)] struct User;
    /// # impl AuthUser for User {
    /// #     type Id = u64;
    /// #     fn id(&self) -> u64 { 1 }
    /// #     fn session_auth_hash(&self) -> &[u8] { b"" }
    /// # }
    /// # #[derive(Clone)] struct Backend;
    /// # impl AuthnBackend for Backend {
    /// #     type User = User;
    /// #     type Credentials = ();
    /// #     type Error = std::io::Error;
    /// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Self::Error> { Ok(None) }
    /// #     async fn get_user(&self, _: &UserId<Self>) -> Result<Option<User>, Self::Error> { Ok(None) }
    /// # }
    /// # let backend = Backend;
    /// use sealed_session::{CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};
    /// use sealed_session_tower::SealedSessionLayer;
    ///
    /// let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
    /// let revoked = RevocationSet::new(&store);
    /// let sessions = Sessions::new(store, CookieOptions::new())?.with_revocations(revoked);
    /// // instead of `AuthManagerLayerBuilder::new(backend, session_layer).build()`:
    /// let auth_layer = SealedSessionLayer::new(sessions).with_auth(backend);
    /// let app: axum::Router = axum::Router::new().layer(auth_layer);
    /// # let _ = app;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_auth<B: AuthnBackend>(self, backend: B) -> AuthLayer<B> {
        AuthLayer {
            sessions: self,
            backend,
            data_key: DATA_KEY,
        }
    }
}

/// [`SealedSessionLayer`] with axum-login's `AuthManager` inside it, from
/// [`SealedSessionLayer::with_auth`].
///
/// # Example
/// ```
/// # use axum_login::{AuthUser, AuthnBackend, UserId};
/// # #[derive(Clone, Debug)] struct User;
/// # impl AuthUser for User {
/// #     type Id = u64;
/// #     fn id(&self) -> u64 { 1 }
/// #     fn session_auth_hash(&self) -> &[u8] { b"" }
/// # }
/// # #[derive(Clone)] struct Backend;
/// # impl AuthnBackend for Backend {
/// #     type User = User;
/// #     type Credentials = ();
/// #     type Error = std::io::Error;
/// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Self::Error> { Ok(None) }
/// #     async fn get_user(&self, _: &UserId<Self>) -> Result<Option<User>, Self::Error> { Ok(None) }
/// # }
/// # use sealed_session::{CookieOptions, Key, KeyRing, SessionStore, Sessions};
/// # let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate())).build()?;
/// # let sessions = Sessions::new(store, CookieOptions::new())?;
/// let layer = sealed_session_tower::SealedSessionLayer::new(sessions)
///     .with_auth(Backend)
///     .with_data_key("my-app.auth"); // axum-login's `with_data_key`
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AuthLayer<B> {
    sessions: SealedSessionLayer,
    backend: B,
    data_key: &'static str,
}

impl<B> std::fmt::Debug for AuthLayer<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("sessions", &self.sessions)
            .field("data_key", &self.data_key)
            .finish_non_exhaustive()
    }
}

impl<B> AuthLayer<B> {
    /// axum-login's `with_data_key`: where its data lives in the session
    /// (default `"axum-login.data"`).
    ///
    /// # Example
    /// See [`AuthLayer`].
    #[must_use]
    pub fn with_data_key(mut self, data_key: &'static str) -> AuthLayer<B> {
        self.data_key = data_key;
        self
    }
}

impl<S, B: AuthnBackend> tower_layer::Layer<S> for AuthLayer<B> {
    type Service = SealedSessionService<AuthManager<S, B>>;

    fn layer(&self, inner: S) -> Self::Service {
        let auth = AuthManager::new(inner, self.backend.clone(), self.data_key);
        tower_layer::Layer::layer(&self.sessions, auth)
    }
}
