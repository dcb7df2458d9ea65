//! Master keys and the AEAD algorithms they are bound to.

pub(crate) mod config;
pub(crate) mod ring;

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use rand::TryRng as _;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::KeyError;

/// Length of a master key in bytes.
pub const KEY_LEN: usize = 32;

/// A 32-byte master key, bound to one [`Algorithm`] (XAES-256-GCM unless
/// [`Key::with_algorithm`] says otherwise).
///
/// Zeroized on drop, compared in constant time, and its `Debug` prints
/// nothing about the key. The master key is never used directly: each store
/// derives its own subkey per key id, algorithm and cookie name with
/// HKDF-SHA256 (see FORMAT.md).
///
/// # Example
/// ```
/// use sealed_session::Key;
///
/// let key = Key::generate();
/// let exported = key.to_base64(); // store this in your secret manager
/// let again = Key::from_base64(&exported)?;
/// assert_eq!(key, again);
/// assert_eq!(format!("{key:?}"), "Key(..)");
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Key {
    bytes: [u8; KEY_LEN],
    algorithm: Algorithm,
}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for Key {}

impl Key {
    /// Generates a key from the operating system's CSPRNG.
    ///
    /// # Panics
    /// If the operating system's random number generator fails; use
    /// [`Key::try_generate`] to handle that.
    ///
    /// # Example
    /// ```
    /// let key = sealed_session::Key::generate();
    /// # let _ = key;
    /// ```
    #[must_use]
    #[allow(clippy::expect_used)] // documented panicking twin of `try_generate`
    pub fn generate() -> Key {
        Key::try_generate().expect("the operating system's random number generator failed")
    }

    /// Generates a key from the operating system's CSPRNG, reporting failure.
    ///
    /// # Errors
    /// [`KeyError::Random`] if the operating system's generator fails.
    ///
    /// # Example
    /// ```
    /// let key = sealed_session::Key::try_generate()?;
    /// # let _ = key;
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    pub fn try_generate() -> Result<Key, KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        rand::rngs::SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| KeyError::Random)?;
        Ok(Key::new(bytes))
    }

    /// Builds a key from exactly 32 bytes, which must come from a CSPRNG
    /// (such as [`Key::generate`] or `openssl rand -base64 32`).
    ///
    /// Obvious placeholders are refused as [`KeyError::Weak`]: 32 equal
    /// bytes (an all-zero key, the base64 text of 43 × `A`) and any key with
    /// fewer than 8 distinct byte values (a random key has about 30; the
    /// chance that one has fewer than 8 is below 2^-100). Weak keys that no
    /// check can see are the caller's to avoid: a key typed or derived from
    /// a password, one committed to a repository or shared between
    /// applications, one copied from documentation.
    ///
    /// # Errors
    /// [`KeyError::Length`] for any other length, [`KeyError::Weak`] for a
    /// placeholder.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyError};
    ///
    /// let bytes: Vec<u8> = (0u8..32).collect(); // use real random bytes
    /// assert!(Key::from_bytes(&bytes).is_ok());
    /// assert_eq!(Key::from_bytes(&bytes[..31]).unwrap_err(), KeyError::Length { got: 31 });
    /// assert_eq!(Key::from_bytes(&[0u8; 32]).unwrap_err(), KeyError::Weak);
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Key, KeyError> {
        let key = Key::new(
            bytes
                .try_into()
                .map_err(|_| KeyError::Length { got: bytes.len() })?,
        );
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        Ok(key)
    }

    /// Fewer than 8 distinct byte values (which covers all bytes equal).
    fn is_weak(&self) -> bool {
        let mut seen = [false; 256];
        for b in self.bytes {
            if let Some(slot) = seen.get_mut(usize::from(b)) {
                *slot = true;
            }
        }
        seen.iter().filter(|s| **s).count() < 8
    }

    /// Parses a key from base64: URL-safe or standard alphabet, padded or not.
    /// Surrounding whitespace (a trailing newline from a secrets file) is ignored.
    ///
    /// # Errors
    /// [`KeyError::Base64`] if the text is not base64, [`KeyError::Length`] if
    /// it does not decode to 32 bytes, [`KeyError::Weak`] for a placeholder
    /// (see [`Key::from_bytes`]). The error never echoes the input.
    ///
    /// # Example
    /// ```
    /// use sealed_session::Key;
    ///
    /// let key = Key::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")?;
    /// assert_eq!(key, Key::from_bytes(&(0u8..32).collect::<Vec<_>>())?);
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    pub fn from_base64(text: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        // 32 bytes are at most 44 characters; refuse anything longer before decoding.
        if text.len() > 44 {
            return Err(KeyError::Length {
                got: text.len().saturating_mul(3) / 4,
            });
        }
        let decoded = Zeroizing::new(
            [&URL_SAFE_NO_PAD, &URL_SAFE, &STANDARD_NO_PAD, &STANDARD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
                .ok_or(KeyError::Base64)?,
        );
        Key::from_bytes(&decoded)
    }

    /// Exports the key as URL-safe base64 without padding (43 characters),
    /// the form [`Key::from_base64`] reads. The string is zeroized on drop.
    ///
    /// # Example
    /// ```
    /// let text = sealed_session::Key::generate().to_base64();
    /// assert_eq!(text.len(), 43);
    /// ```
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.bytes))
    }

    /// The same key bound to `algorithm`. A key is bound to one algorithm
    /// for its whole life: the ring and the key derivation (FORMAT.md) take
    /// it from the key, so a cookie sealed under one algorithm never opens
    /// under another.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Algorithm, Key, KeyRing};
    ///
    /// let key = Key::generate().with_algorithm(Algorithm::XChaCha20Poly1305);
    /// let ring = KeyRing::new(1, key);
    /// assert_eq!(ring.algorithm(1), Some(Algorithm::XChaCha20Poly1305));
    /// ```
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Key {
        self.algorithm = algorithm;
        self
    }

    fn new(bytes: [u8; KEY_LEN]) -> Key {
        Key {
            bytes,
            algorithm: Algorithm::default(),
        }
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        bool::from(self.bytes.ct_eq(&other.bytes)) && self.algorithm == other.algorithm
    }
}

impl Eq for Key {}

/// The AEAD a key is bound to. Both take random 192-bit nonces, so one key can
/// seal billions of cookies. Plain AES-GCM with random 96-bit nonces is
/// deliberately not offered (NIST caps it at 2^32 messages per key).
///
/// # Example
/// ```
/// use sealed_session::Algorithm;
///
/// assert_eq!(Algorithm::default(), Algorithm::XAes256Gcm);
/// assert_eq!(Algorithm::XChaCha20Poly1305.name(), "xchacha20-poly1305");
/// assert_eq!("xaes-256-gcm".parse::<Algorithm>(), Ok(Algorithm::XAes256Gcm));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// XAES-256-GCM (C2SP). The default: fastest on CPUs with AES instructions.
    #[default]
    XAes256Gcm,
    /// XChaCha20-Poly1305. Constant time without AES instructions.
    XChaCha20Poly1305,
}

impl Algorithm {
    /// The algorithm's name as written in FORMAT.md and used in key derivation.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sealed_session::Algorithm::XAes256Gcm.name(), "xaes-256-gcm");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::XAes256Gcm => "xaes-256-gcm",
            Algorithm::XChaCha20Poly1305 => "xchacha20-poly1305",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Algorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Algorithm, KeyError> {
        match s {
            "xaes-256-gcm" => Ok(Algorithm::XAes256Gcm),
            "xchacha20-poly1305" => Ok(Algorithm::XChaCha20Poly1305),
            _ => Err(KeyError::UnknownAlgorithm),
        }
    }
}
