//! End to end on loopback: one authenticated GET that reads and updates the
//! anchors' small session, through
//!
//! * `sealed`: sealed-session's `SessionLayer` and `UserSession` (epoch
//!   checked in memory, re-sealed on every request),
//! * `private-jar`: axum-extra's `PrivateCookieJar` with the session as JSON,
//! * `tower-sessions`: tower-sessions with its `MemoryStore`.
//!
//! and then the demo's own signed-in home page (`GET /`, nothing changed,
//! no `Set-Cookie`) both ways:
//!
//! * `revocations`: the demo as it ships, each cookie checked against the
//!   in-memory revocation set (10^5 session and 10^4 user entries), no
//!   epoch lookup;
//! * `sqlite-epoch`: the demo with `DEMO_EPOCHS=sqlite`, the user's epoch
//!   read from the SQLite file on every request.
//!
//! Each server is an axum 0.8 app on 127.0.0.1 on its own one-worker tokio
//! runtime; a hyper client on one kept-alive connection sends the request and
//! carries the new cookie into the next one, like a browser. Criterion bounds
//! every run (`SEALED_BENCH_QUICK=1` makes it short); the summary prints the
//! requests per second and the ratios of this run.
//!
//! `cargo bench -p demo --bench e2e`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, Key as JarKey, PrivateCookieJar};
use criterion::Criterion;
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper::header::{COOKIE, SET_COOKIE};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sealed_session::axum::SessionLayer;
use sealed_session::cookie::CookieOptions;
use sealed_session::testing::ClientCookies;
use sealed_session::time::{Duration as TimeDuration, OffsetDateTime};
use sealed_session::{
    Key, KeyRing, MemoryEpochs, Revocation, RevocationSet, SessionHandle, SessionId, SessionStore,
    Sessions, UserId, UserSession,
};

#[path = "../../benches/common/anchors.rs"]
mod anchors;
use anchors::{Session, small};

fn bump(s: &mut Session) {
    s.cart[0] = s.cart[0].wrapping_add(1);
}

// ---- sealed-session ---------------------------------------------------------

async fn sealed_login(session: SessionHandle<Session>) -> &'static str {
    let s = small();
    session.login(s.user_id, u64::from(s.epoch), s);
    "in"
}

async fn sealed_get(user: UserSession<Session>) -> &'static str {
    user.update(bump);
    "ok"
}

fn sealed_app() -> Router {
    let store = SessionStore::builder("session", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let epochs = MemoryEpochs::new();
    let s = small();
    epochs.set(s.user_id.into(), u64::from(s.epoch));
    Router::new()
        .route("/login", get(sealed_login))
        .route("/", get(sealed_get))
        .layer(SessionLayer::new(
            // "session", as the PrivateCookieJar and tower-sessions apps name
            // it: not `__Host-`, so the loud opt-out.
            Sessions::new(
                store,
                CookieOptions::new().dangerously_allow_unprefixed_name(),
            )
            .unwrap(),
            epochs,
        ))
}

// ---- axum-extra PrivateCookieJar ---------------------------------------------

#[derive(Clone)]
struct JarState(JarKey);

impl FromRef<JarState> for JarKey {
    fn from_ref(state: &JarState) -> JarKey {
        state.0.clone()
    }
}

fn jar_cookie(s: &Session) -> Cookie<'static> {
    let mut cookie = Cookie::new("session", serde_json::to_string(s).unwrap());
    cookie.set_http_only(true);
    cookie.set_secure(true);
    cookie.set_path("/");
    cookie
}

async fn jar_login(jar: PrivateCookieJar) -> (PrivateCookieJar, &'static str) {
    (jar.add(jar_cookie(&small())), "in")
}

async fn jar_get(jar: PrivateCookieJar) -> (PrivateCookieJar, &'static str) {
    let mut s: Session = serde_json::from_str(jar.get("session").unwrap().value()).unwrap();
    bump(&mut s);
    (jar.add(jar_cookie(&s)), "ok")
}

fn jar_app() -> Router {
    Router::new()
        .route("/login", get(jar_login))
        .route("/", get(jar_get))
        .with_state(JarState(JarKey::generate()))
}

// ---- tower-sessions MemoryStore ---------------------------------------------

async fn ts_login(session: tower_sessions::Session) -> &'static str {
    session.insert("s", small()).await.unwrap();
    "in"
}

async fn ts_get(session: tower_sessions::Session) -> &'static str {
    let mut s: Session = session.get("s").await.unwrap().unwrap();
    bump(&mut s);
    session.insert("s", s).await.unwrap();
    "ok"
}

fn ts_app() -> Router {
    let store = tower_sessions::MemoryStore::default();
    Router::new()
        .route("/login", get(ts_login))
        .route("/", get(ts_get))
        .layer(tower_sessions::SessionManagerLayer::new(store))
}

// ---- the demo's home page, both ways ------------------------------------------

/// The demo's router with a signed-in user's cookie, with or without the
/// revocation set; the database is a file, as in production.
fn demo_app(revocations: bool, dir: &std::path::Path) -> (Router, String) {
    let db_path = dir.join(if revocations {
        "rev.sqlite3"
    } else {
        "epoch.sqlite3"
    });
    let _ = std::fs::remove_file(&db_path);
    let db = demo::Db::open(&db_path).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let user = runtime
        .block_on(db.create_user("bench".into(), "not a real hash".into(), 1_800_000_000))
        .unwrap()
        .unwrap();
    let store = demo::build_store(KeyRing::new(1, Key::generate()), demo::Clock::system()).unwrap();
    let data = demo::SessionData {
        counter: 3,
        username: user.username.clone(),
    };
    let cookie = store
        .seal_for_user(&UserId::from(user.id), user.epoch, &data)
        .unwrap()
        .into_value();
    let mut sessions = Sessions::new(store.clone(), CookieOptions::new()).unwrap();
    if revocations {
        let set = RevocationSet::new(&store);
        let later = OffsetDateTime::now_utc() + TimeDuration::days(1);
        for i in 0..100_000u64 {
            set.revoke(Revocation::Session {
                id: SessionId::from_u64(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                expires_at: later,
            });
        }
        let before = OffsetDateTime::now_utc() - TimeDuration::hours(1);
        for i in 0..10_000u64 {
            set.revoke(Revocation::User {
                user: UserId::from(1_000_000 + i),
                logged_in_until: before,
            });
        }
        sessions = sessions.with_revocations(set);
    }
    let state = demo::AppState::new(db, sessions).unwrap();
    (demo::router(state), cookie)
}

// ---- the harness -------------------------------------------------------------

/// Serves `app` on 127.0.0.1:0 from a one-worker runtime on its own thread.
fn serve(app: Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Client<HttpConnector, Empty<Bytes>>,
    base: String,
    jar: ClientCookies,
}

impl Browser {
    fn new(addr: SocketAddr) -> Browser {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1)
            .build_http();
        Browser {
            runtime,
            client,
            base: format!("http://{addr}"),
            jar: ClientCookies::new(),
        }
    }

    /// One GET with the jar's cookies; keeps the new ones; the body.
    fn get(&mut self, path: &str) -> Bytes {
        let mut request = hyper::Request::get(format!("{}{path}", self.base));
        if let Some(cookie) = self.jar.cookie_header() {
            request = request.header(COOKIE, cookie);
        }
        let request = request.body(Empty::new()).unwrap();
        let (jar, client) = (&mut self.jar, &self.client);
        self.runtime.block_on(async {
            let response = client.request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            jar.receive(response.headers().get_all(SET_COOKIE));
            response.into_body().collect().await.unwrap().to_bytes()
        })
    }
}

fn criterion_dir() -> PathBuf {
    std::env::var_os("CRITERION_HOME").map_or_else(
        || {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
                .unwrap_or_else(|| PathBuf::from("target/criterion"))
        },
        PathBuf::from,
    )
}

fn median_ns(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    let since = SystemTime::now();
    let quick = std::env::var_os("SEALED_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0");
    let mut c = Criterion::default().output_directory(&criterion_dir());
    if quick {
        c = c
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(10);
    }
    let mut c = c.configure_from_args();
    let contenders = [
        ("sealed", sealed_app()),
        ("private-jar", jar_app()),
        ("tower-sessions", ts_app()),
    ];
    let mut group = c.benchmark_group("e2e-small");
    for (name, app) in contenders {
        let mut browser = Browser::new(serve(app));
        assert_eq!(&browser.get("/login")[..], b"in");
        assert!(browser.jar.cookie_header().is_some(), "{name}: logged in");
        assert_eq!(&browser.get("/")[..], b"ok", "{name}");
        group.bench_function(name, |b| b.iter(|| browser.get("/")));
    }
    group.finish();

    let dir = std::env::temp_dir().join(format!("sealed-session-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut group = c.benchmark_group("e2e-demo-home");
    for (name, revocations) in [("revocations", true), ("sqlite-epoch", false)] {
        let (app, cookie) = demo_app(revocations, &dir);
        let mut browser = Browser::new(serve(app));
        browser.jar.set(demo::COOKIE_NAME, &cookie);
        let page = browser.get("/");
        assert!(
            std::str::from_utf8(&page)
                .unwrap()
                .contains("id=\"whoami\">bench<"),
            "{name}: signed in"
        );
        group.bench_function(name, |b| b.iter(|| browser.get("/")));
    }
    group.finish();
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);

    let rate = |name: &str| median_ns("e2e-small", name, since).map(|ns| 1e9 / ns);
    let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |r| format!("{r:.0}"));
    let ratio = |a: Option<f64>, b: Option<f64>| {
        a.zip(b)
            .map_or_else(|| "-".to_owned(), |(a, b)| format!("{:.2}", a / b))
    };
    let (ours, jar, ts) = (rate("sealed"), rate("private-jar"), rate("tower-sessions"));
    println!();
    println!("==== end to end on loopback, one connection (criterion medians of this run) ====");
    println!("  sealed-session layer      {:>8} req/s", fmt(ours));
    println!("  axum-extra PrivateCookieJar {:>6} req/s", fmt(jar));
    println!("  tower-sessions MemoryStore {:>7} req/s", fmt(ts));
    println!(
        "  ours / PrivateCookieJar   {:>8}  (aim >= 1)",
        ratio(ours, jar)
    );
    println!(
        "  ours / tower-sessions     {:>8}  (aim >= 1)",
        ratio(ours, ts)
    );
    let home = |name: &str| median_ns("e2e-demo-home", name, since).map(|ns| 1e9 / ns);
    let (rev, sqlite) = (home("revocations"), home("sqlite-epoch"));
    println!();
    println!("==== the demo's signed-in home page, one connection ====");
    println!("  revocation set in memory  {:>8} req/s", fmt(rev));
    println!("  SQLite epoch per request  {:>8} req/s", fmt(sqlite));
    println!("  revocations / SQLite      {:>8}", ratio(rev, sqlite));
}
