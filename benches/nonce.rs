//! What a fork-safe nonce costs: the candidates for drawing 24 random bytes
//! per seal, side by side.
//!
//! * `thread_rng`: rand's `ThreadRng` (what seal used before; not fork-safe:
//!   a forked child repeats its parent's sequence);
//! * `os_per_seal`: 24 bytes from the operating system on every seal (one
//!   `getrandom` system call; fork-safe);
//! * `pid_checked_chacha`: a thread-local ChaCha12 generator seeded from the
//!   OS, reseeded when the process id changes (one `getpid` system call per
//!   seal; fork-safe);
//! * `atfork_checked_chacha`: the same generator, with the fork detected by
//!   a `pthread_atfork` counter (one atomic load per seal; fork-safe) — what
//!   seal uses now;
//! * `getpid`: the process-id check alone.
#![allow(clippy::panic, missing_docs)]

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::{StdRng, SysRng};
use rand::{Rng as _, SeedableRng as _, TryRng as _};

thread_local! {
    static SEEDED: RefCell<Option<(u32, StdRng)>> = const { RefCell::new(None) };
}

fn pid_checked(nonce: &mut [u8; 24]) {
    let pid = std::process::id();
    SEEDED.with_borrow_mut(|slot| {
        let rng = match slot {
            Some((seeded, rng)) if *seeded == pid => rng,
            other => {
                let rng =
                    StdRng::try_from_rng(&mut SysRng).unwrap_or_else(|_| StdRng::seed_from_u64(0));
                &mut other.insert((pid, rng)).1
            }
        };
        rng.fill_bytes(nonce);
    });
}

thread_local! {
    static ARMED: RefCell<Option<(forkguard::atfork::Guard, StdRng)>> = const { RefCell::new(None) };
}

fn atfork_checked(nonce: &mut [u8; 24]) {
    ARMED.with_borrow_mut(|slot| {
        let (guard, rng) = slot.get_or_insert_with(|| {
            let guard = forkguard::atfork::Guard::try_new().unwrap_or_else(|e| panic!("{e}"));
            (
                guard,
                StdRng::try_from_rng(&mut SysRng).unwrap_or_else(|_| StdRng::seed_from_u64(0)),
            )
        });
        if guard.detected_fork() {
            *rng = StdRng::try_from_rng(&mut SysRng).unwrap_or_else(|_| StdRng::seed_from_u64(0));
        }
        rng.fill_bytes(nonce);
    });
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("nonce");
    if std::env::var_os("SEALED_BENCH_QUICK").is_some() {
        group
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(600));
    }
    group.bench_function("thread_rng", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            rand::rng().fill_bytes(&mut nonce);
            black_box(nonce)
        })
    });
    group.bench_function("os_per_seal", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            let _ = SysRng.try_fill_bytes(&mut nonce);
            black_box(nonce)
        })
    });
    group.bench_function("pid_checked_chacha", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            pid_checked(&mut nonce);
            black_box(nonce)
        })
    });
    group.bench_function("atfork_checked_chacha", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            atfork_checked(&mut nonce);
            black_box(nonce)
        })
    });
    group.bench_function("getpid", |b| b.iter(|| black_box(std::process::id())));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
