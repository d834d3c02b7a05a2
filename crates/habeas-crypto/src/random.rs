//! The one source of randomness: the operating system's generator
//! (`getrandom`, i.e. Linux `getrandom(2)`). No user-space PRNG is seeded, so
//! there is no generator state to leak or to fork.

use crate::error::{CryptoError, Result};

/// Fill `buf` from the OS generator.
pub(crate) fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| CryptoError::Random(e.to_string()))
}

/// `N` fresh random bytes.
pub(crate) fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}
