//! IMAP modified UTF-7 (RFC 3501 §5.1.3), the encoding Dovecot uses for
//! Maildir folder names on disk: a Sieve `fileinto "Privé"` lands in
//! `.Priv&AOk-`, so export and purge must encode the folder the same way.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Encodes a UTF-8 mailbox name in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = match chunk.len() {
            1 => 2,
            2 => 3,
            _ => 4,
        };
        for i in 0..sextets {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out.push('-');
    pending.clear();
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn rfc3501_examples() {
        assert_eq!(encode("Perso"), "Perso");
        assert_eq!(encode("Privé"), "Priv&AOk-");
        assert_eq!(encode("A&B"), "A&-B");
        // RFC 3501 §5.1.3 example: "~peter/mail/台北/日本語".
        assert_eq!(
            encode("~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
    }
}
