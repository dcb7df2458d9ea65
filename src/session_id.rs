//! Session identity (format v2): 64 random bits drawn at login and kept by
//! every re-seal, so "log out this device" can name one session and every
//! later cookie of it.

use core::fmt;

/// The random id of one session (one login on one device), drawn from the
/// CSPRNG when the session is first sealed and kept across re-seals. Every
/// cookie carries one.
///
/// It is not a secret from the server (it names the session in a
/// revocation list, a "your sessions" page or a log line), but it is not
/// printed by the `Debug` of anything else: only this type's own `Display`
/// and `Debug` show it, as 16 lowercase hex digits.
///
/// # Example
/// ```
/// use sealed_session::{Key, KeyRing, SessionStore};
///
/// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
/// let first = store.seal(&0u32)?;
/// let session = store.open::<u32>(first.value())?.anonymous().unwrap();
/// let id = session.info().session_id(); // every cookie carries one
/// assert_eq!(id.to_string().len(), 16);
/// // a re-seal keeps it
/// let again = store.reseal(&session)?;
/// let reopened = store.open::<u32>(again.value())?.anonymous().unwrap();
/// assert_eq!(reopened.info().session_id(), id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(u64);

impl SessionId {
    /// Its length on the wire, in bytes.
    pub const LEN: usize = 8;

    /// The id as an integer (its 8 wire bytes, big-endian), for a table key.
    ///
    /// # Example
    /// ```
    /// use sealed_session::SessionId;
    ///
    /// let id = SessionId::from_u64(0x0123_4567_89ab_cdef);
    /// assert_eq!(id.as_u64(), 0x0123_4567_89ab_cdef);
    /// assert_eq!(id.to_string(), "0123456789abcdef");
    /// ```
    #[must_use]
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// An id from its integer form (for example read back from a table).
    ///
    /// # Example
    /// ```
    /// use sealed_session::SessionId;
    ///
    /// assert_eq!(SessionId::from_u64(7).as_u64(), 7);
    /// ```
    #[must_use]
    pub const fn from_u64(id: u64) -> SessionId {
        SessionId(id)
    }

    pub(crate) fn from_bytes(bytes: [u8; SessionId::LEN]) -> SessionId {
        SessionId(u64::from_be_bytes(bytes))
    }

    pub(crate) fn to_bytes(self) -> [u8; SessionId::LEN] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}
