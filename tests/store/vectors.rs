//! Opens every golden vector in tests/vectors/v2.json with the public API,
//! the store configured from the vector's fields, and checks its `expect`,
//! payload, times, user, session id, schema and re-seal hint. The vectors of
//! the dropped format v1 that v2.json keeps as history must all be
//! `invalid` now (FORMAT.md section 7). (The byte-for-byte re-seal check
//! lives in the crate's unit tests, which may fix the nonce and the session
//! id.)

use crate::common;

use std::collections::BTreeSet;

use common::{VectorPayload, golden_vectors_v2, unix, vector_store_builder};
use sealed_session::{
    OpenError, ResealReasons, SealError, SessionInfo, SessionStore, UserId, Verified,
};
use serde_json::Value;

/// The outcome name (FORMAT.md section 6) and the session, if it opened.
fn outcome(store: &SessionStore, v: &Value) -> (String, Option<Verified<VectorPayload>>) {
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
    assert_eq!(got, expected(v), "vector {name}");
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
    let session_id = v.get("session_id").unwrap_or(&Value::Null);
    assert_eq!(
        Some(info.session_id().to_string()).as_deref(),
        session_id.as_str(),
        "{name}"
    );
    assert_eq!(
        u64::from(info.schema()),
        v.get("schema").map_or(0, |s| s.as_u64().unwrap()),
        "{name}"
    );
    assert!(
        session_id.is_string(),
        "{name}: every cookie that opens has an id"
    );
    assert_eq!(info.format_version(), 2, "{name}");
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

const OUTCOMES: [&str; 6] = [
    "invalid",
    "decode",
    "expired",
    "idle_expired",
    "not_yet_valid",
    "revoked",
];

/// The version byte of a vector's cookie, if its base64 decodes.
fn version_byte(v: &Value) -> Option<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(v["cookie"].as_str().unwrap())
        .ok()
        .and_then(|bytes| bytes.first().copied())
}

/// The outcome a vector must have today (FORMAT.md section 7): `invalid`
/// for a cookie of the dropped format v1 (version byte `0x01`), which
/// v2.json keeps as history with the outcome it had then; its `expect`
/// otherwise.
fn expected(v: &Value) -> &str {
    if version_byte(v) == Some(0x01) {
        "invalid"
    } else {
        v["expect"].as_str().unwrap()
    }
}

/// The recorded re-seal hint, without the dropped name `old_format` (only
/// history vectors name it: v1 cookies, now `invalid`, and the one v2
/// cookie opened by an opener that sealed v1, recorded as
/// `opener_seals_format: 1`, which every opener now ignores).
fn hint_today(v: &Value) -> Option<Vec<&str>> {
    v.get("reseal").map(|list| {
        let mut hint = names(list);
        hint.retain(|n| *n != "old_format");
        hint
    })
}

/// Format v1 is gone: every v1 cookie v2.json keeps as history (authentic
/// ones included: the AEAD under their v1 header verifies) is `invalid`,
/// which no other outcome of it reveals.
#[test]
fn format_v1_history_vectors_are_invalid() {
    let vectors = golden_vectors_v2();
    let history: Vec<&Value> = vectors
        .iter()
        .filter(|v| version_byte(v) == Some(0x01))
        .collect();
    assert_eq!(history.len(), 10, "the v1 history vectors");
    let authentic = history
        .iter()
        .filter(|v| v.get("plaintext_hex").is_some())
        .count();
    assert_eq!(authentic, 9, "authentic v1 cookies (then ok, expired, ...)");
    for v in history {
        let store = vector_store_builder(v).build().unwrap();
        let (got, _) = outcome(&store, v);
        assert_eq!(got, "invalid", "{}", v["name"]);
    }
}

#[test]
fn every_v2_vector_opens_as_expected() {
    let vectors = golden_vectors_v2();
    assert!(vectors.len() >= 100, "{} vectors", vectors.len());
    let mut seen = Seen::default();
    for v in &vectors {
        let store = vector_store_builder(v).build().unwrap();
        check(&store, v, hint_today(v), &mut seen);
        if expected(v) == "ok" {
            assert!(v.get("reseal").is_some(), "{}", v["name"]);
        }
    }
    let mut kinds = OUTCOMES.to_vec();
    kinds.extend(["unknown_schema", "migration"]);
    assert_coverage(&seen, &kinds);
    let all = [
        "idle_half_used",
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

/// FORMAT.md section 6.2: every re-seal vector, opened by its opener and
/// re-sealed at its `now` through the public API, gives what the vector
/// records (the byte-for-byte value, with its fixed nonce, is checked by
/// the crate's unit tests): the deadlines written, and, opened again, the
/// same session (id, user, login time) at the recorded issued time and
/// schema, with no `policy_tightened` left.
#[test]
fn every_reseal_vector_reseals_as_recorded() {
    let vectors = golden_vectors_v2();
    let mut seen = BTreeSet::new();
    for v in vectors.iter().filter(|v| v.get("reseal_expect").is_some()) {
        let name = &v["name"];
        let store = vector_store_builder(v).build().unwrap();
        let now = unix(v["now"].as_i64().unwrap());
        let (got, session) = outcome(&store, v);
        assert_eq!(got, "ok", "{name}");
        let session = session.unwrap();
        let want = v["reseal_expect"].as_str().unwrap();
        seen.insert(want.to_owned());
        let resealed = store.reseal_at(&session, now);
        if want == "session_expired" {
            assert_eq!(resealed.unwrap_err(), SealError::SessionExpired, "{name}");
            assert!(session.info().in_leeway(), "{name}");
            continue;
        }
        let resealed = resealed.unwrap();
        let ts = |k: &str| v[k].as_i64().map(unix);
        assert_eq!(
            Some(resealed.expires_at()),
            ts("resealed_expires_at"),
            "{name}"
        );
        assert_eq!(
            resealed.idle_deadline(),
            ts("resealed_idle_deadline"),
            "{name}"
        );
        let again = store
            .open_at::<VectorPayload>(resealed.value(), now)
            .and_then(|opened| opened.verify_with(|_| v["current_epoch"].as_u64()))
            .unwrap();
        let (old, new) = (session.info(), again.info());
        assert_eq!(Some(new.issued_at()), ts("resealed_issued_at"), "{name}");
        assert_eq!(new.login_at(), old.login_at(), "{name}");
        assert_eq!(new.session_id(), old.session_id(), "{name}");
        assert_eq!(again.user_id(), session.user_id(), "{name}");
        assert_eq!(
            u64::from(new.schema()),
            v["resealed_schema"].as_u64().unwrap(),
            "{name}"
        );
        assert!(!new.reseal_reasons().policy_tightened, "{name}");
        assert_eq!(Some(new.expires_at()), ts("resealed_expires_at"), "{name}");
    }
    let both: BTreeSet<String> = ["ok", "session_expired"].map(str::to_owned).into();
    assert_eq!(seen, both);
}

/// Issue 17, item 11: the rules no earlier vector pinned each have one
/// (see FORMAT.md section 7 for what each catches).
#[test]
fn the_rules_a_lenient_opener_passed_have_vectors() {
    let vectors = golden_vectors_v2();
    for prefix in [
        "algorithm binding: sealed with XChaCha20-Poly1305",
        "algorithm binding: sealed with XAES-256-GCM",
        "unknown key id 2 (ring has 1): no fallback",
        "lifetime 2^64 - 1",
        "idle 2^64 - 1",
        "user id variant 2",
        "local idle deadline counts from issued_at",
        "local idle deadline capped at expires_at",
        "cookie idle deadline earlier than the local one",
        "cookie epoch 7 above",
        "cookie epoch 7 below",
        "cookie epoch 7 equal",
    ] {
        assert_eq!(
            vectors
                .iter()
                .filter(|v| v["name"].as_str().unwrap().starts_with(prefix))
                .count(),
            1,
            "{prefix}"
        );
    }
}
