//! Any text as a list entry (`habeas mail add`, the portal's form) and any
//! bytes as a lists CSV (`habeas mail import`): never a panic; an accepted
//! entry is in normal form (parsing its text gives it back); an import either
//! changes nothing (refused) or gives lists that export and import back to
//! themselves and pass their own consistency check.
#![no_main]

use habeas_mail::entry::Normalise;
use habeas_mail::{Entry, ListKind, UserLists, csv_io};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let opts = Normalise {
        fold_plus: flags & 1 == 1,
    };
    if let Ok(text) = std::str::from_utf8(rest) {
        let _ = ListKind::parse(text);
        if let Ok(entry) = Entry::parse(text, opts) {
            let again = Entry::parse(&entry.to_string(), opts).expect("a normal form parses");
            assert_eq!(again, entry, "the normal form is not stable");
            assert_eq!(entry.renormalise(opts), entry);
            let _ = entry.unicode_domain();
        }
        let _ = Entry::from_message_address(text, opts);
    }

    let mut lists = UserLists::new("alice@example.org");
    lists
        .add(ListKind::Perso, "mum@example.net")
        .expect("valid entry");
    let before = lists.clone();
    match csv_io::import(&mut lists, rest, flags & 2 == 2) {
        Err(_) => assert_eq!(lists, before, "a refused import changed the lists"),
        Ok(_) => {
            lists.validate().expect("imported lists are consistent");
            let exported = csv_io::export(&lists);
            let mut back = UserLists::new("alice@example.org");
            csv_io::import(&mut back, &exported, true).expect("an export imports");
            assert_eq!(back, lists, "export then import changed the lists");
        }
    }
});
