//! `Debug` of what open hands out never prints the decrypted payload.

use crate::common;

use common::*;
use sealed_session::{Opened, UserId};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug)]
struct Secret {
    api_token: String,
}

const TOKEN: &str = "tok_live_DO_NOT_LOG";

#[test]
fn opened_unverified_and_session_hide_the_data() {
    let store = store(sealed_session::Algorithm::XAes256Gcm);
    let secret = Secret {
        api_token: TOKEN.into(),
    };
    let user = UserId::text("alice").unwrap();
    let cookie = store.seal_for_user_at(&user, 3, &secret, t0()).unwrap();
    let opened = store.open_at::<Secret>(cookie.value(), t0()).unwrap();
    let text = format!("{opened:?} {opened:#?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(
        text.contains("alice") && text.contains("data: .."),
        "{text}"
    );
    let Opened::User(pending) = opened else {
        panic!("a user session")
    };
    // Unverified: possibly a revoked user's data; still not printed.
    let text = format!("{pending:?}");
    assert!(!text.contains(TOKEN) && text.contains("alice"), "{text}");
    assert!(text.contains("key_id"), "the info is shown: {text}");
    let session = pending.verify_epoch(3).unwrap();
    let text = format!("{session:?}");
    assert!(!text.contains(TOKEN) && text.contains("alice"), "{text}");
    // Anonymous sessions too.
    let cookie = store.seal_at(&secret, t0()).unwrap();
    let opened = store.open_at::<Secret>(cookie.value(), t0()).unwrap();
    assert!(!format!("{opened:?}").contains(TOKEN));
}
