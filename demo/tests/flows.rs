//! The demo app end to end over real HTTP on 127.0.0.1, with reqwest clients
//! that keep cookies like browsers: sign-up, login, the counter, logout, log
//! out everywhere, tampering, expiry and key rotation.

mod common;

use common::{Browser, PASSWORD, TestApp, key_id_of};
use demo::COOKIE_NAME;
use demo::app::{IDLE, TTL};
use reqwest::StatusCode;
use sealed_session::time::Duration;
use sealed_session::{DEFAULT_LEEWAY, UserId};

async fn signed_up(app: &TestApp, name: &str) -> Browser {
    let browser = app.browser();
    let page = browser.signup(name).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.whoami().as_deref(), Some(name), "{}", page.body);
    assert_eq!(page.counter(), Some(0));
    browser
}

#[tokio::test]
async fn signup_login_and_the_counter_persists_in_the_session() {
    let app = TestApp::start().await;
    let a = signed_up(&app, "alice").await;
    let cookie = a.session_cookie().expect("a session cookie");
    for expected in 1..=3 {
        let page = a.increment().await;
        assert_eq!(page.counter(), Some(expected));
    }
    // Every counter change re-sealed the cookie.
    assert_ne!(a.session_cookie().unwrap(), cookie);
    // A plain reload keeps it.
    let page = a.get("/").await;
    assert_eq!(page.counter(), Some(3));
    assert_eq!(page.whoami().as_deref(), Some("alice"));
    assert!(page.session_set_cookie().is_none(), "nothing to re-seal");

    // Log out: cleared in this browser.
    let page = a.post("/logout", &[]).await;
    assert!(page.signed_out());
    assert!(a.session_cookie().is_none());
    let page = a.get("/").await;
    assert!(page.signed_out());

    // Wrong password, unknown user, duplicate name.
    let page = a.login("alice", "wrong password").await;
    assert!(page.signed_out());
    assert_eq!(
        page.message().as_deref(),
        Some("Wrong user name or password.")
    );
    let page = a.login("nobody", PASSWORD).await;
    assert_eq!(
        page.message().as_deref(),
        Some("Wrong user name or password.")
    );
    let page = a.signup("alice").await;
    assert_eq!(page.message().as_deref(), Some("That user name is taken."));
    let page = a
        .post("/signup", &[("username", "bob"), ("password", "short")])
        .await;
    assert_eq!(
        page.message().as_deref(),
        Some("Passwords are 8 to 1024 bytes.")
    );
    assert!(a.session_cookie().is_none());

    // Logging in again starts a fresh session: the counter lived in the old cookie.
    let page = a.login("alice", PASSWORD).await;
    assert_eq!(page.whoami().as_deref(), Some("alice"));
    assert_eq!(page.counter(), Some(0));
}

#[tokio::test]
async fn log_out_everywhere_ends_the_other_browsers_session() {
    let app = TestApp::start().await;
    let first = signed_up(&app, "bob").await;
    first.increment().await;
    let second = app.browser();
    let page = second.login("bob", PASSWORD).await;
    assert_eq!(page.whoami().as_deref(), Some("bob"));
    // Separate sessions: separate counters.
    assert_eq!(second.increment().await.counter(), Some(1));
    assert_eq!(second.increment().await.counter(), Some(2));
    assert_eq!(first.get("/").await.counter(), Some(1));
    let stolen = second.session_cookie().unwrap();

    let page = first.post("/logout-everywhere", &[]).await;
    assert!(page.signed_out());
    assert_eq!(
        page.message().as_deref(),
        Some("You are logged out everywhere: all your sessions have ended.")
    );
    assert!(first.session_cookie().is_none());

    // The second browser is logged out on its next request, and its cookie cleared.
    let page = second.get("/").await;
    assert!(page.signed_out(), "{}", page.body);
    assert!(page.removed_session_cookie(), "{:?}", page.set_cookies);
    assert!(
        page.message()
            .unwrap()
            .starts_with("You were logged out everywhere")
    );
    assert!(second.session_cookie().is_none());

    // A copy of the old cookie stays revoked, even after bob logs in again.
    // (A second later: "log out everywhere" covers every login up to its
    // time plus the leeway, so a login in its very second opens only from
    // the next one.)
    app.clock.advance(Duration::seconds(1));
    let page = second.login("bob", PASSWORD).await;
    assert_eq!(page.whoami().as_deref(), Some("bob"));
    let thief = app.browser();
    thief.set_session_cookie(&stolen);
    let page = thief.get("/").await;
    assert!(page.signed_out());
    assert!(page.removed_session_cookie());
    // Posting with it changes nothing either.
    let page = thief.increment().await;
    assert!(page.signed_out());
    assert_eq!(second.get("/").await.counter(), Some(0));
}

#[tokio::test]
async fn a_tampered_cookie_is_treated_as_logged_out_and_cleared() {
    let app = TestApp::start().await;
    let browser = signed_up(&app, "carol").await;
    browser.increment().await;
    let value = browser.session_cookie().unwrap();
    // Flip one character in the middle (in the ciphertext).
    let mut bytes = value.clone().into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    browser.set_session_cookie(&tampered);
    assert_eq!(browser.session_cookie().as_deref(), Some(tampered.as_str()));

    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.signed_out());
    assert!(page.removed_session_cookie(), "{:?}", page.set_cookies);
    let removal = page.session_set_cookie().unwrap();
    assert_eq!(removal.name(), COOKIE_NAME);
    assert_eq!(
        page.message().as_deref(),
        Some("Your session cookie was not valid, so it was cleared. Please log in again.")
    );
    assert!(browser.session_cookie().is_none());

    // Junk, a truncated value and the untouched value under a posting attempt.
    for junk in ["x", "", &value[..value.len() - 1]] {
        browser.set_session_cookie(junk);
        let page = browser.increment().await;
        assert!(page.signed_out(), "{junk}");
        assert!(browser.session_cookie().is_none(), "{junk}");
    }
    // The original value still works: tampering did not change the account.
    browser.set_session_cookie(&value);
    assert_eq!(browser.get("/").await.counter(), Some(1));
}

#[tokio::test]
async fn with_sqlite_epochs_a_cookie_for_a_missing_user_is_cleared() {
    let app = TestApp::start_with_sqlite_epochs().await;
    let store = app.sessions.store();
    let browser = app.browser();
    let ghost = store
        .seal_for_user_at(
            &UserId::from(999u64),
            0,
            &demo::SessionData::default(),
            common::t0(),
        )
        .unwrap();
    browser.set_session_cookie(ghost.value());
    let page = browser.get("/").await;
    assert!(page.signed_out());
    assert!(page.removed_session_cookie());
    // Log out everywhere bumps the epoch in this mode.
    let first = signed_up(&app, "erin").await;
    let second = app.browser();
    second.login("erin", PASSWORD).await;
    first.post("/logout-everywhere", &[]).await;
    assert!(second.get("/").await.signed_out());
    assert_eq!(app.db.user(1).await.unwrap().unwrap().epoch, 1);
}

#[tokio::test]
async fn a_visitor_counts_visits_in_an_anonymous_session() {
    let app = TestApp::start().await;
    let visitor = app.browser();
    assert_eq!(visitor.get("/").await.text("visits").as_deref(), Some("0"));
    assert!(
        visitor.session_cookie().is_none(),
        "no cookie until it is used"
    );
    for n in 1..=2 {
        let page = visitor.post("/visits", &[]).await;
        assert_eq!(page.text("visits"), Some(n.to_string()));
    }
    assert!(visitor.get("/").await.signed_out());
    // Pages that need a user refuse it.
    assert!(visitor.get("/sessions").await.signed_out());
    assert!(
        visitor.session_cookie().is_some(),
        "the visit counter stays"
    );
}

#[tokio::test]
async fn the_sessions_page_logs_out_one_device_and_a_copied_cookie_stays_out() {
    let app = TestApp::start().await;
    let laptop = signed_up(&app, "frank").await;
    let phone = app.browser();
    phone.login("frank", PASSWORD).await;
    app.clock.advance(Duration::minutes(1));

    let page = laptop.get("/sessions").await;
    assert_eq!(page.whoami().as_deref(), Some("frank"));
    assert_eq!(
        page.body.matches("class=\"active\"").count(),
        2,
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("active (this device)").count(), 1);
    // The phone's row: the one that is not this device.
    let phone_id = page
        .body
        .split("<tr id=\"session-")
        .skip(1)
        .find(|row| !row.contains("(this device)"))
        .and_then(|row| row.get(..16))
        .unwrap()
        .to_owned();

    let stolen = phone.session_cookie().unwrap();
    let page = laptop.post("/sessions/end", &[("id", &phone_id)]).await;
    assert_eq!(
        page.message().as_deref(),
        Some("That device is logged out.")
    );
    assert!(page.body.contains("logged out at"), "{}", page.body);
    // The phone is out; the laptop is not.
    let page = phone.get("/").await;
    assert!(page.signed_out());
    assert!(page.removed_session_cookie());
    assert_eq!(laptop.get("/").await.whoami().as_deref(), Some("frank"));
    // A copy of the phone's cookie stays out.
    let thief = app.browser();
    thief.set_session_cookie(&stolen);
    assert!(thief.get("/").await.signed_out());

    // Another user's session id cannot be ended from here.
    let other = signed_up(&app, "grace").await;
    let page = other.post("/sessions/end", &[("id", &phone_id)]).await;
    assert_eq!(page.message().as_deref(), Some("No such session of yours."));
    let page = other.post("/sessions/end", &[("id", "not hex")]).await;
    assert_eq!(page.message().as_deref(), Some("No such session of yours."));
}

#[tokio::test]
async fn log_out_revokes_the_session_not_only_the_browsers_cookie() {
    let app = TestApp::start().await;
    let browser = signed_up(&app, "heidi").await;
    browser.increment().await;
    let copy = browser.session_cookie().unwrap();
    assert!(browser.post("/logout", &[]).await.signed_out());
    assert!(browser.session_cookie().is_none());
    let thief = app.browser();
    thief.set_session_cookie(&copy);
    let page = thief.get("/").await;
    assert!(page.signed_out());
    assert!(page.removed_session_cookie());
    assert!(
        page.message()
            .unwrap()
            .starts_with("You were logged out everywhere (or this device was logged out)")
    );
    // The sessions page shows it logged out.
    let again = app.browser();
    again.login("heidi", PASSWORD).await;
    let page = again.get("/sessions").await;
    assert_eq!(
        page.body.matches("logged out at").count(),
        1,
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_expired_cookie_is_logged_out() {
    let app = TestApp::start().await;
    let browser = signed_up(&app, "dave").await;
    // Idle: nothing for longer than the idle timeout (plus leeway).
    app.clock
        .advance(IDLE + DEFAULT_LEEWAY + Duration::seconds(1));
    let page = browser.get("/").await;
    assert!(page.signed_out(), "{}", page.body);
    assert!(page.removed_session_cookie());
    assert_eq!(
        page.message().as_deref(),
        Some("Your session expired. Please log in again.")
    );
    assert!(browser.session_cookie().is_none());

    // Absolute: active often enough for the idle timeout, the session still
    // ends at login + TTL; re-sealing slid the idle window but never the end.
    let page = browser.login("dave", PASSWORD).await;
    assert_eq!(page.whoami().as_deref(), Some("dave"));
    let step = IDLE - Duration::hours(1);
    let mut elapsed = Duration::ZERO;
    let mut resealed = 0;
    while elapsed + step < TTL {
        app.clock.advance(step);
        elapsed += step;
        let page = browser.get("/").await;
        assert_eq!(page.whoami().as_deref(), Some("dave"), "after {elapsed}");
        if page.session_set_cookie().is_some() {
            resealed += 1;
        }
    }
    assert!(resealed > 5, "the idle window was slid by re-sealing");
    // Exactly at the absolute end the clock-skew leeway still opens it: this
    // request is served as it is, but never re-sealed...
    app.clock.advance(TTL - elapsed);
    let page = browser.get("/").await;
    assert_eq!(page.whoami().as_deref(), Some("dave"));
    assert!(page.session_set_cookie().is_none(), "never re-sealed");
    // ...and a change cannot be kept: the session ends, the cookie is removed.
    let page = browser.increment().await;
    assert!(page.signed_out());
    assert!(browser.session_cookie().is_none());
}

#[tokio::test]
async fn key_rotation_mid_run_reseals_old_cookies_under_the_new_key() {
    let mut app = TestApp::start().await;
    let browser = signed_up(&app, "erin").await;
    browser.increment().await;
    browser.increment().await;
    let before = browser.session_cookie().unwrap();
    assert_eq!(key_id_of(&before), 1);

    app.rotate(2);

    // The first request after the rotation: the old cookie opens (key 1 is
    // retired, not gone) and comes back re-sealed under key 2.
    let page = browser.get("/session").await;
    assert_eq!(page.text("user").as_deref(), Some("erin"));
    assert_eq!(page.text("key-id").as_deref(), Some("1"));
    assert_eq!(page.text("sealing-key-id").as_deref(), Some("2"));
    assert_eq!(
        page.text("resealed").as_deref(),
        Some("yes, now under key id 2")
    );
    assert!(
        page.text("reseal-reasons")
            .unwrap()
            .contains("retired key: true")
    );
    assert_eq!(page.text("counter").as_deref(), Some("2"));
    let set = page.session_set_cookie().expect("re-sealed cookie");
    assert_eq!(key_id_of(set.value()), 2);
    let after = browser.session_cookie().unwrap();
    assert_eq!(key_id_of(&after), 2);

    // Next request: already current.
    let page = browser.get("/session").await;
    assert_eq!(page.text("key-id").as_deref(), Some("2"));
    assert_eq!(
        page.text("resealed").as_deref(),
        Some("no (the cookie is current)")
    );
    assert!(page.session_set_cookie().is_none());
    // Login time and counter survived the move.
    assert_eq!(page.text("counter").as_deref(), Some("2"));
    assert_eq!(
        page.text("login-at").as_deref(),
        Some("2027-01-15T08:00:00Z")
    );

    // A browser that still holds a key-1 cookie after key 1 is removed is
    // logged out and cleared; the moved browser is fine.
    app.remove_retired(1);
    let straggler = app.browser();
    straggler.set_session_cookie(&before);
    let page = straggler.get("/").await;
    assert!(page.signed_out());
    assert!(page.removed_session_cookie());
    assert_eq!(browser.get("/").await.counter(), Some(2));
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let app = TestApp::start().await;
    let browser = signed_up(&app, "frank").await;
    let response = browser
        .client
        .post(app.url("/counter"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let same = app.base.origin().ascii_serialization();
    let response = browser
        .client
        .post(app.url("/counter"))
        .header("Origin", same)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(browser.get("/").await.counter(), Some(1));
}

#[tokio::test]
async fn the_size_cap_pages_seal_exactly_4096_bytes() {
    let app = TestApp::start().await;
    let browser = app.browser();
    let page = browser.get("/size-cap/set").await;
    assert_eq!(page.text("sealed-len").as_deref(), Some("4096"));
    assert_eq!(page.text("control-len").as_deref(), Some("4097"));
    assert!(page.text("refused").unwrap().contains("TooLarge"));
    let sealed = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("size_cap="))
        .unwrap();
    let value = sealed.split(';').next().unwrap();
    assert_eq!(value.len(), 4096 + 1, "name=value with the '='");
    let page = browser.get("/size-cap/check").await;
    assert_eq!(
        page.text("sealed-received").as_deref(),
        Some("yes, 4096 bytes")
    );
    assert_eq!(page.text("sealed-opened").as_deref(), Some("yes"));
}
