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
#[cfg(feature = "cookie")]
pub mod cookie;
#[cfg(feature = "cookie")]
pub mod engine;
mod envelope;
#[cfg(feature = "cookie")]
mod epoch_source;
mod error;
#[cfg(feature = "cookie")]
mod events;
mod expiry;
#[cfg(any(feature = "axum", feature = "actix-web"))]
mod handle;
mod kdf;
mod key;
mod key_config;
mod keyring;
mod nonce;
mod revocation;
mod schema;
mod scratch;
mod session;
mod session_id;
#[cfg(feature = "cookie")]
mod sessions;
mod store;
#[cfg(feature = "cookie")]
pub mod testing;
mod user_id;
mod wire;

// Test-only code (the golden-vector specs, the cross-backend tests): never
// shipped in a build.
#[cfg(test)]
mod tests;

#[cfg(feature = "cookie")]
pub use self::cookie::{CookieOptions, CookieOptionsError};
pub use clock::{Clock, ManualClock};
#[cfg(feature = "cookie")]
pub use epoch_source::{BoxError, EpochSource, MemoryEpochs, NoEpochs, NoUsers};
pub use error::{ConfigError, InvalidUserId, KeyError, KeyRingError, OpenError, SealError};
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub use handle::{SessionError, SessionHandle, UserSession};
pub use key::{Algorithm, KEY_LEN, Key};
pub use key_config::{KEYS_ENV_VAR, KeyConfigError};
pub use keyring::KeyRing;
pub use revocation::{
    DEFAULT_STALENESS_BOUND, FeedLink, FeedOptions, Revocation, RevocationError, RevocationSet,
    RevocationStats,
};
pub use session::{Opened, ResealReasons, Sealed, Session, SessionInfo, Unverified};
pub use session_id::SessionId;
#[cfg(feature = "cookie")]
pub use sessions::{NoRevocationSet, Sessions};
pub use store::{DEFAULT_LEEWAY, DEFAULT_TTL, MAX_TTL, SessionStore, StoreBuilder};
pub use user_id::UserId;
pub use wire::BROWSER_COOKIE_LIMIT;

#[doc(hidden)]
pub use backend::hooks as __backend;

/// The `time` crate, re-exported: the API takes [`time::OffsetDateTime`] and
/// [`time::Duration`].
pub use time;
