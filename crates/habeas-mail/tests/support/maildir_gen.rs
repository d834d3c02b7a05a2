//! Generates a Maildir++ tree of real-shaped messages for tests and the
//! benchmark: INBOX, Sent, Work and the perso folder; plain, quoted-printable,
//! base64 and 8-bit bodies; encoded-word and folded subjects; LF and CRLF;
//! sizes from ~600 bytes to ~200 KiB; Dovecot keyword letters. It records
//! which messages are personal under the rules of `habeas_mail::maildir`.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use habeas_mail::UserLists;
use habeas_mail::lists::{ListKind, Settings, TagStyle};

/// Deterministic xorshift64* generator (no dependency, reproducible).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The lists the generated mail is meant for.
pub fn lists() -> UserLists {
    let mut l = UserLists::new("me@corp.example");
    l.set_settings(Settings {
        tag: TagStyle {
            keyword: true,
            folder: Some("Perso".into()),
            subject: Some("[PERSO]".into()),
        },
        ..Settings::default()
    })
    .unwrap();
    for i in 0..20 {
        l.add(ListKind::Perso, &format!("friend{i}@family.example"))
            .unwrap();
    }
    l.add(ListKind::Perso, "@club.example").unwrap();
    l.add(ListKind::Deny, "@spam.example").unwrap();
    l.add(ListKind::Allow, "boss@spam.example").unwrap();
    for i in 0..200 {
        l.add(ListKind::Allow, &format!("partner{i}@supplier{i}.example"))
            .unwrap();
    }
    l
}

pub struct Generated {
    /// Relative paths of the personal messages, sorted.
    pub perso: Vec<PathBuf>,
    pub total: usize,
    pub bytes: u64,
}

const WORDS: &[&str] = &[
    "facture",
    "réunion",
    "projet",
    "invoice",
    "meeting",
    "livraison",
    "contrat",
    "planning",
    "budget",
    "client",
    "serveur",
    "migration",
    "sauvegarde",
    "rapport",
    "devis",
    "congés",
];

fn body_text(rng: &mut Rng, target: usize) -> String {
    let mut text = String::with_capacity(target + 80);
    while text.len() < target {
        for _ in 0..12 {
            text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
            text.push(' ');
        }
        text.push('\n');
        if rng.below(40) == 0 {
            text.push_str("From the desk of the manager\n");
        }
    }
    text
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
    for (i, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for j in 0..4 {
            if j <= chunk.len() {
                out.push(T[((n >> (18 - 6 * j)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if i % 19 == 18 {
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

/// Builds one message; returns (bytes, sender is perso by the lists).
fn message(rng: &mut Rng, n: usize) -> (Vec<u8>, bool, bool) {
    let kind = rng.below(100);
    let (from, perso_by_list) = match kind {
        0..=4 => (format!("Ami {n} <friend{}@family.example>", n % 20), true),
        5..=7 => (
            format!("=?UTF-8?Q?Ren=C3=A9e_{n}?= <member{n}@club.example>"),
            true,
        ),
        8..=14 => (format!("Promo <deal{n}@spam.example>"), false),
        15..=19 => (
            format!(
                "\"Partner, Inc\" <partner{}@supplier{}.example>",
                n % 200,
                n % 200
            ),
            false,
        ),
        _ => (
            format!("Colleague {n} <user{}@corp.example>", n % 500),
            false,
        ),
    };
    let subject = match rng.below(5) {
        0 => format!(
            "=?UTF-8?B?{}?=",
            base64(format!("Réunion n°{n}").as_bytes()).trim()
        ),
        1 => format!("=?ISO-8859-1?Q?Facture_n=B0{n}?=\n =?ISO-8859-1?Q?_d=E9cembre?="),
        2 => format!("Re: {} {n}", WORDS[n % WORDS.len()]),
        3 => format!("Projet {n} - suivi hebdomadaire de la migration des serveurs\n\tet planning"),
        _ => format!("Rapport {n}"),
    };
    let size_class = rng.below(100);
    let target = match size_class {
        0..=59 => 300 + rng.below(1500) as usize,
        60..=89 => 2_000 + rng.below(10_000) as usize,
        90..=98 => 12_000 + rng.below(60_000) as usize,
        _ => 100_000 + rng.below(100_000) as usize,
    };
    let mut m = String::with_capacity(target + 1024);
    m.push_str(&format!(
        "Return-Path: <bounce{n}@mx.example>\nReceived: from mx{n}.example (mx{n}.example [192.0.2.{}])\n\tby mx.corp.example with ESMTPS id {n:08x};\n\tThu, 03 Dec 2026 10:00:00 +0100\n",
        n % 250
    ));
    m.push_str(&format!(
        "DKIM-Signature: v=1; a=rsa-sha256; d=example; s=s1; h=from:to:subject;\n bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=c2lnbmF0dXJl{n:x}\nFrom: {from}\nTo: Me <me@corp.example>\nSubject: {subject}\nDate: Thu, 03 Dec 2026 10:00:00 +0100\nMessage-ID: <{n}@gen.example>\nMIME-Version: 1.0\n"
    ));
    let tagged_subject = rng.below(50) == 0;
    let habeas_header = rng.below(50) == 0;
    if habeas_header {
        m.insert_str(0, "X-Habeas-Class: perso\n");
    }
    let mut bytes;
    match rng.below(4) {
        0 => {
            m.push_str(
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n",
            );
            m.push_str(&body_text(rng, target));
            bytes = m.into_bytes();
        }
        1 => {
            m.push_str("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n");
            let qp = body_text(rng, target)
                .replace('é', "=C3=A9")
                .replace('è', "=C3=A8");
            m.push_str(&qp);
            bytes = m.into_bytes();
        }
        2 => {
            m.push_str("Content-Type: multipart/mixed; boundary=\"=_b\"\n\n--=_b\nContent-Type: text/plain; charset=utf-8\n\nVoir pièce jointe.\n--=_b\nContent-Type: application/pdf; name=\"doc.pdf\"\nContent-Transfer-Encoding: base64\n\n");
            let payload: Vec<u8> = (0..target * 3 / 4).map(|_| rng.next() as u8).collect();
            m.push_str(&base64(&payload));
            m.push_str("--=_b--\n");
            bytes = m.into_bytes();
        }
        _ => {
            m.push_str(
                "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n",
            );
            bytes = m.into_bytes();
            let latin1: Vec<u8> = body_text(rng, target)
                .chars()
                .map(|c| {
                    if (c as u32) < 256 {
                        c as u32 as u8
                    } else {
                        b'?'
                    }
                })
                .collect();
            bytes.extend_from_slice(&latin1);
        }
    }
    if tagged_subject {
        let needle = b"\nSubject: ";
        if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
            bytes.splice(
                at + needle.len()..at + needle.len(),
                b"[PERSO] ".iter().copied(),
            );
        }
    }
    if rng.below(5) == 0 {
        let mut crlf = Vec::with_capacity(bytes.len() + bytes.len() / 40);
        for &b in &bytes {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        bytes = crlf;
    }
    (bytes, perso_by_list, tagged_subject || habeas_header)
}

/// Writes `count` messages under `root` (created).
pub fn generate(root: &Path, count: usize, seed: u64) -> Generated {
    let mut rng = Rng::new(seed);
    let folders = ["", ".Sent", ".Work", ".Perso"];
    for folder in folders {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(folder).join(sub)).unwrap();
        }
    }
    // Dovecot keyword files: $Perso is letter 'a' in INBOX, 'b' in Work.
    fs::write(root.join("dovecot-keywords"), "0 $Perso\n1 $Forwarded\n").unwrap();
    fs::write(root.join(".Work/dovecot-keywords"), "0 Junk\n1 $Perso\n").unwrap();
    fs::write(root.join("dovecot-uidlist"), "3 V1 N1\n").unwrap();
    let mut perso = Vec::new();
    let mut bytes_total = 0u64;
    for n in 0..count {
        let (bytes, by_list, by_header) = message(&mut rng, n);
        let folder_pick = rng.below(100);
        let folder = match folder_pick {
            0..=69 => "",
            70..=79 => ".Sent",
            80..=94 => ".Work",
            _ => ".Perso",
        };
        let keyword = rng.below(30) == 0;
        let letter = if folder == ".Work" { "b" } else { "a" };
        let (sub, flags) = match (rng.below(4), keyword && folder != ".Sent") {
            (0, false) => ("new", String::new()),
            (_, true) => ("cur", format!(":2,S{letter}")),
            _ => ("cur", ":2,S".to_string()),
        };
        let name = format!(
            "{}.M{}P{}Q{n}.gen.example,S={}{flags}",
            1_764_000_000 + n as u64,
            rng.below(1_000_000),
            1000 + n % 30_000,
            bytes.len()
        );
        let relative = PathBuf::from(folder).join(sub).join(&name);
        let mut file = fs::File::create(root.join(&relative)).unwrap();
        file.write_all(&bytes).unwrap();
        bytes_total += bytes.len() as u64;
        let is_keyword = keyword && folder != ".Sent";
        if folder == ".Perso" || is_keyword || by_list || by_header {
            perso.push(relative);
        }
    }
    perso.sort();
    Generated {
        perso,
        total: count,
        bytes: bytes_total,
    }
}
