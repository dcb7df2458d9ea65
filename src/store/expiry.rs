//! Time and the lifetime rules (FORMAT.md sections 4 and 6), in one place.
//!
//! The envelope stores unix seconds; the API speaks
//! [`time::OffsetDateTime`]. A session has three deadlines:
//!
//! * the **absolute** deadline `expires_at`, fixed at login: re-sealing never
//!   moves it;
//! * the **idle** deadline, `issued_at + idle timeout` (never past
//!   `expires_at`), which every re-seal slides forward;
//! * the **leeway**, which forgives clock skew between servers: an opener
//!   accepts a cookie until `deadline + leeway`, and one issued up to `leeway`
//!   in its future.
//!
//! The opener also applies its *current* policy on top of the cookie's own
//! deadlines (`min(expires_at, login_at + ttl)`, `min(idle_deadline,
//! issued_at + idle)`), so shortening the lifetime takes effect on cookies
//! already issued.
//!
//! The leeway only ever lets a cookie *open*. A cookie past one of its
//! deadlines by the opener's clock (but inside the leeway) is *in the
//! leeway*: it serves the request it came with, and it can never be
//! re-sealed, so a session cannot outlive its idle or absolute deadline by
//! re-sealing inside the leeway again and again.

use time::OffsetDateTime;

use crate::error::{OpenError, SealError};

/// Largest supported unix time: 9999-12-31T23:59:59Z.
pub(crate) const MAX_UNIX: i64 = 253_402_300_799;

/// The system clock as unix seconds (rounded down, as
/// [`OffsetDateTime::unix_timestamp`] does), without building an
/// `OffsetDateTime`: what seal and open use when no time is given.
/// Saturates at the ends of `i64` (such a time is rejected later anyway).
pub(crate) fn now_unix() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let secs = if before.subsec_nanos() > 0 {
                secs.saturating_add(1)
            } else {
                secs
            };
            secs.saturating_neg()
        }
    }
}

/// Unix seconds of a point in time.
pub(crate) fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// A unix time known to be within `0..=MAX_UNIX` as a date-time.
pub(crate) fn datetime(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Whole seconds of a duration, or `None` if negative.
pub(crate) fn secs(d: time::Duration) -> Option<i64> {
    let s = d.whole_seconds();
    (s >= 0).then_some(s)
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

    /// The earlier of the absolute and the idle deadline.
    pub(crate) fn deadline(self) -> i64 {
        self.idle_deadline
            .map_or(self.expires_at, |d| d.min(self.expires_at))
    }
}

/// What the time checks of an open found, for an authentic cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The cookie's times with the opener's current policy applied.
    pub(crate) times: Times,
    /// The policy shortened one of the cookie's deadlines.
    pub(crate) policy_tightened: bool,
    /// Half of the idle window is used (and the session can still be re-sealed).
    pub(crate) idle_half_used: bool,
    /// Past a deadline, open only thanks to the leeway: never re-sealed.
    pub(crate) in_leeway: bool,
}

/// A store's lifetime rules, in whole seconds (validated by the builder:
/// `1 <= ttl <= 400 days`, `1 <= idle <= ttl`, `0 <= leeway <= 1 hour`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) ttl: i64,
    pub(crate) idle: Option<i64>,
    pub(crate) leeway: i64,
}

impl Policy {
    /// The times of a new session (a login) at `now`.
    pub(crate) fn login(&self, now: i64) -> Result<Times, SealError> {
        let expires_at = now
            .checked_add(self.ttl)
            .filter(|t| (0..=MAX_UNIX).contains(&now) && *t <= MAX_UNIX)
            .ok_or(SealError::Clock)?;
        Ok(Times {
            login_at: now,
            issued_at: now,
            expires_at,
            idle_deadline: self.idle_deadline(now, expires_at),
        })
    }

    /// The times of a re-seal at `now` of a session with times `old`: same
    /// login time, the absolute deadline never later, a renewed idle window.
    ///
    /// Refused with [`SealError::SessionExpired`] once `now` reaches either
    /// deadline (the leeway never applies here). A `now` before the cookie's
    /// own seal time (a cookie from a server whose clock is ahead, opened
    /// inside the leeway) re-seals as of that seal time.
    pub(crate) fn renew(&self, old: Times, now: i64) -> Result<Times, SealError> {
        let current = self.apply(old);
        if now >= current.deadline() {
            return Err(SealError::SessionExpired);
        }
        // A cookie sealed by a server whose clock is ahead (it opened inside
        // the leeway): re-seal it as of its own time, never before it, so
        // the login time stays at or before the seal time.
        let now = now.max(old.issued_at);
        Ok(Times {
            login_at: old.login_at,
            issued_at: now,
            expires_at: current.expires_at,
            idle_deadline: self.idle_deadline(now, current.expires_at),
        })
    }

    /// The time checks of an open at `now` (FORMAT.md section 6, steps 8
    /// and 9, then the local policy).
    pub(crate) fn check(&self, cookie: Times, now: i64) -> Result<Verdict, OpenError> {
        if cookie.issued_at > now.saturating_add(self.leeway) {
            return Err(OpenError::NotYetValid);
        }
        let times = self.apply(cookie);
        if now >= times.expires_at.saturating_add(self.leeway) {
            return Err(OpenError::Expired);
        }
        if let Some(deadline) = times.idle_deadline
            && now >= deadline.saturating_add(self.leeway)
        {
            return Err(OpenError::IdleExpired);
        }
        let in_leeway = now >= times.deadline();
        let idle_half_used = !in_leeway
            && times.idle_deadline.is_some_and(|deadline| {
                let window = deadline.saturating_sub(times.issued_at);
                now.saturating_sub(times.issued_at) >= window / 2
            });
        Ok(Verdict {
            times,
            policy_tightened: times != cookie,
            idle_half_used,
            in_leeway,
        })
    }

    /// The cookie's times with this policy's stricter deadlines applied. The
    /// idle window never reaches past the absolute deadline (which also
    /// keeps it within year 9999).
    fn apply(&self, cookie: Times) -> Times {
        let expires_at = cookie
            .expires_at
            .min(cookie.login_at.saturating_add(self.ttl));
        let policy_idle = self
            .idle
            .map(|idle| cookie.issued_at.saturating_add(idle).min(expires_at));
        let idle_deadline = match (cookie.idle_deadline, policy_idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Times {
            expires_at,
            idle_deadline,
            ..cookie
        }
    }

    fn idle_deadline(&self, now: i64, expires_at: i64) -> Option<i64> {
        self.idle
            .map(|idle| now.saturating_add(idle).min(expires_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_unix_agrees_with_offset_date_time() {
        let before = unix(OffsetDateTime::now_utc());
        let got = now_unix();
        let after = unix(OffsetDateTime::now_utc());
        assert!(
            before <= got && got <= after,
            "{before} <= {got} <= {after}"
        );
    }

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

    const POLICY: Policy = Policy {
        ttl: 1000,
        idle: Some(100),
        leeway: 60,
    };

    #[test]
    fn renew_stops_at_the_idle_deadline_not_at_the_leeway() {
        let Ok(t) = POLICY.login(0) else {
            panic!("login")
        };
        assert_eq!(t.idle_deadline, Some(100));
        // Inside the leeway the cookie still opens, but it is flagged…
        let Ok(verdict) = POLICY.check(t, 130) else {
            panic!("opens inside the leeway")
        };
        assert!(verdict.in_leeway && !verdict.idle_half_used);
        // …and cannot be re-sealed into a fresh idle window.
        assert_eq!(POLICY.renew(t, 130), Err(SealError::SessionExpired));
        assert_eq!(POLICY.renew(t, 100), Err(SealError::SessionExpired));
        assert!(POLICY.renew(t, 99).is_ok());
    }
}
