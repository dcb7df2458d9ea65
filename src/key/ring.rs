//! The key ring: one sealing key and retired keys that only open.

use crate::error::KeyRingError;
use crate::key::{Algorithm, Key};

/// One key of a [`KeyRing`]: its id (written in every cookie header), the one
/// algorithm it is bound to, and the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyEntry {
    pub(crate) id: u32,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: Key,
}

impl KeyEntry {
    fn new(id: u32, key: Key) -> KeyEntry {
        KeyEntry {
            id,
            algorithm: key.algorithm(),
            key,
        }
    }
}

/// One sealing key plus retired keys that only open cookies.
///
/// Cookies name their key by id, so opening tries exactly one key. Rotate by
/// adding a new sealing key; the old one is retired and keeps opening the
/// cookies it sealed until you remove it (after the longest session lifetime).
/// A [`SessionStore`](crate::SessionStore) copies the ring when built: build a
/// new store after changing the ring.
///
/// `Debug` shows ids and algorithms, never keys.
///
/// # Example
/// ```
/// use sealed_session::{Algorithm, Key, KeyRing};
///
/// let mut ring = KeyRing::new(1, Key::generate());
/// ring.rotate(2, Key::generate())?;            // 2 seals, 1 only opens
/// assert_eq!(ring.sealing_key_id(), 2);
/// assert_eq!(ring.retired_ids().collect::<Vec<_>>(), vec![1]);
/// ring.remove_retired(1)?;                     // after the longest lifetime
/// assert!(!ring.contains(1));
/// assert!(format!("{ring:?}").contains("xaes-256-gcm"));
/// # Ok::<(), sealed_session::KeyRingError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRing {
    pub(crate) sealing: KeyEntry,
    pub(crate) retired: Vec<KeyEntry>,
}

impl KeyRing {
    /// A ring whose sealing key is `key`, under its algorithm (see
    /// [`Key::with_algorithm`]).
    ///
    /// # Example
    /// ```
    /// let ring = sealed_session::KeyRing::new(7, sealed_session::Key::generate());
    /// assert_eq!(ring.sealing_key_id(), 7);
    /// ```
    #[must_use]
    pub fn new(id: u32, key: Key) -> KeyRing {
        KeyRing {
            sealing: KeyEntry::new(id, key),
            retired: Vec::new(),
        }
    }

    /// Makes `key` the sealing key; the current sealing key becomes a
    /// retired, open-only key.
    ///
    /// # Errors
    /// [`KeyRingError::DuplicateId`] if `id` is already in the ring.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Algorithm, Key, KeyRing};
    ///
    /// let mut ring = KeyRing::new(1, Key::generate());
    /// ring.rotate(2, Key::generate().with_algorithm(Algorithm::XChaCha20Poly1305))?;
    /// assert_eq!(ring.sealing_key_id(), 2);
    /// assert_eq!(ring.algorithm(2), Some(Algorithm::XChaCha20Poly1305));
    /// assert!(ring.contains(1));
    /// # Ok::<(), sealed_session::KeyRingError>(())
    /// ```
    pub fn rotate(&mut self, id: u32, key: Key) -> Result<(), KeyRingError> {
        self.check_new_id(id)?;
        let old = core::mem::replace(&mut self.sealing, KeyEntry::new(id, key));
        self.retired.insert(0, old);
        Ok(())
    }

    /// Adds a retired (open-only) key, for example when loading the ring
    /// from configuration.
    ///
    /// # Errors
    /// [`KeyRingError::DuplicateId`] if `id` is already in the ring.
    ///
    /// # Example
    /// ```
    /// let mut ring = sealed_session::KeyRing::new(2, sealed_session::Key::generate());
    /// ring.add_retired(1, sealed_session::Key::generate())?;
    /// assert!(ring.add_retired(1, sealed_session::Key::generate()).is_err());
    /// # Ok::<(), sealed_session::KeyRingError>(())
    /// ```
    pub fn add_retired(&mut self, id: u32, key: Key) -> Result<(), KeyRingError> {
        self.check_new_id(id)?;
        self.retired.push(KeyEntry::new(id, key));
        Ok(())
    }

    /// Removes a retired key: cookies sealed under it stop opening.
    ///
    /// # Errors
    /// [`KeyRingError::SealingKey`] for the sealing key's id,
    /// [`KeyRingError::UnknownId`] if no retired key has this id.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Key, KeyRing, KeyRingError};
    ///
    /// let mut ring = KeyRing::new(1, Key::generate());
    /// ring.rotate(2, Key::generate())?;
    /// assert_eq!(ring.remove_retired(2), Err(KeyRingError::SealingKey(2)));
    /// ring.remove_retired(1)?;
    /// assert_eq!(ring.remove_retired(1), Err(KeyRingError::UnknownId(1)));
    /// # Ok::<(), KeyRingError>(())
    /// ```
    pub fn remove_retired(&mut self, id: u32) -> Result<(), KeyRingError> {
        if id == self.sealing.id {
            return Err(KeyRingError::SealingKey(id));
        }
        let before = self.retired.len();
        self.retired.retain(|entry| entry.id != id);
        if self.retired.len() == before {
            return Err(KeyRingError::UnknownId(id));
        }
        Ok(())
    }

    /// The id new cookies are sealed under.
    ///
    /// # Example
    /// ```
    /// let ring = sealed_session::KeyRing::new(3, sealed_session::Key::generate());
    /// assert_eq!(ring.sealing_key_id(), 3);
    /// ```
    #[must_use]
    pub fn sealing_key_id(&self) -> u32 {
        self.sealing.id
    }

    /// The ids of the retired (open-only) keys, newest retired first.
    ///
    /// # Example
    /// ```
    /// let ring = sealed_session::KeyRing::new(3, sealed_session::Key::generate());
    /// assert_eq!(ring.retired_ids().count(), 0);
    /// ```
    pub fn retired_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.retired.iter().map(|entry| entry.id)
    }

    /// Whether a key (sealing or retired) has this id.
    ///
    /// # Example
    /// ```
    /// let ring = sealed_session::KeyRing::new(3, sealed_session::Key::generate());
    /// assert!(ring.contains(3) && !ring.contains(4));
    /// ```
    #[must_use]
    pub fn contains(&self, id: u32) -> bool {
        self.entries().any(|entry| entry.id == id)
    }

    /// The algorithm of the key with this id, if any.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{Algorithm, Key, KeyRing};
    ///
    /// let ring = KeyRing::new(3, Key::generate());
    /// assert_eq!(ring.algorithm(3), Some(Algorithm::XAes256Gcm));
    /// assert_eq!(ring.algorithm(4), None);
    /// ```
    #[must_use]
    pub fn algorithm(&self, id: u32) -> Option<Algorithm> {
        self.entries()
            .find(|entry| entry.id == id)
            .map(|entry| entry.algorithm)
    }

    /// The sealing key first, then the retired keys.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &KeyEntry> {
        core::iter::once(&self.sealing).chain(self.retired.iter())
    }

    fn check_new_id(&self, id: u32) -> Result<(), KeyRingError> {
        if self.contains(id) {
            return Err(KeyRingError::DuplicateId(id));
        }
        Ok(())
    }
}

impl core::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        struct Entry<'a>(&'a KeyEntry);
        impl core::fmt::Debug for Entry<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}:{}", self.0.id, self.0.algorithm)
            }
        }
        f.debug_struct("KeyRing")
            .field("sealing", &Entry(&self.sealing))
            .field(
                "retired",
                &self.retired.iter().map(Entry).collect::<Vec<_>>(),
            )
            .finish()
    }
}
