//! Round trips of the filter over a corpus of tricky real-shaped messages
//! (`tests/corpus/<expected class>-<what>.eml`): folded headers, encoded
//! words, missing Subject, 8-bit headers, CRLF, groups, spoofed
//! `X-Habeas-Class`, malformed input, plus a generated huge message.
//!
//! The invariant checked everywhere: the output is the input byte for byte,
//! except the inserted `X-Habeas-Class` line, the tag inserted in the Subject
//! (or a new Subject line) and removed incoming `X-Habeas-*` fields.

use std::fs;
use std::path::PathBuf;

use habeas_mail::filter::{MALFORMED_WARNING, scan_headers};
use habeas_mail::lists::{ListKind, Settings, TagStyle};
use habeas_mail::{Class, FilterAction, FilterOptions, UserLists, filter_message};

fn lists(subject_tag: bool) -> UserLists {
    let mut l = UserLists::new("me@corp.example");
    l.add(ListKind::Perso, "mum@family.example").unwrap();
    l.add(ListKind::Perso, "@club.example").unwrap();
    l.add(ListKind::Deny, "@spam.example").unwrap();
    l.add(ListKind::Allow, "boss@spam.example").unwrap();
    if subject_tag {
        l.set_settings(Settings {
            tag: TagStyle {
                keyword: true,
                folder: None,
                subject: Some("[PERSO]".into()),
            },
            ..Settings::default()
        })
        .unwrap();
    }
    l
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "corpus is missing");
    out
}

fn expected_class(name: &str) -> Class {
    match name.split('-').next() {
        Some("perso") => Class::Perso,
        Some("allow") => Class::Allow,
        Some("deny") => Class::Deny,
        _ => Class::None,
    }
}

fn eol_of(raw: &[u8]) -> &'static [u8] {
    match raw.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && raw[i - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    }
}

/// The input without incoming X-Habeas-* fields (what the filter copies).
fn without_habeas_fields(raw: &[u8]) -> Vec<u8> {
    let Some(block) = scan_headers(raw) else {
        return raw.to_vec();
    };
    let mut out = Vec::new();
    for field in &block.fields {
        let name = field.name(raw).to_ascii_lowercase();
        if name != b"x-habeas-class" && name != b"x-habeas-warning" {
            out.extend_from_slice(&raw[field.start..field.end]);
        }
    }
    out.extend_from_slice(&raw[block.end..]);
    out
}

/// mail-parser ignores an unterminated last header line; end it for reading.
fn terminated(raw: &[u8]) -> Vec<u8> {
    if raw.ends_with(b"\n") {
        raw.to_vec()
    } else {
        [raw, b"\r\n\r\n"].concat()
    }
}

fn replace_once(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let at = haystack.windows(needle.len()).position(|w| w == needle)?;
    Some([&haystack[..at], with, &haystack[at + needle.len()..]].concat())
}

#[test]
fn every_corpus_message_is_classified_as_its_name_says() {
    let l = lists(false);
    for (name, raw) in corpus() {
        let out = filter_message(&l, &raw, FilterOptions { keep_denied: true });
        assert_eq!(out.class, expected_class(&name), "{name}");
        assert_eq!(
            out.malformed,
            name.contains("malformed") || name.contains("mbox-from"),
            "{name}"
        );
    }
}

#[test]
fn keyword_mode_only_inserts_the_class_line() {
    let l = lists(false);
    for (name, raw) in corpus() {
        let out = filter_message(&l, &raw, FilterOptions { keep_denied: true });
        let eol = eol_of(&raw);
        if out.malformed {
            let expected = [
                b"X-Habeas-Warning: ".as_slice(),
                MALFORMED_WARNING.as_bytes(),
                eol,
                b"X-Habeas-Class: none",
                eol,
                &raw,
            ]
            .concat();
            assert_eq!(out.output, expected, "{name}");
            continue;
        }
        let header = format!("X-Habeas-Class: {}", out.class);
        let expected = [header.as_bytes(), eol, &without_habeas_fields(&raw)].concat();
        assert_eq!(out.output, expected, "{name}");
    }
}

#[test]
fn subject_tag_mode_changes_only_the_subject_and_keeps_decoding() {
    let l = lists(true);
    for (name, raw) in corpus() {
        let out = filter_message(&l, &raw, FilterOptions { keep_denied: true });
        if out.class != Class::Perso {
            continue;
        }
        let eol = eol_of(&raw);
        let header = [b"X-Habeas-Class: perso".as_slice(), eol].concat();
        let rest = out.output.strip_prefix(header.as_slice()).unwrap();
        let untagged = match replace_once(rest, b"Subject: [PERSO] ", b"Subject: ") {
            Some(untagged) => untagged,
            None => {
                let added = [b"Subject: [PERSO]".as_slice(), eol].concat();
                rest.strip_prefix(added.as_slice())
                    .unwrap_or_else(|| panic!("{name}: no tag"))
                    .to_vec()
            }
        };
        assert_eq!(untagged, raw, "{name}");
        let (raw_t, out_t) = (terminated(&raw), terminated(&out.output));
        let before = mail_parser::MessageParser::new().parse(&raw_t).unwrap();
        let after = mail_parser::MessageParser::new().parse(&out_t).unwrap();
        let expected = match before.subject() {
            Some(s) if !s.is_empty() => format!("[PERSO] {s}"),
            _ => "[PERSO]".to_string(),
        };
        assert_eq!(after.subject(), Some(expected.as_str()), "{name}");
        assert_eq!(before.body_text(0), after.body_text(0), "{name}");
        // Filtering again changes nothing but the class line stays single.
        let again = filter_message(&l, &out.output, FilterOptions::default());
        assert_eq!(again.output, out.output, "{name}: not idempotent");
    }
}

#[test]
fn denied_mail_is_discarded_unless_kept() {
    let l = lists(false);
    let (_, raw) = corpus()
        .into_iter()
        .find(|(n, _)| n.starts_with("deny-"))
        .unwrap();
    let out = filter_message(&l, &raw, FilterOptions::default());
    assert_eq!(out.action, FilterAction::Discard);
    assert!(out.output.is_empty());
}

#[test]
fn huge_message_is_copied_exactly() {
    let l = lists(true);
    let mut raw = b"From: mum@family.example\r\nSubject: big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n";
    while raw.len() < 24 * 1024 * 1024 {
        raw.extend_from_slice(line);
    }
    let out = filter_message(&l, &raw, FilterOptions::default());
    assert_eq!(out.class, Class::Perso);
    let expected = [
        b"X-Habeas-Class: perso\r\n".as_slice(),
        &replace_once(&raw, b"Subject: big", b"Subject: [PERSO] big").unwrap(),
    ]
    .concat();
    assert!(out.output == expected, "huge message changed");
}

/// Mutation fuzzing of the corpus (deterministic): the filter never panics,
/// never loses the body, and passes malformed input through whole.
#[test]
fn mutated_messages_never_panic_or_lose_bytes() {
    let l = lists(true);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const ALPHABET: &[u8] = b"\r\n :\t=?\xff\xc3Subject";
    for (name, raw) in corpus() {
        for _ in 0..300 {
            let mut m = raw.clone();
            for _ in 0..(1 + next() % 4) {
                if m.is_empty() {
                    break;
                }
                let at = (next() % m.len() as u64) as usize;
                let byte = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
                match next() % 4 {
                    0 => m[at] = byte,
                    1 => m.insert(at, byte),
                    2 => {
                        m.remove(at);
                    }
                    _ => m.truncate(at),
                }
            }
            let out = filter_message(&l, &m, FilterOptions { keep_denied: true });
            assert_eq!(out.action, FilterAction::Deliver, "{name}");
            if out.malformed {
                assert!(out.output.ends_with(&m), "{name}: malformed input altered");
            } else {
                let block = scan_headers(&m).unwrap();
                assert!(
                    out.output.ends_with(&m[block.end..]),
                    "{name}: body altered"
                );
            }
        }
    }
}
