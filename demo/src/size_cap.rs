//! Proof of the browser size cap: a cookie sealed to exactly 4096 bytes of
//! `name=value` (what Chromium and Firefox keep), and the crate refusing the
//! next size up at seal time.

use sealed_session::cookie::{Cookie, CookieOptions, SameSite};
use sealed_session::time::OffsetDateTime;
use sealed_session::{
    BROWSER_COOKIE_LIMIT, Key, KeyRing, SealError, Sealed, SessionStore, Sessions,
};

/// Name of the full-size sealed cookie. Its length matters: base64 can fill
/// `4096 - 8 = 4088` characters exactly (a length of 1 mod 4 cannot be filled).
pub const NAME: &str = "size_cap";
/// Name of the control cookie: unsealed, one byte over the limit (4097).
pub const CONTROL_NAME: &str = "size_ctl";
/// Both cookies only go to these pages.
pub const PATH: &str = "/size-cap";

/// A store whose largest payload seals to exactly [`BROWSER_COOKIE_LIMIT`].
#[derive(Clone, Debug)]
pub struct SizeCap {
    /// Its own cookie name, options (`Path=/size-cap`) and store.
    sessions: Sessions,
    /// Length of the `Vec<u8>` payload that fills the cookie exactly.
    fit: usize,
    /// What sealing one byte more reported.
    refused: SealError,
}

impl SizeCap {
    /// Builds the store and finds the exact fit: the largest byte-string
    /// payload that seals, checked to make `len(name) + len(value) == 4096`,
    /// and checks that one byte more is refused with
    /// [`SealError::TooLarge`].
    ///
    /// # Errors
    /// A message if the store cannot be built or the sizes are not as
    /// expected (which would be a bug in the crate).
    pub fn new() -> Result<SizeCap, String> {
        let store = SessionStore::builder(
            NAME,
            KeyRing::new(1, Key::try_generate().map_err(|e| e.to_string())?),
        )
        .max_cookie_len(BROWSER_COOKIE_LIMIT)
        .build()
        .map_err(|e| e.to_string())?;
        let now = OffsetDateTime::now_utc();
        // `payload_budget` always fits (worst-case envelope); grow from there.
        let mut fit = store.payload_budget(None).saturating_sub(2);
        let mut refused = None;
        for _ in 0..64 {
            match store.seal_at(&vec![0u8; fit.saturating_add(1)], now) {
                Ok(_) => fit = fit.saturating_add(1),
                Err(err) => {
                    refused = Some(err);
                    break;
                }
            }
        }
        let refused = refused.ok_or("no payload size was refused")?;
        if !matches!(refused, SealError::TooLarge { .. }) {
            return Err(format!("unexpected seal error: {refused}"));
        }
        // Not `__Host-` (that needs Path=/): these cookies only go to /size-cap,
        // and they carry no user.
        let options = CookieOptions::new()
            .path(PATH)
            .dangerously_allow_unprefixed_name();
        let sessions = Sessions::new(store, options).map_err(|e| e.to_string())?;
        let cap = SizeCap {
            sessions,
            fit,
            refused,
        };
        let sealed = cap.seal().map_err(|e| e.to_string())?;
        let len = NAME.len().saturating_add(sealed.value().len());
        if len != BROWSER_COOKIE_LIMIT {
            return Err(format!(
                "the largest cookie is {len} bytes, not {BROWSER_COOKIE_LIMIT}"
            ));
        }
        Ok(cap)
    }

    /// The full-size cookie's name, options and store.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Payload length that fills the cookie exactly.
    pub fn fit(&self) -> usize {
        self.fit
    }

    /// The error sealing `fit + 1` bytes gave.
    pub fn refused(&self) -> &SealError {
        &self.refused
    }

    /// Seals the full-size cookie.
    ///
    /// # Errors
    /// As [`SessionStore::seal`].
    pub fn seal(&self) -> Result<Sealed, SealError> {
        self.sessions.store().seal(&self.payload())
    }

    /// The full-size payload.
    pub fn payload(&self) -> Vec<u8> {
        (0..self.fit).map(|i| (i % 251) as u8).collect()
    }

    /// The control cookie: `name=value` of 4097 bytes, which browsers drop.
    pub fn control_cookie(&self) -> Cookie<'static> {
        let value = "A".repeat(
            BROWSER_COOKIE_LIMIT
                .saturating_add(1)
                .saturating_sub(CONTROL_NAME.len()),
        );
        Cookie::build((CONTROL_NAME, value))
            .path(PATH)
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Lax)
            .build()
    }
}
