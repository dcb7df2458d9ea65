//! What is inside the ciphertext (FORMAT.md section 4): the times, the user
//! claim and the application's payload, postcard-encoded, then zero padding.

use serde::{Deserialize, Serialize};

use crate::clock::MAX_UNIX;
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

/// The absolute times of a session, unix seconds, each within `0..=MAX_UNIX`
/// and ordered `login_at <= issued_at <= expires_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Times {
    pub(crate) login_at: i64,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) idle_deadline: Option<i64>,
}

fn in_range(t: i64) -> Option<u64> {
    if (0..=MAX_UNIX).contains(&t) {
        u64::try_from(t).ok()
    } else {
        None
    }
}

impl Times {
    /// Wire fields `(issued_at, login_age, lifetime, idle)`, or `None` if a
    /// time is out of range or out of order.
    pub(crate) fn to_wire(self) -> Option<(u64, u64, u64, Option<u64>)> {
        let issued = in_range(self.issued_at)?;
        let login = in_range(self.login_at)?;
        let expires = in_range(self.expires_at)?;
        let idle = match self.idle_deadline {
            Some(d) => Some(in_range(d)?.checked_sub(issued)?),
            None => None,
        };
        Some((
            issued,
            issued.checked_sub(login)?,
            expires.checked_sub(issued)?,
            idle,
        ))
    }

    /// Absolute times from wire fields, or `None` (malformed) if any derived
    /// time leaves `0..=MAX_UNIX`.
    pub(crate) fn from_wire(
        issued: u64,
        login_age: u64,
        lifetime: u64,
        idle: Option<u64>,
    ) -> Option<Times> {
        let checked = |t: u64| i64::try_from(t).ok().filter(|t| *t <= MAX_UNIX);
        Some(Times {
            issued_at: checked(issued)?,
            login_at: checked(issued.checked_sub(login_age)?)?,
            expires_at: checked(issued.checked_add(lifetime)?)?,
            idle_deadline: match idle {
                Some(d) => Some(checked(issued.checked_add(d)?)?),
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_reject_out_of_range() {
        let t = Times {
            login_at: 100,
            issued_at: 150,
            expires_at: 1000,
            idle_deadline: Some(400),
        };
        let (a, b, c, d) = t.to_wire().unwrap_or_default();
        assert_eq!((a, b, c, d), (150, 50, 850, Some(250)));
        assert_eq!(Times::from_wire(a, b, c, d), Some(t));
        assert_eq!(Times::from_wire(10, 11, 0, None), None); // login before 1970
        assert_eq!(Times::from_wire(u64::MAX, 0, 0, None), None);
        assert_eq!(Times::from_wire(1, 0, u64::MAX, None), None);
        assert_eq!(Times::from_wire(MAX_UNIX as u64, 0, 1, None), None);
        let backwards = Times { login_at: 200, ..t };
        assert_eq!(backwards.to_wire(), None);
    }
}
