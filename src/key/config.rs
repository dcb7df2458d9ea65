//! A key ring from one configuration string, and back.
//!
//! The format, for an environment variable such as `SEALED_SESSION_KEYS`:
//!
//! ```text
//! 2:xaes-256-gcm:BASE64KEY, 1:xchacha20-poly1305:BASE64KEY
//! ```
//!
//! Entries are separated by commas or newlines; the first entry is the
//! sealing key, the others are retired (open-only) keys. Each entry is
//! `id:algorithm:key` (or `id:key` for the default algorithm, XAES-256-GCM),
//! with a decimal `u32` id, an algorithm name of [`Algorithm`] and a 32-byte
//! key in base64 (URL-safe or standard, padded or not). Whitespace around
//! entries and fields is ignored, and so are blank entries.

use core::fmt::{self, Write as _};
use core::str::FromStr;

use zeroize::Zeroizing;

use crate::error::{KeyError, KeyRingError};
use crate::key::ring::KeyRing;
use crate::key::{Algorithm, Key};

/// The environment variable the documentation and the demo use for
/// [`KeyRing::from_config`].
///
/// # Example
/// ```
/// use sealed_session::{KEYS_ENV_VAR, KeyRing};
///
/// if let Ok(config) = std::env::var(KEYS_ENV_VAR) {
///     let ring = KeyRing::from_config(&config)?;
///     # let _ = ring;
/// }
/// # Ok::<(), sealed_session::KeyConfigError>(())
/// ```
pub const KEYS_ENV_VAR: &str = "SEALED_SESSION_KEYS";

impl KeyRing {
    /// Parses a key ring from a configuration string (see the format above):
    /// the first entry is the sealing key, the others are retired keys, in
    /// the order given.
    ///
    /// # Errors
    /// A [`KeyConfigError`] that says which entry is wrong and why. It never
    /// contains any part of the input, so it is safe to log.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Algorithm, KeyRing};
    ///
    /// let config = "2:xaes-256-gcm:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,
    ///               1:xchacha20-poly1305:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA";
    /// let ring = KeyRing::from_config(config)?;
    /// assert_eq!(ring.sealing_key_id(), 2);
    /// assert_eq!(ring.retired_ids().collect::<Vec<_>>(), [1]);
    /// assert_eq!(ring.algorithm(1), Some(Algorithm::XChaCha20Poly1305));
    /// # Ok::<(), sealed_session::KeyConfigError>(())
    /// ```
    pub fn from_config(config: &str) -> Result<KeyRing, KeyConfigError> {
        let mut ring: Option<KeyRing> = None;
        let entries = config
            .split([',', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty());
        for (index, entry) in entries.enumerate() {
            let (id, key) = parse_entry(index, entry)?;
            match &mut ring {
                None => ring = Some(KeyRing::new(id, key)),
                Some(ring) => ring.add_retired(id, key).map_err(|err| match err {
                    KeyRingError::DuplicateId(_) => {
                        KeyConfigError::DuplicateId { index, key_id: id }
                    }
                    _ => KeyConfigError::Format {
                        index,
                        key_id: Some(id),
                    },
                })?,
            }
        }
        ring.ok_or(KeyConfigError::Empty)
    }

    /// Formats the ring back into the configuration string
    /// [`KeyRing::from_config`] reads: `id:algorithm:key` entries, sealing
    /// key first, separated by `,`, keys in URL-safe base64 without padding.
    /// For operators (printing a freshly generated ring, or the ring after a
    /// rotation). The string holds every key, so it is zeroized on drop; do
    /// not log it.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing};
    ///
    /// let mut ring = KeyRing::new(1, Key::generate());
    /// ring.rotate(2, Key::generate())?;
    /// let config = ring.to_config();
    /// assert!(config.starts_with("2:xaes-256-gcm:"));
    /// assert_eq!(KeyRing::from_config(&config)?, ring);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to_config(&self) -> Zeroizing<String> {
        // id (10) + ':' + algorithm (<= 18) + ':' + key (43) + ','
        let capacity = self.entries().count().saturating_mul(74);
        let mut out = Zeroizing::new(String::with_capacity(capacity));
        for (i, entry) in self.entries().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Writing to a `String` cannot fail; the capacity above is enough,
            // so the buffer is never reallocated (no unzeroized copies).
            let _ = write!(out, "{}:{}:", entry.id, entry.algorithm);
            out.push_str(&entry.key.to_base64());
        }
        out
    }
}

impl FromStr for KeyRing {
    type Err = KeyConfigError;

    /// Same as [`KeyRing::from_config`].
    fn from_str(config: &str) -> Result<KeyRing, KeyConfigError> {
        KeyRing::from_config(config)
    }
}

/// Parses one non-empty, trimmed entry, the `index`-th.
fn parse_entry(index: usize, entry: &str) -> Result<(u32, Key), KeyConfigError> {
    let mut fields = entry.split(':').map(str::trim);
    let id_field = fields.next().unwrap_or_default();
    let id = parse_key_id(id_field);
    let second = fields.next();
    let third = fields.next();
    let extra = fields.next();
    let (algorithm, key) = match (second, third, extra) {
        (Some(key), None, None) => (None, key),
        (Some(algorithm), Some(key), None) => (Some(algorithm), key),
        _ => return Err(KeyConfigError::Format { index, key_id: id }),
    };
    let key_id = id.ok_or(KeyConfigError::KeyId { index })?;
    let algorithm = match algorithm {
        None => Algorithm::default(),
        Some(name) => name
            .parse::<Algorithm>()
            .map_err(|_| KeyConfigError::Algorithm { index, key_id })?,
    };
    let key = Key::from_base64(key).map_err(|error| KeyConfigError::Key {
        index,
        key_id,
        error,
    })?;
    Ok((key_id, key.with_algorithm(algorithm)))
}

/// A key id in its one written form: decimal digits, no sign, no leading
/// zero (so `1` is the only spelling of key id 1, never `+1` or `01`).
fn parse_key_id(field: &str) -> Option<u32> {
    let canonical = !field.is_empty()
        && field.bytes().all(|b| b.is_ascii_digit())
        && (field == "0" || !field.starts_with('0'));
    canonical.then(|| field.parse::<u32>().ok()).flatten()
}

/// A key ring configuration string that could not be parsed. Says which
/// entry is wrong and why, and never contains any part of the input (no key
/// material), so it is safe to log. `index` counts from 0 among the
/// non-blank entries (`Display` counts from 1); `key_id` is the entry's id
/// once it parsed.
///
/// # Example
/// ```
/// use sealed_session::{KeyConfigError, KeyRing};
///
/// let err = KeyRing::from_config("2:xaes-256-gcm:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8, 1:aes:c2VjcmV0")
///     .unwrap_err();
/// assert_eq!(err, KeyConfigError::Algorithm { index: 1, key_id: 1 });
/// assert_eq!(
///     err.to_string(),
///     "key ring configuration, entry 2 (key id 1): unknown algorithm \
///      (expected xaes-256-gcm or xchacha20-poly1305)"
/// );
/// assert!(!err.to_string().contains("c2VjcmV0"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyConfigError {
    /// The configuration has no entries.
    Empty,
    /// An entry is not `id:algorithm:key` or `id:key`.
    Format {
        /// Position of the entry.
        index: usize,
        /// Its key id, if that field parsed.
        key_id: Option<u32>,
    },
    /// An entry's id is not a decimal number from 0 to 2^32 - 1.
    KeyId {
        /// Position of the entry.
        index: usize,
    },
    /// An entry's algorithm is not one of [`Algorithm`]'s names.
    Algorithm {
        /// Position of the entry.
        index: usize,
        /// Its key id.
        key_id: u32,
    },
    /// An entry's key is not base64 of 32 good bytes.
    Key {
        /// Position of the entry.
        index: usize,
        /// Its key id.
        key_id: u32,
        /// What is wrong with the key.
        error: KeyError,
    },
    /// An earlier entry has the same id.
    DuplicateId {
        /// Position of the entry.
        index: usize,
        /// The repeated key id.
        key_id: u32,
    },
}

impl fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (index, key_id) = match *self {
            KeyConfigError::Empty => {
                return f.write_str(
                    "key ring configuration is empty (expected id:algorithm:base64key entries, \
                     sealing key first, separated by commas)",
                );
            }
            KeyConfigError::Format { index, key_id } => (index, key_id),
            KeyConfigError::KeyId { index } => (index, None),
            KeyConfigError::Algorithm { index, key_id }
            | KeyConfigError::Key { index, key_id, .. }
            | KeyConfigError::DuplicateId { index, key_id } => (index, Some(key_id)),
        };
        write!(
            f,
            "key ring configuration, entry {}",
            index.saturating_add(1)
        )?;
        if let Some(id) = key_id {
            write!(f, " (key id {id})")?;
        }
        match self {
            KeyConfigError::Format { .. } => {
                f.write_str(": expected id:algorithm:base64key (or id:base64key)")
            }
            KeyConfigError::KeyId { .. } => {
                f.write_str(": key id is not a number from 0 to 4294967295")
            }
            KeyConfigError::Algorithm { .. } => write!(f, ": {}", KeyError::UnknownAlgorithm),
            KeyConfigError::Key { error, .. } => write!(f, ": {error}"),
            _ => f.write_str(": an earlier entry has the same key id"),
        }
    }
}

impl std::error::Error for KeyConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyConfigError::Key { error, .. } => Some(error),
            _ => None,
        }
    }
}
