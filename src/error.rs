//! Error types. Every `Display` is lower case and never contains key material
//! or plaintext.

use core::fmt;

/// Why a cookie did not open.
///
/// Every failure before authentication (bad base64, wrong length, unknown
/// version, unknown key id, tag mismatch, wrong cookie name) is the single
/// opaque [`OpenError::Invalid`], so an attacker learns nothing from which
/// check failed. The other variants are reported only for cookies that this
/// key ring really sealed.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, OpenError, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let err = store.open::<u32>("not a cookie").unwrap_err();
/// assert_eq!(err, OpenError::Invalid);
/// assert_eq!(err.to_string(), "invalid session cookie");
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpenError {
    /// The value is not a cookie this store sealed (any pre-authentication failure).
    Invalid,
    /// The absolute lifetime is over.
    Expired,
    /// The idle (sliding) timeout passed without a re-seal.
    IdleExpired,
    /// The cookie claims to be issued in the future, beyond the clock-skew leeway.
    NotYetValid,
    /// The user's epoch changed since this cookie was sealed ("log out everywhere").
    Revoked,
    /// Authentic, but the envelope or the payload did not decode (for example the
    /// session struct changed shape since the cookie was sealed).
    Decode,
    /// Two or more different cookies with the session's name authenticated in
    /// one request. One of them may have been planted by a sibling subdomain
    /// (cookie tossing), so none is picked: answer as logged out and send the
    /// removal cookie. A `__Host-` cookie name prevents this.
    Ambiguous,
    /// Authentic, but its payload schema is neither the store's current one
    /// nor one it accepts: the build was deployed without a migration for
    /// it (or the schema was dropped). See
    /// [`StoreBuilder::accept`](crate::StoreBuilder::accept).
    UnknownSchema,
    /// Authentic, of an accepted older schema, but its migration to the
    /// current schema failed.
    Migration,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpenError::Invalid => "invalid session cookie",
            OpenError::Expired => "session expired",
            OpenError::IdleExpired => "session idle timeout expired",
            OpenError::NotYetValid => "session issued in the future",
            OpenError::Revoked => "session revoked: user epoch changed",
            OpenError::Decode => "session payload could not be decoded",
            OpenError::Ambiguous => "several different session cookies authenticated",
            OpenError::UnknownSchema => "session payload schema is not known to this build",
            OpenError::Migration => "session payload could not be migrated to the current schema",
        })
    }
}

impl std::error::Error for OpenError {}

/// Why a session could not be sealed.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, SealError, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let huge = vec![7u8; 5000];
/// match store.seal(&huge) {
///     Err(SealError::TooLarge { len, max }) => assert!(len > max && max == 4096),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// `name=value` would be longer than the browser keeps; nothing was produced.
    TooLarge {
        /// `len(name) + len(value)` the cookie would have had (at least this much).
        len: usize,
        /// The configured limit (at most 4096).
        max: usize,
    },
    /// The payload's `Serialize` implementation failed.
    Serialize,
    /// The time passed in is outside the supported range (before 1970 or after 9999).
    Clock,
    /// The session being re-sealed is already past its absolute or its idle
    /// deadline (a cookie that opened only thanks to the leeway): the
    /// session is over; answer as logged out.
    SessionExpired,
    /// The operating system's random number generator failed.
    Random,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::TooLarge { len, max } => write!(
                f,
                "sealed session too large: name and value would be {len} bytes, limit is {max}"
            ),
            SealError::Serialize => f.write_str("session payload could not be serialized"),
            SealError::Clock => f.write_str("time out of the supported range"),
            SealError::SessionExpired => f.write_str("session already expired"),
            SealError::Random => f.write_str("random number generator failed"),
        }
    }
}

impl std::error::Error for SealError {}

/// A store configuration that cannot work, reported by
/// [`StoreBuilder::build`](crate::StoreBuilder::build).
///
/// # Example
/// ```
/// use sealed_session::{ConfigError, Key, KeyRing, SessionStore};
///
/// let err = SessionStore::builder("bad name", KeyRing::new(1, Key::generate()))
///     .build()
///     .unwrap_err();
/// assert_eq!(err, ConfigError::CookieName);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or not an RFC 6265 token.
    CookieName,
    /// The maximum `name=value` length is over 4096 or leaves no room for a value.
    MaxLength,
    /// The lifetime is not between one second and 400 days (browsers cap cookies at 400 days).
    Ttl,
    /// The idle timeout is not between one second and the lifetime.
    IdleTimeout,
    /// The clock-skew leeway is negative or over one hour.
    Leeway,
    /// The padding bucket is zero or larger than the cookie can hold.
    Padding,
    /// A schema is declared twice (current or accepted), or the schema to
    /// seal during a rollout is not one the store opens.
    Schema,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::CookieName => "cookie name must be a non-empty rfc 6265 token",
            ConfigError::MaxLength => {
                "maximum cookie length must be at most 4096 and leave room for a value"
            }
            ConfigError::Ttl => "lifetime must be between 1 second and 400 days",
            ConfigError::IdleTimeout => "idle timeout must be between 1 second and the lifetime",
            ConfigError::Leeway => "leeway must be between 0 and 1 hour",
            ConfigError::Padding => "padding bucket must be between 1 and the cookie capacity",
            ConfigError::Schema => {
                "each schema must be declared once, and the sealing schema must be one the store opens"
            }
        })
    }
}

impl std::error::Error for ConfigError {}

/// A key that could not be parsed or generated. Never contains key material.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyError};
///
/// assert_eq!(Key::from_bytes(&[0u8; 16]).unwrap_err(), KeyError::Length { got: 16 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is not exactly 32 bytes.
    Length {
        /// How many bytes were given.
        got: usize,
    },
    /// The text is not base64 (standard or URL-safe, padded or not).
    Base64,
    /// The key is a placeholder, not a secret: all 32 bytes are equal (such
    /// as an all-zero key, 43 × `A` in base64) or it has fewer than 8
    /// distinct byte values. See [`Key::from_bytes`](crate::Key::from_bytes).
    Weak,
    /// The operating system's random number generator failed.
    Random,
    /// The text is not an algorithm name (`xaes-256-gcm` or
    /// `xchacha20-poly1305`).
    UnknownAlgorithm,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Length { got } => write!(f, "key must be 32 bytes, got {got}"),
            KeyError::Base64 => f.write_str("key is not valid base64"),
            KeyError::Weak => f.write_str("key is a placeholder, not a random secret"),
            KeyError::Random => f.write_str("random number generator failed"),
            KeyError::UnknownAlgorithm => {
                f.write_str("unknown algorithm (expected xaes-256-gcm or xchacha20-poly1305)")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// A key ring change that was refused.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, KeyRingError};
///
/// let mut ring = KeyRing::new(1, Key::generate());
/// assert_eq!(ring.rotate(1, Key::generate()), Err(KeyRingError::DuplicateId(1)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRingError {
    /// A key with this id is already in the ring.
    DuplicateId(u32),
    /// The id names the sealing key, which cannot be removed.
    SealingKey(u32),
    /// No retired key has this id.
    UnknownId(u32),
}

impl fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRingError::DuplicateId(id) => write!(f, "key id {id} is already in the key ring"),
            KeyRingError::SealingKey(id) => {
                write!(f, "key id {id} is the sealing key and cannot be removed")
            }
            KeyRingError::UnknownId(id) => write!(f, "no retired key has id {id}"),
        }
    }
}

impl std::error::Error for KeyRingError {}

/// A text user id that is empty or longer than
/// [`UserId::MAX_TEXT_LEN`](crate::UserId::MAX_TEXT_LEN) bytes.
///
/// # Example
/// ```
/// assert!(sealed_session::UserId::text("").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUserId;

impl fmt::Display for InvalidUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("user id text must be 1 to 128 bytes")
    }
}

impl std::error::Error for InvalidUserId {}
