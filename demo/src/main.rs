//! `cargo run -p demo`: the sealed-session demo on http://127.0.0.1:3000.
//!
//! Environment:
//! * `PORT` — port on 127.0.0.1 (default 3000; 0 picks a free one).
//! * `DEMO_DB` — SQLite file, created on first start (default `./demo.sqlite3`).
//! * `SEALED_SESSION_KEYS` — the key ring, e.g.
//!   `2:xaes-256-gcm:BASE64KEY,1:xchacha20-poly1305:BASE64KEY` (sealing key
//!   first). Unset: a random key is generated, and sessions end when the
//!   demo stops. `cargo run -p demo -- --generate-keys` prints a fresh value.
//! * `DEMO_REDIS_URL` — e.g. `redis://127.0.0.1:6379/` (built with
//!   `--features redis`): share revocations
//!   ("log out", "log out this device", "log out everywhere") with every
//!   demo instance on that Redis. Unset: this server's in-memory revocation
//!   set alone (one server). Run several instances with the same keys, the
//!   same `DEMO_DB` and the same Redis for a fleet.
//! * `DEMO_EPOCHS=sqlite` — the demo as it was before revocation sets: the
//!   user's epoch is read from SQLite on every request (for comparison).
//! * `DEMO_COOKIE_NAME` — the session cookie's name (default
//!   `__Host-demo-session`). A name without `__Host-` (e.g. `demo-session`,
//!   used by the e2e cookie-tossing check) lets a sibling subdomain plant a
//!   `Domain=` cookie; the demo then opts out with
//!   `CookieOptions::dangerously_allow_unprefixed_name` and warns at start-up.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use demo::app::build_store_named;
use demo::{AppState, COOKIE_NAME, Db, Sessions, router};
use sealed_session::cookie::CookieOptions;
use sealed_session::{KEYS_ENV_VAR, Key, KeyRing, RevocationSet};
#[cfg(feature = "redis")]
use sealed_session_redis::{Client, RedisFeed, RedisFeedConfig};

/// The Redis feed, when built with it.
#[cfg(feature = "redis")]
type Feed = RedisFeed;
#[cfg(not(feature = "redis"))]
type Feed = std::convert::Infallible;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("demo: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => {}
        Some("--generate-keys") => {
            let ring = KeyRing::new(1, Key::try_generate().map_err(|e| e.to_string())?);
            println!("{}", ring.to_config().as_str());
            return Ok(());
        }
        Some(_) => {
            return Err("usage: demo [--generate-keys] (configuration is read from PORT, DEMO_DB, SEALED_SESSION_KEYS, DEMO_REDIS_URL, DEMO_EPOCHS and DEMO_COOKIE_NAME)".into());
        }
    }

    let port: u16 = match std::env::var("PORT") {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("PORT={text:?} is not a port number"))?,
        Err(_) => 3000,
    };
    let db_path =
        std::env::var_os("DEMO_DB").map_or_else(|| PathBuf::from("./demo.sqlite3"), PathBuf::from);
    let ring = match std::env::var(KEYS_ENV_VAR) {
        // The error says which entry is wrong, never the key itself.
        Ok(config) => KeyRing::from_config(&config).map_err(|e| format!("{KEYS_ENV_VAR}: {e}"))?,
        Err(_) => {
            eprintln!(
                "demo: WARNING: {KEYS_ENV_VAR} is not set; using a random key generated now.\n\
                 demo:          Sessions will not survive a restart. For stable keys:\n\
                 demo:          export {KEYS_ENV_VAR}=\"$(cargo run -q -p demo -- --generate-keys)\""
            );
            KeyRing::new(1, Key::try_generate().map_err(|e| e.to_string())?)
        }
    };
    let sealing_key_id = ring.sealing_key_id();
    let cookie_name = std::env::var("DEMO_COOKIE_NAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| COOKIE_NAME.to_owned());
    let mut cookie_options = CookieOptions::new();
    if !cookie_name.starts_with("__Host-") {
        eprintln!(
            "demo: WARNING: DEMO_COOKIE_NAME={cookie_name:?} has no __Host- prefix; a sibling \
             subdomain can plant a Domain= cookie with this name (cookie tossing)"
        );
        cookie_options = cookie_options.dangerously_allow_unprefixed_name();
    }
    let store = build_store_named(&cookie_name, ring, sealed_session::Clock::system())
        .map_err(|e| e.to_string())?;

    let existed = db_path.exists();
    let db = Db::open(&db_path).map_err(|e| format!("{}: {e}", db_path.display()))?;
    let sqlite_epochs = match std::env::var("DEMO_EPOCHS") {
        Ok(mode) if mode == "sqlite" => true,
        Ok(mode) if mode.is_empty() || mode == "revocations" => false,
        Ok(mode) => return Err(format!("DEMO_EPOCHS={mode:?}: use sqlite or revocations")),
        Err(_) => false,
    };
    let redis_url = std::env::var("DEMO_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let revocations = RevocationSet::new(&store);
    let mut sessions = Sessions::new(store, cookie_options).map_err(|e| e.to_string())?;
    if !sqlite_epochs {
        sessions = sessions.with_revocations(revocations.clone());
    }
    let state = AppState::new(db, sessions)?;

    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let feed: Option<Feed> = match (&redis_url, sqlite_epochs) {
            (Some(_), true) => {
                return Err("DEMO_REDIS_URL needs the revocation set (unset DEMO_EPOCHS)".into());
            }
            #[cfg(not(feature = "redis"))]
            (Some(_), false) => {
                let _ = &revocations;
                return Err(
                    "DEMO_REDIS_URL needs the demo built with Redis: cargo run -p demo --features redis"
                        .into(),
                );
            }
            #[cfg(feature = "redis")]
            (Some(url), false) => {
                let client = Client::open(url.as_str()).map_err(|e| format!("DEMO_REDIS_URL: {e}"))?;
                let feed = RedisFeed::start(client, &revocations, RedisFeedConfig::default())
                    .map_err(|e| format!("DEMO_REDIS_URL: {e}"))?;
                // Serve at once either way: until the feed is caught up, user
                // sessions answer 503 (fail closed) and anonymous ones work.
                match feed.wait_fresh(std::time::Duration::from_secs(5)).await {
                    Ok(()) => println!("demo: revocations shared through Redis ({url})"),
                    Err(_) => eprintln!(
                        "demo: WARNING: Redis at {url} is not answering; user sessions are refused until it does"
                    ),
                }
                Some(feed)
            }
            (None, true) => {
                println!("demo: epochs read from SQLite on every request (DEMO_EPOCHS=sqlite)");
                None
            }
            (None, false) => {
                println!("demo: revocations in this server's memory (set DEMO_REDIS_URL to share them)");
                None
            }
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!(
            "demo: database {} ({})",
            db_path.display(),
            if existed { "opened" } else { "created" }
        );
        println!("demo: sealing key id {sealing_key_id}");
        // The e2e driver waits for this line (and reads the port from it).
        println!("demo: listening on http://{addr}");
        let served = axum::serve(listener, router(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string());
        #[cfg(feature = "redis")]
        if let Some(feed) = feed {
            feed.shutdown().await;
        }
        #[cfg(not(feature = "redis"))]
        let _: Option<Feed> = feed;
        served
    })
}
