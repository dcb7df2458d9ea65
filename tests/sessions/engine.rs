//! The engine's decision table: every case of tests/adapter_cases run
//! through `Sessions` + `SessionState` directly (no framework), plus the
//! engine's own edges.
#![cfg(feature = "cookie")]

use crate::adapter_cases;

use adapter_cases::{
    CASES, Case, Data, LOGIN_USER, NAME, Route, Sent, World, check, too_big, view,
};
use sealed_session::engine::{Arrival, Outcome, SessionState};
use sealed_session::time::Duration;
use sealed_session::{OpenError, SealError, UserId};

/// A minimal adapter: what a framework's glue does around a handler.
fn run(world: &World, case: &Case) -> (u16, String, Vec<String>) {
    let header = world.cookie_header(case.sent);
    if case.route == Route::Nothing {
        // The session is never opened: nothing to decide.
        return (200, "nothing".into(), Vec::new());
    }
    let mut state = match world.sessions.open::<Data>(header.iter()) {
        // The revocation feed is stale: fail closed, no Set-Cookie.
        Arrival::Unavailable(_) => {
            return (503, "unavailable".into(), Vec::new());
        }
        Arrival::Ready(state) => state,
        Arrival::NeedsEpoch(pending) => match world.epochs.lookup(pending.user_id()) {
            Ok(current) => pending.verify(current),
            // Fail closed: no data, no Set-Cookie.
            Err(_) => return (500, "internal error".into(), Vec::new()),
        },
    };
    let (status, body) = handler(case.route, &mut state, world);
    match world.sessions.finish(&state, status) {
        Ok(cookie) => (
            status,
            body,
            cookie.map(|c| c.to_string()).into_iter().collect(),
        ),
        Err(_) => (500, "internal error".into(), Vec::new()),
    }
}

fn seen(state: &SessionState<Data>) -> String {
    view(
        state.user_id(),
        state.data().map_or(0, |d| d.counter),
        state.cookie_error(),
    )
}

fn handler(route: Route, state: &mut SessionState<Data>, world: &World) -> (u16, String) {
    match route {
        Route::Nothing => (200, "nothing".into()),
        Route::Read => (200, seen(state)),
        Route::Change => {
            state.data_mut().counter += 1;
            (200, seen(state))
        }
        Route::User => {
            if state.user_id().is_none() {
                return (401, "sign-in required".into());
            }
            (200, seen(state))
        }
        Route::Login => {
            state.login(UserId::from(LOGIN_USER), 1, adapter_cases::data(100));
            (200, seen(state))
        }
        Route::Logout => {
            state.logout();
            (200, seen(state))
        }
        Route::Grow => {
            state.data_mut().blob = too_big();
            (200, seen(state))
        }
        Route::Preflight => {
            let previous = state.data().cloned().unwrap_or_default();
            state.data_mut().blob = too_big();
            match state.check_size(world.sessions.clock().now()) {
                Ok(()) => (200, seen(state)),
                Err(_) => {
                    *state.data_mut() = previous;
                    (413, "too large".into())
                }
            }
        }
        Route::Fail => {
            state.data_mut().counter += 1;
            (500, "failed".into())
        }
    }
}

#[test]
fn every_case_of_the_table() {
    assert!(CASES.len() >= 30);
    for case in CASES {
        let world = World::for_case(case);
        let (status, body, set_cookies) = run(&world, case);
        check(&world, case, status, &body, &set_cookies);
    }
}

#[test]
fn every_route_is_covered_by_the_table() {
    for route in Route::ALL {
        assert!(CASES.iter().any(|c| c.route == route), "{route:?}");
    }
}

#[test]
fn the_outcomes_are_what_the_table_says() {
    // The same decisions, as `Outcome`s (not only as cookies).
    let world = World::new();
    let now = world.sessions.clock().now();
    let open = |sent| {
        let header = world.cookie_header(sent);
        match world.sessions.open::<Data>(header.iter()) {
            Arrival::Ready(state) => state,
            Arrival::NeedsEpoch(pending) => {
                let current = world.epochs.lookup(pending.user_id()).unwrap();
                pending.verify(current)
            }
            Arrival::Unavailable(err) => panic!("no feed here: {err}"),
        }
    };
    assert_eq!(open(Sent::Nothing).finish(now).unwrap(), Outcome::Unchanged);
    assert_eq!(
        open(Sent::Anonymous).finish(now).unwrap(),
        Outcome::Unchanged
    );
    assert_eq!(open(Sent::Tampered).finish(now).unwrap(), Outcome::Remove);
    assert!(matches!(
        open(Sent::RetiredKey).finish(now).unwrap(),
        Outcome::Resealed(_)
    ));
    let mut state = open(Sent::Nothing);
    state.data_mut().counter = 1;
    assert!(matches!(state.finish(now).unwrap(), Outcome::Fresh(_)));
    let mut state = open(Sent::InLeeway);
    assert!(state.info().unwrap().expires_at() <= now, "past its end");
    assert_eq!(state.finish(now).unwrap(), Outcome::Unchanged);
    state.data_mut().counter = 9;
    assert_eq!(state.finish(now).unwrap(), Outcome::Remove);
    assert_eq!(state.check_size(now), Ok(()), "nothing to seal");
}

#[test]
fn finishing_twice_decides_the_same() {
    let world = World::new();
    let now = world.sessions.clock().now();
    let mut state = SessionState::<Data>::empty(&world.store());
    state.login(UserId::from(7u64), 3, adapter_cases::data(1));
    let (Outcome::Fresh(a), Outcome::Fresh(b)) =
        (state.finish(now).unwrap(), state.finish(now).unwrap())
    else {
        panic!("two fresh cookies")
    };
    assert_ne!(a.value(), b.value(), "a new nonce each time");
    assert_eq!(a.expires_at(), b.expires_at());
}

#[test]
fn a_request_keeps_the_store_it_opened_with() {
    let world = World::new();
    let header = world.cookie_header(Sent::Anonymous);
    let Arrival::Ready(mut state) = world.sessions.open::<Data>(header.iter()) else {
        panic!("anonymous")
    };
    // Keys rotate while the request runs: key 3 seals from now on.
    let mut ring = world.ring.clone();
    ring.rotate(3, sealed_session::Key::generate()).unwrap();
    world
        .sessions
        .replace(
            sealed_session::SessionStore::builder(NAME, ring)
                .idle_timeout(adapter_cases::IDLE)
                .ttl(adapter_cases::TTL)
                .clock(world.sessions.clock())
                .build()
                .unwrap(),
        )
        .unwrap();
    state.data_mut().counter += 1;
    let Outcome::Resealed(sealed) = state.finish(world.sessions.clock().now()).unwrap() else {
        panic!("re-sealed")
    };
    // Sealed with the request's store (key 2), which the new one still opens.
    assert_eq!(state.store().sealing_key_id(), 2);
    let opened = world
        .sessions
        .store()
        .open_at::<Data>(sealed.value(), world.sessions.clock().now())
        .unwrap();
    assert_eq!(opened.info().key_id(), 2);
    assert!(
        opened.info().reseal_reasons().retired_key,
        "moved to key 3 on the next request"
    );
}

#[test]
fn http2_split_cookie_fields_and_non_utf8_bytes() {
    let world = World::new();
    let header = world.cookie_header(Sent::Anonymous).unwrap();
    let valid = header.split("; ").nth(1).unwrap().to_owned();
    // Several fields, one of them with bytes that are not UTF-8.
    let fields: Vec<Vec<u8>> = vec![b"a=\xff\xfe".to_vec(), valid.into_bytes(), b"b=2".to_vec()];
    let Arrival::Ready(state) = world.sessions.open::<Data>(&fields) else {
        panic!("anonymous")
    };
    assert_eq!(state.data().map(|d| d.counter), Some(5));
    // No fields at all.
    let Arrival::Ready(state) = world.sessions.open::<Data>(Vec::<String>::new()) else {
        panic!("nothing")
    };
    assert_eq!(state.data(), None);
    assert_eq!(state.cookie_error(), None);
}

#[test]
fn logout_then_change_starts_an_anonymous_session_without_the_user() {
    let world = World::new();
    let now = world.sessions.clock().now();
    let header = world.cookie_header(Sent::User {
        user: LOGIN_USER,
        epoch: 1,
    });
    let Arrival::NeedsEpoch(pending) = world.sessions.open::<Data>(header.iter()) else {
        panic!("a user session")
    };
    let mut state = pending.verify(Some(1));
    assert!(state.had_session());
    state.logout();
    assert_eq!(state.user_id(), None);
    assert_eq!(state.data(), None);
    state.data_mut().counter = 3; // a flash message, say
    let Outcome::Fresh(sealed) = state.finish(now).unwrap() else {
        panic!("fresh")
    };
    let opened = world.store().open_at::<Data>(sealed.value(), now).unwrap();
    assert_eq!(opened.user_id(), None, "the user is gone");
}

#[test]
fn a_too_large_login_is_an_error_not_a_missing_cookie() {
    let world = World::new();
    let mut state = SessionState::<Data>::empty(&world.store());
    let mut big = adapter_cases::data(0);
    big.blob = too_big();
    state.login(UserId::from(1u64), 0, big);
    let now = world.sessions.clock().now();
    assert!(matches!(
        state.check_size(now),
        Err(SealError::TooLarge { .. })
    ));
    assert!(matches!(
        world.sessions.finish(&state, 200),
        Err(SealError::TooLarge { .. })
    ));
    // After a server error nothing is sealed, so nothing fails.
    assert_eq!(world.sessions.finish(&state, 503).unwrap(), None);
}

#[test]
fn a_session_reaching_its_end_during_the_request_is_removed() {
    // Opened a second before its idle deadline, finished a second after.
    let world = World::new();
    let store = world.store();
    let sealed = store
        .seal_at(
            &adapter_cases::data(1),
            world.sessions.clock().now() - adapter_cases::IDLE + Duration::seconds(1),
        )
        .unwrap();
    let header = format!("{NAME}={}", sealed.value());
    let Arrival::Ready(mut state) = world.sessions.open::<Data>([header]) else {
        panic!("anonymous")
    };
    state.data_mut().counter += 1;
    world.clock.advance(Duration::seconds(2));
    assert_eq!(
        state.finish(world.sessions.clock().now()).unwrap(),
        Outcome::Remove
    );
    assert_eq!(state.cookie_error(), None::<OpenError>);
}
