//! Helpers for your app's own tests (feature `cookie`): carry each
//! response's `Set-Cookie` into the next request's `Cookie`, like a browser,
//! so a test drives login → request → logout without one. Fix the clock
//! with [`Clock::manual`](crate::Clock::manual).
//!
//! # Example
//! ```
//! use sealed_session::cookie::CookieOptions;
//! use sealed_session::engine::Arrival;
//! use sealed_session::testing::ClientCookies;
//! use sealed_session::{Clock, Key, KeyRing, SessionStore, Sessions};
//! use time::{Duration, OffsetDateTime};
//!
//! let (clock, hand) = Clock::manual(OffsetDateTime::from_unix_timestamp(1_800_000_000)?);
//! let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate()))
//!     .idle_timeout(Duration::minutes(30))
//!     .clock(clock)
//!     .build()?;
//! let sessions = Sessions::new(store, CookieOptions::new())?;
//! let mut browser = ClientCookies::new();
//!
//! // first response: a new session
//! let Arrival::Ready(mut state) = sessions.open::<u32>(browser.cookie_header()) else { unreachable!() };
//! *state.data_mut() = 1;
//! let set_cookie = sessions.finish(&state, 200)?.unwrap().to_string();
//! browser.receive([set_cookie]);
//!
//! // 31 minutes later the session has idled out
//! hand.advance(Duration::minutes(31) + sessions.store().leeway());
//! let Arrival::Ready(state) = sessions.open::<u32>(browser.cookie_header()) else { unreachable!() };
//! assert_eq!(state.data(), None);
//! browser.receive([sessions.finish(&state, 200)?.unwrap().to_string()]); // the removal cookie
//! assert_eq!(browser.get("__Host-sid"), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use time::OffsetDateTime;

use crate::cookie::Cookie;

/// The cookies a client holds, fed from `Set-Cookie` header fields and
/// turned into the next request's `Cookie` header: a new value replaces the
/// old one of that name, a cookie with `Max-Age=0` (or an `Expires` in the
/// past) is removed. Paths and domains are not matched: one site, one jar.
///
/// `Debug` prints the cookie names only.
///
/// # Example
/// ```
/// use sealed_session::testing::ClientCookies;
///
/// let mut jar = ClientCookies::new();
/// jar.receive(["a=1; Path=/; HttpOnly", "b=2"]);
/// assert_eq!(jar.cookie_header().as_deref(), Some("a=1; b=2"));
/// jar.receive(["a=; Max-Age=0"]);
/// assert_eq!(jar.cookie_header().as_deref(), Some("b=2"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientCookies {
    cookies: Vec<(String, String)>,
}

impl core::fmt::Debug for ClientCookies {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.cookies.iter().map(|(name, _)| name))
            .finish()
    }
}

impl ClientCookies {
    /// No cookies.
    #[must_use]
    pub fn new() -> ClientCookies {
        ClientCookies::default()
    }

    /// Takes in a response's `Set-Cookie` header fields (`&str`, bytes or
    /// `http`'s `HeaderValue`). Fields that do not parse are ignored.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::testing::ClientCookies;
    /// let mut jar = ClientCookies::new();
    /// jar.receive(["sid=abc; Secure", "not a cookie"]);
    /// assert_eq!(jar.get("sid"), Some("abc"));
    /// ```
    pub fn receive(&mut self, set_cookie_fields: impl IntoIterator<Item = impl AsRef<[u8]>>) {
        for field in set_cookie_fields {
            let Ok(text) = core::str::from_utf8(field.as_ref()) else {
                continue;
            };
            let Ok(cookie) = Cookie::parse(text) else {
                continue;
            };
            let removed = cookie
                .max_age()
                .is_some_and(|age| age <= time::Duration::ZERO)
                || cookie
                    .expires_datetime()
                    .is_some_and(|at| at <= OffsetDateTime::now_utc());
            if removed {
                self.remove(cookie.name());
            } else {
                self.set(cookie.name(), cookie.value());
            }
        }
    }

    /// Sets a cookie by hand (a tampered or stolen value, say).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::testing::ClientCookies;
    /// let mut jar = ClientCookies::new();
    /// jar.set("sid", "forged");
    /// assert_eq!(jar.cookie_header().as_deref(), Some("sid=forged"));
    /// ```
    pub fn set(&mut self, name: &str, value: &str) {
        match self.cookies.iter_mut().find(|(n, _)| n == name) {
            Some((_, old)) => value.clone_into(old),
            None => self.cookies.push((name.to_owned(), value.to_owned())),
        }
    }

    /// Forgets a cookie.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::testing::ClientCookies;
    /// let mut jar = ClientCookies::new();
    /// jar.set("sid", "x");
    /// jar.remove("sid");
    /// assert!(jar.cookie_header().is_none());
    /// ```
    pub fn remove(&mut self, name: &str) {
        self.cookies.retain(|(n, _)| n != name);
    }

    /// A cookie's value.
    ///
    /// # Example
    /// ```
    /// # use sealed_session::testing::ClientCookies;
    /// assert_eq!(ClientCookies::new().get("sid"), None);
    /// ```
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The next request's `Cookie` header, `None` if there are no cookies.
    /// An `Option` iterates as zero or one header field, so it can go
    /// straight to [`Sessions::open`](crate::Sessions::open).
    ///
    /// # Example
    /// ```
    /// # use sealed_session::testing::ClientCookies;
    /// let mut jar = ClientCookies::new();
    /// assert_eq!(jar.cookie_header(), None);
    /// jar.set("a", "1");
    /// jar.set("b", "2");
    /// assert_eq!(jar.cookie_header().as_deref(), Some("a=1; b=2"));
    /// ```
    #[must_use]
    pub fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        Some(pairs.join("; "))
    }
}
