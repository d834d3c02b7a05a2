//! Benchmarks of the vault's per-record cryptography, with `std::time::Instant`
//! medians (no external harness): seal and open of a 200-byte record, data-key
//! wrap and unwrap under a software KEK, blind index of an e-mail, chain hash,
//! checkpoint signature; plus same-run baselines (raw AEAD calls without our
//! layout, nonce generation or allocation) to show where the time goes.
//!
//! Run: `cargo bench -p habeas-crypto --bench crypto` (release profile).
//! Each case runs `ROUNDS` rounds of `BATCH` operations; the median round is
//! reported as ns/op and ops/s.

use std::hint::black_box;
use std::time::Instant;

use habeas_crypto::{Aad, Checkpoint, DataKey, KeyDir, KeyEncryptionKey, chain_hash};

const ROUNDS: usize = 21;

fn median_ns_per_op(batch: usize, mut f: impl FnMut()) -> f64 {
    // Warm-up round.
    for _ in 0..batch {
        f();
    }
    let mut samples: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                f();
            }
            start.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[ROUNDS / 2]
}

fn report(name: &str, ns: f64) {
    println!("{name:<44} {ns:>10.0} ns/op {:>12.0} ops/s", 1e9 / ns);
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = KeyDir::create(&dir.path().join("keys"), None).expect("key dir");
    let kek = keys.load_kek().expect("kek");
    let indexer = keys.load_blind_indexer().expect("indexer");
    let signer = keys.load_journal_signer().expect("signer");

    let dek = DataKey::generate().expect("dek");
    let record = [0x5au8; 200];
    let aad = Aad::record_field("8f2c6d1e-subject", "connection_logs", "r-000042", "payload");
    let sealed = dek.seal(&record, &aad).expect("seal");

    let seal = median_ns_per_op(20_000, || {
        black_box(dek.seal(black_box(&record), &aad).expect("seal"));
    });
    report("seal 200-byte record (AES-256-GCM)", seal);

    let open = median_ns_per_op(20_000, || {
        black_box(dek.open(black_box(&sealed), &aad).expect("open"));
    });
    report("open 200-byte record", open);

    let aad_build = median_ns_per_op(20_000, || {
        black_box(Aad::record_field(
            black_box("8f2c6d1e-subject"),
            "connection_logs",
            "r-000042",
            "payload",
        ));
    });
    report("build record AAD", aad_build);

    let key_aad = Aad::data_key("8f2c6d1e-subject", "connection_logs");
    let wrapped = kek.wrap(&dek, &key_aad).expect("wrap");
    let wrap = median_ns_per_op(20_000, || {
        black_box(kek.wrap(black_box(&dek), &key_aad).expect("wrap"));
    });
    report("wrap data key (XChaCha20-Poly1305 KEK)", wrap);

    let unwrap = median_ns_per_op(20_000, || {
        black_box(kek.unwrap(black_box(&wrapped), &key_aad).expect("unwrap"));
    });
    report("unwrap data key", unwrap);

    let generate = median_ns_per_op(20_000, || {
        black_box(DataKey::generate().expect("dek"));
    });
    report("generate data key", generate);

    let index = median_ns_per_op(20_000, || {
        black_box(
            indexer
                .index_email(black_box("Alice.Martin@Example.org"))
                .expect("ix"),
        );
    });
    report("blind index of an e-mail (normalise+HMAC)", index);

    let entry = [0x11u8; 160];
    let mut head = [0u8; 32];
    let chain = median_ns_per_op(50_000, || {
        head = chain_hash(black_box(&head), black_box(&entry));
    });
    report("chain hash of a 160-byte journal entry", chain);

    let checkpoint = Checkpoint {
        entries: 1_000_000,
        head,
        unix_time: 1_796_000_000,
    };
    let sign = median_ns_per_op(2_000, || {
        black_box(signer.sign_checkpoint(black_box(&checkpoint)));
    });
    report("sign journal checkpoint (Ed25519)", sign);

    let public = signer.public_key();
    let signature = signer.sign_checkpoint(&checkpoint);
    let verify = median_ns_per_op(2_000, || {
        public
            .verify_checkpoint(black_box(&checkpoint), &signature)
            .expect("verify");
    });
    report("verify journal checkpoint", verify);

    // Same-run baselines: where the time of `seal` and `unwrap` goes.
    {
        use aes_gcm::aead::{AeadInOut, KeyInit};
        let raw_gcm = aes_gcm::Aes256Gcm::new(&[7u8; 32].into());
        let fixed_nonce = aes_gcm::Nonce::from([1u8; 12]);
        let mut buf = [0x5au8; 200];
        let ns = median_ns_per_op(20_000, || {
            black_box(
                raw_gcm
                    .encrypt_inout_detached(
                        &fixed_nonce,
                        black_box(aad.as_bytes()),
                        (&mut buf[..]).into(),
                    )
                    .expect("raw"),
            );
        });
        report("baseline: raw AES-256-GCM, 200 B, no alloc", ns);

        let mut nonce = [0u8; 12];
        let ns = median_ns_per_op(20_000, || {
            getrandom::fill(black_box(&mut nonce)).expect("rng");
        });
        report("baseline: getrandom 12 B (one nonce)", ns);

        let raw_x = chacha20poly1305::XChaCha20Poly1305::new(&[7u8; 32].into());
        let xnonce = chacha20poly1305::XNonce::from([1u8; 24]);
        let mut key_buf = [0u8; 32];
        let ns = median_ns_per_op(20_000, || {
            black_box(
                raw_x
                    .encrypt_inout_detached(
                        &xnonce,
                        black_box(key_aad.as_bytes()),
                        (&mut key_buf[..]).into(),
                    )
                    .expect("raw"),
            );
        });
        report("baseline: raw XChaCha20-Poly1305, 32 B", ns);

        let ns = median_ns_per_op(20_000, || {
            black_box(aes_gcm::Aes256Gcm::new(black_box(&[7u8; 32].into())));
        });
        report("baseline: AES-256-GCM key schedule", ns);
    }

    println!();
    println!(
        "ratios: open/seal {:.2}, unwrap/open {:.2}, seal+unwrap per cold record {:.0} ns",
        open / seal,
        unwrap / open,
        seal + unwrap
    );
}
