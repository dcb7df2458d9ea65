//! One clock for the crate: the store takes it from its builder, and the
//! revocation set and `Sessions` read the store's.

use core::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

use crate::store::expiry;

/// Where the crate reads "now" from: the system clock, or a manual one
/// that tests move by hand ([`Clock::manual`]). Cheap to clone; clones of a
/// manual clock share its time. The store takes it from its builder
/// ([`StoreBuilder::clock`](crate::StoreBuilder::clock)); the
/// [`RevocationSet`](crate::RevocationSet) made from the store and
/// [`Sessions`](crate::Sessions) read the store's.
///
/// # Example
/// ```
/// use sealed_session::Clock;
/// use time::{Duration, OffsetDateTime};
///
/// let start = OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
/// let (clock, hand) = Clock::manual(start);
/// hand.advance(Duration::minutes(5));
/// assert_eq!(clock.now(), start + Duration::minutes(5));
/// assert!(Clock::system().now() > start - Duration::days(3650));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<ManualClock>,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            None => f.write_str("Clock::system()"),
            Some(manual) => write!(f, "Clock::manual({})", manual.now()),
        }
    }
}

impl Clock {
    /// The system clock (UTC). The default.
    ///
    /// # Example
    /// ```
    /// let clock = sealed_session::Clock::system();
    /// # let _ = clock;
    /// ```
    #[must_use]
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands at `start` until the returned [`ManualClock`]
    /// moves it. For tests: expiry, idle timeouts and the leeway without
    /// waiting.
    ///
    /// # Example
    /// ```
    /// use sealed_session::Clock;
    /// use time::OffsetDateTime;
    ///
    /// let (clock, hand) = Clock::manual(OffsetDateTime::UNIX_EPOCH);
    /// hand.set(OffsetDateTime::from_unix_timestamp(60)?);
    /// assert_eq!(clock.now().unix_timestamp(), 60);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn manual(start: OffsetDateTime) -> (Clock, ManualClock) {
        let hand = ManualClock(Arc::new(Mutex::new(start)));
        (
            Clock {
                manual: Some(hand.clone()),
            },
            hand,
        )
    }

    /// The current time.
    ///
    /// # Example
    /// ```
    /// let now = sealed_session::Clock::system().now();
    /// assert!(now.unix_timestamp() > 1_700_000_000);
    /// ```
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            None => OffsetDateTime::now_utc(),
            Some(manual) => manual.now(),
        }
    }

    /// The current time in whole Unix seconds (the system clock's fast path).
    pub(crate) fn now_unix(&self) -> i64 {
        match &self.manual {
            None => expiry::now_unix(),
            Some(manual) => manual.now().unix_timestamp(),
        }
    }
}

/// The hand that moves a [`Clock::manual`] clock. Cheap to clone.
///
/// # Example
/// ```
/// use sealed_session::Clock;
/// use time::{Duration, OffsetDateTime};
///
/// let (clock, hand) = Clock::manual(OffsetDateTime::UNIX_EPOCH);
/// hand.advance(Duration::hours(1));
/// assert_eq!(clock.now().unix_timestamp(), 3600);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the clock's time.
    ///
    /// # Example
    /// ```
    /// use sealed_session::Clock;
    /// use time::{Duration, OffsetDateTime};
    /// let (clock, hand) = Clock::manual(OffsetDateTime::UNIX_EPOCH);
    /// hand.set(OffsetDateTime::UNIX_EPOCH + Duration::days(1));
    /// assert_eq!(clock.now().unix_timestamp(), 86_400);
    /// ```
    pub fn set(&self, now: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock by `by` (back, if negative), saturating at the ends
    /// of the supported range.
    ///
    /// # Example
    /// ```
    /// use sealed_session::Clock;
    /// use time::{Duration, OffsetDateTime};
    /// let (clock, hand) = Clock::manual(OffsetDateTime::UNIX_EPOCH);
    /// hand.advance(Duration::seconds(-5));
    /// assert_eq!(clock.now().unix_timestamp(), -5);
    /// ```
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }
}
