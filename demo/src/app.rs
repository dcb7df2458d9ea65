//! The router and its handlers.
//!
//! Every request opens the session cookie with the current store, checks the
//! user's epoch in the database, and treats anything that does not open
//! (tampered, expired, revoked, unknown user) as signed out, clearing the
//! cookie. A session sealed under a retired key (or otherwise due) is
//! re-sealed under the current key on the way out, and so is every counter
//! change.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sealed_session::cookie::{Cookie, CookieOptions};
use sealed_session::time::format_description::well_known::Rfc3339;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{KeyRing, OpenError, Opened, SessionStore, UserId};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::db::{Db, User};
use crate::html;
use crate::sessions::Sessions;
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
}

/// Builds the app's session store from a key ring.
///
/// # Errors
/// If the store configuration is refused.
pub fn build_store(ring: KeyRing) -> Result<SessionStore, sealed_session::ConfigError> {
    SessionStore::builder(COOKIE_NAME, ring)
        .ttl(TTL)
        .idle_timeout(IDLE)
        .build()
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Users and epochs.
    pub db: Db,
    /// The current session store (swap it to rotate keys).
    pub sessions: Sessions,
    /// Where "now" comes from.
    pub clock: Clock,
    /// `Set-Cookie` attributes.
    pub cookie: CookieOptions,
    /// The removal cookie (built once, from the validated options).
    pub removal: Arc<Cookie<'static>>,
    /// The full-size cookie pages.
    pub size_cap: Arc<SizeCap>,
    /// A hash verified when the user name is unknown, so a failed login
    /// takes as long either way.
    pub dummy_hash: Arc<str>,
}

impl AppState {
    /// State with the secure cookie defaults.
    ///
    /// # Errors
    /// If the cookie options do not suit the cookie name, the size-cap store
    /// cannot be built, or hashing fails.
    pub fn new(db: Db, sessions: Sessions, clock: Clock) -> Result<AppState, String> {
        let cookie = CookieOptions::new();
        let removal = cookie.removal(COOKIE_NAME).map_err(|err| err.to_string())?;
        let dummy_hash = hash_password("not a real password, only burns time")?;
        Ok(AppState {
            db,
            sessions,
            clock,
            cookie,
            removal: Arc::new(removal),
            size_cap: Arc::new(SizeCap::new()?),
            dummy_hash: dummy_hash.into(),
        })
    }
}

/// The app's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/counter", post(increment))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/session", get(session_page))
        .route("/size-cap", get(size_cap_page))
        .route("/size-cap/set", get(size_cap_set))
        .route("/size-cap/check", get(size_cap_check))
        .with_state(state)
}

// ---- authentication -------------------------------------------------------

/// The result of looking at the request's session cookie.
enum Auth {
    SignedIn(Box<SignedIn>),
    /// No valid session. `ended` says why a cookie that was sent did not
    /// open (then it is cleared).
    SignedOut {
        ended: Option<OpenError>,
    },
}

struct SignedIn {
    store: SessionStore,
    user: User,
    session: sealed_session::Session<SessionData>,
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Auth, AppError> {
    let store = state.sessions.current();
    let now = state.clock.now();
    let header = cookie_header(headers);
    let pending = match store.open_cookie_header_at::<SessionData>(&header, now) {
        Ok(None) => return Ok(Auth::SignedOut { ended: None }),
        Err(err) => return Ok(Auth::SignedOut { ended: Some(err) }),
        // This app only issues user sessions.
        Ok(Some(Opened::Anonymous(_))) => {
            return Ok(Auth::SignedOut {
                ended: Some(OpenError::Invalid),
            });
        }
        Ok(Some(Opened::User(pending))) => pending,
    };
    let user = match pending.user_id().as_u64() {
        Some(id) => state.db.user(id).await?,
        None => None,
    };
    let Some(user) = user else {
        return Ok(Auth::SignedOut {
            ended: Some(OpenError::Revoked),
        });
    };
    match pending.verify_epoch(user.epoch) {
        // `open` accepts a cookie up to the clock-skew leeway past its
        // deadlines, but such a session cannot be re-sealed: it is over.
        Ok(session) if session.info().in_leeway() => Ok(Auth::SignedOut {
            ended: Some(OpenError::Expired),
        }),
        Ok(session) => Ok(Auth::SignedIn(Box::new(SignedIn {
            store,
            user,
            session,
        }))),
        Err(err) => Ok(Auth::SignedOut { ended: Some(err) }),
    }
}

/// All `Cookie` header fields, joined (HTTP/2 may split them).
fn cookie_header(headers: &HeaderMap) -> String {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
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
                    "You were logged out everywhere (or your account is gone). Please log in again."
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

fn with_cookies(mut response: Response, cookies: &[Cookie<'static>]) -> Result<Response, AppError> {
    for cookie in cookies {
        let value = HeaderValue::try_from(cookie.to_string())?;
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn html_page(body: String, cookies: &[Cookie<'static>]) -> Result<Response, AppError> {
    with_cookies(Html(body).into_response(), cookies)
}

/// `303 See Other` to `to` (a fixed path of this app).
fn redirect(to: &'static str, cookies: &[Cookie<'static>]) -> Result<Response, AppError> {
    let response = (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response();
    with_cookies(response, cookies)
}

fn removal(state: &AppState) -> Cookie<'static> {
    state.removal.as_ref().clone()
}

/// The cookie to send for a signed-in request that changed nothing: a
/// re-sealed one if the crate says so (retired key, idle window half used,
/// tightened policy), else none.
fn reseal_if_due(state: &AppState, signed_in: &SignedIn) -> Result<Vec<Cookie<'static>>, AppError> {
    if !signed_in.session.info().should_reseal() {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let sealed = signed_in.store.reseal_at(&signed_in.session, now)?;
    Ok(vec![state.cookie.cookie_at(&sealed, now)?])
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
        _ => return None,
    })
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let message = message_from_query(&uri);
    match authenticate(&state, &headers).await? {
        Auth::SignedIn(signed_in) => {
            let cookies = reseal_if_due(&state, &signed_in)?;
            let body = html::home(
                &signed_in.user.username,
                signed_in.session.data().counter,
                message,
            );
            html_page(body, &cookies)
        }
        Auth::SignedOut { ended } => {
            let cookies = if ended.is_some() {
                vec![removal(&state)]
            } else {
                Vec::new()
            };
            html_page(html::logged_out(ended_message(ended).or(message)), &cookies)
        }
    }
}

async fn session_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let signed_in = match authenticate(&state, &headers).await? {
        Auth::SignedIn(signed_in) => signed_in,
        Auth::SignedOut { ended } => {
            let cookies = if ended.is_some() {
                vec![removal(&state)]
            } else {
                Vec::new()
            };
            return html_page(html::logged_out(ended_message(ended)), &cookies);
        }
    };
    let info = *signed_in.session.info();
    let cookies = reseal_if_due(&state, &signed_in)?;
    let resealed_under = if cookies.is_empty() {
        "no (the cookie is current)".to_owned()
    } else {
        format!("yes, now under key id {}", signed_in.store.sealing_key_id())
    };
    let reasons = info.reseal_reasons();
    let rows = [
        ("user", "User", signed_in.user.username.clone()),
        ("epoch", "Epoch", signed_in.user.epoch.to_string()),
        (
            "key-id",
            "Key id of the cookie you sent",
            info.key_id().to_string(),
        ),
        (
            "sealing-key-id",
            "Current sealing key id",
            signed_in.store.sealing_key_id().to_string(),
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
        (
            "counter",
            "Counter",
            signed_in.session.data().counter.to_string(),
        ),
    ];
    html_page(html::session_details(&rows), &cookies)
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

/// A fresh login: a new session (counter 0) for `user`.
fn login_cookie(state: &AppState, user: &User) -> Result<Cookie<'static>, AppError> {
    let store = state.sessions.current();
    let now = state.clock.now();
    let sealed = store.seal_for_user_at(
        &UserId::from(user.id),
        user.epoch,
        &SessionData::default(),
        now,
    )?;
    Ok(state.cookie.cookie_at(&sealed, now)?)
}

async fn signup(
    State(state): State<AppState>,
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
        return redirect("/?m=username", &[]);
    }
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&form.password.len()) {
        return redirect("/?m=password", &[]);
    }
    let password = form.password;
    let hash = blocking(move || hash_password(&password))
        .await?
        .map_err(AppError)?;
    let now = state.clock.now().unix_timestamp();
    let Some(user) = state.db.create_user(username, hash, now).await? else {
        return redirect("/?m=taken", &[]);
    };
    redirect("/", &[login_cookie(&state, &user)?])
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    if form.password.len() > MAX_PASSWORD || form.username.len() > MAX_USERNAME.saturating_mul(4) {
        return redirect("/?m=credentials", &[]);
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
        Some(credentials) if ok => redirect("/", &[login_cookie(&state, &credentials.user)?]),
        _ => redirect("/?m=credentials", &[]),
    }
}

async fn increment(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    match authenticate(&state, &headers).await? {
        Auth::SignedIn(mut signed_in) => {
            let data = signed_in.session.data_mut();
            data.counter = data.counter.saturating_add(1);
            let now = state.clock.now();
            let sealed = signed_in.store.reseal_at(&signed_in.session, now)?;
            redirect("/", &[state.cookie.cookie_at(&sealed, now)?])
        }
        Auth::SignedOut { ended: Some(_) } => redirect("/", &[removal(&state)]),
        Auth::SignedOut { ended: None } => redirect("/?m=signin", &[]),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    redirect("/?m=bye", &[removal(&state)])
}

async fn logout_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    match authenticate(&state, &headers).await? {
        Auth::SignedIn(signed_in) => {
            state.db.bump_epoch(signed_in.user.id).await?;
            redirect("/?m=everywhere", &[removal(&state)])
        }
        Auth::SignedOut { ended: Some(_) } => redirect("/", &[removal(&state)]),
        Auth::SignedOut { ended: None } => redirect("/?m=signin", &[]),
    }
}

// ---- the size cap -----------------------------------------------------------

fn size_cap_options(state: &AppState) -> CookieOptions {
    // Not `__Host-` (that needs Path=/): these cookies only go to /size-cap.
    state.cookie.clone().path(size_cap::PATH)
}

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
    let now = state.clock.now();
    let options = size_cap_options(&state);
    let sealed = cap.seal(now)?;
    let cookie = options.cookie_at(&sealed, now)?;
    let control = cap.control_cookie(&options);
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
    html_page(html::page("Size cap", &body), &[cookie, control])
}

async fn size_cap_check(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let header = cookie_header(&headers);
    let cap = &state.size_cap;
    let find = |name: &str| {
        Cookie::split_parse(header.as_str())
            .filter_map(Result::ok)
            .find(|c| c.name() == name)
            .map(|c| c.name().len().saturating_add(c.value().len()))
    };
    let sealed_len = find(size_cap::NAME);
    let control_len = find(size_cap::CONTROL_NAME);
    let opened = match cap
        .store()
        .open_cookie_header_at::<Vec<u8>>(&header, state.clock.now())
    {
        Ok(Some(Opened::Anonymous(session))) if *session.data() == cap.payload() => "yes",
        Ok(_) => "no",
        Err(_) => "no (it did not open)",
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
    html_page(html::page("Size cap", &body), &[])
}
