//! The two ids a cookie carries: whose session it is ([`UserId`], with the
//! user's session epoch for "log out everywhere") and which session it is
//! ([`SessionId`], 64 random bits drawn at login and kept by every re-seal,
//! so "log out this device" can name one session and every later cookie of
//! it).
//!
//! A user cookie carries the user's id and the epoch that was current when
//! the user logged in. The application keeps each user's current epoch (a
//! counter or a random value; only equality matters) in its database. Bumping
//! it makes every older cookie of that user open as
//! [`OpenError::Revoked`](crate::OpenError::Revoked).

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::InvalidUserId;

/// Who a user session belongs to: an integer id or a short text id (a UUID,
/// a username). Text ids are 1 to [`UserId::MAX_TEXT_LEN`] bytes.
///
/// # Example
/// ```
/// use sealed_session::UserId;
///
/// let numeric = UserId::from(42u64);
/// assert_eq!(numeric.as_u64(), Some(42));
/// let uuid = UserId::text("67e55044-10b1-426f-9247-bb680e5fe0c8")?;
/// assert_eq!(uuid.as_str(), Some("67e55044-10b1-426f-9247-bb680e5fe0c8"));
/// assert_eq!(uuid.to_string(), "\"67e55044-10b1-426f-9247-bb680e5fe0c8\""); // quoted: a text id
/// # Ok::<(), sealed_session::InvalidUserId>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Repr")]
pub struct UserId(Repr);

/// The postcard encoding (FORMAT.md section 4): variant 0 integer, 1 text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Repr {
    Int(u64),
    Text(String),
}

impl TryFrom<Repr> for UserId {
    type Error = InvalidUserId;

    fn try_from(repr: Repr) -> Result<UserId, InvalidUserId> {
        match repr {
            Repr::Int(id) => Ok(UserId(Repr::Int(id))),
            Repr::Text(text) => UserId::text(text),
        }
    }
}

impl UserId {
    /// Longest text id in bytes.
    pub const MAX_TEXT_LEN: usize = 128;

    /// A text id.
    ///
    /// # Errors
    /// [`InvalidUserId`] if `text` is empty or longer than
    /// [`UserId::MAX_TEXT_LEN`] bytes.
    ///
    /// # Example
    /// ```
    /// use sealed_session::UserId;
    ///
    /// assert!(UserId::text("alice").is_ok());
    /// assert!(UserId::text("x".repeat(129)).is_err());
    /// ```
    pub fn text(text: impl Into<String>) -> Result<UserId, InvalidUserId> {
        let text = text.into();
        if text.is_empty() || text.len() > UserId::MAX_TEXT_LEN {
            return Err(InvalidUserId);
        }
        Ok(UserId(Repr::Text(text)))
    }

    /// The integer id, if this is one.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sealed_session::UserId::from(7u64).as_u64(), Some(7));
    /// ```
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match &self.0 {
            Repr::Int(id) => Some(*id),
            Repr::Text(_) => None,
        }
    }

    /// The text id, if this is one.
    ///
    /// # Example
    /// ```
    /// assert_eq!(sealed_session::UserId::from(7u64).as_str(), None);
    /// ```
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Int(_) => None,
            Repr::Text(text) => Some(text),
        }
    }

    /// Worst-case postcard size of this id (variant tag and varints).
    pub(crate) fn encoded_len(&self) -> usize {
        match &self.0 {
            Repr::Int(_) => 1 + 10,
            Repr::Text(text) => text.len().saturating_add(3),
        }
    }
}

impl From<u64> for UserId {
    fn from(id: u64) -> UserId {
        UserId(Repr::Int(id))
    }
}

impl From<u32> for UserId {
    fn from(id: u32) -> UserId {
        UserId(Repr::Int(u64::from(id)))
    }
}

impl TryFrom<String> for UserId {
    type Error = InvalidUserId;

    fn try_from(text: String) -> Result<UserId, InvalidUserId> {
        UserId::text(text)
    }
}

impl TryFrom<&str> for UserId {
    type Error = InvalidUserId;

    fn try_from(text: &str) -> Result<UserId, InvalidUserId> {
        UserId::text(text)
    }
}

/// An integer id prints as its digits (`42`), a text id quoted and escaped
/// as Rust's `{:?}` prints a string (`"42"`, `"al\"ice"`). So the two forms
/// never print alike and `to_string()` is a faithful key for an
/// application's own tables (for example an epoch table keyed by text).
///
/// # Example
/// ```
/// use sealed_session::UserId;
///
/// assert_eq!(UserId::from(42u64).to_string(), "42");
/// assert_eq!(UserId::text("42")?.to_string(), "\"42\"");
/// assert_ne!(UserId::from(42u64).to_string(), UserId::text("42")?.to_string());
/// # Ok::<(), sealed_session::InvalidUserId>(())
/// ```
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(id) => write!(f, "{id}"),
            Repr::Text(text) => write!(f, "{text:?}"),
        }
    }
}

/// The user part of an envelope: who, and the epoch current at login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UserClaim {
    pub(crate) id: UserId,
    pub(crate) epoch: u64,
}

/// A borrowed user claim, encoded exactly like [`UserClaim`] (no clone on seal).
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct UserClaimRef<'a> {
    pub(crate) id: &'a UserId,
    pub(crate) epoch: u64,
}

impl<'a> From<&'a UserClaim> for UserClaimRef<'a> {
    fn from(claim: &'a UserClaim) -> UserClaimRef<'a> {
        UserClaimRef {
            id: &claim.id,
            epoch: claim.epoch,
        }
    }
}

/// Worst-case postcard size of a user claim with this id.
pub(crate) fn claim_encoded_len(id: &UserId) -> usize {
    id.encoded_len().saturating_add(10)
}

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
