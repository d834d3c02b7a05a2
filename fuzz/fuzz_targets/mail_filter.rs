//! Any bytes as an incoming message through the delivery filter
//! (`habeas mail filter`, run by the MTA on mail from anyone): it must never
//! panic, and what it delivers must keep its promises (crates/habeas-mail/src/filter.rs):
//! the body is the original's, byte for byte; exactly one `X-Habeas-Class`
//! field, on top (a sender's own copies removed); and filtering the delivered
//! message again changes nothing (no second tag, same class).
#![no_main]

use habeas_mail::filter::scan_headers;
use habeas_mail::{DenyAction, FilterAction, FilterOptions, TagStyle, UserLists, filter_message};
use libfuzzer_sys::fuzz_target;

fn lists(subject_tag: bool, keep_denied_reject: bool) -> UserLists {
    let mut lists = UserLists::new("alice@example.org");
    let mut settings = lists.settings.clone();
    settings.tag = TagStyle {
        keyword: true,
        folder: None,
        subject: subject_tag.then(|| "[PERSO]".to_string()),
    };
    if keep_denied_reject {
        settings.deny = DenyAction::Reject {
            message: "refused".into(),
        };
    }
    lists.set_settings(settings).expect("valid settings");
    for (kind, entry) in [
        (habeas_mail::ListKind::Perso, "mum@example.net"),
        (habeas_mail::ListKind::Perso, "@family.example"),
        (habeas_mail::ListKind::Deny, "spam@example.com"),
        (habeas_mail::ListKind::Allow, "boss@example.org"),
    ] {
        lists.add(kind, entry).expect("valid entry");
    }
    lists
}

fn class_fields(raw: &[u8]) -> usize {
    scan_headers(raw).map_or(0, |block| {
        block
            .fields
            .iter()
            .filter(|f| f.name(raw).eq_ignore_ascii_case(b"x-habeas-class"))
            .count()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, raw)) = data.split_first() else {
        return;
    };
    let lists = lists(flags & 1 == 1, flags & 2 == 2);
    let opts = FilterOptions {
        keep_denied: flags & 4 == 4,
    };
    let first = filter_message(&lists, raw, opts);
    if first.action != FilterAction::Deliver {
        assert!(first.output.is_empty());
        return;
    }
    if first.malformed {
        // Passed through unchanged, a warning on top.
        assert!(first.output.ends_with(raw));
        return;
    }
    let out = &first.output;
    assert!(out.starts_with(b"X-Habeas-Class: "));
    let body_start = scan_headers(raw).expect("classified, so split").body_start;
    assert!(out.ends_with(&raw[body_start..]), "the body changed");
    assert_eq!(class_fields(out), 1, "not exactly one X-Habeas-Class field");
    let again = filter_message(&lists, out, opts);
    assert_eq!(again.class, first.class);
    assert!(!again.malformed);
    assert_eq!(&again.output, out, "filtering twice changed the message");
});
