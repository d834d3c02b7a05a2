//! Minimal XML-to-text for office documents: text nodes with entities decoded, and the
//! element ends that delimit paragraphs, cells and rows turned into newlines and tabs so
//! that context ("Nom :" then the name) survives extraction. No DTDs, no external entities:
//! nothing is ever fetched or expanded beyond the five predefined entities and numeric ones.

/// Append the text of `xml` to `out`. `breaks` lists (tag name, inserted text) pairs applied
/// at the end (or self-closing form) of those elements.
pub(crate) fn text_of(xml: &[u8], breaks: &[(&[u8], &str)], out: &mut String) {
    let mut i = 0;
    let n = xml.len();
    while i < n {
        let Some(lt) = memchr::memchr(b'<', &xml[i..]).map(|k| i + k) else {
            push_text(&xml[i..], out);
            break;
        };
        push_text(&xml[i..lt], out);
        let Some(gt) = memchr::memchr(b'>', &xml[lt..]).map(|k| lt + k) else {
            break;
        };
        let tag = &xml[lt + 1..gt];
        let closing = tag.starts_with(b"/");
        let self_closing = tag.ends_with(b"/");
        let name_start = usize::from(closing);
        let name_end = tag[name_start..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'/')
            .map_or(tag.len(), |k| name_start + k);
        let name = &tag[name_start..name_end];
        if (closing || self_closing)
            && let Some((_, s)) = breaks.iter().find(|(t, _)| *t == name)
        {
            out.push_str(s);
        }
        i = gt + 1;
    }
}

fn push_text(raw: &[u8], out: &mut String) {
    if raw.is_empty() {
        return;
    }
    let s = String::from_utf8_lossy(raw);
    if !s.contains('&') {
        out.push_str(&s);
        return;
    }
    let mut rest: &str = &s;
    while let Some(a) = rest.find('&') {
        out.push_str(&rest[..a]);
        let after = &rest[a..];
        let Some(semi) = after.find(';').filter(|&k| k <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let ent = &after[1..semi];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                .ok()
                .and_then(char::from_u32),
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=semi]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_entities() {
        let mut s = String::new();
        text_of(b"<w:p><w:r><w:t>Nom :</w:t></w:r><w:tab/><w:t>Dupont &amp; Fils&#233;</w:t></w:p><w:p/>", &[(b"w:p", "\n"), (b"w:tab", "\t")], &mut s);
        assert_eq!(s, "Nom :\tDupont & Filsé\n\n");
    }
}
