//! Any bytes as a backup file (`habeas backup verify`, `habeas restore`: files
//! that come back from a backup medium): never a panic, never more memory
//! than a chunk; and a backup written here reads back to its content while
//! any one changed byte, or a cut, is refused (crates/habeas-crypto/src/backup.rs).
#![no_main]

use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

use habeas_crypto::SoftwareKek;
use habeas_crypto::backup::{
    BackupCompression, BackupMeta, BackupReader, BackupWriter, read_header, verify,
};
use libfuzzer_sys::fuzz_target;

fn kek() -> &'static SoftwareKek {
    static KEK: OnceLock<SoftwareKek> = OnceLock::new();
    KEK.get_or_init(|| {
        let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string();
        SoftwareKek::from_env_with("HABEAS_FUZZ_KEK", &|_| Some(secret.clone())).expect("a secret")
    })
}

fuzz_target!(|data: &[u8]| {
    // As a file from the medium.
    let _ = read_header(&mut Cursor::new(data));
    let _ = verify(Cursor::new(data), kek());

    // A backup of these bytes, then damaged.
    let Some((&flags, content)) = data.split_first() else {
        return;
    };
    let mut meta = BackupMeta::new(1_765_000_000, 7);
    meta.chunk_size = 1024 * (1 + u32::from(flags & 0x07));
    meta.compression = match flags >> 6 {
        0 => BackupCompression::None,
        1 => BackupCompression::Deflate,
        _ => BackupCompression::Zstd,
    };
    let mut writer = BackupWriter::new(Vec::new(), kek(), meta).expect("a writer");
    writer.write_all(content).expect("writing to memory");
    let file = writer.finish().expect("finishing");
    let mut reader = BackupReader::open(Cursor::new(&file), kek()).expect("opens");
    let mut back = Vec::new();
    reader.read_to_end(&mut back).expect("reads");
    assert_eq!(back, content, "the backup did not give its content back");
    let report = reader.finish().expect("sound");
    assert_eq!(report.content_bytes, content.len() as u64);

    let at = usize::from(flags) * 7919 % file.len();
    let mut changed = file.clone();
    changed[at] ^= 0x01 << (flags % 8);
    assert!(
        verify(Cursor::new(&changed), kek()).is_err(),
        "a changed byte passed"
    );
    let cut = at.max(1);
    assert!(
        verify(Cursor::new(&file[..cut]), kek()).is_err(),
        "a cut file passed"
    );
});
