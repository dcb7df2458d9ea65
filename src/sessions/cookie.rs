//! `Set-Cookie` and `Cookie` glue, on top of the [`cookie`](https://docs.rs/cookie/0.18)
//! crate (feature `cookie`).
//!
//! * Writing: [`CookieOptions`] turns a [`Sealed`] into a
//!   [`Cookie<'static>`](Cookie) with secure defaults (`HttpOnly`, `Secure`,
//!   `SameSite=Lax`, `Path=/`, a `Max-Age` that never outlives the seal's
//!   [deadline](Sealed::deadline)), and makes the matching removal cookie for
//!   logout.
//! * Reading: [`Sessions::open`](crate::Sessions::open) picks the session
//!   out of the raw `Cookie` request header field(s) (several cookies,
//!   duplicates, junk, cookie tossing); the framework adapters do it for
//!   you. There is deliberately no way to read it from a `CookieJar`: a jar
//!   keeps one cookie per name, so a planted duplicate would silently win.
//!
//! Name the cookie with the `__Host-` prefix (for example `__Host-session`):
//! browsers then only accept it from a secure origin, with `Secure`, `Path=/`
//! and no `Domain`, so a sibling subdomain or a plain-HTTP page cannot plant
//! or shadow it. [`CookieOptions::validate`] checks the options against the
//! name.
//!
//! # Example
//! ```
//! use sealed_session::cookie::CookieOptions;
//! use sealed_session::{Key, KeyRing, SessionStore};
//!
//! use time::OffsetDateTime;
//!
//! let now = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
//! let (clock, _) = sealed_session::Clock::manual(now); // or the system clock, the default
//! let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate()))
//!     .clock(clock)
//!     .build()?;
//! let options = CookieOptions::new();
//! options.validate(store.cookie_name())?; // once, at start-up
//!
//! // response: Set-Cookie
//! let sealed = store.seal(&5u32)?;
//! let cookie = options.cookie_at(&sealed, now)?;
//! let set_cookie = cookie.to_string();
//! assert!(set_cookie.starts_with("__Host-session="));
//! assert!(set_cookie.ends_with("; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=86400"));
//!
//! // next request: the browser's Cookie header (Sessions holds store, options and clock)
//! let sessions = sealed_session::Sessions::new(store, options)?;
//! let header = format!("theme=dark; __Host-session={}", sealed.value());
//! let sealed_session::engine::Arrival::Ready(state) = sessions.open::<u32>([header]) else {
//!     unreachable!("an anonymous session")
//! };
//! assert_eq!(state.data(), Some(&5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::borrow::Cow;

use time::{Duration, OffsetDateTime};

use crate::format::wire;
use crate::session::Sealed;
#[cfg(doc)]
use crate::store::SessionStore;

/// Re-exported from the [`cookie`](https://docs.rs/cookie/0.18) crate (0.18),
/// so no direct dependency is needed.
pub use ::cookie::{Cookie, CookieJar, SameSite};

/// At most this many `name=value` pairs of a `Cookie` header are looked at.
/// Browsers keep about 180 cookies per site, so a real header has fewer.
///
/// # Example
/// ```
/// use sealed_session::cookie::{CookieOptions, MAX_HEADER_PAIRS};
/// use sealed_session::{Key, KeyRing, SessionStore, Sessions};
///
/// use sealed_session::engine::Arrival;
///
/// let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate())).build()?;
/// let value = store.seal(&1u8)?.into_value();
/// let sessions = Sessions::new(store, CookieOptions::new())?;
/// let filler = "a=1; ".repeat(MAX_HEADER_PAIRS);
/// // a session cookie past the limit is not looked at
/// let Arrival::Ready(state) = sessions.open::<u8>([format!("{filler}__Host-sid={value}")]) else {
///     unreachable!()
/// };
/// assert!(state.data().is_none() && state.cookie_error().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_HEADER_PAIRS: usize = 512;

/// The `Cache-Control` value the adapters give a response that sets the
/// session cookie or depends on the session (the handler asked for it),
/// unless the application set its own `Cache-Control`: a shared cache must
/// never hand one user's session cookie, or a page made for them, to
/// another (the bug class of Flask's CVE-2023-30861). With it goes
/// `Vary: Cookie` ([`needs_vary_cookie`]).
///
/// Glue for another framework does the same after
/// [`Sessions::finish`](crate::Sessions::finish): for every response to a
/// request whose session it opened, set `Cache-Control: private` if the
/// response has none, and append `Vary: Cookie` if [`needs_vary_cookie`].
/// To opt out for a response (a public page that never reads the session),
/// set `Cache-Control` on it yourself, or do not ask for the session there.
///
/// # Example
/// ```
/// assert_eq!(sealed_session::cookie::CACHE_CONTROL_PRIVATE, "private");
/// ```
pub const CACHE_CONTROL_PRIVATE: &str = "private";

/// Whether a response whose `Vary` header fields are `vary` still needs
/// `Vary: Cookie` appended: no field lists `Cookie` (in any case) or `*`.
///
/// # Example
/// ```
/// use sealed_session::cookie::needs_vary_cookie;
///
/// assert!(needs_vary_cookie::<[&str; 0], _>([]));
/// assert!(needs_vary_cookie(["Accept-Encoding"]));
/// assert!(!needs_vary_cookie(["accept-encoding, cookie"]));
/// assert!(!needs_vary_cookie(["*"]));
/// ```
pub fn needs_vary_cookie<I, V>(vary: I) -> bool
where
    I: IntoIterator<Item = V>,
    V: AsRef<[u8]>,
{
    !vary.into_iter().any(|field| {
        field.as_ref().split(|b| *b == b',').any(|token| {
            let token = token.trim_ascii();
            token == b"*" || token.eq_ignore_ascii_case(b"cookie")
        })
    })
}

/// The attributes of the session cookie: secure by default, each one
/// overridable. Cheap to clone; build once at start-up, next to the store.
///
/// Defaults: `HttpOnly`, `Secure`, `SameSite=Lax`, `Path=/`, no `Domain`, a
/// persistent cookie whose `Max-Age` ends at the seal's
/// [deadline](Sealed::deadline) (the earlier of the absolute lifetime and the
/// idle timeout).
///
/// The options are the same for every store of a cookie name, so key rotation
/// (building a new [`SessionStore`]) does not touch them.
///
/// # Example
/// ```
/// use sealed_session::cookie::{CookieOptions, SameSite};
/// use sealed_session::{Key, KeyRing, SessionStore};
/// use time::{Duration, OffsetDateTime};
///
/// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate()))
///     .ttl(Duration::hours(8))
///     .build()?;
/// let options = CookieOptions::new()
///     .same_site(SameSite::Strict)
///     .max_age(Duration::hours(1)); // re-sent at least hourly by your app
/// let now = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
/// let cookie = options.cookie_at(&store.seal_at(&"data", now)?, now)?;
/// assert_eq!(cookie.same_site(), Some(SameSite::Strict));
/// assert_eq!(cookie.max_age(), Some(Duration::hours(1)));
/// assert_eq!(cookie.http_only(), Some(true));
/// assert_eq!(cookie.secure(), Some(true));
/// assert_eq!(cookie.path(), Some("/"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct CookieOptions {
    http_only: bool,
    secure: bool,
    same_site: SameSite,
    path: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
    persistent: bool,
    max_age: Option<Duration>,
    allow_unprefixed: bool,
}

impl Default for CookieOptions {
    fn default() -> CookieOptions {
        CookieOptions::new()
    }
}

impl CookieOptions {
    /// The secure defaults: `HttpOnly; SameSite=Lax; Secure; Path=/` and a
    /// `Max-Age` ending at the seal's deadline.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::{CookieOptions, SameSite};
    ///
    /// let options = CookieOptions::new();
    /// assert_eq!(options, CookieOptions::default());
    /// let removal = options.removal("__Host-sid")?;
    /// assert_eq!(removal.same_site(), Some(SameSite::Lax));
    /// assert_eq!((removal.http_only(), removal.secure()), (Some(true), Some(true)));
    /// assert_eq!(removal.path(), Some("/"));
    /// # Ok::<(), sealed_session::cookie::CookieOptionsError>(())
    /// ```
    pub fn new() -> CookieOptions {
        CookieOptions {
            http_only: true,
            secure: true,
            same_site: SameSite::Lax,
            path: Cow::Borrowed("/"),
            domain: None,
            persistent: true,
            max_age: None,
            allow_unprefixed: false,
        }
    }

    /// ⚠️ `HttpOnly` (default `true`). Turning it off lets any script on the
    /// page, including an injected one, read the session cookie and send it
    /// elsewhere. The cookie is opaque to scripts anyway; there is no reason
    /// to turn this off.
    ///
    /// # Example
    /// ```
    /// let options = sealed_session::cookie::CookieOptions::new().http_only(true);
    /// # let _ = options;
    /// ```
    pub fn http_only(mut self, http_only: bool) -> CookieOptions {
        self.http_only = http_only;
        self
    }

    /// ⚠️ `Secure` (default `true`): the browser sends the cookie only over
    /// HTTPS (and `http://localhost`). Turning it off sends the session
    /// credential in clear text over plain HTTP, where anyone on the network
    /// can copy it. Only for local development over plain HTTP; it also
    /// breaks `__Host-` and `__Secure-` names (the browser drops the cookie)
    /// and `SameSite=None`.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    ///
    /// // local development over http://127.0.0.1 only
    /// let dev = CookieOptions::new().secure(false);
    /// assert!(dev.validate("dev_session").is_ok());
    /// assert!(dev.validate("__Host-session").is_err());
    /// ```
    pub fn secure(mut self, secure: bool) -> CookieOptions {
        self.secure = secure;
        self
    }

    /// `SameSite` (default `Lax`: sent on top-level navigations from other
    /// sites, not on their cross-site `POST`s, images or fetches, which is
    /// the browser's defence against cross-site request forgery).
    /// `Strict` is stricter still (not even sent when following a link from
    /// another site).
    ///
    /// ⚠️ `SameSite::None` sends the cookie on every cross-site request: your
    /// forms then need their own CSRF protection. Browsers require `Secure`
    /// with it.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::{CookieOptions, SameSite};
    ///
    /// let options = CookieOptions::new().same_site(SameSite::Strict);
    /// let removal = options.removal("__Host-sid")?;
    /// assert_eq!(removal.same_site(), Some(SameSite::Strict));
    /// # Ok::<(), sealed_session::cookie::CookieOptionsError>(())
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> CookieOptions {
        self.same_site = same_site;
        self
    }

    /// `Path` (default `/`). A narrower path limits where the browser sends
    /// the cookie; `__Host-` names require `/`.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    ///
    /// let options = CookieOptions::new().path("/admin");
    /// assert!(options.validate("admin_session").is_ok());
    /// assert!(options.validate("__Host-admin").is_err());
    /// ```
    pub fn path(mut self, path: impl Into<Cow<'static, str>>) -> CookieOptions {
        self.path = path.into();
        self
    }

    /// ⚠️ `Domain` (default none: the cookie goes back only to the exact
    /// host that set it). With a domain, every subdomain receives the session
    /// cookie, and any of them (a forgotten staging host, a user-content
    /// host) can read, overwrite or shadow it. Not allowed for `__Host-`
    /// names.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    ///
    /// let options = CookieOptions::new().domain("example.com");
    /// assert_eq!(options.removal("sid")?.domain(), Some("example.com"));
    /// # Ok::<(), sealed_session::cookie::CookieOptionsError>(())
    /// ```
    pub fn domain(mut self, domain: impl Into<Cow<'static, str>>) -> CookieOptions {
        self.domain = Some(domain.into());
        self
    }

    /// Whether the cookie outlives the browser session (default `true`:
    /// `Max-Age` until the seal's deadline). With `false` the cookie has no
    /// `Max-Age` and browsers drop it when they close (or keep it when they
    /// restore the session); the seal's own deadline still applies on the
    /// server either way.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let options = CookieOptions::new().persistent(false);
    /// let cookie = options.cookie(&store.seal(&())?)?;
    /// assert_eq!(cookie.max_age(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn persistent(mut self, persistent: bool) -> CookieOptions {
        self.persistent = persistent;
        self
    }

    /// An upper bound on `Max-Age`, for a cookie that should leave the
    /// browser sooner than the seal's deadline. `Max-Age` is still never
    /// later than the deadline. Negative bounds count as zero.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate())).build()?;
    /// let now = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
    /// let sealed = store.seal_at(&(), now)?; // deadline: one day
    /// let short = CookieOptions::new().max_age(Duration::minutes(10));
    /// assert_eq!(short.cookie_at(&sealed, now)?.max_age(), Some(Duration::minutes(10)));
    /// let long = CookieOptions::new().max_age(Duration::days(30));
    /// assert_eq!(long.cookie_at(&sealed, now)?.max_age(), Some(Duration::days(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> CookieOptions {
        self.max_age = Some(max_age);
        self
    }

    /// Checks the options against the cookie name, once at start-up: the
    /// rules browsers enforce by silently dropping the cookie, and values
    /// that would break the `Set-Cookie` syntax.
    ///
    /// # Errors
    /// A [`CookieOptionsError`] naming the first problem found.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::{CookieOptions, CookieOptionsError, SameSite};
    ///
    /// assert_eq!(CookieOptions::new().validate("__Host-session"), Ok(()));
    /// assert_eq!(
    ///     CookieOptions::new().domain("example.com").validate("__Host-session"),
    ///     Err(CookieOptionsError::HostPrefix)
    /// );
    /// assert_eq!(
    ///     CookieOptions::new().secure(false).same_site(SameSite::None).validate("sid"),
    ///     Err(CookieOptionsError::SameSiteNoneWithoutSecure)
    /// );
    /// assert_eq!(
    ///     CookieOptions::new().path("/; Domain=evil.example").validate("sid"),
    ///     Err(CookieOptionsError::Path)
    /// );
    /// // browsers match the prefixes in any ASCII case
    /// assert_eq!(
    ///     CookieOptions::new().secure(false).validate("__HOST-session"),
    ///     Err(CookieOptionsError::HostPrefix)
    /// );
    /// ```
    pub fn validate(&self, cookie_name: &str) -> Result<(), CookieOptionsError> {
        if !is_attribute_value(&self.path) || !self.path.starts_with('/') {
            return Err(CookieOptionsError::Path);
        }
        if let Some(domain) = &self.domain
            && (domain.is_empty() || !is_attribute_value(domain))
        {
            return Err(CookieOptionsError::Domain);
        }
        if has_prefix(cookie_name, HOST_PREFIX)
            && (!self.secure || self.domain.is_some() || self.path != "/")
        {
            return Err(CookieOptionsError::HostPrefix);
        }
        if has_prefix(cookie_name, SECURE_PREFIX) && !self.secure {
            return Err(CookieOptionsError::SecurePrefix);
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(CookieOptionsError::SameSiteNoneWithoutSecure);
        }
        Ok(())
    }

    /// Lets [`Sessions`](crate::Sessions) use a cookie name without the
    /// `__Host-` prefix, which it otherwise refuses
    /// ([`CookieOptionsError::NoHostPrefix`]).
    ///
    /// ⚠️ Without `__Host-`, a page on any sibling subdomain (or a
    /// plain-HTTP response on the same host) can plant a cookie with the
    /// session's name (cookie tossing). The engine then sees two authentic
    /// cookies, serves no session and removes neither, so the victim is
    /// never signed in as the attacker; but a planted cookie still signs
    /// the victim out wherever it is sent, and signs a visitor with no
    /// session of their own in as the attacker. Use it only where `__Host-`
    /// cannot work: a cookie scoped to a path or shared by subdomains.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore, Sessions};
    ///
    /// let store = SessionStore::builder("cart", KeyRing::new(1, Key::generate())).build()?;
    /// let options = CookieOptions::new().path("/shop").dangerously_allow_unprefixed_name();
    /// Sessions::new(store, options)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dangerously_allow_unprefixed_name(mut self) -> CookieOptions {
        self.allow_unprefixed = true;
        self
    }

    /// [`CookieOptions::validate_strict`], or [`CookieOptions::validate`]
    /// where the name without `__Host-` was allowed loudly.
    pub(crate) fn validate_for_sessions(
        &self,
        cookie_name: &str,
    ) -> Result<(), CookieOptionsError> {
        if self.allow_unprefixed {
            self.validate(cookie_name)
        } else {
            self.validate_strict(cookie_name)
        }
    }

    /// [`CookieOptions::validate`], and the name must carry the `__Host-`
    /// prefix (in any ASCII case, as browsers match it).
    ///
    /// Without `__Host-`, a sibling subdomain (or a plain-HTTP page of the
    /// same host) can plant a cookie with the session's name — for example
    /// a valid session of the attacker's own account, with a longer `Path`
    /// so the browser sends it first (cookie tossing: login CSRF, session
    /// fixation). The opener answers two authentic cookies with
    /// [`OpenError::Ambiguous`](crate::OpenError::Ambiguous), but it cannot see a planted cookie when the
    /// user has none of their own. `__Host-` makes browsers refuse such a
    /// plant. Use this check in production.
    ///
    /// # Errors
    /// [`CookieOptionsError::NoHostPrefix`], or the first problem
    /// [`CookieOptions::validate`] finds.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::{CookieOptions, CookieOptionsError};
    ///
    /// assert_eq!(CookieOptions::new().validate_strict("__Host-session"), Ok(()));
    /// assert_eq!(
    ///     CookieOptions::new().validate_strict("session"),
    ///     Err(CookieOptionsError::NoHostPrefix)
    /// );
    /// ```
    pub fn validate_strict(&self, cookie_name: &str) -> Result<(), CookieOptionsError> {
        self.validate(cookie_name)?;
        if !has_prefix(cookie_name, HOST_PREFIX) {
            return Err(CookieOptionsError::NoHostPrefix);
        }
        Ok(())
    }

    /// The `Set-Cookie` for `sealed`, at the system clock's time. See
    /// [`CookieOptions::cookie_at`].
    ///
    /// # Errors
    /// As [`CookieOptions::cookie_at`].
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore};
    ///
    /// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
    /// let sealed = store.seal(&"data")?;
    /// let cookie = CookieOptions::new().cookie(&sealed)?;
    /// assert_eq!(cookie.value(), sealed.value());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cookie(&self, sealed: &Sealed) -> Result<Cookie<'static>, CookieOptionsError> {
        self.cookie_at(sealed, OffsetDateTime::now_utc())
    }

    #[doc(hidden)] // `cookie` at a given time; `Sessions` passes its clock's
    pub fn cookie_at(
        &self,
        sealed: &Sealed,
        now: OffsetDateTime,
    ) -> Result<Cookie<'static>, CookieOptionsError> {
        self.validate(sealed.cookie_name())?;
        let builder = self.base(sealed.cookie_name().to_owned(), sealed.value().to_owned());
        if !self.persistent {
            return Ok(builder.build());
        }
        let mut max_age = seconds_until(sealed.deadline(), now);
        if let Some(cap) = self.max_age {
            max_age = max_age.min(cap.max(Duration::ZERO));
        }
        Ok(builder.max_age(max_age).build())
    }

    /// The removal cookie for logout: `cookie_name` with the same `Path`,
    /// `Domain` and flags as the session cookie (so the browser matches it to
    /// the session cookie: a `__Host-` or sub-path cookie is otherwise never
    /// deleted), an empty value, `Max-Age=0` and an `Expires` in 1970.
    ///
    /// Removing the cookie only cleans up the browser: a copied cookie value
    /// stays valid until it expires. For a real logout of a user session,
    /// bump the user's epoch as well.
    ///
    /// # Example
    /// ```
    /// use sealed_session::cookie::CookieOptions;
    /// use sealed_session::{Key, KeyRing, SessionStore};
    ///
    /// let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate())).build()?;
    /// let removal = CookieOptions::new().removal(store.cookie_name())?.to_string();
    /// assert!(removal.starts_with("__Host-session=;"));
    /// assert!(removal.contains("Max-Age=0"));
    /// assert!(removal.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`CookieOptions::cookie_at`], and [`CookieOptionsError::Name`] if
    /// `cookie_name` is not an RFC 6265 token.
    pub fn removal(&self, cookie_name: &str) -> Result<Cookie<'static>, CookieOptionsError> {
        if !wire::is_cookie_name(cookie_name) {
            return Err(CookieOptionsError::Name);
        }
        self.validate(cookie_name)?;
        Ok(self
            .base(cookie_name.to_owned(), String::new())
            .max_age(Duration::ZERO)
            .expires(OffsetDateTime::UNIX_EPOCH)
            .build())
    }

    fn base(&self, name: String, value: String) -> ::cookie::CookieBuilder<'static> {
        let builder = Cookie::build((name, value))
            .http_only(self.http_only)
            .secure(self.secure)
            .same_site(self.same_site)
            .path(self.path.clone());
        match &self.domain {
            Some(domain) => builder.domain(domain.clone()),
            None => builder,
        }
    }
}

/// Whole seconds from `now` until `deadline`, rounded down, at least zero.
fn seconds_until(deadline: OffsetDateTime, now: OffsetDateTime) -> Duration {
    // Round `now` up to the next whole second, so the result never reaches
    // past the deadline (which is a whole second).
    let now_secs = now.unix_timestamp();
    let now_ceil = if now.nanosecond() > 0 {
        now_secs.saturating_add(1)
    } else {
        now_secs
    };
    Duration::seconds(deadline.unix_timestamp().saturating_sub(now_ceil).max(0))
}

/// An RFC 6265 attribute value: no control characters and no `;`.
fn is_attribute_value(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

const HOST_PREFIX: &str = "__Host-";
const SECURE_PREFIX: &str = "__Secure-";

/// Whether `name` starts with `prefix` ignoring ASCII case, as browsers
/// match the cookie prefixes (RFC 6265bis section 4.1.3).
fn has_prefix(name: &str, prefix: &str) -> bool {
    name.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Cookie options that browsers would reject or that break the `Set-Cookie`
/// syntax, reported by [`CookieOptions::validate`].
///
/// # Example
/// ```
/// use sealed_session::cookie::{CookieOptions, CookieOptionsError};
///
/// let err = CookieOptions::new().secure(false).validate("__Host-session").unwrap_err();
/// assert_eq!(err, CookieOptionsError::HostPrefix);
/// assert!(err.to_string().contains("__Host-"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CookieOptionsError {
    /// A `__Host-` name needs `Secure`, `Path=/` and no `Domain`.
    HostPrefix,
    /// A `__Secure-` name needs `Secure`.
    SecurePrefix,
    /// `SameSite=None` needs `Secure`.
    SameSiteNoneWithoutSecure,
    /// The path does not start with `/`, or has `;` or control characters.
    Path,
    /// The domain is empty, or has `;` or control characters.
    Domain,
    /// The name has no `__Host-` prefix ([`CookieOptions::validate_strict`]).
    NoHostPrefix,
    /// The cookie name is not an RFC 6265 token.
    Name,
    /// A new store for [`Sessions::replace`](crate::Sessions::replace) is
    /// for another cookie name than the one the options were checked for.
    NameMismatch,
}

impl fmt::Display for CookieOptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CookieOptionsError::HostPrefix => {
                "a __Host- cookie needs Secure, Path=/ and no Domain (browsers drop it otherwise)"
            }
            CookieOptionsError::SecurePrefix => {
                "a __Secure- cookie needs Secure (browsers drop it otherwise)"
            }
            CookieOptionsError::SameSiteNoneWithoutSecure => {
                "SameSite=None needs Secure (browsers drop it otherwise)"
            }
            CookieOptionsError::Path => {
                "cookie path must start with / and have no ; or control characters"
            }
            CookieOptionsError::Domain => {
                "cookie domain must be non-empty and have no ; or control characters"
            }
            CookieOptionsError::NoHostPrefix => {
                "cookie name has no __Host- prefix, so a sibling subdomain can plant one"
            }
            CookieOptionsError::Name => "cookie name must be a non-empty rfc 6265 token",
            CookieOptionsError::NameMismatch => "the new store is for another cookie name",
        })
    }
}

impl std::error::Error for CookieOptionsError {}
