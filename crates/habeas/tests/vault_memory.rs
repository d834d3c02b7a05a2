//! What a running server's memory keeps (RELIABILITY.md T24; issue 3 point
//! 3: crypto-shredding). A shredded data key must leave the process image
//! as well as the key store: a copy of the data taken earlier, plus a
//! memory dump of the server, would otherwise un-shred the subject.
//!
//! The test reads the server's whole memory through `/proc/PID/mem` (the
//! server makes itself non-dumpable, so this needs `CAP_SYS_PTRACE`: root,
//! as in CI, where `HABEAS_REQUIRE_TOOLS=1` makes a skip a failure;
//! elsewhere the test says loudly that it skipped). It finds the
//! data key's bytes by unwrapping the stored key itself, with the KEK from
//! the key file and the layout the crypto module documents — an independent
//! implementation of the unwrap, so the test does not trust the code it
//! checks.

mod vault_support;

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use vault_support::{Server, http, json, project, run, token};

const MAIL_PURPOSE: &str = "PA-0102";

/// Where each of `needles` lies in the memory of `pid` (addresses, per
/// needle); `None` when this process may not read it (no
/// `CAP_SYS_PTRACE`). Every readable mapping is read in chunks that overlap
/// by a needle's length, so nothing the size of the image is held here.
fn scan(pid: u32, needles: &[&[u8]]) -> Option<Vec<Vec<u64>>> {
    const CHUNK: u64 = 4 << 20;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let overlap = needles.iter().map(|n| n.len()).max().unwrap_or(1) as u64 - 1;
    let mut found = vec![Vec::new(); needles.len()];
    let mut read_any = false;
    let mut buf = Vec::new();
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            continue;
        };
        let path = parts.nth(3).unwrap_or("");
        // Readable memory, but not the kernel's own pages.
        if !perms.starts_with('r') || path == "[vvar]" || path == "[vsyscall]" {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            continue;
        };
        let mut at = start;
        while at < end {
            let len = (end - at).min(CHUNK + overlap);
            buf.resize(len as usize, 0);
            if mem.seek(SeekFrom::Start(at)).is_err() {
                break;
            }
            match mem.read_exact(&mut buf) {
                Ok(()) => read_any = true,
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return None,
                Err(_) => break,
            }
            for (needle, hits) in needles.iter().zip(found.iter_mut()) {
                for off in memchr::memmem::find_iter(&buf, needle) {
                    // A match inside the overlap is found again by the next chunk.
                    if (off as u64) < CHUNK || at + len == end {
                        hits.push(at + off as u64);
                    }
                }
            }
            at += CHUNK.min(len);
        }
    }
    read_any.then_some(found)
}

/// The secrets of every KEK key file under `keys/`.
fn kek_secrets(dir: &Path) -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    let mut todo = vec![dir.join("keys")];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("keys dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            if !text.lines().any(|l| l.trim() == "kind: kek") {
                continue;
            }
            for line in text.lines() {
                if let Some(b64) = line.strip_prefix("secret: ") {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64.trim())
                        .expect("key file secret");
                    out.push(bytes.try_into().expect("32-byte secret"));
                }
            }
        }
    }
    out
}

/// The plaintext data key of `category` (the only subject holding one),
/// unwrapped from the key store: `[1, algorithm 1, id length, KEK id, 24-byte
/// nonce, sealed key and tag]`, XChaCha20-Poly1305 under the KEK, associated
/// data = the header ‖ `Aad::data_key(subject, category)`.
fn data_key_of(dir: &Path, category: &str) -> (String, [u8; 32]) {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("keystore").join("keys.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open key store");
    let (subject, wrapped): (String, Vec<u8>) = conn
        .query_row(
            "SELECT subject_id, wrapped FROM data_keys WHERE category = ?1",
            [category],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("one wrapped key");
    assert_eq!(&wrapped[..2], &[1, 1], "a key wrapped by a software KEK");
    let header_len = 3 + usize::from(wrapped[2]);
    let (header, rest) = wrapped.split_at(header_len);
    let (nonce, sealed) = rest.split_at(24);
    let mut aad = header.to_vec();
    aad.extend_from_slice(habeas_crypto::Aad::data_key(&subject, category).as_bytes());
    for secret in kek_secrets(dir) {
        let cipher = XChaCha20Poly1305::new(<&chacha20poly1305::Key>::from(&secret));
        let payload = Payload {
            msg: sealed,
            aad: &aad,
        };
        if let Ok(plain) = cipher.decrypt(&XNonce::try_from(nonce).expect("24-byte nonce"), payload)
        {
            return (subject, plain.try_into().expect("a 32-byte data key"));
        }
    }
    panic!("no KEK under keys/ unwraps the stored data key");
}

/// Add entries to the lists at `user` (their API path) over HTTP.
fn add_entries(server: &Server, token: &str, user: &str, entries: &[u8]) {
    let path = format!("{user}/entries");
    let (status, body) = http(
        &server.addr,
        "POST",
        &path,
        Some(token),
        None,
        Some(entries),
    );
    assert_eq!(status, 200, "{body}");
}

/// Say loudly that the scan could not run — or fail, under
/// `HABEAS_REQUIRE_TOOLS=1` (CI), where it must run.
fn skipped() {
    assert!(
        std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "HABEAS_REQUIRE_TOOLS=1 but this process may not read the server's memory \
         (/proc/PID/mem needs CAP_SYS_PTRACE)"
    );
    eprintln!(
        "SKIPPED vault_memory: this process may not read another process's memory \
         (/proc/PID/mem needs CAP_SYS_PTRACE; run as root, as CI does)"
    );
}

/// A mailbox's privacy lists hold two fictitious addresses; the server
/// decrypts them (the data key is in its cache); the lists are erased over
/// HTTP. Before the erasure the data key is found in the server's memory —
/// the scan works —, after it the key is found nowhere.
#[test]
fn a_data_key_shredded_over_http_leaves_the_server_memory() {
    let dir = project();
    let d = dir.path();
    let mail = token(d, "mail-relay", MAIL_PURPOSE);
    let server = Server::start(d);
    let pid = server.child.id();
    let user = "/api/mail/lists/t24.fictive@corp.example";
    add_entries(
        &server,
        &mail,
        user,
        br#"{"perso": ["t24-canary-mum@family.example"], "deny": ["@t24-canary-spam.example"]}"#,
    );
    // Reads on whichever worker takes them: each uses the key.
    for _ in 0..20 {
        let (status, body) = http(&server.addr, "GET", user, Some(&mail), None, None);
        assert_eq!(status, 200, "{body}");
        assert_eq!(json(&body)["perso"][0], "t24-canary-mum@family.example");
    }

    let (_, key) = data_key_of(d, "mail_lists");
    let Some(before) = scan(pid, &[&key]) else {
        return skipped();
    };
    assert!(
        !before[0].is_empty(),
        "the data key in use is in the server's memory (the scan finds it)"
    );

    let (status, body) = http(&server.addr, "DELETE", user, Some(&mail), None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["erased"], true);
    let after = scan(pid, &[&key, b"t24-canary-mum", b"t24-canary-spam"]).expect("memory readable");
    assert!(
        after[0].is_empty(),
        "the shredded data key is still in the server's memory at {:x?}",
        after[0]
    );
    for copies in &after[1..] {
        eprintln!(
            "T24: {} cop(ies) of a canary value in the idle server's memory",
            copies.len()
        );
    }
    server.stop();
}

/// The same lists erased by another process — `habeas mail list erase`
/// beside the running server, as a second instance or the CLI would —
/// cannot reach the server's copy of the key: the server drops it when its
/// time is up (`[server] key_cache_seconds`, 5 s here), used or not.
#[test]
fn a_data_key_shredded_by_another_process_leaves_the_server_memory_in_its_time() {
    let dir = project();
    let d = dir.path();
    let mail = token(d, "mail-relay", MAIL_PURPOSE);
    let server = Server::start_with_env(d, &[("HABEAS_SERVER__KEY_CACHE_SECONDS", "5")]);
    let pid = server.child.id();
    let user = "/api/mail/lists/t24.other@corp.example";
    add_entries(
        &server,
        &mail,
        user,
        br#"{"perso": ["t24-canary-dad@family.example"]}"#,
    );
    let (_, key) = data_key_of(d, "mail_lists");
    let Some(before) = scan(pid, &[&key]) else {
        return skipped();
    };
    assert!(!before[0].is_empty(), "the key in use is found");

    let (code, _, err) = run(
        d,
        &["mail", "list", "erase", "t24.other@corp.example", "--yes"],
    );
    assert_eq!(code, 0, "{err}");
    let started = std::time::Instant::now();
    let mut left = usize::MAX;
    // 5 s kept + a sweep every 2.5 s: gone within ~7.5 s; 30 s is the limit.
    while started.elapsed() < std::time::Duration::from_secs(30) {
        left = scan(pid, &[&key]).expect("memory readable")[0].len();
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(
        left, 0,
        "the server still holds a key another process shredded"
    );
    eprintln!(
        "T24: the key left the server's memory {:?} after the erasure",
        started.elapsed()
    );
    let (status, body) = http(&server.addr, "GET", user, Some(&mail), None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["perso"].as_array().map(Vec::len), Some(0));
    server.stop();
}
