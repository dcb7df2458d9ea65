//! The app's clock: the system clock, or a manual one for tests.

use std::sync::{Arc, Mutex, PoisonError};

use sealed_session::time::{Duration, OffsetDateTime};

/// Where the app reads "now" from. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<ManualClock>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands still at `start` until the returned handle moves it.
    pub fn manual(start: OffsetDateTime) -> (Clock, ManualClock) {
        let handle = ManualClock(Arc::new(Mutex::new(start)));
        (
            Clock {
                manual: Some(handle.clone()),
            },
            handle,
        )
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            None => OffsetDateTime::now_utc(),
            Some(manual) => manual.now(),
        }
    }
}

/// Moves a [`Clock::manual`] clock.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// The manual clock's time.
    pub fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }
}
