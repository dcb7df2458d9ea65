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

// The crate map (ARCHITECTURE.md): keys, the wire format, the store (the
// one door for cookies), revocation, the per-request engine (the one door
// for requests), and the framework adapters on top of it.
#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
mod backend;
mod clock;
mod error;
mod format;
mod id;
mod key;
mod revocation;
mod session;
#[cfg(feature = "cookie")]
mod sessions;
mod store;

// Test-only code (the golden-vector specs, the cross-backend tests): never
// shipped in a build.
#[cfg(test)]
mod tests;

pub use clock::{Clock, ManualClock};
pub use error::{ConfigError, InvalidUserId, KeyError, KeyRingError, OpenError, SealError};
pub use format::wire::BROWSER_COOKIE_LIMIT;
pub use id::{SessionId, UserId};
pub use key::config::{KEYS_ENV_VAR, KeyConfigError};
pub use key::ring::KeyRing;
pub use key::{Algorithm, KEY_LEN, Key};
pub use revocation::{
    DEFAULT_STALENESS_BOUND, FeedLink, FeedOptions, Revocation, RevocationError, RevocationSet,
    RevocationStats,
};
pub use session::{Opened, ResealReasons, Sealed, SessionInfo, Unverified, Verified};
#[cfg(feature = "cookie")]
pub use sessions::cookie::{CookieOptions, CookieOptionsError};
#[cfg(feature = "cookie")]
pub use sessions::epoch_source::{EpochSource, MemoryEpochs, NoEpochs};
#[cfg(feature = "cookie")]
pub use sessions::error::SessionError;
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub use sessions::handle::{SessionHandle, UserSession};
#[cfg(feature = "cookie")]
pub use sessions::{Sessions, cookie, engine, testing};
pub use store::{DEFAULT_LEEWAY, DEFAULT_TTL, MAX_TTL, SessionStore, StoreBuilder};

#[doc(hidden)]
pub use backend::hooks as __backend;

/// The `time` crate, re-exported: the API takes [`time::OffsetDateTime`] and
/// [`time::Duration`].
pub use time;
