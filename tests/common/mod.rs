//! Shared helpers for the integration tests.
#![allow(dead_code)]

use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Algorithm, Key, KeyRing, OpenError, Opened, SessionStore};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "__Host-session";

/// A fixed point in time (2027-01-15T08:00:00Z).
pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

pub fn at(secs: i64) -> OffsetDateTime {
    t0() + Duration::seconds(secs)
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub fn payload(len: usize) -> Payload {
    Payload {
        name: "test".into(),
        bytes: (0..len)
            .map(|i| u8::try_from(i % 251).unwrap_or(0))
            .collect(),
    }
}

pub fn store(algorithm: Algorithm) -> SessionStore {
    SessionStore::builder(NAME, KeyRing::with_algorithm(1, algorithm, Key::generate()))
        .build()
        .unwrap()
}

pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305];

/// Opens and, for user cookies, verifies against `epoch`.
pub fn open_full(
    store: &SessionStore,
    value: &str,
    now: OffsetDateTime,
    epoch: u64,
) -> Result<Payload, OpenError> {
    match store.open_at::<Payload>(value, now)? {
        Opened::Anonymous(s) => Ok(s.into_data()),
        Opened::User(u) => u.verify_epoch(epoch).map(|s| s.into_data()),
    }
}

/// Property-test configuration: 10 000 cases, or `PROPTEST_CASES`.
pub fn proptest_config() -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    proptest::test_runner::Config::with_cases(cases)
}
