//! Security events, through [`tracing`](https://docs.rs/tracing) (feature
//! `tracing`, on by default), under the target `sealed_session`.
//!
//! Every event carries an `event` field naming it; none ever carries a key,
//! a cookie value or a payload. User ids appear as [`UserId`] displays them
//! (text ids quoted). Before authentication every failure is one class:
//! `reason = "invalid"` covers tampering, unknown keys and garbage alike.
//!
//! | `event` | level | when |
//! |---|---|---|
//! | `cookie_rejected` | `warn` for `revoked` (a copy replayed after logout) and `ambiguous` (cookie tossing), `info` otherwise | a session cookie came and was not served; `reason` is one of `invalid`, `expired`, `idle_expired`, `not_yet_valid`, `revoked`, `ambiguous`, `decode`, `unknown_schema`, `migration` |
//! | `login` | `info` | a response set a new user session |
//! | `logout` | `info` | a response ended a session (`revoked` says whether it entered the revocation set) |
//! | `logout_everywhere` | `info` | every session of a user was revoked |
//! | `reseal_skipped` | `warn` | a re-seal asked for by a hint alone (retired key, idle refresh, older schema) failed; the cookie was served unchanged |
//! | `session_unavailable` | `debug` | a user session was refused because the revocation feed is stale (the feed reports its own outages once) |
//! | `server_error` | `error` | an adapter answered 500 for a session error |
//!
//! Subscribe with any `tracing` subscriber, for example
//! `tracing_subscriber::fmt().with_target(true)` filtered on
//! `sealed_session=info`. Feeds (such as `sealed-session-redis`) report
//! revocations published or failed and staleness under their own target.

use crate::error::{OpenError, SealError};
use crate::id::UserId;

#[cfg(feature = "tracing")]
mod on {
    use super::{OpenError, SealError, UserId};

    /// The `reason` field of a `cookie_rejected` event.
    fn reason(err: OpenError) -> &'static str {
        match err {
            OpenError::Invalid => "invalid",
            OpenError::Expired => "expired",
            OpenError::IdleExpired => "idle_expired",
            OpenError::NotYetValid => "not_yet_valid",
            OpenError::Revoked => "revoked",
            OpenError::Decode => "decode",
            OpenError::Ambiguous => "ambiguous",
            OpenError::UnknownSchema => "unknown_schema",
            OpenError::Migration => "migration",
        }
    }

    pub(crate) fn cookie_rejected(cookie: &str, err: OpenError) {
        let reason = reason(err);
        if matches!(err, OpenError::Revoked | OpenError::Ambiguous) {
            tracing::warn!(target: "sealed_session", event = "cookie_rejected", cookie, reason, "session cookie rejected");
        } else {
            tracing::info!(target: "sealed_session", event = "cookie_rejected", cookie, reason, "session cookie rejected");
        }
    }

    pub(crate) fn login(user: &UserId) {
        tracing::info!(target: "sealed_session", event = "login", user = %user, "session started");
    }

    pub(crate) fn logout(user: Option<&UserId>, revoked: bool) {
        match user {
            Some(user) => {
                tracing::info!(target: "sealed_session", event = "logout", user = %user, revoked, "session ended")
            }
            None => {
                tracing::info!(target: "sealed_session", event = "logout", revoked, "session ended")
            }
        }
    }

    pub(crate) fn logout_everywhere(user: &UserId) {
        tracing::info!(target: "sealed_session", event = "logout_everywhere", user = %user, "every session of the user revoked");
    }

    pub(crate) fn reseal_skipped(err: &SealError) {
        tracing::warn!(target: "sealed_session", event = "reseal_skipped", error = %err, "session served unchanged: its re-seal failed");
    }

    pub(crate) fn session_unavailable() {
        tracing::debug!(target: "sealed_session", event = "session_unavailable", "user session refused: the revocation feed is stale");
    }

    #[cfg(any(feature = "axum", feature = "actix-web"))]
    pub(crate) fn server_error(error: &dyn core::fmt::Display) {
        tracing::error!(target: "sealed_session", event = "server_error", error = %error, "session error answered with a server error");
    }
}

#[cfg(not(feature = "tracing"))]
mod on {
    use super::{OpenError, SealError, UserId};

    pub(crate) fn cookie_rejected(_cookie: &str, _err: OpenError) {}
    pub(crate) fn login(_user: &UserId) {}
    pub(crate) fn logout(_user: Option<&UserId>, _revoked: bool) {}
    pub(crate) fn logout_everywhere(_user: &UserId) {}
    pub(crate) fn reseal_skipped(_err: &SealError) {}
    pub(crate) fn session_unavailable() {}
    #[cfg(any(feature = "axum", feature = "actix-web"))]
    pub(crate) fn server_error(_error: &dyn core::fmt::Display) {}
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) use on::server_error;
pub(crate) use on::{
    cookie_rejected, login, logout, logout_everywhere, reseal_skipped, session_unavailable,
};
