//! What is inside the ciphertext (FORMAT.md section 4): the times, the user
//! claim and the application's payload, postcard-encoded, then zero padding.
//! The times' meaning and rules live in [`crate::expiry`].

use serde::{Deserialize, Serialize};

use crate::epoch::{UserClaim, UserClaimRef};

/// Worst-case postcard size of the four time fields: `issued_at` up to year
/// 9999 (6 bytes), `login_age` and `lifetime` up to 400 days (4 bytes each),
/// `idle` as `Some` (1 + 4 bytes).
pub(crate) const TIMES_MAX_LEN: usize = 6 + 4 + 4 + 5;

/// Envelope as written by a seal (borrows the payload and the claim).
#[derive(Serialize)]
pub(crate) struct EnvelopeOut<'a, T: ?Sized> {
    pub(crate) issued_at: u64,
    pub(crate) login_age: u64,
    pub(crate) lifetime: u64,
    pub(crate) idle: Option<u64>,
    pub(crate) user: Option<UserClaimRef<'a>>,
    pub(crate) payload: &'a T,
}

/// Envelope as read by an open.
#[derive(Deserialize)]
pub(crate) struct EnvelopeIn<T> {
    pub(crate) issued_at: u64,
    pub(crate) login_age: u64,
    pub(crate) lifetime: u64,
    pub(crate) idle: Option<u64>,
    pub(crate) user: Option<UserClaim>,
    pub(crate) payload: T,
}
