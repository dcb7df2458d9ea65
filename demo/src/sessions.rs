//! The current session store, swappable at run time (key rotation).

use std::sync::{Arc, PoisonError, RwLock};

use sealed_session::SessionStore;

/// The store every request uses. A [`SessionStore`] is immutable: rotate keys
/// by building a new one from the rotated ring and [`Sessions::replace`]-ing
/// it. Requests already running keep the store they started with.
#[derive(Clone, Debug)]
pub struct Sessions(Arc<RwLock<SessionStore>>);

impl Sessions {
    /// Starts with `store`.
    pub fn new(store: SessionStore) -> Sessions {
        Sessions(Arc::new(RwLock::new(store)))
    }

    /// The current store (a cheap clone; never hold the lock across `.await`).
    pub fn current(&self) -> SessionStore {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Swaps in a new store, for example one built from a rotated key ring.
    pub fn replace(&self, store: SessionStore) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = store;
    }
}
