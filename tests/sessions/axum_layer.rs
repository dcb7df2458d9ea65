//! The axum layer: every case of tests/adapter_cases through a real axum
//! `Router` with `SessionLayer` (tower `oneshot`, no network); the missing
//! layer; hooks; a login → counter → logout → log-out-everywhere flow with
//! `testing::ClientCookies`.
#![cfg(feature = "axum")]

use crate::adapter_cases;

use adapter_cases::{
    CASES, Cache, Data, LOGIN_USER, NAME, Route, World, check, check_cache, too_big, view,
};
use axum::Router;
use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE, VARY};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use sealed_session::axum::{SessionLayer, SessionRejection, default_response};
use sealed_session::cookie::CookieOptions;
use sealed_session::testing::ClientCookies;
use sealed_session::{
    Key, KeyRing, MemoryEpochs, SessionError, SessionHandle, SessionStore, Sessions, UserId,
    UserSession,
};
use tower::ServiceExt as _;

fn seen(session: &SessionHandle<Data>) -> String {
    view(
        session.user_id().as_ref(),
        session.read(|d| d.counter),
        session.cookie_error(),
    )
}

async fn nothing() -> &'static str {
    "nothing"
}

async fn read(session: SessionHandle<Data>) -> String {
    seen(&session)
}

async fn change(session: SessionHandle<Data>) -> String {
    session.update(|d| d.counter += 1);
    seen(&session)
}

async fn user(user: UserSession<Data>) -> String {
    assert_eq!(user.user_id(), &UserId::from(LOGIN_USER));
    seen(&user)
}

async fn login(session: SessionHandle<Data>) -> String {
    session.login(LOGIN_USER, 1, adapter_cases::data(100));
    seen(&session)
}

async fn logout(session: SessionHandle<Data>) -> String {
    session.logout();
    seen(&session)
}

async fn grow(session: SessionHandle<Data>) -> String {
    session.update(|d| d.blob = too_big());
    seen(&session)
}

async fn preflight(session: SessionHandle<Data>) -> Response {
    let previous = session.get();
    session.update(|d| d.blob = too_big());
    match session.check_size() {
        Ok(()) => seen(&session).into_response(),
        Err(_) => {
            session.set(previous);
            (StatusCode::PAYLOAD_TOO_LARGE, "too large").into_response()
        }
    }
}

async fn fail(session: SessionHandle<Data>) -> (StatusCode, &'static str) {
    session.update(|d| d.counter += 1);
    (StatusCode::INTERNAL_SERVER_ERROR, "failed")
}

fn routes() -> Router {
    let mut router = Router::new();
    for route in Route::ALL {
        let handler = match route {
            Route::Nothing => get(nothing),
            Route::Read => get(read),
            Route::Change => get(change),
            Route::User => get(user),
            Route::Login => get(login),
            Route::Logout => get(logout),
            Route::Grow => get(grow),
            Route::Preflight => get(preflight),
            Route::Fail => get(fail),
        };
        router = router.route(route.path(), handler);
    }
    router
}

fn app(world: &World) -> Router {
    let epochs = world.epochs.clone();
    routes().layer(SessionLayer::new(
        world.sessions.clone(),
        move |user: UserId| {
            let epochs = epochs.clone();
            async move { epochs.lookup(&user) }
        },
    ))
}

struct Answer {
    status: u16,
    body: String,
    set_cookies: Vec<String>,
    cache: Cache,
}

async fn send(app: &Router, method: &str, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let set_cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let header = |name| {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let cache = Cache {
        cache_control: header(CACHE_CONTROL),
        vary: header(VARY),
    };
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        body: String::from_utf8(body.to_vec()).unwrap(),
        set_cookies,
        cache,
    }
}

#[tokio::test]
async fn every_case_of_the_table() {
    for case in CASES {
        let world = World::for_case(case);
        let app = app(&world);
        let header = world.cookie_header(case.sent);
        let answer = send(&app, "GET", case.route.path(), header.as_deref()).await;
        check(
            &world,
            case,
            answer.status,
            &answer.body,
            &answer.set_cookies,
        );
        check_cache(case, &answer.cache);
    }
}

#[tokio::test]
async fn without_the_layer_the_extractor_says_so() {
    let answer = send(&routes(), "GET", "/read", None).await;
    assert_eq!(answer.status, 500);
    assert!(
        answer.body.contains("session layer is missing"),
        "{}",
        answer.body
    );
    let answer = send(&routes(), "GET", "/user", None).await;
    assert_eq!(answer.status, 500);
    // Routes that do not use the session still work.
    assert_eq!(send(&routes(), "GET", "/nothing", None).await.status, 200);
}

#[tokio::test]
async fn the_error_hook_replaces_the_responses_and_the_removal_still_goes_out() {
    let world = World::new();
    let epochs = world.epochs.clone();
    let layer = SessionLayer::new(world.sessions.clone(), move |user: UserId| {
        let epochs = epochs.clone();
        async move { epochs.lookup(&user) }
    })
    .on_error(|err: &SessionError| match err {
        SessionError::SignInRequired => {
            (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response()
        }
        SessionError::EpochSource(_) => (StatusCode::SERVICE_UNAVAILABLE, "later").into_response(),
        other => default_response(other),
    });
    let app = routes().layer(layer.clone());
    let stale = world.cookie_header(adapter_cases::Sent::User {
        user: LOGIN_USER,
        epoch: 0,
    });
    let answer = send(&app, "GET", "/user", stale.as_deref()).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.set_cookies.len(), 1, "the revoked cookie is removed");
    assert!(answer.set_cookies[0].starts_with(&format!("{NAME}=;")));
    let broken = world.cookie_header(adapter_cases::Sent::User {
        user: adapter_cases::BROKEN_USER,
        epoch: 0,
    });
    let answer = send(&app, "GET", "/read", broken.as_deref()).await;
    assert_eq!(answer.status, 503);
    assert!(answer.set_cookies.is_empty());
    assert_eq!(layer.sessions().store().sealing_key_id(), 2);
}

async fn either(user: Result<UserSession<Data>, SessionRejection>) -> String {
    match user {
        Ok(user) => format!("user {}", user.user_id()),
        Err(rejection) => format!("rejected: {}", rejection.error()),
    }
}

#[tokio::test]
async fn a_handler_can_take_the_rejection() {
    let world = World::new();
    let app = Router::new()
        .route("/", get(either))
        .layer(SessionLayer::new(
            world.sessions.clone(),
            MemoryEpochs::new(),
        ));
    assert_eq!(
        send(&app, "GET", "/", None).await.body,
        "rejected: sign-in required"
    );
}

async fn two_extractors(a: SessionHandle<Data>, b: UserSession<Data>) -> String {
    a.update(|d| d.counter += 1);
    b.update(|d| d.counter += 1);
    format!("{}", b.read(|d| d.counter))
}

async fn mismatched(a: SessionHandle<Data>, b: SessionHandle<u8>) -> String {
    format!("{:?} {:?}", a.user_id(), b.user_id())
}

#[tokio::test]
async fn one_session_per_request_and_one_epoch_lookup() {
    let world = World::new();
    let lookups = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&lookups);
    let epochs = world.epochs.clone();
    let app = Router::new()
        .route("/two", get(two_extractors))
        .route("/mismatch", get(mismatched))
        .route("/nothing", get(nothing))
        .layer(SessionLayer::new(
            world.sessions.clone(),
            move |user: UserId| {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let epochs = epochs.clone();
                async move { epochs.lookup(&user) }
            },
        ));
    let cookie = world.cookie_header(adapter_cases::Sent::User {
        user: LOGIN_USER,
        epoch: 1,
    });
    let answer = send(&app, "GET", "/two", cookie.as_deref()).await;
    assert_eq!(answer.body, "7", "both extractors share one session");
    assert_eq!(
        lookups.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one lookup"
    );
    assert_eq!(answer.set_cookies.len(), 1);
    // A route that never asks for the session looks nothing up.
    send(&app, "GET", "/nothing", cookie.as_deref()).await;
    assert_eq!(lookups.load(std::sync::atomic::Ordering::SeqCst), 1);
    let answer = send(&app, "GET", "/mismatch", None).await;
    assert_eq!(answer.status, 500);
}

// ---- the small app, as a user writes it ------------------------------------

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Counter {
    counter: u64,
}

async fn app_home(session: SessionHandle<Counter>) -> String {
    match session.user_id() {
        Some(user) => format!("{user}: {}", session.read(|d| d.counter)),
        None => "signed out".into(),
    }
}

fn small_app(epochs: MemoryEpochs, sessions: Sessions) -> Router {
    let db = epochs.clone();
    Router::new()
        .route("/", get(app_home))
        .route(
            "/login",
            post(move |session: SessionHandle<Counter>| async move {
                let user = UserId::from(7u64);
                let epoch = db.get(&user).unwrap_or(0);
                session.login(user, epoch, Counter::default());
            }),
        )
        .route(
            "/count",
            post(|user: UserSession<Counter>| async move { user.update(|d| d.counter += 1) }),
        )
        .route(
            "/logout",
            post(|s: SessionHandle<Counter>| async move { s.logout() }),
        )
        .route(
            "/logout-everywhere",
            post({
                let epochs = epochs.clone();
                move |user: UserSession<Counter>| async move {
                    epochs.bump(user.user_id());
                    user.logout();
                }
            }),
        )
        .layer(SessionLayer::new(sessions, epochs))
}

async fn browse(app: &Router, jar: &mut ClientCookies, method: &str, path: &str) -> Answer {
    let answer = send(app, method, path, jar.cookie_header().as_deref()).await;
    jar.receive(&answer.set_cookies);
    answer
}

#[tokio::test]
async fn login_counter_logout_and_log_out_everywhere() {
    let epochs = MemoryEpochs::new();
    epochs.set(UserId::from(7u64), 0);
    let store = SessionStore::builder("__Host-app", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let app = small_app(
        epochs.clone(),
        Sessions::new(store, CookieOptions::new()).unwrap(),
    );
    let mut laptop = ClientCookies::new();
    let mut phone = ClientCookies::new();

    assert_eq!(
        browse(&app, &mut laptop, "GET", "/").await.body,
        "signed out"
    );
    assert_eq!(
        browse(&app, &mut laptop, "POST", "/count").await.status,
        401
    );
    browse(&app, &mut laptop, "POST", "/login").await;
    browse(&app, &mut phone, "POST", "/login").await;
    for _ in 0..3 {
        assert_eq!(
            browse(&app, &mut laptop, "POST", "/count").await.status,
            200
        );
    }
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 3");
    assert_eq!(browse(&app, &mut phone, "GET", "/").await.body, "7: 0");

    // Logout in one browser; a copy of its cookie still works (stateless).
    let copy = laptop.clone();
    browse(&app, &mut laptop, "POST", "/logout").await;
    assert_eq!(laptop.get("__Host-app"), None);
    assert_eq!(
        browse(&app, &mut laptop, "GET", "/").await.body,
        "signed out"
    );
    let mut thief = copy;
    assert_eq!(browse(&app, &mut thief, "GET", "/").await.body, "7: 3");

    // Log out everywhere: the phone and the copy are both revoked.
    assert_eq!(
        browse(&app, &mut phone, "POST", "/logout-everywhere")
            .await
            .status,
        200
    );
    assert_eq!(
        browse(&app, &mut thief, "GET", "/").await.body,
        "signed out"
    );
    assert_eq!(thief.get("__Host-app"), None, "removed");
    assert_eq!(
        browse(&app, &mut phone, "GET", "/").await.body,
        "signed out"
    );
    // Logging in again works, at the new epoch.
    browse(&app, &mut phone, "POST", "/login").await;
    assert_eq!(browse(&app, &mut phone, "GET", "/").await.body, "7: 0");
}
