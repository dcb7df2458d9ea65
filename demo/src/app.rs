//! The router and its handlers.
//!
//! Sessions come from `sealed_session`'s axum layer: it opens the session
//! cookie when a handler asks for the session, checks it against the
//! revocation set in memory (no database query per request), treats anything
//! that does not open (tampered, expired, revoked) as signed out and clears
//! the cookie, and re-seals the session on the way out when it changed or is
//! due (a retired key, an idle window half used).
//!
//! "Log out" revokes this device's session, "log out everywhere" every
//! session of the user, and the "your sessions" page any one device's. With
//! `DEMO_REDIS_URL` set, the revocations are shared with every demo instance
//! on the same Redis (see `main.rs`); without it this server's set is all.
//!
//! Built with [`Sessions`] that have no revocation set, the demo runs the way
//! it did before revocation sets: the user's epoch is read from SQLite on
//! every request (the `EpochSource` below) and "log out everywhere" bumps it.
//! The end-to-end bench compares the two.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sealed_session::axum::{SessionLayer, default_response};
use sealed_session::cookie::Cookie;
use sealed_session::engine::Arrival;
use sealed_session::time::format_description::well_known::Rfc3339;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    Clock, EpochSource, KeyRing, NoEpochs, OpenError, Revocation, SessionError, SessionHandle,
    SessionId, SessionStore, Sessions, UserId, UserSession,
};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::html;
use crate::size_cap::{self, SizeCap};

/// The session cookie's name. `__Host-`: the browser only accepts it with
/// `Secure`, `Path=/` and no `Domain`, from a secure origin (HTTPS, or
/// `http://127.0.0.1` / `localhost`, which browsers treat as secure).
pub const COOKIE_NAME: &str = "__Host-demo-session";

/// Session lifetime: absolute (from login) and idle.
pub const TTL: Duration = Duration::days(7);
/// Idle timeout: a session not used for this long ends.
pub const IDLE: Duration = Duration::hours(12);

const MIN_PASSWORD: usize = 8;
const MAX_PASSWORD: usize = 1024;
const MAX_USERNAME: usize = 64;

/// What the app keeps in the session cookie (sealed; the user id and epoch
/// are in the envelope).
#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
pub struct SessionData {
    /// The counter shown on the home page.
    pub counter: u64,
    /// The user name, shown on every page (saves a database query).
    pub username: String,
}

/// Builds the app's session store from a key ring.
///
/// # Errors
/// If the store configuration is refused.
pub fn build_store(
    ring: KeyRing,
    clock: Clock,
) -> Result<SessionStore, sealed_session::ConfigError> {
    build_store_named(COOKIE_NAME, ring, clock)
}

/// [`build_store`] with another cookie name (the demo's `DEMO_COOKIE_NAME`,
/// for the e2e cookie-tossing check).
///
/// # Errors
/// If the store configuration is refused.
pub fn build_store_named(
    name: &str,
    ring: KeyRing,
    clock: Clock,
) -> Result<SessionStore, sealed_session::ConfigError> {
    SessionStore::builder(name, ring)
        .ttl(TTL)
        .idle_timeout(IDLE)
        .clock(clock)
        .build()
}

/// The users' current epochs, for the session layer.
impl EpochSource for Db {
    async fn epoch(
        &self,
        user: &UserId,
    ) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        let Some(id) = user.as_u64() else {
            return Ok(None);
        };
        Ok(self.user(id).await?.map(|user| user.epoch))
    }
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Users and epochs.
    pub db: Db,
    /// The session cookie: name, options, live store (swap it to rotate
    /// keys) and clock.
    pub sessions: Sessions,
    /// The full-size cookie pages.
    pub size_cap: Arc<SizeCap>,
    /// A hash verified when the user name is unknown, so a failed login
    /// takes as long either way.
    pub dummy_hash: Arc<str>,
}

impl AppState {
    /// The app's state.
    ///
    /// # Errors
    /// If the size-cap store cannot be built, or hashing fails.
    pub fn new(db: Db, sessions: Sessions) -> Result<AppState, String> {
        let dummy_hash = hash_password("not a real password, only burns time")?;
        Ok(AppState {
            db,
            sessions,
            size_cap: Arc::new(SizeCap::new()?),
            dummy_hash: dummy_hash.into(),
        })
    }
}

/// The app's routes.
pub fn router(state: AppState) -> Router {
    let layer = match state.sessions.revocations() {
        // Revocations in memory: no epoch, nothing to look up per request.
        Some(_) => SessionLayer::new(state.sessions.clone(), NoEpochs),
        // The SQLite epoch on every request.
        None => SessionLayer::new(state.sessions.clone(), state.db.clone()),
    };
    let sessions = layer.on_error(|err: &SessionError| match err {
        SessionError::SignInRequired => redirect("/?m=signin"),
        other => default_response(other),
    });
    Router::new()
        .route("/", get(home))
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/counter", post(increment))
        .route("/visits", post(count_visit))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/sessions", get(sessions_page))
        .route("/sessions/end", post(end_session))
        .route("/session", get(session_page))
        .route("/size-cap", get(size_cap_page))
        .route("/size-cap/set", get(size_cap_set))
        .route("/size-cap/check", get(size_cap_check))
        .layer(sessions)
        .layer(axum::middleware::map_response(no_store))
        .with_state(state)
}

/// Pages depend on the session: never cache them.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The signed-in user, if any (a session without a user is a visitor's:
/// it only holds the visit counter).
fn signed_in(session: &SessionHandle<SessionData>) -> Option<UserId> {
    session.user_id()
}

/// Browsers send `Origin` on form posts: refuse posts from other origins
/// (defence in depth on top of `SameSite=Lax`).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(HOST).map(|h| h.to_str()))
    else {
        return false;
    };
    origin.strip_prefix("http://") == Some(host) || origin.strip_prefix("https://") == Some(host)
}

fn ended_message(ended: Option<OpenError>) -> Option<(&'static str, &'static str)> {
    ended.map(|err| {
        (
            "error",
            match err {
                OpenError::Expired | OpenError::IdleExpired => {
                    "Your session expired. Please log in again."
                }
                OpenError::Revoked => {
                    "You were logged out everywhere (or this device was logged out). Please log in again."
                }
                _ => "Your session cookie was not valid, so it was cleared. Please log in again.",
            },
        )
    })
}

// ---- responses --------------------------------------------------------------

/// An internal error: logged, answered with a plain 500.
#[derive(Debug)]
pub struct AppError(String);

impl<E: std::error::Error> From<E> for AppError {
    fn from(err: E) -> AppError {
        AppError(err.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        eprintln!("demo: internal error: {}", self.0);
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
    }
}

/// `303 See Other` to `to` (a fixed path of this app).
fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

// ---- pages ----------------------------------------------------------------

fn message_from_query(uri: &Uri) -> Option<(&'static str, &'static str)> {
    let code = uri
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("m="))?;
    Some(match code {
        "credentials" => ("error", "Wrong user name or password."),
        "taken" => ("error", "That user name is taken."),
        "username" => (
            "error",
            "User names are 1 to 64 characters, without spaces at the ends.",
        ),
        "password" => ("error", "Passwords are 8 to 1024 bytes."),
        "bye" => ("notice", "You are logged out in this browser."),
        "everywhere" => (
            "notice",
            "You are logged out everywhere: all your sessions have ended.",
        ),
        "signin" => ("error", "Please log in first."),
        "ended" => ("notice", "That device is logged out."),
        "unknown-session" => ("error", "No such session of yours."),
        "no-revocations" => (
            "error",
            "This server runs without a revocation set (DEMO_EPOCHS=sqlite): only log out everywhere works.",
        ),
        _ => return None,
    })
}

async fn home(session: SessionHandle<SessionData>, uri: Uri) -> Html<String> {
    let message = message_from_query(&uri);
    Html(match signed_in(&session) {
        Some(_) => {
            let data = session.get();
            html::home(&data.username, data.counter, message)
        }
        None => {
            let visits = session.info().map(|_| session.read(|d| d.counter));
            html::logged_out(ended_message(session.cookie_error()).or(message), visits)
        }
    })
}

/// A visitor (no login) counts visits in an anonymous session.
async fn count_visit(session: SessionHandle<SessionData>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    if signed_in(&session).is_some() {
        return redirect("/");
    }
    session.update(|data| data.counter = data.counter.saturating_add(1));
    redirect("/")
}

/// The "your sessions" page: the user's logins as the database recorded
/// them, with "log out this device" on each and "log out everywhere".
async fn sessions_page(
    State(state): State<AppState>,
    user: UserSession<SessionData>,
    uri: Uri,
) -> Result<Html<String>, AppError> {
    let Some(user_id) = user.user_id().as_u64() else {
        return Ok(Html(html::logged_out(None, None)));
    };
    let now = state.sessions.clock().now().unix_timestamp();
    let rows = state.db.sessions_of(user_id, now).await?;
    let current = user.session_id().map(SessionId::as_u64);
    let list: Vec<html::DeviceRow> = rows
        .iter()
        .map(|row| html::DeviceRow {
            id: SessionId::from_u64(row.id).to_string(),
            logged_in_at: unix_rfc3339(row.logged_in_at),
            expires_at: unix_rfc3339(row.expires_at),
            user_agent: row.user_agent.clone(),
            ended: row.ended_at.map(unix_rfc3339),
            this_device: current == Some(row.id),
        })
        .collect();
    Ok(Html(html::sessions(
        &user.read(|d| d.username.clone()),
        &list,
        message_from_query(&uri),
    )))
}

/// The form on the sessions page.
#[derive(Deserialize)]
pub struct EndSessionForm {
    /// The session id, 16 hex digits.
    id: String,
}

/// "Log out this device", for any of the user's sessions: revoked here and,
/// through the feed, on every server.
async fn end_session(
    State(state): State<AppState>,
    user: UserSession<SessionData>,
    headers: HeaderMap,
    Form(form): Form<EndSessionForm>,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let Some(revocations) = state.sessions.revocations() else {
        return Ok(redirect("/sessions?m=no-revocations"));
    };
    let (Some(user_id), Ok(id)) = (
        user.user_id().as_u64(),
        u64::from_str_radix(form.id.trim(), 16),
    ) else {
        return Ok(redirect("/sessions?m=unknown-session"));
    };
    let now = state.sessions.clock().now();
    let Some(row) = state
        .db
        .end_session(user_id, id, now.unix_timestamp())
        .await?
    else {
        return Ok(redirect("/sessions?m=unknown-session"));
    };
    let expires_at = OffsetDateTime::from_unix_timestamp(row.expires_at)?;
    revocations.revoke_at(
        Revocation::Session {
            id: SessionId::from_u64(id),
            expires_at,
        },
        now,
    );
    if user.session_id() == Some(SessionId::from_u64(id)) {
        user.logout();
        return Ok(redirect("/?m=bye"));
    }
    Ok(redirect("/sessions?m=ended"))
}

fn unix_rfc3339(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t).map_or_else(|_| t.to_string(), rfc3339)
}

/// Records a login (one device) for the sessions page.
async fn record_login(
    state: &AppState,
    session: &SessionHandle<SessionData>,
    user: u64,
    headers: &HeaderMap,
) -> Result<(), AppError> {
    let Some(id) = session.session_id() else {
        return Ok(());
    };
    let now = state.sessions.clock().now();
    let expires_at = now + state.sessions.store().ttl();
    let user_agent: String = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown browser")
        .chars()
        .take(200)
        .collect();
    state
        .db
        .record_session(
            user,
            id.as_u64(),
            now.unix_timestamp(),
            expires_at.unix_timestamp(),
            user_agent,
        )
        .await?;
    Ok(())
}

async fn session_page(session: SessionHandle<SessionData>) -> Html<String> {
    let (Some(_), Some(info)) = (signed_in(&session), session.info()) else {
        return Html(html::logged_out(
            ended_message(session.cookie_error()),
            None,
        ));
    };
    let data = session.get();
    let sealing_key_id = session.sessions().store().sealing_key_id();
    // The layer re-seals exactly when the cookie says it should.
    let resealed_under = if info.should_reseal() {
        format!("yes, now under key id {sealing_key_id}")
    } else {
        "no (the cookie is current)".to_owned()
    };
    let reasons = info.reseal_reasons();
    let rows = [
        ("user", "User", data.username.clone()),
        (
            "epoch",
            "Epoch",
            session.epoch().unwrap_or_default().to_string(),
        ),
        (
            "key-id",
            "Key id of the cookie you sent",
            info.key_id().to_string(),
        ),
        (
            "sealing-key-id",
            "Current sealing key id",
            sealing_key_id.to_string(),
        ),
        ("resealed", "Re-sealed in this response", resealed_under),
        (
            "reseal-reasons",
            "Why",
            format!(
                "retired key: {}, idle window half used: {}, policy tightened: {}",
                reasons.retired_key, reasons.idle_half_used, reasons.policy_tightened
            ),
        ),
        ("login-at", "Logged in at", rfc3339(info.login_at())),
        ("issued-at", "Cookie sealed at", rfc3339(info.issued_at())),
        (
            "expires-at",
            "Session expires at (absolute)",
            rfc3339(info.expires_at()),
        ),
        (
            "idle-deadline",
            "Idle deadline",
            info.idle_deadline()
                .map_or_else(|| "none".to_owned(), rfc3339),
        ),
        ("counter", "Counter", data.counter.to_string()),
    ];
    Html(html::session_details(&rows))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

// ---- forms ----------------------------------------------------------------

/// The log in and sign up form.
#[derive(Deserialize)]
pub struct CredentialsForm {
    username: String,
    password: String,
}

fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| err.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Runs argon2 off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    Ok(tokio::task::spawn_blocking(f).await?)
}

async fn signup(
    State(state): State<AppState>,
    session: SessionHandle<SessionData>,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let username = form.username.trim().to_owned();
    if username.is_empty()
        || username.chars().count() > MAX_USERNAME
        || username.chars().any(char::is_control)
    {
        return Ok(redirect("/?m=username"));
    }
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&form.password.len()) {
        return Ok(redirect("/?m=password"));
    }
    let password = form.password;
    let hash = blocking(move || hash_password(&password))
        .await?
        .map_err(AppError)?;
    let now = state.sessions.clock().now().unix_timestamp();
    let Some(user) = state.db.create_user(username, hash, now).await? else {
        return Ok(redirect("/?m=taken"));
    };
    let data = SessionData {
        counter: 0,
        username: user.username,
    };
    session.login(user.id, user.epoch, data);
    record_login(&state, &session, user.id, &headers).await?;
    Ok(redirect("/"))
}

async fn login(
    State(state): State<AppState>,
    session: SessionHandle<SessionData>,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    if form.password.len() > MAX_PASSWORD || form.username.len() > MAX_USERNAME.saturating_mul(4) {
        return Ok(redirect("/?m=credentials"));
    }
    let found = state
        .db
        .credentials(form.username.trim().to_owned())
        .await?;
    let hash = found
        .as_ref()
        .map_or_else(|| state.dummy_hash.to_string(), |c| c.password_hash.clone());
    let password = form.password;
    let ok = blocking(move || verify_password(&password, &hash)).await?;
    match found {
        Some(credentials) if ok => {
            let user = credentials.user;
            let data = SessionData {
                counter: 0,
                username: user.username,
            };
            session.login(user.id, user.epoch, data);
            record_login(&state, &session, user.id, &headers).await?;
            Ok(redirect("/"))
        }
        _ => Ok(redirect("/?m=credentials")),
    }
}

async fn increment(user: UserSession<SessionData>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    user.update(|data| data.counter = data.counter.saturating_add(1));
    redirect("/")
}

/// "Log out" (this device): the layer revokes the session, so a copy of
/// the cookie is refused too.
async fn logout(
    State(state): State<AppState>,
    session: SessionHandle<SessionData>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    if let (Some(user), Some(id)) = (
        signed_in(&session).and_then(|u| u.as_u64()),
        session.session_id(),
    ) {
        let now = state.sessions.clock().now().unix_timestamp();
        state.db.end_session(user, id.as_u64(), now).await?;
    }
    session.logout();
    Ok(redirect("/?m=bye"))
}

async fn logout_everywhere(
    State(state): State<AppState>,
    user: UserSession<SessionData>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let now = state.sessions.clock().now().unix_timestamp();
    if state.sessions.revocations().is_some() {
        // Every session of the user up to now, on every server.
        user.logout_everywhere()?;
    } else if let Some(id) = user.user_id().as_u64() {
        state.db.bump_epoch(id).await?;
        user.logout();
    }
    if let Some(id) = user.user_id().as_u64() {
        state.db.end_all_sessions(id, now).await?;
    }
    Ok(redirect("/?m=everywhere"))
}

// ---- the size cap -----------------------------------------------------------
// These pages set and read their own cookies by hand (one of them unsealed,
// one byte over the limit), to show what browsers keep: they are not the
// session and do not go through the session layer.

async fn size_cap_page() -> Html<String> {
    Html(html::page(
        "Size cap",
        r#"<h1 id="status">The 4096-byte limit</h1>
<p>Browsers keep a cookie only if its name and value together are at most 4096
bytes; Chromium and Firefox silently drop a cookie of 4097. The crate refuses
to seal anything larger than the limit, so a session never silently
disappears.</p>
<p><a href="/size-cap/set" id="size-set">1. Set a sealed cookie of exactly 4096 bytes</a>
(and an unsealed control cookie of 4097 bytes)</p>
<p><a href="/size-cap/check" id="size-check">2. Check what the browser sent back</a></p>"#,
    ))
}

async fn size_cap_set(State(state): State<AppState>) -> Result<Response, AppError> {
    let cap = &state.size_cap;
    let sealed = cap.seal()?;
    let cookie = cap.sessions().options().cookie(&sealed)?;
    let control = cap.control_cookie();
    let body = format!(
        r#"<h1 id="status">Cookies set</h1>
<table>
<tr><th>Sealed cookie <code>{name}</code>: name + value</th><td id="sealed-len">{sealed_len}</td></tr>
<tr><th>Payload bytes that fill it exactly</th><td id="fit">{fit}</td></tr>
<tr><th>Sealing one byte more</th><td id="refused">{refused}</td></tr>
<tr><th>Control cookie <code>{control_name}</code> (not sealed): name + value</th><td id="control-len">{control_len}</td></tr>
</table>
<p><a href="/size-cap/check" id="size-check">Check what the browser sent back</a></p>"#,
        name = size_cap::NAME,
        sealed_len = cookie.name().len().saturating_add(cookie.value().len()),
        fit = cap.fit(),
        refused = html::escape(&format!("refused: {:?} ({})", cap.refused(), cap.refused())),
        control_name = size_cap::CONTROL_NAME,
        control_len = control.name().len().saturating_add(control.value().len()),
    );
    let mut response = Html(html::page("Size cap", &body)).into_response();
    for cookie in [cookie, control] {
        let value = HeaderValue::try_from(cookie.to_string())?;
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

async fn size_cap_check(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    let header = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    let cap = &state.size_cap;
    let find = |name: &str| {
        Cookie::split_parse(header.as_str())
            .filter_map(Result::ok)
            .find(|c| c.name() == name)
            .map(|c| c.name().len().saturating_add(c.value().len()))
    };
    let sealed_len = find(size_cap::NAME);
    let control_len = find(size_cap::CONTROL_NAME);
    let opened = match cap.sessions().open::<Vec<u8>>([header.as_str()]) {
        Arrival::Ready(state) if state.data() == Some(&cap.payload()) => "yes",
        Arrival::Ready(state) if state.cookie_error().is_some() => "no (it did not open)",
        _ => "no",
    };
    let show =
        |len: Option<usize>| len.map_or_else(|| "no".to_owned(), |n| format!("yes, {n} bytes"));
    let body = format!(
        r#"<h1 id="status">What came back</h1>
<table>
<tr><th>Sealed 4096-byte cookie received</th><td id="sealed-received">{}</td></tr>
<tr><th>It opened, payload intact</th><td id="sealed-opened">{}</td></tr>
<tr><th>4097-byte control cookie received</th><td id="control-received">{}</td></tr>
</table>"#,
        show(sealed_len),
        opened,
        show(control_len),
    );
    Html(html::page("Size cap", &body))
}
