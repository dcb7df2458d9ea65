//! Starts the demo router on 127.0.0.1:0 in-process, with a manual clock and
//! a swappable store, and drives it with reqwest clients that keep cookies.
// Not every test uses every helper. The helpers are not `#[test]` functions,
// so clippy.toml's test allowances do not reach them: this is the one lint
// allowance of the demo's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use demo::{AppState, COOKIE_NAME, Clock, Db, ManualClock, Sessions, build_store, router};
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::SET_COOKIE;
use reqwest::{StatusCode, Url};
use sealed_session::cookie::Cookie;
use sealed_session::cookie::CookieOptions;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Key, KeyRing, RevocationSet};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: Url,
    pub clock: ManualClock,
    pub sessions: Sessions,
    pub ring: KeyRing,
    pub db: Db,
}

/// 2027-01-15T08:00:00Z: far from the real clock, so nothing here depends on it.
pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

impl TestApp {
    /// Binds 127.0.0.1:0 before spawning the server, so the first request
    /// simply waits in the accept queue: no sleeping.
    pub async fn start() -> TestApp {
        TestApp::start_with(true).await
    }

    /// The demo as it was before revocation sets: the user's epoch read
    /// from SQLite on every request.
    pub async fn start_with_sqlite_epochs() -> TestApp {
        TestApp::start_with(false).await
    }

    async fn start_with(revocations: bool) -> TestApp {
        let (clock, handle) = Clock::manual(t0());
        let ring = KeyRing::new(1, Key::generate());
        let store = build_store(ring.clone(), clock).unwrap();
        let mut sessions = Sessions::new(store.clone(), CookieOptions::new()).unwrap();
        if revocations {
            sessions = sessions.with_revocations(RevocationSet::new(&store));
        }
        let db = Db::in_memory().unwrap();
        let state = AppState::new(db.clone(), sessions.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        TestApp {
            base: Url::parse(&format!("http://{addr}/")).unwrap(),
            clock: handle,
            sessions,
            ring,
            db,
        }
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    pub fn browser(&self) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .build()
            .unwrap();
        Browser {
            client,
            jar,
            base: self.base.clone(),
        }
    }

    /// Rotates to a new sealing key `id` and swaps the store in.
    pub fn rotate(&mut self, id: u32) {
        self.ring.rotate(id, Key::generate()).unwrap();
        self.sessions
            .replace(build_store(self.ring.clone(), self.sessions.clock()).unwrap())
            .unwrap();
    }

    /// Removes a retired key and swaps the store in.
    pub fn remove_retired(&mut self, id: u32) {
        self.ring.remove_retired(id).unwrap();
        self.sessions
            .replace(build_store(self.ring.clone(), self.sessions.clock()).unwrap())
            .unwrap();
    }
}

/// A client with its own cookie jar, like one browser profile.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: Url,
}

/// A page as the browser saw it (after redirects).
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub body: String,
    /// `Set-Cookie` headers of the last response.
    pub set_cookies: Vec<String>,
}

impl Page {
    /// Text of the element with this id (`id="..."`), markup stripped.
    pub fn text(&self, id: &str) -> Option<String> {
        let start = self.body.find(&format!("id=\"{id}\""))?;
        let rest = &self.body[start..];
        let open_end = rest.find('>')? + 1;
        let rest = &rest[open_end..];
        let close = rest.find("</")?;
        Some(rest[..close].to_owned())
    }

    pub fn whoami(&self) -> Option<String> {
        self.text("whoami")
    }

    pub fn counter(&self) -> Option<u64> {
        self.text("counter").map(|t| t.trim().parse().unwrap())
    }

    pub fn signed_out(&self) -> bool {
        self.text("status").as_deref() == Some("You are not signed in")
    }

    pub fn message(&self) -> Option<String> {
        self.text("message")
    }

    /// The session `Set-Cookie` of this response, parsed.
    pub fn session_set_cookie(&self) -> Option<Cookie<'static>> {
        self.set_cookies
            .iter()
            .filter_map(|h| Cookie::parse(h.clone()).ok())
            .find(|c| c.name() == COOKIE_NAME)
    }

    /// Whether this response removed the session cookie: same name and
    /// `Path=/`, empty value, `Max-Age=0`.
    pub fn removed_session_cookie(&self) -> bool {
        self.session_set_cookie().is_some_and(|c| {
            c.value().is_empty()
                && c.max_age() == Some(Duration::ZERO)
                && c.path() == Some("/")
                && c.secure() == Some(true)
        })
    }
}

impl Browser {
    async fn finish(response: reqwest::Response) -> Page {
        let status = response.status();
        let set_cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = response.text().await.unwrap();
        Page {
            status,
            body,
            set_cookies,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let url = self.base.join(path).unwrap();
        Browser::finish(self.client.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let url = self.base.join(path).unwrap();
        Browser::finish(self.client.post(url).form(form).send().await.unwrap()).await
    }

    pub async fn signup(&self, username: &str) -> Page {
        self.post("/signup", &[("username", username), ("password", PASSWORD)])
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Page {
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }

    pub async fn increment(&self) -> Page {
        self.post("/counter", &[]).await
    }

    /// The session cookie's value in this browser's jar, if any.
    pub fn session_cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        let header = header.to_str().unwrap().to_owned();
        Cookie::split_parse(header)
            .filter_map(Result::ok)
            .find(|c| c.name() == COOKIE_NAME)
            .map(|c| c.value().to_owned())
    }

    /// Puts a session cookie value into the jar, as if the server had set it.
    pub fn set_session_cookie(&self, value: &str) {
        self.jar.add_cookie_str(
            &format!("{COOKIE_NAME}={value}; Path=/; Secure; HttpOnly; SameSite=Lax"),
            &self.base,
        );
    }
}

/// The key id in a cookie value's header (FORMAT.md: `version ‖ varint(key
/// id)`; the server seals format v2).
pub fn key_id_of(value: &str) -> u32 {
    let bytes = URL_SAFE_NO_PAD.decode(value).unwrap();
    assert_eq!(bytes[0], 2, "format version");
    let mut id = 0u32;
    for (i, b) in bytes[1..6].iter().enumerate() {
        id |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return id;
        }
    }
    panic!("bad varint")
}
