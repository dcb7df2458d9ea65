//! Shared helpers for the integration tests: the test clock, a payload, stores
//! and the golden vectors.
#![allow(dead_code)] // each test file uses a different part of this module

use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    Algorithm, Key, KeyRing, MAX_TTL, OpenError, SessionStore, StoreBuilder, Verified,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const NAME: &str = "__Host-session";

/// The fixed test time, in unix seconds: 2027-01-15T08:00:00Z.
pub const T0: i64 = 1_800_000_000;

/// The largest time the format holds, in unix seconds: 9999-12-31T23:59:59Z.
pub const MAX_UNIX: i64 = 253_402_300_799;

/// The fixed test time [`T0`].
pub fn t0() -> OffsetDateTime {
    unix(T0)
}

/// `secs` seconds after [`t0`] (before it if negative).
pub fn at(secs: i64) -> OffsetDateTime {
    t0() + Duration::seconds(secs)
}

/// The absolute time `secs` seconds after 1970-01-01T00:00:00Z, for tests
/// that range over all times instead of around [`t0`].
pub fn unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
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
    SessionStore::builder(
        NAME,
        KeyRing::new(1, Key::generate().with_algorithm(algorithm)),
    )
    .build()
    .unwrap()
}

pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::XAes256Gcm, Algorithm::XChaCha20Poly1305];

/// Opens and verifies with `epoch` as the user's current epoch (an anonymous
/// cookie needs none).
pub fn open_full(
    store: &SessionStore,
    value: &str,
    now: OffsetDateTime,
    epoch: u64,
) -> Result<Payload, OpenError> {
    store
        .open_at::<Payload>(value, now)?
        .verify_with(|_| Some(epoch))
        .map(Verified::into_data)
}

/// Property-test configuration: 10 000 cases, or `PROPTEST_CASES`.
pub fn proptest_config() -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    proptest::test_runner::Config::with_cases(cases)
}

/// The golden vectors of tests/vectors/v2.json: cookies sealed under fixed
/// keys with fixed nonces and session ids, the opener's schemas recorded in
/// every vector (and, as history, some cookies of the dropped format v1).
pub fn golden_vectors_v2() -> Vec<Value> {
    vectors_file("v2.json")
}

fn vectors_file(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The golden vector called `name` (in v2.json).
pub fn golden_vector(name: &str) -> Value {
    golden_vectors_v2()
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no golden vector {name:?}"))
}

/// The payload of every golden vector, in the opener's current schema
/// (FORMAT.md section 7).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct VectorPayload {
    pub note: String,
    pub visits: u32,
}

/// The payload of every older schema a v2.json opener accepts (FORMAT.md
/// section 7).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct OldVectorPayload {
    pub note: String,
}

/// The vectors' migration of an older schema: `{ note }` becomes
/// `{ note, visits: 0 }`, and an empty note cannot be migrated.
pub fn migrate_vector_payload(old: OldVectorPayload) -> Result<VectorPayload, &'static str> {
    if old.note.is_empty() {
        return Err("empty note");
    }
    Ok(VectorPayload {
        note: old.note,
        visits: 0,
    })
}

/// A store that opens the vector `v` as its `expect` says: the vector's key
/// (retired behind a fresh sealing key if its `key_role` says so), cookie
/// name, leeway and size limit, and the opener's policy (FORMAT.md section
/// 7: vectors without `ttl` and `idle_timeout` are opened with a 400-day
/// ttl and no idle timeout) and schemas (vectors without `opener_schema`:
/// schema 0, no older schemas).
pub fn vector_store(v: &Value) -> SessionStore {
    vector_store_builder(v).build().unwrap()
}

/// [`vector_store`] before `build`, to change what the store seals.
pub fn vector_store_builder(v: &Value) -> StoreBuilder {
    let alg: Algorithm = v["algorithm"].as_str().unwrap().parse().unwrap();
    let key = Key::from_base64(v["master_key"].as_str().unwrap()).unwrap();
    let key_id = u32::try_from(v["key_id"].as_u64().unwrap()).unwrap();
    let ring = if v["key_role"] == "retired" {
        let mut ring = KeyRing::new(key_id.wrapping_add(1), Key::generate());
        ring.add_retired(key_id, key.with_algorithm(alg)).unwrap();
        ring
    } else {
        KeyRing::new(key_id, key.with_algorithm(alg))
    };
    let ttl = v
        .get("ttl")
        .map_or(MAX_TTL, |t| Duration::seconds(t.as_i64().unwrap()));
    let mut builder = SessionStore::builder(v["cookie_name"].as_str().unwrap(), ring)
        .ttl(ttl)
        .leeway(Duration::seconds(v["leeway"].as_i64().unwrap()))
        .max_cookie_len(usize::try_from(v["max_cookie_len"].as_u64().unwrap()).unwrap());
    if let Some(idle) = v.get("idle_timeout").and_then(Value::as_i64) {
        builder = builder.idle_timeout(Duration::seconds(idle));
    }
    let schema = |field: &Value| u32::try_from(field.as_u64().unwrap()).unwrap();
    if let Some(current) = v.get("opener_schema") {
        builder = builder.schema(schema(current));
    }
    for older in v
        .get("opener_accepts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        builder = builder.try_accept(schema(older), migrate_vector_payload);
    }
    if let Some(sealing) = v.get("opener_seals_schema") {
        builder = builder.seal_previous_schema(schema(sealing), |cur: VectorPayload| {
            OldVectorPayload { note: cur.note }
        });
    }
    // `opener_seals_format: 1` (history: a format v1 rollout) is ignored:
    // every opener seals v2 (FORMAT.md section 7).
    match v.get("opener_seals_format").and_then(Value::as_u64) {
        None | Some(1 | 2) => {}
        Some(other) => panic!("opener_seals_format {other}"),
    }
    builder
}

/// The reading half of the cookie glue lives on `Sessions`, with its clock:
/// these open at a fixed time through a manual clock.
#[cfg(feature = "cookie")]
pub trait ReadAt {
    fn open_cookie_header_at<T: serde::de::DeserializeOwned>(
        &self,
        header: &str,
        now: OffsetDateTime,
    ) -> Result<Option<sealed_session::Opened<T>>, OpenError>;
}

#[cfg(feature = "cookie")]
impl ReadAt for SessionStore {
    fn open_cookie_header_at<T: serde::de::DeserializeOwned>(
        &self,
        header: &str,
        now: OffsetDateTime,
    ) -> Result<Option<sealed_session::Opened<T>>, OpenError> {
        sealed_session::engine::open_header(self, header, now)
    }
}
