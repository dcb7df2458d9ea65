#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Every cookie is attacker-controlled: no panics, unchecked arithmetic or
// lossy casts in the library. Crate-level here (not in Cargo.toml's [lints]),
// so they guard this crate only, not its integration tests, benches and
// examples; clippy.toml lets the unit tests below unwrap, index and panic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
mod backend;
mod clock;
mod config;
#[cfg(feature = "cookie")]
pub mod cookie;
mod crypto;
#[cfg(feature = "cookie")]
pub mod engine;
mod envelope;
mod epoch;
#[cfg(feature = "cookie")]
mod epochs;
mod error;
#[cfg(feature = "cookie")]
mod events;
mod expiry;
mod key;
mod keyring;
#[cfg(feature = "cookie")]
mod layer;
#[cfg(any(feature = "axum", feature = "actix-web"))]
mod middleware;
mod nonce;
mod revocation;
mod schema;
mod scratch;
mod session;
mod session_id;
mod store;
#[cfg(feature = "cookie")]
pub mod testing;
mod wire;

// Test-only code (the golden-vector specs, the cross-backend tests): never
// shipped in a build.
#[cfg(test)]
mod tests;

#[cfg(feature = "cookie")]
pub use self::cookie::{CookieOptions, CookieOptionsError};
pub use clock::{Clock, ManualClock};
pub use config::{KEYS_ENV_VAR, KeyConfigError, KeyEntryProblem};
pub use epoch::UserId;
#[cfg(feature = "cookie")]
pub use epochs::{BoxError, EpochSource, MemoryEpochs, NoEpochs, NoUsers};
pub use error::{ConfigError, InvalidUserId, KeyError, KeyRingError, OpenError, SealError};
pub use key::{Algorithm, KEY_LEN, Key};
pub use keyring::KeyRing;
#[cfg(feature = "cookie")]
pub use layer::{NoRevocationSet, Sessions};
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub use middleware::{SessionError, SessionHandle, UserSession};
pub use revocation::{
    DEFAULT_STALENESS_BOUND, FeedLink, FeedOptions, Revocation, RevocationError, RevocationSet,
    RevocationStats,
};
pub use session::{Opened, ResealReasons, Sealed, Session, SessionInfo, Unverified};
pub use session_id::SessionId;
pub use store::{DEFAULT_LEEWAY, DEFAULT_TTL, MAX_TTL, SessionStore, StoreBuilder};
pub use wire::BROWSER_COOKIE_LIMIT;

#[doc(hidden)]
pub use backend::hooks as __backend;

/// The `time` crate, re-exported: the API takes [`time::OffsetDateTime`] and
/// [`time::Duration`].
pub use time;
