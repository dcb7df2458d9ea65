//! Many parallel requests for one user through the axum layer, on a
//! multi-threaded runtime, while the user's epoch is bumped and the keys
//! rotate: no request sees the session after its epoch check failed, every
//! answer is one of the expected ones, and nothing panics.
#![cfg(feature = "axum")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::BodyExt as _;
use sealed_session::axum::SessionLayer;
use sealed_session::cookie::{Cookie, CookieOptions};
use sealed_session::{Key, KeyRing, SessionStore, Sessions, UserId, UserSession};
use serde::{Deserialize, Serialize};
use tower::ServiceExt as _;

const NAME: &str = "__Host-session";
const USER: u64 = 7;

#[derive(Serialize, Deserialize, Default, Clone)]
struct Data {
    /// The epoch the cookie was sealed at, also kept in the data.
    sealed_at_epoch: u64,
    hits: u64,
}

/// Reads the session (and writes it, every other request).
async fn hit(user: UserSession<Data>) -> String {
    let data = user.update(|d| {
        d.hits += 1;
        d.clone()
    });
    assert_eq!(
        data.sealed_at_epoch,
        user.epoch(),
        "data from the verified session"
    );
    format!("{} {}", user.epoch(), data.hits)
}

fn store(ring: KeyRing) -> SessionStore {
    SessionStore::builder(NAME, ring).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_requests_while_the_epoch_is_bumped_and_keys_rotate() {
    let epoch = Arc::new(AtomicU64::new(0));
    let mut ring = KeyRing::new(1, Key::generate());
    let sessions = Sessions::new(store(ring.clone()), CookieOptions::new()).unwrap();
    let source = Arc::clone(&epoch);
    let app = Router::new().route("/", get(hit)).layer(SessionLayer::new(
        sessions.clone(),
        move |user: UserId| {
            let source = Arc::clone(&source);
            async move {
                assert_eq!(user, UserId::from(USER));
                Ok::<_, std::io::Error>(Some(source.load(Ordering::SeqCst)))
            }
        },
    ));

    // A cookie for each epoch, sealed as the epoch comes.
    let mut cookies: Vec<String> = Vec::new();
    let mut racing = Vec::new();
    let send = |cookie: String, cookie_epoch: u64| {
        let bumped_before = epoch.load(Ordering::SeqCst);
        let app = app.clone();
        tokio::spawn(async move {
            let request = Request::get("/")
                .header(COOKIE, cookie)
                .body(Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let set_cookies: Vec<String> = response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (cookie_epoch, bumped_before, status, set_cookies, body)
        })
    };
    let mut settled = Vec::new();
    for round in 0..20u64 {
        let current = epoch.load(Ordering::SeqCst);
        assert_eq!(current, round);
        let sealed = sessions
            .store()
            .seal_for_user(
                &UserId::from(USER),
                current,
                &Data {
                    sealed_at_epoch: current,
                    hits: 0,
                },
            )
            .unwrap();
        cookies.push(format!("{NAME}={}", sealed.value()));
        // Requests with the current cookie, finished before the bump: served.
        let before: Vec<_> = (0..5)
            .map(|_| send(cookies[round as usize].clone(), round))
            .collect();
        for task in before {
            settled.push((true, task.await.unwrap()));
        }
        // Requests racing the bump, with the current and with older cookies.
        for i in 0..15u64 {
            let cookie_epoch = (i * 7 + round) % (round + 1);
            racing.push(send(cookies[cookie_epoch as usize].clone(), cookie_epoch));
        }
        // Meanwhile: log out everywhere, and every fourth round rotate keys
        // (the old ones stay as retired keys, so no cookie is lost to it).
        epoch.fetch_add(1, Ordering::SeqCst);
        if round % 4 == 3 {
            ring.rotate(ring.sealing_key_id() + 1, Key::generate())
                .unwrap();
            sessions.replace(store(ring.clone())).unwrap();
        }
        tokio::task::yield_now().await;
    }
    for task in racing {
        settled.push((false, task.await.unwrap()));
    }

    let (mut served, mut rejected, mut stale_when_sent) = (0, 0, 0);
    for (before_bump, (cookie_epoch, bumped_before, status, set_cookies, body)) in settled {
        let body = String::from_utf8(body.to_vec()).unwrap();
        if before_bump {
            assert_eq!(
                status,
                StatusCode::OK,
                "current and finished before the bump: {body}"
            );
        }
        if cookie_epoch < bumped_before {
            stale_when_sent += 1;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "revoked before it was sent: {body}"
            );
        }
        match status {
            StatusCode::OK => {
                served += 1;
                // Served: the verified epoch is the cookie's, and it was
                // still current when the request started.
                let seen: u64 = body.split(' ').next().unwrap().parse().unwrap();
                assert_eq!(seen, cookie_epoch, "{body}");
                assert!(
                    cookie_epoch >= bumped_before,
                    "a revoked cookie was served: {body}"
                );
                // The change went out re-sealed.
                assert_eq!(set_cookies.len(), 1);
                assert!(
                    !Cookie::parse(set_cookies[0].clone())
                        .unwrap()
                        .value()
                        .is_empty()
                );
            }
            StatusCode::UNAUTHORIZED => {
                rejected += 1;
                assert_eq!(body, "sign-in required");
                // Revoked: never served, and the cookie is removed.
                assert_eq!(set_cookies.len(), 1, "{set_cookies:?}");
                let removal = Cookie::parse(set_cookies[0].clone()).unwrap();
                assert_eq!(removal.value(), "");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // The 100 that finished before their bump were served, every cookie
    // already stale when sent was rejected; the rest raced either way.
    assert!(served >= 100, "{served}");
    assert!(stale_when_sent > 100, "{stale_when_sent}");
    assert!(rejected >= stale_when_sent);
    assert_eq!(served + rejected, 400);
}
