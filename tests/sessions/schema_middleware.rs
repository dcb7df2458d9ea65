//! Through the middleware's engine: a cookie of an older payload schema is
//! re-sealed under the current one on the next response,
//! even when the handler only reads it.
#![cfg(feature = "cookie")]

use crate::common;

use common::*;
use sealed_session::cookie::CookieOptions;
use sealed_session::engine::Arrival;
use sealed_session::{Key, KeyRing, SessionStore, Sessions};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
struct V1 {
    visits: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
struct V2 {
    visits: u32,
    theme: String,
}

fn read_only_request<T>(sessions: &Sessions, cookie: &str) -> (Option<T>, Option<String>)
where
    T: Serialize + serde::de::DeserializeOwned + Default + Clone,
{
    let header = format!("{NAME}={cookie}");
    let Arrival::Ready(state) = sessions.open::<T>([header]) else {
        panic!("an anonymous session needs no epoch")
    };
    let data = state.data().cloned();
    let set_cookie = sessions
        .finish(&state, 200)
        .unwrap()
        .map(|c| c.value().to_owned());
    (data, set_cookie)
}

#[test]
fn an_old_schema_cookie_is_resealed_as_the_current_schema_on_a_read() {
    let key = Key::generate();
    let old_build = SessionStore::builder(NAME, KeyRing::new(1, key.clone()))
        .schema(1)
        .build()
        .unwrap();
    let new_store = SessionStore::builder(NAME, KeyRing::new(1, key))
        .schema(2)
        .accept(1, |old: V1| V2 {
            visits: old.visits,
            theme: "light".into(),
        })
        .build()
        .unwrap();
    let sessions = Sessions::new(new_store.clone(), CookieOptions::new()).unwrap();
    let old_cookie = old_build.seal(&V1 { visits: 4 }).unwrap();
    let before = old_build.open::<V1>(old_cookie.value()).unwrap();

    let (data, set_cookie) = read_only_request::<V2>(&sessions, old_cookie.value());
    assert_eq!(
        data,
        Some(V2 {
            visits: 4,
            theme: "light".into()
        })
    );
    let resealed = set_cookie.expect("the old-schema cookie is re-sealed");
    let after = new_store
        .open::<V2>(&resealed)
        .unwrap()
        .anonymous()
        .unwrap();
    assert_eq!(after.info().schema(), 2);
    assert_eq!(after.info().session_id(), before.info().session_id());
    assert_eq!(after.info().login_at(), before.info().login_at());
    assert_eq!(after.data().visits, 4);

    // The next read of the re-sealed cookie needs nothing.
    let (_, again) = read_only_request::<V2>(&sessions, &resealed);
    assert_eq!(again, None, "a current cookie is not re-sealed on a read");
}
