//! Shared helpers for the integration tests.
#![allow(dead_code)]

use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Algorithm, Key, KeyRing, MAX_TTL, OpenError, Opened, SessionStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The golden vectors of tests/vectors/v1.json: cookies sealed under fixed
/// keys with fixed nonces.
pub fn golden_vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/v1.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The golden vector called `name`.
pub fn golden_vector(name: &str) -> Value {
    golden_vectors()
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no golden vector {name:?}"))
}

/// A store that opens the vector `v` as its `expect` says: the vector's key
/// (retired behind a fresh sealing key if its `key_role` says so), cookie
/// name, leeway and size limit, and the longest lifetime.
pub fn vector_store(v: &Value) -> SessionStore {
    let alg: Algorithm = v["algorithm"].as_str().unwrap().parse().unwrap();
    let key = Key::from_base64(v["master_key"].as_str().unwrap()).unwrap();
    let key_id = u32::try_from(v["key_id"].as_u64().unwrap()).unwrap();
    let ring = if v["key_role"] == "retired" {
        let mut ring = KeyRing::new(key_id.wrapping_add(1), Key::generate());
        ring.add_retired_with_algorithm(key_id, alg, key).unwrap();
        ring
    } else {
        KeyRing::with_algorithm(key_id, alg, key)
    };
    SessionStore::builder(v["cookie_name"].as_str().unwrap(), ring)
        .ttl(MAX_TTL)
        .leeway(Duration::seconds(v["leeway"].as_i64().unwrap()))
        .max_cookie_len(usize::try_from(v["max_cookie_len"].as_u64().unwrap()).unwrap())
        .build()
        .unwrap()
}
