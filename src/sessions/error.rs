//! [`SessionError`]: why a request's session could not be served.

use core::fmt;

use crate::error::SealError;
use crate::revocation::RevocationError;
#[cfg(doc)]
use crate::sessions::Sessions;

/// Why a request's session could not be served, or a log-out-everywhere
/// not done. Adapters turn it into a response (a hook can replace the
/// default one).
///
/// # Example
/// ```
/// use sealed_session::SessionError;
///
/// assert_eq!(SessionError::SignInRequired.status(), 401);
/// assert_eq!(SessionError::MissingLayer.status(), 500);
/// assert!(SessionError::MissingLayer.to_string().contains("layer"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// A session extractor ran on a route without the session layer (axum
    /// `SessionLayer`) or middleware (actix-web `SessionMiddleware`).
    MissingLayer,
    /// The epoch source failed: the request fails closed (the handler
    /// never sees the session; the cookie is left alone).
    EpochSource(Box<dyn std::error::Error + Send + Sync>),
    /// A `UserSession` (axum, actix-web) was asked for, and the request has no verified
    /// user session.
    SignInRequired,
    /// Two extractors asked for the session of one request with different
    /// data types.
    TypeMismatch,
    /// The session could not be sealed for the response, above all
    /// [`SealError::TooLarge`]: the response is an error, never a silently
    /// dropped cookie.
    Seal(SealError),
    /// The `Set-Cookie` header could not be built (this is a bug).
    Header,
    /// The session could not be checked against the revocation set: its
    /// feed is stale ([`RevocationError::Stale`]; Redis unreachable for
    /// longer than the staleness bound). A user session fails closed: the
    /// handler never sees it, the response is 503, and the cookie is left
    /// alone (it works again once the feed has caught up).
    Revocations(RevocationError),
    /// [`Sessions::revoke_user`] (or a handle's `logout_everywhere`) on
    /// sessions without a [revocation set](Sessions::with_revocations):
    /// nothing was revoked, and the session was not ended.
    NoRevocationSet,
}

impl SessionError {
    /// The HTTP status the default response uses: 401 for
    /// [`SessionError::SignInRequired`], 503 for
    /// [`SessionError::Revocations`], 500 for the rest.
    ///
    /// # Example
    /// ```
    /// use sealed_session::SessionError;
    ///
    /// assert_eq!(SessionError::TypeMismatch.status(), 500);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            SessionError::SignInRequired => 401,
            SessionError::Revocations(_) => 503,
            _ => 500,
        }
    }

    /// The default response body: short, and free of anything internal
    /// (the details are in `Display`, for your logs).
    ///
    /// # Example
    /// ```
    /// use sealed_session::SessionError;
    ///
    /// assert_eq!(SessionError::SignInRequired.public_message(), "sign-in required");
    /// ```
    #[must_use]
    pub fn public_message(&self) -> &'static str {
        match self {
            SessionError::SignInRequired => "sign-in required",
            SessionError::MissingLayer => {
                "internal error: the session layer is missing on this route"
            }
            SessionError::Revocations(_) => "sessions are unavailable for a moment, try again",
            _ => "internal error",
        }
    }

    /// The default handling's logging: server errors go to stderr, except
    /// a stale revocation feed (the feed reports its own disconnects; one
    /// line per refused request during an outage would flood the log).
    #[cfg(any(feature = "axum", feature = "actix-web"))]
    pub(crate) fn log_if_server_error(&self) {
        if self.status() >= 500 && !matches!(self, SessionError::Revocations(_)) {
            crate::sessions::events::server_error(self);
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::MissingLayer => f.write_str(
                "session extractor used without the session layer: add the layer \
                 (axum: `.layer(SessionLayer::new(..))`; actix-web: `.wrap(SessionMiddleware::new(..))`) \
                 to this route",
            ),
            SessionError::EpochSource(err) => write!(f, "epoch lookup failed: {err}"),
            SessionError::SignInRequired => f.write_str("sign-in required"),
            SessionError::TypeMismatch => {
                f.write_str("the session was extracted with two different data types")
            }
            SessionError::Seal(err) => write!(f, "session not sent: {err}"),
            SessionError::Header => f.write_str("set-cookie header could not be built"),
            SessionError::Revocations(err) => write!(f, "session not checked: {err}"),
            SessionError::NoRevocationSet => f.write_str(
                "log out everywhere needs a revocation set (`Sessions::with_revocations`)",
            ),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::EpochSource(err) => Some(&**err),
            SessionError::Seal(err) => Some(err),
            SessionError::Revocations(err) => Some(err),
            _ => None,
        }
    }
}
