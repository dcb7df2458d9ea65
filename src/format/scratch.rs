//! A per-thread scratch buffer for the decoded cookie, so seal and open do
//! not zero-fill 3 KiB of stack on every call.
//!
//! Whatever held plaintext is wiped before the buffer is handed back:
//! open zeroizes the decoded prefix, seal leaves only ciphertext behind on
//! success and wipes the whole buffer on failure. Nothing may assume the
//! buffer is zero: seal writes its padding explicitly. If the buffer is in
//! use (a `Serialize` impl that seals, re-entrantly) or the thread is being
//! torn down, a fresh one is used instead. A buffer that is dropped (at
//! thread exit) is wiped whole.
//!
//! Wiping is [`wipe`]: a plain `fill(0)` (a `memset`, not zeroize's
//! byte-at-a-time volatile stores) followed by
//! [`zeroize::optimization_barrier`], which makes the compiler treat the
//! zeroed bytes as read, so the writes cannot be elided.

use core::cell::Cell;

use crate::format::wire::MAX_DECODED_LEN;

/// One decoded cookie's worth of bytes.
pub(crate) type Buffer = [u8; MAX_DECODED_LEN];

/// A heap buffer that is wiped whole when dropped.
struct Owned(Box<Buffer>);

impl Owned {
    fn new() -> Owned {
        Owned(Box::new([0u8; MAX_DECODED_LEN]))
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        wipe(self.0.as_mut_slice());
    }
}

/// Zeroes `bytes` in a way the compiler must keep (zeroize's
/// `optimization_barrier` pattern).
#[inline]
pub(crate) fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    zeroize::optimization_barrier(bytes);
}

thread_local! {
    static SCRATCH: Cell<Option<Owned>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's scratch buffer (or a fresh one).
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&mut Buffer) -> R) -> R {
    let mut buf = SCRATCH
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(Owned::new);
    let result = f(&mut buf.0);
    // Put it back for the next call on this thread (dropped, and so wiped,
    // if the thread is being torn down).
    let _ = SCRATCH.try_with(|cell| cell.set(Some(buf)));
    result
}

#[cfg(test)]
mod tests {
    use crate::{Key, KeyRing, SessionStore};

    #[test]
    fn open_leaves_no_plaintext_in_the_scratch_buffer() {
        let store = SessionStore::builder("s", KeyRing::new(1, Key::generate()))
            .padding(64)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let secret = "a secret that must not linger in the scratch buffer";
        let cookie = store.seal(&secret).unwrap_or_else(|e| panic!("{e}"));
        let opened = store.open::<String>(cookie.value());
        assert!(opened.is_ok());
        super::with(|buf| {
            assert!(buf.iter().all(|b| *b == 0), "open wiped what it decoded");
        });
        // A seal after an open writes its own zero padding: a second cookie
        // of the same data opens to the same data.
        let again = store.seal(&secret).unwrap_or_else(|e| panic!("{e}"));
        let data = store
            .open::<String>(again.value())
            .ok()
            .and_then(|o| o.anonymous())
            .map(|s| s.into_data());
        assert_eq!(data.as_deref(), Some(secret));
    }
}
