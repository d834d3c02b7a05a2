//! Byte classes eight bytes at a time in a `u64` ("SIMD within a register"), for the passes
//! that look for word starts over the whole text (`cues`, `names`). The workspace forbids
//! `unsafe`, so SSE intrinsics are out, and the compiler's vectorisation of a per-byte loop
//! that builds a bit mask spent ~14 instructions a byte widening lanes to shift them; these
//! exact tests cost under one.
//!
//! Every test returns a mask with bit 7 of each byte set where the byte is in the class (the
//! "high-bit mask"); `compress` turns it into one bit per byte. The tests are exact for every
//! byte value: additions are done on 7-bit values so that no carry crosses a byte.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Eight bytes of `b` from `i`, little-endian; bytes past the end read as 0 (in no class).
#[inline]
pub(crate) fn load(b: &[u8], i: usize) -> u64 {
    match b.get(i..i + 8) {
        Some(s) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        }
        None => {
            let mut a = [0u8; 8];
            if let Some(s) = b.get(i..) {
                a[..s.len()].copy_from_slice(s);
            }
            u64::from_le_bytes(a)
        }
    }
}

/// Bytes equal to `c`.
#[inline]
pub(crate) fn eq(w: u64, c: u8) -> u64 {
    let t = w ^ (LO * u64::from(c));
    // A byte of `t` is non-zero iff its low 7 bits are (adding 0x7F carries into bit 7) or its
    // bit 7 is set.
    !(((t & !HI) + !HI) | t) & HI
}

/// ASCII bytes in `lo..=hi` (`hi` < 0x80).
#[inline]
pub(crate) fn range(w: u64, lo: u8, hi: u8) -> u64 {
    debug_assert!(lo <= hi && hi < 0x80);
    let x = w & !HI;
    let ge = x + LO * u64::from(0x80 - lo);
    let gt = x + LO * u64::from(0x7F - hi);
    ge & !gt & !w & HI
}

/// Bytes in `lo..=hi` where both are 0x80 or above (`0xC3..=0xC5`: lead bytes of Latin-1
/// Supplement and Latin Extended-A letters).
#[inline]
pub(crate) fn range_high(w: u64, lo: u8, hi: u8) -> u64 {
    debug_assert!(0x80 <= lo && lo <= hi);
    let x = w & !HI;
    let ge = x + LO * u64::from(0x80 - (lo & 0x7F));
    let gt = x + LO * u64::from(0x7F - (hi & 0x7F));
    ge & !gt & w & HI
}

/// ASCII letters, either case.
#[inline]
pub(crate) fn alpha(w: u64) -> u64 {
    range(w | (LO * 0x20), b'a', b'z')
}

/// Bytes 0x80 and above (UTF-8 lead and continuation bytes).
#[inline]
pub(crate) fn high(w: u64) -> u64 {
    w & HI
}

/// One bit per byte (bit k for byte k) from a high-bit mask. The multiplier moves bit 8k+7
/// to bit 56+k; no two partial products meet, so nothing carries.
#[inline]
pub(crate) fn compress(m: u64) -> u64 {
    ((m >> 7) & LO).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The positions a block scanner marks in `text`: `scan(text, base)` returns
/// a bit mask of up to `block` positions from `base` (tests compare a scanner
/// against its scalar reference on the same text).
#[cfg(test)]
pub(crate) fn marked(text: &[u8], block: usize, scan: impl Fn(&[u8], usize) -> u64) -> Vec<usize> {
    let mut found = Vec::new();
    let mut base = 0;
    while base < text.len() {
        let m = scan(text, base);
        found.extend((0..block).filter(|k| m >> k & 1 == 1).map(|k| base + k));
        base += block;
    }
    found
}

/// A small xorshift generator: texts mixing the bytes that matter to word starts.
#[cfg(test)]
pub(crate) fn random_text(seed: u64, len: usize) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"a",
        b"Z",
        b"m",
        b"n",
        b"t",
        b"0",
        b"9",
        b"-",
        b"\\",
        b" ",
        b"\n",
        b".",
        b"_",
        "é".as_bytes(),
        "É".as_bytes(),
        "Ł".as_bytes(),
        "ß".as_bytes(),
        "€".as_bytes(),
        b"Rue",
        b"madame",
        b"\\n",
        b"\\t",
        b"@",
        b"'",
    ];
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 4);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(PIECES[(x % PIECES.len() as u64) as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(m: u64) -> Vec<bool> {
        (0..8).map(|k| m >> (8 * k + 7) & 1 == 1).collect()
    }

    /// Every byte value in every position, against the scalar definitions.
    #[test]
    fn classes_match_the_scalar_tests_for_every_byte() {
        for v in 0..=255u8 {
            for pos in 0..8 {
                // The other bytes cycle through values that could carry into this one.
                let mut a = [0xFFu8, 0x7F, 0x80, 0x00, b'Z', b'a', 0x20, 0xC3];
                a[pos] = v;
                let w = u64::from_le_bytes(a);
                let want = |f: &dyn Fn(u8) -> bool| a.iter().map(|&c| f(c)).collect::<Vec<_>>();
                assert_eq!(
                    bits(eq(w, b'-')),
                    want(&|c| c == b'-'),
                    "eq {v:#x} at {pos}"
                );
                assert_eq!(bits(eq(w, 0xC4)), want(&|c| c == 0xC4), "eq hi {v:#x}");
                assert_eq!(
                    bits(range(w, b'0', b'9')),
                    want(&|c| c.is_ascii_digit()),
                    "digit {v:#x} at {pos}"
                );
                assert_eq!(
                    bits(range(w, b'A', b'Z')),
                    want(&|c| c.is_ascii_uppercase()),
                    "upper {v:#x} at {pos}"
                );
                assert_eq!(
                    bits(alpha(w)),
                    want(&|c| c.is_ascii_alphabetic()),
                    "alpha {v:#x} at {pos}"
                );
                assert_eq!(bits(high(w)), want(&|c| c >= 0x80), "high {v:#x}");
                assert_eq!(
                    bits(range_high(w, 0xC3, 0xC5)),
                    want(&|c| (0xC3..=0xC5).contains(&c)),
                    "lead {v:#x} at {pos}"
                );
                let m = alpha(w);
                let c = compress(m);
                for (k, &set) in bits(m).iter().enumerate() {
                    assert_eq!(c >> k & 1 == 1, set, "compress {v:#x} bit {k}");
                }
                assert!(c < 256);
            }
        }
    }

    #[test]
    fn load_pads_with_zeros_past_the_end() {
        let b = b"abcdefghij";
        assert_eq!(load(b, 0), u64::from_le_bytes(*b"abcdefgh"));
        assert_eq!(load(b, 8), u64::from_le_bytes(*b"ij\0\0\0\0\0\0"));
        assert_eq!(load(b, 10), 0);
        assert_eq!(load(b, 99), 0);
    }
}
