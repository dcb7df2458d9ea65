//! The one list of session cases that the engine (tests/engine.rs), the
//! axum layer (`axum_layer.rs`) and the actix-web middleware
//! (`actix_middleware.rs`) all run, so the three cannot drift.
//!
//! A case is: what the browser sends, which route runs (what the handler
//! does with the session), and what comes back: the status, what the
//! handler saw, and the `Set-Cookie` outcome (checked by opening the new
//! cookie: user, counter, login time, deadlines, key id; or the removal
//! cookie's attributes).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use sealed_session::cookie::{Cookie, CookieOptions, SameSite};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    Clock, FeedOptions, Key, KeyRing, ManualClock, OpenError, Opened, Revocation, RevocationSet,
    SessionInfo, SessionStore, Sessions, UserId,
};
use serde::{Deserialize, Serialize};

/// Not `__Host-`: the options carry a Domain, so the removal cookie must
/// repeat it (and Path, Secure, HttpOnly, SameSite).
pub const NAME: &str = "sid";
pub const TTL: Duration = Duration::hours(8);
pub const IDLE: Duration = Duration::hours(1);
pub const LEEWAY: Duration = Duration::seconds(60);
/// The user whose epoch lookup fails (the database is down).
pub const BROKEN_USER: u64 = 13;
/// The user `/login` logs in, and their current epoch.
pub const LOGIN_USER: u64 = 42;
pub const CURRENT_EPOCH: u64 = 1;

pub fn options() -> CookieOptions {
    // A `Domain` cookie (so the table checks every attribute), and so not
    // `__Host-`: the loud opt-out. It is also what cookie tossing needs.
    CookieOptions::new()
        .domain("app.example")
        .same_site(SameSite::Strict)
        .dangerously_allow_unprefixed_name()
}

/// Every request of a case runs at the suite's one test time.
pub use crate::common::t0;

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
pub struct Data {
    pub counter: u64,
    pub blob: Vec<u8>,
}

pub fn data(counter: u64) -> Data {
    Data {
        counter,
        blob: Vec::new(),
    }
}

/// What the handler does with the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Never asks for the session.
    Nothing,
    /// `SessionHandle`: reads it.
    Read,
    /// `SessionHandle`: counter += 1.
    Change,
    /// `UserSession`: reads it (401 without a verified user).
    User,
    /// `SessionHandle`: `login(LOGIN_USER, CURRENT_EPOCH, data(100))`.
    Login,
    /// `SessionHandle`: `logout()`.
    Logout,
    /// `SessionHandle`: grows the session past the cookie limit.
    Grow,
    /// `SessionHandle`: grows it, sees `check_size` fail, puts the old data
    /// back and answers 413.
    Preflight,
    /// `SessionHandle`: counter += 1, then answers 500.
    Fail,
}

impl Route {
    pub const ALL: [Route; 9] = [
        Route::Nothing,
        Route::Read,
        Route::Change,
        Route::User,
        Route::Login,
        Route::Logout,
        Route::Grow,
        Route::Preflight,
        Route::Fail,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Route::Nothing => "/nothing",
            Route::Read => "/read",
            Route::Change => "/change",
            Route::User => "/user",
            Route::Login => "/login",
            Route::Logout => "/logout",
            Route::Grow => "/grow",
            Route::Preflight => "/preflight",
            Route::Fail => "/fail",
        }
    }
}

/// The body a handler answers with: what it saw of the session.
pub fn view(user: Option<&UserId>, counter: u64, error: Option<OpenError>) -> String {
    let user = user.map_or_else(|| "-".to_owned(), ToString::to_string);
    let error = match error {
        None => "-",
        Some(OpenError::Invalid) => "invalid",
        Some(OpenError::Expired) => "expired",
        Some(OpenError::IdleExpired) => "idle-expired",
        Some(OpenError::NotYetValid) => "not-yet-valid",
        Some(OpenError::Revoked) => "revoked",
        Some(OpenError::Decode) => "decode",
        Some(OpenError::Ambiguous) => "ambiguous",
        Some(_) => "other",
    };
    format!("user={user} counter={counter} error={error}")
}

/// A payload that does not fit a 4096-byte cookie.
pub fn too_big() -> Vec<u8> {
    (0..5000u32).map(|i| (i % 251) as u8).collect()
}

/// What the browser sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Nothing,
    /// An anonymous session, counter 5.
    Anonymous,
    /// A session of `user` sealed at `epoch`, counter 5.
    User {
        user: u64,
        epoch: u64,
    },
    Tampered,
    /// Past its absolute end by more than the leeway.
    Expired,
    /// Unused for longer than the idle timeout plus the leeway.
    IdleExpired,
    /// A user session 30 s past its absolute end: open only thanks to the
    /// leeway.
    InLeeway,
    /// Sealed under the retired key 1 (key 2 seals now).
    RetiredKey,
    /// A user session sealed 40 minutes ago (idle timeout one hour).
    IdleHalfUsed,
    /// Sealed when the lifetime was a day (now eight hours).
    PolicyTightened,
    /// Junk with the session's name first, the valid anonymous cookie after.
    Several,
    /// Two different authentic cookies with the session's name (one planted
    /// by a sibling subdomain: cookie tossing).
    Ambiguous,
    /// An anonymous session (counter 5) whose session id is in the
    /// revocation set (logged out elsewhere; this is a copy).
    RevokedSession,
    /// A session of the login user sealed 5 minutes ago, whose user was
    /// logged out everywhere a minute ago (a user entry in the set).
    RevokedUser,
    /// A current user session, while the revocation feed has not confirmed
    /// it is caught up (Redis down for longer than the bound).
    StaleUser,
    /// An anonymous session (counter 5), while the feed is stale.
    StaleAnonymous,
    /// A user session logged in 40 minutes ago (the idle window half used:
    /// a re-seal is due) whose cookie is as large as the cap allows: the
    /// re-seal's longer login-age varint no longer fits.
    HintTooLarge,
    /// A user session issued past the leeway in this server's future (a
    /// login sealed just past a "log out everywhere", or a clock far ahead).
    Future,
}

/// How the `Set-Cookie` for the session cookie must look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// No `Set-Cookie` for the session.
    NoCookie,
    /// The removal cookie, with the session cookie's attributes.
    Removal,
    /// The request's session re-sealed: same user and login time, deadline
    /// not stretched, current key, this counter.
    Resealed { counter: u64 },
    /// A new session: login time now, this user and counter.
    Fresh { user: Option<u64>, counter: u64 },
}

#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub name: &'static str,
    pub sent: Sent,
    pub route: Route,
    pub status: u16,
    /// The handler's body, `None` where the handler does not run.
    pub body: Option<&'static str>,
    pub expect: Expect,
}

const fn case(
    name: &'static str,
    sent: Sent,
    route: Route,
    status: u16,
    body: Option<&'static str>,
    expect: Expect,
) -> Case {
    Case {
        name,
        sent,
        route,
        status,
        body,
        expect,
    }
}

const CURRENT: Sent = Sent::User {
    user: LOGIN_USER,
    epoch: CURRENT_EPOCH,
};
const STALE: Sent = Sent::User {
    user: LOGIN_USER,
    epoch: 0,
};
const UNKNOWN: Sent = Sent::User { user: 99, epoch: 0 };
const BROKEN: Sent = Sent::User {
    user: BROKEN_USER,
    epoch: 0,
};

const ANON_5: Option<&str> = Some("user=- counter=5 error=-");
const USER_5: Option<&str> = Some("user=42 counter=5 error=-");
const NONE_0: Option<&str> = Some("user=- counter=0 error=-");

/// Every case, each with its expected outcome.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    // no cookie
    case("no cookie, read", Sent::Nothing, Route::Read, 200, NONE_0, Expect::NoCookie),
    case("no cookie, nothing", Sent::Nothing, Route::Nothing, 200, Some("nothing"), Expect::NoCookie),
    case("no cookie, changed", Sent::Nothing, Route::Change, 200, Some("user=- counter=1 error=-"),
        Expect::Fresh { user: None, counter: 1 }),
    case("no cookie, user required", Sent::Nothing, Route::User, 401, None, Expect::NoCookie),
    // valid anonymous
    case("valid anonymous, read", Sent::Anonymous, Route::Read, 200, ANON_5, Expect::NoCookie),
    case("valid anonymous, changed", Sent::Anonymous, Route::Change, 200, Some("user=- counter=6 error=-"),
        Expect::Resealed { counter: 6 }),
    case("valid anonymous, user required", Sent::Anonymous, Route::User, 401, None, Expect::NoCookie),
    // valid user, current epoch
    case("current epoch, read", CURRENT, Route::Read, 200, USER_5, Expect::NoCookie),
    case("current epoch, unchanged user route", CURRENT, Route::User, 200, USER_5, Expect::NoCookie),
    case("current epoch, changed", CURRENT, Route::Change, 200, Some("user=42 counter=6 error=-"),
        Expect::Resealed { counter: 6 }),
    case("current epoch, nothing", CURRENT, Route::Nothing, 200, Some("nothing"), Expect::NoCookie),
    // revoked
    case("stale epoch, read", STALE, Route::Read, 200, Some("user=- counter=0 error=revoked"), Expect::Removal),
    case("stale epoch, user required", STALE, Route::User, 401, None, Expect::Removal),
    case("stale epoch, changed", STALE, Route::Change, 200, Some("user=- counter=1 error=revoked"),
        Expect::Fresh { user: None, counter: 1 }),
    case("unknown user, read", UNKNOWN, Route::Read, 200, Some("user=- counter=0 error=revoked"), Expect::Removal),
    // epoch source down: fail closed, leave the cookie alone
    case("epoch source error, read", BROKEN, Route::Read, 500, None, Expect::NoCookie),
    case("epoch source error, user required", BROKEN, Route::User, 500, None, Expect::NoCookie),
    // did not open
    case("tampered, read", Sent::Tampered, Route::Read, 200, Some("user=- counter=0 error=invalid"), Expect::Removal),
    case("tampered, nothing", Sent::Tampered, Route::Nothing, 200, Some("nothing"), Expect::NoCookie),
    case("tampered, changed", Sent::Tampered, Route::Change, 200, Some("user=- counter=1 error=invalid"),
        Expect::Fresh { user: None, counter: 1 }),
    case("expired, read", Sent::Expired, Route::Read, 200, Some("user=- counter=0 error=expired"), Expect::Removal),
    case("idle-expired, read", Sent::IdleExpired, Route::Read, 200, Some("user=- counter=0 error=idle-expired"),
        Expect::Removal),
    // the leeway: served, never re-sealed; a change ends the session
    case("in the leeway past the end, read", Sent::InLeeway, Route::Read, 200, USER_5, Expect::NoCookie),
    case("in the leeway past the end, changed", Sent::InLeeway, Route::Change, 200,
        Some("user=42 counter=6 error=-"), Expect::Removal),
    // rolling re-seals on reads
    case("retired key, read", Sent::RetiredKey, Route::Read, 200, ANON_5, Expect::Resealed { counter: 5 }),
    case("idle window half used, read", Sent::IdleHalfUsed, Route::Read, 200, USER_5,
        Expect::Resealed { counter: 5 }),
    case("policy tightened, read", Sent::PolicyTightened, Route::Read, 200, ANON_5,
        Expect::Resealed { counter: 5 }),
    // login and logout
    case("login, no cookie", Sent::Nothing, Route::Login, 200, Some("user=42 counter=100 error=-"),
        Expect::Fresh { user: Some(LOGIN_USER), counter: 100 }),
    case("login over a valid session", CURRENT, Route::Login, 200, Some("user=42 counter=100 error=-"),
        Expect::Fresh { user: Some(LOGIN_USER), counter: 100 }),
    case("login over a revoked session", STALE, Route::Login, 200, Some("user=42 counter=100 error=revoked"),
        Expect::Fresh { user: Some(LOGIN_USER), counter: 100 }),
    case("logout", CURRENT, Route::Logout, 200, Some("user=- counter=0 error=-"), Expect::Removal),
    case("logout without a cookie", Sent::Nothing, Route::Logout, 200, NONE_0, Expect::Removal),
    // the size cap
    case("too large", Sent::Anonymous, Route::Grow, 500, None, Expect::NoCookie),
    case("too large, pre-flight", Sent::Anonymous, Route::Preflight, 413, Some("too large"),
        Expect::Resealed { counter: 5 }),
    // 5xx from the handler: nothing kept, removals still sent
    case("server error, changed", Sent::Anonymous, Route::Fail, 500, Some("failed"), Expect::NoCookie),
    case("server error, tampered", Sent::Tampered, Route::Fail, 500, Some("failed"), Expect::Removal),
    // several cookies with the name
    case("several cookies with the name", Sent::Several, Route::Read, 200, ANON_5, Expect::NoCookie),
    // Cookie tossing: no session, and neither cookie removed (the host-only
    // removal would delete the victim's own and leave the planted one).
    case("ambiguous: two authentic cookies with the name", Sent::Ambiguous, Route::Read, 200,
        Some("user=- counter=0 error=ambiguous"), Expect::NoCookie),
    case("ambiguous, user required", Sent::Ambiguous, Route::User, 401, None, Expect::NoCookie),
    case("ambiguous, logout", Sent::Ambiguous, Route::Logout, 200, Some("user=- counter=0 error=ambiguous"),
        Expect::NoCookie),
    case("ambiguous, changed", Sent::Ambiguous, Route::Change, 200, Some("user=- counter=1 error=ambiguous"),
        Expect::Fresh { user: None, counter: 1 }),
    // a re-seal only a hint asked for that no longer fits: served unchanged
    case("re-seal due but too large, read", Sent::HintTooLarge, Route::Read, 200,
        Some("user=42 counter=5 error=-"), Expect::NoCookie),
    case("re-seal due but too large, changed", Sent::HintTooLarge, Route::Change, 500, None,
        Expect::NoCookie),
    // issued ahead of this clock: not served, and kept (it opens later)
    case("issued in the future, read", Sent::Future, Route::Read, 200,
        Some("user=- counter=0 error=not-yet-valid"), Expect::NoCookie),
    // an anonymous logout drops the cookie and adds no revocation entry
    case("anonymous logout", Sent::Anonymous, Route::Logout, 200, NONE_0, Expect::Removal),
    // the revocation set: checked before the epoch, answered like a revoked epoch
    case("revoked session id, read", Sent::RevokedSession, Route::Read, 200,
        Some("user=- counter=0 error=revoked"), Expect::Removal),
    case("revoked session id, changed", Sent::RevokedSession, Route::Change, 200,
        Some("user=- counter=1 error=revoked"), Expect::Fresh { user: None, counter: 1 }),
    case("revoked user (logged out everywhere), read", Sent::RevokedUser, Route::Read, 200,
        Some("user=- counter=0 error=revoked"), Expect::Removal),
    case("revoked user, user required", Sent::RevokedUser, Route::User, 401, None, Expect::Removal),
    case("revoked user logs in again", Sent::RevokedUser, Route::Login, 200,
        Some("user=42 counter=100 error=revoked"), Expect::Fresh { user: Some(LOGIN_USER), counter: 100 }),
    // a stale feed: user sessions fail closed (503, cookie kept), anonymous ones work
    case("stale revocations, user session read", Sent::StaleUser, Route::Read, 503, None, Expect::NoCookie),
    case("stale revocations, user required", Sent::StaleUser, Route::User, 503, None, Expect::NoCookie),
    case("stale revocations, anonymous read", Sent::StaleAnonymous, Route::Read, 200, ANON_5,
        Expect::NoCookie),
    case("stale revocations, anonymous changed", Sent::StaleAnonymous, Route::Change, 200,
        Some("user=- counter=6 error=-"), Expect::Resealed { counter: 6 }),
    case("stale revocations, login", Sent::StaleAnonymous, Route::Login, 200,
        Some("user=42 counter=100 error=-"), Expect::Fresh { user: Some(LOGIN_USER), counter: 100 }),
];

/// How many session entries the revocation set holds after the case: the
/// planted one, plus the session a logout ended (or a login replaced a user
/// session): `logout()` revokes the session, not just the browser's cookie.
pub fn session_entries_after(case: &Case) -> usize {
    let planted = usize::from(case.sent == Sent::RevokedSession);
    let ended = match (case.route, case.sent) {
        (Route::Logout | Route::Login, s) if s == CURRENT => 1,
        _ => 0,
    };
    planted + ended
}

/// One case's keys, stores, clock and epochs.
pub struct World {
    /// Key 1 (retired) and key 2 (sealing).
    pub ring: KeyRing,
    pub sessions: Sessions,
    pub clock: ManualClock,
    /// The sessions' revocation set, fed by a feed this world drives.
    pub revocations: RevocationSet,
    /// Users 42 (epoch 1) and 13 (whose lookup fails).
    pub epochs: sealed_session_epochs::Epochs,
}

/// Epochs in a plain map, so the engine test needs no adapter feature.
pub mod sealed_session_epochs {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use sealed_session::UserId;

    #[derive(Clone, Default)]
    pub struct Epochs(pub Arc<Mutex<HashMap<UserId, u64>>>);

    impl Epochs {
        /// `Err` for the broken user, like a database that is down.
        pub fn lookup(&self, user: &UserId) -> Result<Option<u64>, String> {
            if user.as_u64() == Some(super::BROKEN_USER) {
                return Err("database unavailable".into());
            }
            Ok(self.0.lock().unwrap().get(user).copied())
        }

        pub fn set(&self, user: UserId, epoch: u64) {
            self.0.lock().unwrap().insert(user, epoch);
        }

        pub fn bump(&self, user: &UserId) {
            if let Some(e) = self.0.lock().unwrap().get_mut(user) {
                *e += 1;
            }
        }
    }
}

fn varied_key(seed: u8) -> Key {
    // Varied bytes (never a placeholder), fixed so cases are reproducible.
    let bytes: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(7).wrapping_add(seed))
        .collect();
    Key::from_bytes(&bytes).unwrap()
}

impl World {
    /// A world whose revocation feed is caught up.
    pub fn new() -> World {
        World::with_feed(true)
    }

    /// The world a case runs in: its revocation feed caught up, except for
    /// the stale cases.
    pub fn for_case(case: &Case) -> World {
        World::with_feed(!matches!(case.sent, Sent::StaleUser | Sent::StaleAnonymous))
    }

    fn with_feed(fresh: bool) -> World {
        let mut ring = KeyRing::new(1, varied_key(11));
        ring.rotate(2, varied_key(99)).unwrap();
        let (clock, hand) = Clock::manual(t0());
        let store = World::store_with(&ring, TTL, clock);
        let revocations = RevocationSet::new(&store);
        // A bound of an hour: a slow machine never makes a case stale.
        let feed = revocations
            .attach_feed(
                FeedOptions::default().staleness_bound(std::time::Duration::from_secs(3600)),
                |_| {},
            )
            .unwrap();
        if fresh {
            feed.confirm(std::time::Instant::now());
        }
        let sessions = Sessions::new(store, options())
            .unwrap()
            .with_revocations(revocations.clone());
        let epochs = sealed_session_epochs::Epochs::default();
        epochs.set(UserId::from(LOGIN_USER), CURRENT_EPOCH);
        epochs.set(UserId::from(BROKEN_USER), 0);
        World {
            ring,
            sessions,
            clock: hand,
            revocations,
            epochs,
        }
    }

    fn store_with(ring: &KeyRing, ttl: Duration, clock: Clock) -> SessionStore {
        SessionStore::builder(NAME, ring.clone())
            .ttl(ttl)
            .idle_timeout(IDLE)
            .leeway(LEEWAY)
            .clock(clock)
            .build()
            .unwrap()
    }

    pub fn store(&self) -> SessionStore {
        self.sessions.store()
    }

    /// A store that seals with key 1, as before the rotation.
    fn old_store(&self) -> SessionStore {
        let mut ring = KeyRing::new(1, varied_key(11));
        ring.add_retired(2, varied_key(99)).unwrap();
        World::store_with(&ring, TTL, self.sessions.clock())
    }

    /// The `Cookie` header the browser sends, if any.
    pub fn cookie_header(&self, sent: Sent) -> Option<String> {
        let store = self.store();
        let now = t0();
        let value = match sent {
            Sent::Nothing => return None,
            Sent::Anonymous => store
                .seal_at(&data(5), now - Duration::minutes(5))
                .unwrap()
                .into_value(),
            Sent::User { user, epoch } => store
                .seal_for_user_at(
                    &UserId::from(user),
                    epoch,
                    &data(5),
                    now - Duration::minutes(5),
                )
                .unwrap()
                .into_value(),
            Sent::Tampered => {
                let value = store.seal_at(&data(5), now).unwrap().into_value();
                let mut bytes = value.into_bytes();
                let i = bytes.len() / 2;
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                String::from_utf8(bytes).unwrap()
            }
            Sent::Expired => self.resealed_user(now - TTL - Duration::minutes(2)),
            Sent::IdleExpired => store
                .seal_at(&data(5), now - IDLE - LEEWAY - Duration::seconds(1))
                .unwrap()
                .into_value(),
            Sent::InLeeway => self.resealed_user(now - TTL - Duration::seconds(30)),
            Sent::RetiredKey => self
                .old_store()
                .seal_at(&data(5), now - Duration::minutes(5))
                .unwrap()
                .into_value(),
            Sent::IdleHalfUsed => store
                .seal_for_user_at(
                    &UserId::from(LOGIN_USER),
                    CURRENT_EPOCH,
                    &data(5),
                    now - Duration::minutes(40),
                )
                .unwrap()
                .into_value(),
            // Sealed under a one-day lifetime; the store now says eight hours.
            Sent::PolicyTightened => {
                World::store_with(&self.ring, Duration::days(1), self.sessions.clock())
                    .seal_at(&data(5), now - Duration::minutes(5))
                    .unwrap()
                    .into_value()
            }
            Sent::Ambiguous => {
                let mine = store
                    .seal_for_user_at(&UserId::from(LOGIN_USER), CURRENT_EPOCH, &data(5), now)
                    .unwrap();
                let planted = store.seal_at(&data(0), now).unwrap();
                return Some(format!(
                    "{NAME}={}; {NAME}={}",
                    planted.value(),
                    mine.value()
                ));
            }
            Sent::RevokedSession => {
                let sealed = store.seal_at(&data(5), now - Duration::minutes(5)).unwrap();
                let opened = store.open_at::<Data>(sealed.value(), now).unwrap();
                self.revocations
                    .revoke(Revocation::of_session(opened.info()));
                sealed.into_value()
            }
            Sent::RevokedUser => {
                let user = UserId::from(LOGIN_USER);
                let sealed = store
                    .seal_for_user_at(&user, CURRENT_EPOCH, &data(5), now - Duration::minutes(5))
                    .unwrap();
                self.revocations.revoke_at(
                    Revocation::User {
                        user,
                        logged_in_until: now - Duration::minutes(1),
                    },
                    now,
                );
                sealed.into_value()
            }
            Sent::HintTooLarge => self.largest_user_cookie(now - Duration::minutes(40)),
            Sent::Future => store
                .seal_for_user_at(
                    &UserId::from(LOGIN_USER),
                    CURRENT_EPOCH,
                    &data(5),
                    now + LEEWAY + Duration::seconds(1),
                )
                .unwrap()
                .into_value(),
            Sent::StaleUser => return self.cookie_header(CURRENT),
            Sent::StaleAnonymous => return self.cookie_header(Sent::Anonymous),
            Sent::Several => {
                let valid = store.seal_at(&data(5), now - Duration::minutes(5)).unwrap();
                return Some(format!("{NAME}=junk; lang=en; {NAME}={}", valid.value()));
            }
        };
        Some(format!("lang=en; {NAME}={value}"))
    }

    /// A fresh login at `login` whose blob is as long as the cap allows (one
    /// more byte would not fit).
    fn largest_user_cookie(&self, login: OffsetDateTime) -> String {
        let store = self.store();
        let seal = |len: usize| {
            let data = Data {
                counter: 5,
                blob: vec![7; len],
            };
            store.seal_for_user_at(&UserId::from(LOGIN_USER), CURRENT_EPOCH, &data, login)
        };
        let mut len = 0;
        while seal(len + 1).is_ok() {
            len += 1;
        }
        seal(len).unwrap().into_value()
    }

    /// A user session logged in at `login`, kept alive by a request every
    /// 50 minutes, last re-sealed 30 minutes ago.
    fn resealed_user(&self, login: OffsetDateTime) -> String {
        let store = self.store();
        let mut cookie = store
            .seal_for_user_at(&UserId::from(LOGIN_USER), CURRENT_EPOCH, &data(5), login)
            .unwrap();
        let last = t0() - Duration::minutes(30);
        let mut at = login;
        while at < last {
            at = (at + Duration::minutes(50)).min(last);
            let Opened::User(pending) = store.open_at::<Data>(cookie.value(), at).unwrap() else {
                panic!("a user session")
            };
            let session = pending.verify_epoch(CURRENT_EPOCH).unwrap();
            cookie = store.reseal_at(&session, at).unwrap();
        }
        cookie.into_value()
    }

    /// What the sent cookie was, opened at `t0` (for the re-seal checks).
    fn sent_info(&self, sent: Sent) -> Option<SessionInfo> {
        let header = self.cookie_header(sent)?;
        let value = header
            .split("; ")
            .filter_map(|pair| pair.strip_prefix("sid="))
            .last()?
            .to_owned();
        let opened = self.store().open_at::<Data>(&value, t0()).ok()?;
        Some(*opened.info())
    }
}

/// Checks one case's response: `status`, the handler's `body`, and the
/// `Set-Cookie` header fields (all of them; only the session's count).
/// A response's caching headers, as sent.
pub struct Cache {
    pub cache_control: Vec<String>,
    pub vary: Vec<String>,
}

/// A response that depends on the session (every route that asks for it)
/// or sets the cookie is `Cache-Control: private` with `Vary: Cookie`; one
/// that never asked for the session is left alone.
pub fn check_cache(case: &Case, cache: &Cache) {
    let name = case.name;
    if case.route == Route::Nothing {
        assert!(
            cache.cache_control.is_empty(),
            "{name}: {:?}",
            cache.cache_control
        );
        assert!(cache.vary.is_empty(), "{name}: {:?}", cache.vary);
        return;
    }
    assert_eq!(cache.cache_control, ["private"], "{name}: Cache-Control");
    assert_eq!(cache.vary, ["Cookie"], "{name}: Vary");
}

pub fn check(world: &World, case: &Case, status: u16, body: &str, set_cookies: &[String]) {
    let name = case.name;
    assert_eq!(status, case.status, "{name}: status (body {body:?})");
    assert_eq!(
        world.revocations.stats().session_entries,
        session_entries_after(case),
        "{name}: sessions revoked"
    );
    if let Some(expected) = case.body {
        assert_eq!(body, expected, "{name}: what the handler saw");
    }
    let ours: Vec<Cookie<'static>> = set_cookies
        .iter()
        .map(|v| Cookie::parse(v.clone()).unwrap())
        .filter(|c| c.name() == NAME)
        .collect();
    let store = world.store();
    let now = world.sessions.clock().now();
    match case.expect {
        Expect::NoCookie => assert!(
            ours.is_empty(),
            "{name}: expected no Set-Cookie, got {set_cookies:?}"
        ),
        Expect::Removal => {
            assert_eq!(
                ours.len(),
                1,
                "{name}: one removal cookie, got {set_cookies:?}"
            );
            check_removal(name, &ours[0]);
        }
        Expect::Resealed { counter } => {
            assert_eq!(
                ours.len(),
                1,
                "{name}: one re-sealed cookie, got {set_cookies:?}"
            );
            let cookie = &ours[0];
            check_attributes(name, cookie);
            let before = world.sent_info(case.sent).expect("the sent cookie opened");
            let opened = store.open_at::<Data>(cookie.value(), now).unwrap();
            let info = *opened.info();
            assert_eq!(info.key_id(), store.sealing_key_id(), "{name}: current key");
            assert_eq!(
                info.login_at(),
                before.login_at(),
                "{name}: same login time"
            );
            assert!(
                info.expires_at() <= before.expires_at(),
                "{name}: deadline never stretched"
            );
            assert_eq!(
                info.expires_at(),
                before.login_at() + TTL.min(store.ttl()),
                "{name}: absolute end"
            );
            assert_eq!(info.issued_at(), now, "{name}: sealed now");
            assert_eq!(
                info.idle_deadline(),
                Some((now + IDLE).min(info.expires_at())),
                "{name}: idle window slid"
            );
            let max_age = cookie.max_age().unwrap();
            assert_eq!(
                now + max_age,
                (now + IDLE).min(info.expires_at()),
                "{name}: Max-Age"
            );
            let (user, data) = match opened {
                Opened::Anonymous(s) => (None, s.into_data()),
                Opened::User(u) => (
                    Some(u.user_id().clone()),
                    u.dangerously_skip_epoch_check().into_data(),
                ),
            };
            let sent_user = match case.sent {
                Sent::User { user, .. } => Some(UserId::from(user)),
                Sent::InLeeway | Sent::IdleHalfUsed | Sent::Expired => {
                    Some(UserId::from(LOGIN_USER))
                }
                _ => None,
            };
            assert_eq!(user, sent_user, "{name}: same user");
            assert_eq!(data.counter, counter, "{name}: counter");
        }
        Expect::Fresh { user, counter } => {
            assert_eq!(
                ours.len(),
                1,
                "{name}: one fresh cookie, got {set_cookies:?}"
            );
            let cookie = &ours[0];
            check_attributes(name, cookie);
            let opened = store.open_at::<Data>(cookie.value(), now).unwrap();
            let info = *opened.info();
            assert_eq!(info.login_at(), now, "{name}: a new login time");
            assert_eq!(info.expires_at(), now + TTL, "{name}: a full lifetime");
            assert_eq!(info.key_id(), store.sealing_key_id(), "{name}: current key");
            let (got_user, data) = match opened {
                Opened::Anonymous(s) => (None, s.into_data()),
                Opened::User(u) => {
                    assert_eq!(
                        u.clone().verify_epoch(CURRENT_EPOCH).map(drop),
                        Ok(()),
                        "{name}: epoch"
                    );
                    (
                        u.user_id().as_u64(),
                        u.dangerously_skip_epoch_check().into_data(),
                    )
                }
            };
            assert_eq!(got_user, user, "{name}: user");
            assert_eq!(data.counter, counter, "{name}: counter");
        }
    }
}

fn check_attributes(name: &str, cookie: &Cookie<'_>) {
    assert_eq!(cookie.path(), Some("/"), "{name}: Path");
    assert_eq!(cookie.domain(), Some("app.example"), "{name}: Domain");
    assert_eq!(cookie.secure(), Some(true), "{name}: Secure");
    assert_eq!(cookie.http_only(), Some(true), "{name}: HttpOnly");
    assert_eq!(
        cookie.same_site(),
        Some(SameSite::Strict),
        "{name}: SameSite"
    );
}

fn check_removal(name: &str, cookie: &Cookie<'_>) {
    assert_eq!(cookie.value(), "", "{name}: removal value");
    assert_eq!(
        cookie.max_age(),
        Some(Duration::ZERO),
        "{name}: removal Max-Age"
    );
    assert_eq!(
        cookie.expires_datetime(),
        Some(OffsetDateTime::UNIX_EPOCH),
        "{name}: removal Expires"
    );
    check_attributes(name, cookie);
}
