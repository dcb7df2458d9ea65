//! A small axum-login app (login, a counter, logout, a password change),
//! written against axum-login 0.18's documented API, with a SQLite user
//! table and argon2 hashes. Its only session line is the layer the caller
//! passes to [`router`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_login::{AuthSession, AuthUser, AuthnBackend, UserId, login_required};
use rusqlite::{Connection, OptionalExtension};
use serde::Deserialize;
use tower_sessions::Session;

/// argon2id with small costs, so the debug-built tests stay quick (real
/// hashes, real verification).
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(1024, 1, 1, None).unwrap(),
    )
}

/// The PHC string of `password` (a fresh salt).
fn hash(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

#[derive(Clone, Debug)]
pub struct User {
    id: i64,
    pw_hash: String,
}

impl AuthUser for User {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.pw_hash.as_bytes()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// The user table, shared by every server of a test.
#[derive(Clone, Debug)]
pub struct Backend {
    db: Arc<Mutex<Connection>>,
}

impl Backend {
    pub fn new() -> Backend {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, pw_hash TEXT NOT NULL)",
        )
        .unwrap();
        Backend {
            db: Arc::new(Mutex::new(db)),
        }
    }

    pub fn add_user(&self, username: &str, password: &str) {
        let hash = hash(password);
        self.db
            .lock()
            .unwrap()
            .execute(
                "INSERT INTO users (username, pw_hash) VALUES (?1, ?2)",
                (username, hash),
            )
            .unwrap();
    }

    fn set_password(&self, id: i64, password: &str) -> rusqlite::Result<()> {
        let hash = hash(password);
        self.db
            .lock()
            .unwrap()
            .execute("UPDATE users SET pw_hash = ?1 WHERE id = ?2", (hash, id))
            .map(drop)
    }
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = rusqlite::Error;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, rusqlite::Error> {
        let row: Option<(i64, String)> = self
            .db
            .lock()
            .unwrap()
            .query_row(
                "SELECT id, pw_hash FROM users WHERE username = ?1",
                [&creds.username],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(id, pw_hash)| {
            let ok = PasswordHash::new(&pw_hash).is_ok_and(|parsed| {
                argon2()
                    .verify_password(creds.password.as_bytes(), &parsed)
                    .is_ok()
            });
            ok.then_some(User { id, pw_hash })
        }))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, rusqlite::Error> {
        // On every request (axum-login checks the session's user): a
        // prepared statement, as a production app keeps one.
        self.db
            .lock()
            .unwrap()
            .prepare_cached("SELECT id, pw_hash FROM users WHERE id = ?1")?
            .query_row([id], |row| {
                Ok(User {
                    id: row.get(0)?,
                    pw_hash: row.get(1)?,
                })
            })
            .optional()
    }
}

type Auth = AuthSession<Backend>;

async fn login(mut auth: Auth, Form(creds): Form<Credentials>) -> StatusCode {
    match auth.authenticate(creds).await {
        Ok(Some(user)) => match auth.login(&user).await {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
        },
        Ok(None) => StatusCode::UNAUTHORIZED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn logout(mut auth: Auth) -> StatusCode {
    match auth.logout().await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The protected page: the user's id and a per-session counter.
async fn counter(auth: Auth, session: Session) -> Result<String, StatusCode> {
    let n: u64 = session
        .get("n")
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .unwrap_or(0)
        + 1;
    session
        .insert("n", n)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let id = auth.user.map_or(0, |user| user.id);
    Ok(format!("user {id} count {n}"))
}

#[derive(Deserialize)]
struct NewPassword {
    password: String,
}

/// A password change: every other session of the user ends (their
/// session auth hash no longer matches); this one logs in again.
async fn password(mut auth: Auth, Form(form): Form<NewPassword>) -> StatusCode {
    let Some(user) = auth.user.clone() else {
        return StatusCode::UNAUTHORIZED;
    };
    if auth.backend.set_password(user.id, &form.password).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    match auth.backend.get_user(&user.id).await {
        Ok(Some(user)) if auth.login(&user).await.is_ok() => StatusCode::OK,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The app's routes, without session or auth layers.
pub fn handlers() -> Router {
    Router::new()
        .route("/counter", get(counter))
        .route("/password", post(password))
        .route_layer(login_required!(Backend))
        .route("/login", post(login))
        .route("/logout", post(logout))
}

// ---- the glue: an app on tower-sessions' MemoryStore ------------------------

/// The app as axum-login documents it, on tower-sessions' `MemoryStore`.
pub fn memory_store_app(backend: Backend) -> Router {
    let session_layer =
        tower_sessions::SessionManagerLayer::new(tower_sessions::MemoryStore::default());
    let auth_layer = axum_login::AuthManagerLayerBuilder::new(backend, session_layer).build();
    handlers().layer(auth_layer)
}

// ---- the glue: the same app on sealed cookies -------------------------------

/// The same app on `SealedSessionLayer`.
pub fn sealed_app(backend: Backend, sessions: sealed_session::Sessions) -> Router {
    let auth_layer = sealed_session_tower::SealedSessionLayer::new(sessions).with_auth(backend);
    handlers().layer(auth_layer)
}

// -----------------------------------------------------------------------------

/// Serves `app` on 127.0.0.1, a free port; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// One browser (or a copy of its cookie): its session cookie, sent and
/// kept by hand so a test can copy it.
#[derive(Clone, Debug)]
pub struct Device {
    pub name: &'static str,
    pub cookie: Option<String>,
    client: reqwest::Client,
}

impl Device {
    pub fn new(name: &'static str) -> Device {
        Device {
            name,
            cookie: None,
            client: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &mut self,
        base: &str,
        post: bool,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let url = format!("{base}{path}");
        let mut request = if post {
            self.client.post(url).form(form)
        } else {
            self.client.get(url)
        };
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", format!("{}={cookie}", self.name));
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if name == self.name {
                self.cookie =
                    (!value.is_empty() && !set.contains("Max-Age=0")).then(|| value.to_owned());
            }
        }
        (status, response.text().await.unwrap())
    }

    pub async fn login(&mut self, base: &str, user: &str, password: &str) -> StatusCode {
        self.send(
            base,
            true,
            "/login",
            &[("username", user), ("password", password)],
        )
        .await
        .0
    }

    pub async fn counter(&mut self, base: &str) -> (StatusCode, String) {
        self.send(base, false, "/counter", &[]).await
    }

    pub async fn logout(&mut self, base: &str) -> StatusCode {
        self.send(base, true, "/logout", &[]).await.0
    }
}
