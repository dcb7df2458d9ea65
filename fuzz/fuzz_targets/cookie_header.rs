//! Arbitrary `Cookie` header fields through `Sessions::open` and `finish`:
//! split fields (HTTP/2), duplicates, junk, non-UTF-8 bytes. Asserts:
//!
//! - no panic, whatever the bytes;
//! - bounded work: the bytes handed to AEAD opens stay within a small
//!   multiple of the header's own length (every byte decrypted at most once,
//!   no AEAD work for a value that cannot be ours);
//! - the tossing rule: when the victim's and the attacker's authentic
//!   cookies both come (planted among the junk by the first byte's flags),
//!   no session is served and no removal cookie is sent, whatever the
//!   handler does (read or log out); with only the victim's, she is served.
//!
//! Input: byte 0 = flags (bit 0: the victim's cookie, bit 1: the attacker's,
//! bit 2: log out in the handler), byte 1 and 2 = the field index where
//! each is inserted; the rest, split at 0xff, are the junk fields.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sealed_session::__backend::opened_bytes;
use sealed_session::cookie::{CookieOptions, MAX_HEADER_PAIRS};
use sealed_session::engine::Arrival;
use sealed_session::time::OffsetDateTime;
use sealed_session::{Clock, Key, KeyRing, OpenError, SessionStore, Sessions, UserId};

const NAME: &str = "__Host-s";

struct World {
    sessions: Sessions,
    victim: String,
    attacker: String,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let (clock, _hand) = Clock::manual(t0);
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .clock(clock)
        .build()
        .unwrap();
    let seal = |user: u64| {
        let value = store
            .seal_for_user_at(&UserId::from(user), 0, &(), t0)
            .unwrap()
            .into_value();
        format!("{NAME}={value}")
    };
    World {
        victim: seal(42),
        attacker: seal(666),
        sessions: Sessions::new(store, CookieOptions::new()).unwrap(),
    }
});

fuzz_target!(|data: &[u8]| {
    let world = &*WORLD;
    let [flags, at_victim, at_attacker, rest @ ..] = data else {
        return;
    };
    let mut fields: Vec<Vec<u8>> = rest.split(|b| *b == 0xff).map(<[u8]>::to_vec).collect();
    let victim = flags & 1 != 0;
    let attacker = flags & 2 != 0;
    let logout = flags & 4 != 0;
    if victim {
        let at = usize::from(*at_victim) % (fields.len() + 1);
        fields.insert(at, world.victim.clone().into_bytes());
    }
    if attacker {
        let at = usize::from(*at_attacker) % (fields.len() + 1);
        fields.insert(at, world.attacker.clone().into_bytes());
    }
    // Our cookies count only if they sit within the pairs the engine reads.
    let planted_within_limit = {
        let mut pairs = 0usize;
        let mut ok = true;
        for field in &fields {
            let is_ours = *field == world.victim.as_bytes() || *field == world.attacker.as_bytes();
            if is_ours && pairs + 1 >= MAX_HEADER_PAIRS {
                ok = false;
            }
            pairs += 1 + field.iter().filter(|b| **b == b';').count();
        }
        ok
    };
    let header_len: usize = fields.iter().map(|f| f.len() + 2).sum();

    let before = opened_bytes();
    let opening = world.sessions.open::<()>(fields.iter());
    let work = opened_bytes() - before;
    assert!(
        work <= 3 * header_len as u64 + 64,
        "{work} bytes of AEAD work for a {header_len}-byte header"
    );

    let mut state = match opening {
        Arrival::Ready(state) => state,
        Arrival::NeedsEpoch(pending) => pending.verify(Some(0)),
        Arrival::Unavailable(err) => panic!("no revocation set, yet unavailable: {err}"),
    };
    if planted_within_limit {
        if victim && attacker {
            assert_eq!(state.user_id(), None, "tossing: nobody is signed in");
            assert_eq!(state.cookie_error(), Some(OpenError::Ambiguous));
        } else if victim {
            assert_eq!(state.user_id(), Some(&UserId::from(42u64)));
        } else if attacker {
            assert_eq!(state.user_id(), Some(&UserId::from(666u64)));
        }
    }
    if logout {
        state.logout();
    }
    let set_cookie = world.sessions.finish(&state, 200).expect("nothing to seal");
    if planted_within_limit && victim && attacker {
        assert!(
            set_cookie.is_none(),
            "tossing: the victim's cookie is never removed: {set_cookie:?}"
        );
    }
});
