//! Where the session middleware looks a user's current epoch up: the
//! [`EpochSource`] trait, with ready implementations for closures,
//! [`MemoryEpochs`] and [`NoEpochs`].

use core::future::Future;
#[cfg(any(feature = "axum", feature = "actix-web"))]
use core::pin::Pin;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::id::UserId;

/// The error an [`EpochSource`] may fail with: any error, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where the middleware looks a user's current epoch up: your users table,
/// a cache, or [`MemoryEpochs`].
///
/// Answer `Ok(Some(epoch))` with the user's current epoch, `Ok(None)` if
/// there is no such user (the session is revoked), or an error if you
/// cannot tell (the request fails closed: the handler never sees the
/// session, the response is an error, and the cookie is left alone).
///
/// Implemented for closures `Fn(UserId) -> impl Future<Output =
/// Result<Option<u64>, E>>` (with `E` any error, or a `String`).
///
/// # Example
/// ```
/// use sealed_session::{EpochSource, UserId};
///
/// #[derive(Clone)]
/// struct Db; // your database handle
///
/// impl Db {
///     async fn epoch_of(&self, id: u64) -> Result<Option<u64>, std::io::Error> {
///         Ok((id == 42).then_some(7))
///     }
/// }
///
/// impl EpochSource for Db {
///     async fn epoch(
///         &self,
///         user: &UserId,
///     ) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
///         match user.as_u64() {
///             Some(id) => Ok(self.epoch_of(id).await?),
///             None => Ok(None), // this app only has integer ids
///         }
///     }
/// }
///
/// // or a closure
/// let db = Db;
/// let epochs = move |user: UserId| {
///     let db = db.clone();
///     async move { db.epoch_of(user.as_u64().unwrap_or(0)).await }
/// };
/// # fn is_source(_: impl EpochSource) {}
/// # is_source(epochs);
/// ```
pub trait EpochSource: Send + Sync + 'static {
    /// The current epoch of `user`, `None` if there is no such user.
    ///
    /// # Example
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// use sealed_session::{EpochSource, MemoryEpochs, UserId};
    /// let epochs = MemoryEpochs::new();
    /// epochs.set(UserId::from(1u64), 4);
    /// assert_eq!(epochs.epoch(&UserId::from(1u64)).await?, Some(4));
    /// assert_eq!(epochs.epoch(&UserId::from(2u64)).await?, None);
    /// # Ok(()) }
    /// ```
    fn epoch(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>>> + Send;
}

impl<F, Fut, E> EpochSource for F
where
    F: Fn(UserId) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<u64>, E>> + Send,
    E: Into<BoxError>,
{
    async fn epoch(&self, user: &UserId) -> Result<Option<u64>, BoxError> {
        self(user.clone()).await.map_err(Into::into)
    }
}

/// Epochs in memory, for tests and small apps: a map from user to epoch,
/// shared by its clones. Users not in the map do not exist.
///
/// # Example
/// ```
/// use sealed_session::{MemoryEpochs, UserId};
///
/// let epochs = MemoryEpochs::new();
/// let alice = UserId::text("alice")?;
/// epochs.set(alice.clone(), 0);
/// assert_eq!(epochs.bump(&alice), Some(1)); // log alice out everywhere
/// assert_eq!(epochs.get(&alice), Some(1));
/// epochs.remove(&alice);
/// assert_eq!(epochs.get(&alice), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryEpochs(Arc<RwLock<HashMap<UserId, u64>>>);

impl MemoryEpochs {
    /// An empty map.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{MemoryEpochs, UserId};
    /// let epochs = MemoryEpochs::new();
    /// let bob = UserId::from(2u64);
    /// assert_eq!(epochs.get(&bob), None);
    /// ```
    #[must_use]
    pub fn new() -> MemoryEpochs {
        MemoryEpochs::default()
    }

    /// Sets `user`'s epoch (adding the user).
    ///
    /// # Example
    /// ```
    /// use sealed_session::{MemoryEpochs, UserId};
    /// let epochs = MemoryEpochs::new();
    /// let bob = UserId::from(2u64);
    /// epochs.set(bob.clone(), 9);
    /// assert_eq!(epochs.get(&bob), Some(9));
    /// ```
    pub fn set(&self, user: UserId, epoch: u64) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, epoch);
    }

    /// Adds one to `user`'s epoch (wrapping), revoking every session they
    /// have; the new epoch, `None` for an unknown user.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{MemoryEpochs, UserId};
    /// let epochs = MemoryEpochs::new();
    /// let bob = UserId::from(2u64);
    /// assert_eq!(epochs.bump(&bob), None);
    /// epochs.set(bob.clone(), 0);
    /// assert_eq!(epochs.bump(&bob), Some(1));
    /// ```
    pub fn bump(&self, user: &UserId) -> Option<u64> {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let epoch = map.get_mut(user)?;
        *epoch = epoch.wrapping_add(1);
        Some(*epoch)
    }

    /// Removes `user`: their sessions are revoked.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{MemoryEpochs, UserId};
    /// let epochs = MemoryEpochs::new();
    /// let bob = UserId::from(2u64);
    /// epochs.set(bob.clone(), 0);
    /// epochs.remove(&bob);
    /// assert_eq!(epochs.get(&bob), None);
    /// ```
    pub fn remove(&self, user: &UserId) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(user);
    }

    /// `user`'s epoch, `None` for an unknown user.
    ///
    /// # Example
    /// ```
    /// use sealed_session::{MemoryEpochs, UserId};
    /// let epochs = MemoryEpochs::new();
    /// let bob = UserId::from(2u64);
    /// epochs.set(bob.clone(), 5);
    /// assert_eq!(epochs.get(&bob), Some(5));
    /// ```
    #[must_use]
    pub fn get(&self, user: &UserId) -> Option<u64> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .copied()
    }
}

impl EpochSource for MemoryEpochs {
    async fn epoch(&self, user: &UserId) -> Result<Option<u64>, BoxError> {
        Ok(self.get(user))
    }
}

/// An epoch source for apps that log users out everywhere through a
/// [`RevocationSet`](crate::RevocationSet) instead of epochs
/// ([`Sessions::with_revocations`](crate::Sessions::with_revocations)):
/// every user exists, at epoch 0 (log users in with epoch 0). No lookup,
/// no I/O.
///
/// ⚠️ Nothing here knows a deleted or banned user: revoke them
/// ([`Sessions::revoke_user`](crate::Sessions::revoke_user)) when you
/// delete or ban them.
///
/// # Example
/// ```
/// use sealed_session::{EpochSource, NoEpochs, UserId};
/// # fn is_source(_: impl EpochSource) {}
/// is_source(NoEpochs);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEpochs;

impl EpochSource for NoEpochs {
    async fn epoch(&self, _user: &UserId) -> Result<Option<u64>, BoxError> {
        Ok(Some(0))
    }
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
type EpochFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<u64>, BoxError>> + Send + 'a>>;

/// [`EpochSource`] behind a pointer (its future boxed), so the layer does
/// not carry the source's type.
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) trait DynEpochSource: Send + Sync {
    fn epoch_boxed<'a>(&'a self, user: &'a UserId) -> EpochFuture<'a>;
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
impl<E: EpochSource> DynEpochSource for E {
    fn epoch_boxed<'a>(&'a self, user: &'a UserId) -> EpochFuture<'a> {
        Box::pin(self.epoch(user))
    }
}
