//! Any message through the mboxrd writer and reader (`habeas mail export`'s
//! archive, read back by operators and tests): the message comes back byte
//! for byte, whatever `From ` lines and `>` quoting it holds (mboxrd cannot
//! keep a missing final line ending: one is added). Any bytes read as an mbox
//! never panic.
#![no_main]

use habeas_mail::maildir::{read_mboxrd, write_mboxrd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_mboxrd(data);
    // Two messages, split at the first 0xFF byte (or one).
    let (a, b) = match data.iter().position(|&x| x == 0xFF) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let mut mbox = Vec::new();
    let sep = "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n";
    write_mboxrd(&mut mbox, sep, a).expect("writing to memory");
    if let Some(b) = b {
        write_mboxrd(&mut mbox, sep, b).expect("writing to memory");
    }
    let expected = |m: &[u8]| {
        let mut m = m.to_vec();
        if !m.ends_with(b"\n") {
            m.push(b'\n');
        }
        m
    };
    let back = read_mboxrd(&mbox);
    let mut want = vec![expected(a)];
    if let Some(b) = b {
        want.push(expected(b));
    }
    assert_eq!(back, want, "the mbox did not give its messages back");
});
