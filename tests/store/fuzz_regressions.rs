//! Regressions found by the fuzz targets (`fuzz/`) and the property tests
//! (`tests/prop_*.rs`), each reduced to a plain test.

use crate::common;

use common::unix;
use sealed_session::time::Duration;
use sealed_session::{Key, KeyRing, SessionStore};

/// Found by `prop_time::open_agrees_with_the_model` (1 case in ~10^5): a
/// cookie sealed by a store without an idle timeout, less than 400 days
/// before the end of year 9999, opened by a store with one. The store's idle
/// deadline `issued + idle` lies past 9999-12-31T23:59:59, outside the
/// range every other time is kept in, and `info().idle_deadline()` reported
/// 1970-01-01T00:00:00 (the fallback of the conversion) instead of a deadline
/// after the issue time and no later than the absolute deadline.
#[test]
fn store_idle_deadline_past_year_9999_stays_in_range() {
    let key = Key::generate();
    let sealer = SessionStore::builder("sid", KeyRing::new(1, key.clone()))
        .ttl(Duration::seconds(6_390_547))
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let opener = SessionStore::builder("sid", KeyRing::new(1, key))
        .ttl(Duration::days(400))
        .idle_timeout(Duration::seconds(12_275_558))
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let sealed_at = unix(253_390_025_242);
    let cookie = sealer.seal_at(&7u32, sealed_at).unwrap();
    let session = opener
        .open_at::<u32>(cookie.value(), sealed_at + Duration::seconds(1))
        .unwrap()
        .anonymous()
        .unwrap();
    let info = session.info();
    assert_eq!(info.expires_at(), sealed_at + Duration::seconds(6_390_547));
    let idle = info
        .idle_deadline()
        .expect("the opening store has an idle timeout");
    assert!(
        idle > sealed_at,
        "idle deadline {idle} is before the issue time {sealed_at}"
    );
    assert!(
        idle <= info.expires_at(),
        "idle deadline {idle} after expiry"
    );
}
