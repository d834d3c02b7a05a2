//! Hand-over (mbox export) and destruction (purge) of personal mail on a
//! generated Maildir: exactly the personal messages go, every other file stays
//! byte-identical (SHA-256 of every file before and after).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use habeas_mail::maildir::{export_mbox, find_perso, purge, read_mboxrd};
use sha2::{Digest, Sha256};
use support::maildir_gen;

fn hashes(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let digest = hex::encode(Sha256::digest(fs::read(&path).unwrap()));
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), digest);
            }
        }
    }
    out
}

#[test]
fn export_then_purge_touches_only_personal_mail() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Maildir");
    let generated = maildir_gen::generate(&root, 600, 42);
    let lists = maildir_gen::lists();
    assert!(generated.perso.len() > 60, "{}", generated.perso.len());

    let found = find_perso(&root, &lists).unwrap();
    let found_paths: Vec<PathBuf> = found.iter().map(|m| m.relative.clone()).collect();
    assert_eq!(found_paths, generated.perso);

    let mbox = tmp.path().join("perso.mbox");
    let totals = export_mbox(&root, &found, &mbox).unwrap();
    assert_eq!(totals.messages, found.len());
    let exported = read_mboxrd(&fs::read(&mbox).unwrap());
    assert_eq!(exported.len(), found.len());
    for (message, bytes) in found.iter().zip(&exported) {
        assert_eq!(&fs::read(root.join(&message.relative)).unwrap(), bytes);
    }
    // A second export never overwrites the first.
    assert!(export_mbox(&root, &found, &mbox).is_err());

    let before = hashes(&root);
    let report = purge(&root, &found).unwrap();
    assert_eq!(report.messages, found.len());
    let after = hashes(&root);
    let mut expected = before.clone();
    for path in &generated.perso {
        assert!(expected.remove(path).is_some());
    }
    assert_eq!(after, expected);
    assert!(find_perso(&root, &lists).unwrap().is_empty());
}

#[test]
fn a_directory_that_is_not_a_maildir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = find_perso(tmp.path(), &maildir_gen::lists()).unwrap_err();
    assert!(err.to_string().contains("Maildir"));
}
