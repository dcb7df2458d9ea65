//! Time: the envelope stores unix seconds; the API speaks
//! [`time::OffsetDateTime`]. Every method that depends on the time has an
//! `*_at(now)` twin so tests (and servers with their own clock) pass it in.

use time::OffsetDateTime;

/// Largest supported unix time: 9999-12-31T23:59:59Z.
pub(crate) const MAX_UNIX: i64 = 253_402_300_799;

/// The system clock, in UTC.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
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
