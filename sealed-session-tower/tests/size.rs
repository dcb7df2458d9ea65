//! The size cost of tower-sessions' JSON record against our own struct
//! sessions: the anchors' small session, sealed both ways (run with
//! `--nocapture` for the numbers; the README quotes them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use sealed_session::{Key, KeyRing, SessionStore};
use sealed_session_tower::Payload;

#[path = "../../benches/common/anchors.rs"]
mod anchors;
use anchors::small;

fn payload(map: &HashMap<String, serde_json::Value>) -> Payload {
    Payload {
        data: serde_json::to_vec(map).unwrap(),
        expiry_date: 1_800_086_400,
    }
}

#[test]
fn json_record_against_struct_session() {
    let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let anchors = small();
    let postcard = store.seal(&anchors).unwrap().value().len();

    // tower-sessions style: one key holding the struct (`insert("session", s)`).
    let one_key = HashMap::from([(
        "session".to_owned(),
        serde_json::to_value(&anchors).unwrap(),
    )]);
    let one = payload(&one_key);
    let json_one = store.seal(&one).unwrap().value().len();

    // One key per field.
    let serde_json::Value::Object(fields) = serde_json::to_value(&anchors).unwrap() else {
        unreachable!()
    };
    let per_field: HashMap<_, _> = fields.into_iter().collect();
    let json_fields = store.seal(&payload(&per_field)).unwrap().value().len();

    // An axum-login session: its data key with the user id and auth hash
    // (an argon2 PHC string, 97 characters, as bytes) plus a counter.
    let auth_hash: Vec<u8> = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
        .bytes()
        .collect();
    let login = HashMap::from([
        (
            "axum-login.data".to_owned(),
            serde_json::json!({"user_id": 1, "auth_hash": auth_hash}),
        ),
        ("n".to_owned(), serde_json::json!(2)),
    ]);
    let login_len = store.seal(&payload(&login)).unwrap().value().len();

    println!(
        "anchors: struct (postcard) cookie {postcard} B; JSON record, one key {json_one} B \
         ({} B of JSON); one key per field {json_fields} B; axum-login session {login_len} B",
        one.data.len()
    );
    assert!(postcard < json_one && json_one <= 4096 && json_fields <= 4096);
    assert!(login_len <= 4096);
}
