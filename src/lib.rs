#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
mod config;
#[cfg(feature = "cookie")]
pub mod cookie;
mod crypto;
mod envelope;
mod epoch;
mod error;
mod expiry;
mod key;
mod keyring;
mod nonce;
mod session;
mod store;
mod wire;

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod vectors;

#[cfg(feature = "cookie")]
pub use self::cookie::{CookieOptions, CookieOptionsError};
pub use config::{KEYS_ENV_VAR, KeyConfigError, KeyEntryProblem};
pub use epoch::UserId;
pub use error::{ConfigError, InvalidUserId, KeyError, KeyRingError, OpenError, SealError};
pub use key::{Algorithm, KEY_LEN, Key, UnknownAlgorithm};
pub use keyring::KeyRing;
pub use session::{Opened, ResealReasons, Sealed, Session, SessionInfo, Unverified};
pub use store::{DEFAULT_LEEWAY, DEFAULT_TTL, MAX_TTL, SessionStore, StoreBuilder};
pub use wire::BROWSER_COOKIE_LIMIT;

#[doc(hidden)]
pub use backend::hooks as __backend;

/// The `time` crate, re-exported: the API takes [`time::OffsetDateTime`] and
/// [`time::Duration`].
pub use time;
