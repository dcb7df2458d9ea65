//! Opens every golden vector in tests/vectors/v1.json with the public API and
//! checks its `expect`. (The byte-for-byte re-seal check lives in the crate's
//! unit tests, which may fix the nonce.)

mod common;

use common::{golden_vectors, unix, vector_store};
use sealed_session::{OpenError, ResealReasons, SessionInfo, UserId};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Debug, PartialEq)]
struct VectorPayload {
    note: String,
    visits: u32,
}

fn outcome(v: &Value) -> (String, Option<sealed_session::Session<VectorPayload>>) {
    let store = vector_store(v);
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
        Err(other) => panic!("unexpected error {other:?}"),
    };
    (name.to_owned(), result.ok())
}

/// The re-seal hint as FORMAT.md section 6.1 names it.
fn reseal_names(info: &SessionInfo) -> Vec<&'static str> {
    let r: ResealReasons = info.reseal_reasons();
    [
        ("retired_key", r.retired_key),
        ("idle_half_used", r.idle_half_used),
        ("policy_tightened", r.policy_tightened),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

#[test]
fn every_vector_opens_as_expected() {
    let vectors = golden_vectors();
    assert!(vectors.len() >= 113, "{} vectors", vectors.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut hints = std::collections::BTreeSet::new();
    let mut leeway_seen = std::collections::BTreeSet::new();
    for v in &vectors {
        let (got, session) = outcome(v);
        assert_eq!(got, v["expect"].as_str().unwrap(), "vector {}", v["name"]);
        seen.insert((got, v["algorithm"].as_str().unwrap().to_owned()));
        let Some(session) = session else { continue };
        let ts = |k: &str| v[k].as_i64().map(unix);
        assert_eq!(session.data().note, v["payload"]["note"].as_str().unwrap());
        assert_eq!(
            u64::from(session.data().visits),
            v["payload"]["visits"].as_u64().unwrap()
        );
        assert_eq!(Some(session.info().login_at()), ts("login_at"));
        assert_eq!(Some(session.info().issued_at()), ts("issued_at"));
        assert_eq!(Some(session.info().expires_at()), ts("expires_at"));
        assert_eq!(session.info().idle_deadline(), ts("idle_deadline"));
        let now = ts("now").unwrap();
        let hint = reseal_names(session.info());
        // In the leeway nothing is hinted (the cookie cannot be re-sealed).
        let in_leeway = session.info().in_leeway();
        assert_eq!(
            in_leeway,
            now >= session
                .info()
                .idle_deadline()
                .map_or(session.info().expires_at(), |d| d
                    .min(session.info().expires_at())),
            "{}",
            v["name"]
        );
        assert_eq!(
            hint.contains(&"retired_key"),
            v["key_role"] == "retired" && !in_leeway,
            "{}",
            v["name"]
        );
        if let Some(want) = v.get("reseal") {
            let want: Vec<&str> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            assert_eq!(hint, want, "{}", v["name"]);
            hints.extend(want);
        }
        if let Some(want) = v.get("in_leeway") {
            assert_eq!(Some(in_leeway), want.as_bool(), "{}", v["name"]);
            leeway_seen.insert(want.as_bool().unwrap());
        }
        let expected_user = match &v["user_id"] {
            Value::Number(n) => Some(UserId::from(n.as_u64().unwrap())),
            Value::String(s) => Some(UserId::text(s.as_str()).unwrap()),
            _ => None,
        };
        assert_eq!(session.user_id(), expected_user.as_ref());
    }
    // Coverage the format contract promises: both algorithms open, and each failure kind appears.
    for alg in ["xaes-256-gcm", "xchacha20-poly1305"] {
        assert!(seen.contains(&("ok".to_owned(), alg.to_owned())));
    }
    for kind in [
        "invalid",
        "decode",
        "expired",
        "idle_expired",
        "not_yet_valid",
        "revoked",
    ] {
        assert!(seen.iter().any(|(k, _)| k == kind), "no {kind} vector");
    }
    // Every re-seal reason and both in_leeway values are pinned by some vector.
    let names = ["idle_half_used", "policy_tightened", "retired_key"];
    assert_eq!(hints.into_iter().collect::<Vec<_>>(), names);
    assert_eq!(leeway_seen.len(), 2);
}
