//! Wiping the stack that held key material.
//!
//! A [`crate::DataKey`] zeroizes itself, but using one leaves copies on the
//! thread's stack: the array the random bytes or an unwrap landed in, the
//! values a move copied, the AES round keys a cipher call loaded (the first
//! two *are* the key). Those frames are dead once the call returns, yet
//! their bytes stay until the thread happens to reuse that depth — so a
//! shredded key could outlive its shredding in a memory image of a
//! long-running server (RELIABILITY.md T24: the test `vault_memory` found
//! up to nine such copies on a worker's stack after an erasure).
//!
//! Every use of a data key marks its thread ([`touched`]); the loops that
//! run the engine's work on long-lived threads (the HTTP server's workers
//! and blocking pool, the console's pages, the scheduler, the bulk
//! preparation threads) call [`wipe_stack_if_keys_touched`] — or hold a
//! [`WipeStackOnReturn`] — where each unit of work returns, which zeroes
//! [`WIPE_BYTES`] of stack below that frame: every frame the unit used.
//! A thread that used no key pays nothing.

use std::cell::Cell;

/// Stack bytes zeroed below the frame that returns from a unit of work:
/// more than a unit's deepest use of key material (the copies found lay
/// 40–55 KiB below the top of a worker's stack in a debug build; 32 KiB
/// left some in every run). About 5 % of an HTTP request's instructions
/// (docs/benchmarks-vault.md, session 26).
pub const WIPE_BYTES: usize = 64 * 1024;

thread_local! {
    static TOUCHED: Cell<bool> = const { Cell::new(false) };
}

/// Note that this thread's stack may hold key material.
pub(crate) fn touched() {
    TOUCHED.with(|t| t.set(true));
}

/// Whether this thread used key material since its stack was last wiped.
pub fn keys_touched() -> bool {
    TOUCHED.with(Cell::get)
}

/// Zero [`WIPE_BYTES`] of stack below the caller's frame if this thread
/// used key material since the last wipe. Call it from the frame a unit of
/// work returns to (not from inside the unit): the unit's frames lie below.
#[inline(never)]
pub fn wipe_stack_if_keys_touched() {
    if TOUCHED.with(|t| t.replace(false)) {
        wipe_below();
    }
}

/// Zero [`WIPE_BYTES`] of stack below the caller's frame. The array's
/// address escapes through `black_box`, so the zeros are really written.
#[inline(never)]
fn wipe_below() {
    let area = [0u8; WIPE_BYTES];
    std::hint::black_box(&area);
}

/// Calls [`wipe_stack_if_keys_touched`] when dropped: hold one at the top
/// of a closure a long-lived thread runs, and the wipe happens however the
/// closure returns.
#[derive(Debug, Default)]
pub struct WipeStackOnReturn;

impl Drop for WipeStackOnReturn {
    fn drop(&mut self) {
        wipe_stack_if_keys_touched();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_used_a_key_is_marked_until_its_stack_is_wiped() {
        std::thread::spawn(|| {
            assert!(!keys_touched(), "a new thread starts clean");
            let key = crate::DataKey::generate().expect("key");
            assert!(keys_touched(), "making a key marks the thread");
            wipe_stack_if_keys_touched();
            assert!(!keys_touched(), "the wipe clears the mark");
            let sealed = key.seal(b"x", &crate::Aad::new("test")).expect("seal");
            assert!(keys_touched(), "sealing marks it again");
            {
                let _guard = WipeStackOnReturn;
            }
            assert!(!keys_touched(), "so does the guard, when dropped");
            key.open(&sealed, &crate::Aad::new("test")).expect("open");
            assert!(keys_touched(), "opening marks it");
        })
        .join()
        .expect("thread");
    }
}
