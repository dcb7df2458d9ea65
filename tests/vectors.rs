//! Opens every golden vector in tests/vectors/v1.json and tests/vectors/v2.json
//! with the public API, the store configured from the vector's fields, and
//! checks its `expect`, payload, times, user, session id, schema and re-seal
//! hint. (The byte-for-byte re-seal check lives in the crate's unit tests,
//! which may fix the nonce and the session id.)

mod common;

use std::collections::BTreeSet;

use common::{VectorPayload, golden_vectors, golden_vectors_v2, unix, vector_store_builder};
use sealed_session::{OpenError, ResealReasons, Session, SessionInfo, SessionStore, UserId};
use serde_json::Value;

/// The outcome name (FORMAT.md section 6) and the session, if it opened.
fn outcome(store: &SessionStore, v: &Value) -> (String, Option<Session<VectorPayload>>) {
    let now = unix(v["now"].as_i64().unwrap());
    // `current_epoch: null` is a user the application no longer has.
    let result = store
        .open_at::<VectorPayload>(v["cookie"].as_str().unwrap(), now)
        .and_then(|opened| opened.verify_with(|_| v["current_epoch"].as_u64()));
    let name = match &result {
        Ok(_) => "ok",
        Err(OpenError::Invalid) => "invalid",
        Err(OpenError::Expired) => "expired",
        Err(OpenError::IdleExpired) => "idle_expired",
        Err(OpenError::NotYetValid) => "not_yet_valid",
        Err(OpenError::Revoked) => "revoked",
        Err(OpenError::Decode) => "decode",
        Err(OpenError::UnknownSchema) => "unknown_schema",
        Err(OpenError::Migration) => "migration",
        Err(other) => panic!("unexpected error {other:?}"),
    };
    (name.to_owned(), result.ok())
}

/// The re-seal hint as FORMAT.md section 6.1 names it, in its order.
fn reseal_names(info: &SessionInfo) -> Vec<&'static str> {
    let r: ResealReasons = info.reseal_reasons();
    [
        ("retired_key", r.retired_key),
        ("idle_half_used", r.idle_half_used),
        ("policy_tightened", r.policy_tightened),
        ("old_schema", r.old_schema),
        ("old_format", r.old_format),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

/// What the vectors of one file showed.
#[derive(Default)]
struct Seen {
    outcomes: BTreeSet<(String, String)>,
    hints: BTreeSet<String>,
    in_leeway: BTreeSet<bool>,
}

/// Opens `v` with `store` and checks everything the vector records. `hint`
/// is the re-seal hint this opener must report (`None`: not recorded).
fn check(store: &SessionStore, v: &Value, hint: Option<Vec<&str>>, seen: &mut Seen) {
    let name = &v["name"];
    let (got, session) = outcome(store, v);
    assert_eq!(got, v["expect"].as_str().unwrap(), "vector {name}");
    seen.outcomes
        .insert((got, v["algorithm"].as_str().unwrap().to_owned()));
    let Some(session) = session else { return };
    let info = session.info();
    let ts = |k: &str| v[k].as_i64().map(unix);
    assert_eq!(
        session.data().note,
        v["payload"]["note"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(
        u64::from(session.data().visits),
        v["payload"]["visits"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(Some(info.login_at()), ts("login_at"), "{name}");
    assert_eq!(Some(info.issued_at()), ts("issued_at"), "{name}");
    assert_eq!(Some(info.expires_at()), ts("expires_at"), "{name}");
    assert_eq!(info.idle_deadline(), ts("idle_deadline"), "{name}");
    // v1.json records neither (its cookies are v1: no session id, schema 0).
    let session_id = v.get("session_id").unwrap_or(&Value::Null);
    assert_eq!(
        info.session_id().map(|id| id.to_string()).as_deref(),
        session_id.as_str(),
        "{name}"
    );
    assert_eq!(
        u64::from(info.schema()),
        v.get("schema").map_or(0, |s| s.as_u64().unwrap()),
        "{name}"
    );
    // A v1 cookie is exactly one without a session id.
    let version = if session_id.is_null() { 1 } else { 2 };
    assert_eq!(info.format_version(), version, "{name}");
    let now = ts("now").unwrap();
    let in_leeway = info.in_leeway();
    let first_deadline = info
        .idle_deadline()
        .map_or(info.expires_at(), |d| d.min(info.expires_at()));
    assert_eq!(in_leeway, now >= first_deadline, "{name}");
    let got_hint = reseal_names(info);
    // In the leeway nothing is hinted (the cookie cannot be re-sealed).
    assert_eq!(
        got_hint.contains(&"retired_key"),
        v["key_role"] == "retired" && !in_leeway,
        "{name}"
    );
    if let Some(want) = hint {
        assert_eq!(got_hint, want, "{name}");
        seen.hints.extend(want.into_iter().map(str::to_owned));
    }
    if let Some(want) = v.get("in_leeway") {
        assert_eq!(Some(in_leeway), want.as_bool(), "{name}");
        seen.in_leeway.insert(in_leeway);
    }
    let expected_user = match &v["user_id"] {
        Value::Number(n) => Some(UserId::from(n.as_u64().unwrap())),
        Value::String(s) => Some(UserId::text(s.as_str()).unwrap()),
        _ => None,
    };
    assert_eq!(session.user_id(), expected_user.as_ref(), "{name}");
}

/// Both algorithms open, and each outcome in `kinds` appears.
fn assert_coverage(seen: &Seen, kinds: &[&str]) {
    for alg in ["xaes-256-gcm", "xchacha20-poly1305"] {
        assert!(seen.outcomes.contains(&("ok".to_owned(), alg.to_owned())));
    }
    for kind in kinds {
        assert!(
            seen.outcomes.iter().any(|(k, _)| k == kind),
            "no {kind} vector"
        );
    }
    assert_eq!(seen.in_leeway.len(), 2, "both in_leeway values");
}

const V1_OUTCOMES: [&str; 6] = [
    "invalid",
    "decode",
    "expired",
    "idle_expired",
    "not_yet_valid",
    "revoked",
];

/// v1.json under the v2-aware opener (FORMAT.md section 7): its `reseal` is
/// what an opener that seals v1 reports; one that seals v2 (the default)
/// also names `old_format` outside the leeway. Every other expectation is
/// the same for both.
#[test]
fn every_v1_vector_opens_as_expected() {
    let vectors = golden_vectors();
    assert!(vectors.len() >= 113, "{} vectors", vectors.len());
    let (mut seals_v1, mut seals_v2) = (Seen::default(), Seen::default());
    for v in &vectors {
        assert!(v.get("opener_schema").is_none(), "{}", v["name"]);
        let recorded = v.get("reseal").map(names);
        let store = vector_store_builder(v).seal_format_v1().build().unwrap();
        check(&store, v, recorded.clone(), &mut seals_v1);
        let with_format = recorded.map(|mut hint| {
            if v["in_leeway"] == false {
                hint.push("old_format");
            }
            hint
        });
        let store = vector_store_builder(v).build().unwrap();
        check(&store, v, with_format, &mut seals_v2);
    }
    assert_coverage(&seals_v1, &V1_OUTCOMES);
    let names = ["idle_half_used", "policy_tightened", "retired_key"];
    assert_eq!(seals_v1.hints.iter().collect::<Vec<_>>(), names);
    assert!(seals_v2.hints.contains("old_format"));
}

#[test]
fn every_v2_vector_opens_as_expected() {
    let vectors = golden_vectors_v2();
    assert!(vectors.len() >= 100, "{} vectors", vectors.len());
    let mut seen = Seen::default();
    for v in &vectors {
        let store = vector_store_builder(v).build().unwrap();
        check(&store, v, v.get("reseal").map(names), &mut seen);
        if v["expect"] == "ok" {
            assert!(v.get("reseal").is_some(), "{}", v["name"]);
        }
    }
    let mut kinds = V1_OUTCOMES.to_vec();
    kinds.extend(["unknown_schema", "migration"]);
    assert_coverage(&seen, &kinds);
    let all = [
        "idle_half_used",
        "old_format",
        "old_schema",
        "policy_tightened",
        "retired_key",
    ];
    assert_eq!(seen.hints.iter().collect::<Vec<_>>(), all);
    // The sessions the contract promises: anonymous and user sessions of
    // schemas 0 and 1 under both algorithms, and the session id bounds.
    for alg in ["xaes-256-gcm", "xchacha20-poly1305"] {
        for schema in [0, 1] {
            for user in [false, true] {
                assert!(
                    vectors.iter().any(|v| v["expect"] == "ok"
                        && v["algorithm"] == alg
                        && v["schema"] == schema
                        && v["opener_schema"] == schema
                        && v["user_id"].is_null() != user
                        && v["session_id"].is_string()),
                    "no ok vector: {alg}, schema {schema}, user {user}"
                );
            }
        }
    }
    for id in ["0000000000000000", "ffffffffffffffff"] {
        assert!(
            vectors
                .iter()
                .any(|v| v["expect"] == "ok" && v["session_id"] == id),
            "no ok vector with session id {id}"
        );
    }
}
