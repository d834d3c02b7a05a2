//! The encrypted backup file format: optionally compressed, then encrypted
//! in chunks, with the backup's data key wrapped by the project's KEK in the
//! header.
//!
//! Why a format of our own: a backup holds every ciphertext of the vault, so
//! it must be (1) confidential even if the backup medium leaks, (2) tamper-
//! evident — one flipped byte, a truncated file or two swapped chunks must be
//! refused, not restored — and (3) streamable, since a 10-million-record
//! database does not fit in memory. Keys are never inside a backup: only the
//! backup's own data key, wrapped by the KEK, which stays where it is (file,
//! environment, token). Losing the KEK makes the backup unreadable, which is
//! also how an expired backup epoch is crypto-shredded.
//!
//! Layout, versions 1 and 2 (integers big-endian):
//!
//! ```text
//! "HABEASBK" ‖ version (1 or 2) ‖ header length (u16) ‖ header
//! header := compression ‖ chunk size (u32) ‖ created at (i64, Unix seconds)
//!           ‖ source schema version (u32) ‖ nonce prefix (7 random bytes)
//!           ‖ wrapped key length (u16) ‖ wrapped data key (names the KEK id)
//! then chunks: AES-256-GCM(chunk of the (compressed) stream) ‖ tag (16)
//! ```
//!
//! Compression: 1 = one raw DEFLATE stream over the whole content (both
//! versions); 0 = none and 2 = one zstd frame (level 1) over the whole
//! content (version 2 only). Version 2 exists for those values: a vault's
//! data store is mostly AES-GCM ciphertexts and digests, which compress
//! little (about 1.8× in all, from the page structure and ids), and DEFLATE
//! spent most of a backup's time finding that out; zstd at level 1 gets a
//! slightly better ratio at several times DEFLATE's speed, so it is the
//! default (docs/benchmarks-retention.md, "Backup and restore at scale").
//! Version 1 files are still read; this build writes version 2.
//!
//! Every chunk but the last holds exactly `chunk size` bytes of the stream.
//! The chunk nonce is the STREAM construction (Hoang, Reyhanitabar,
//! Rogaway, Vizár 2015): `nonce prefix (7) ‖ chunk counter (u32) ‖ last flag
//! (1)`. So a reordered chunk fails (wrong counter), a file cut at a chunk
//! boundary fails (its final chunk was sealed with the flag clear) and bytes
//! appended after the last chunk fail. Each chunk's associated data is the
//! SHA-256 of the whole header (magic to wrapped key): a changed date,
//! compression, schema version or wrapped key fails the first chunk. The
//! wrapped key's own AAD binds it to the version and the header fields
//! before it, so it cannot be moved onto another backup's header either.
//!
//! The data key is fresh for each backup (256 bits from the OS), so counter
//! nonces never repeat under one key; 2^32 chunks is the most one file can
//! hold (4 PiB at the default 1 MiB chunk).
//!
//! [`verify`] reads a backup to the end, checking every chunk and the
//! compressed stream, and writes no plaintext anywhere (it reads into a
//! fixed buffer that is overwritten and dropped). [`BackupReader::finish`]
//! gives a streaming reader the same end-of-file checks, so a restore can
//! authenticate while it copies, in one pass.

use std::io::{self, BufRead, BufReader, Read, Write};

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::aad::Aad;
use crate::data_key::DataKey;
use crate::error::CryptoError;
use crate::kek::{KekId, KeyEncryptionKey, WrappedKey};
use crate::random;

/// The first bytes of every Habeas backup.
pub const BACKUP_MAGIC: &[u8; 8] = b"HABEASBK";
/// The first format version (DEFLATE only); still read.
pub const BACKUP_FORMAT_V1: u8 = 1;
/// The format version this build writes (adds "no compression").
pub const BACKUP_FORMAT_V2: u8 = 2;
/// Bytes of the (compressed) stream per chunk unless told otherwise: large
/// enough that the per-chunk cost (one nonce, one tag, one write) vanishes,
/// small enough to stay out of the memory budget.
pub const DEFAULT_CHUNK_SIZE: u32 = 1024 * 1024;
/// The domain of the wrapped backup key's AAD.
pub const DOMAIN_BACKUP_KEY: &str = "habeas/backup-key/v1";

const TAG_LEN: usize = 16;
const NONCE_PREFIX_LEN: usize = 7;
const COMPRESSION_NONE: u8 = 0;
const COMPRESSION_DEFLATE: u8 = 1;
const COMPRESSION_ZSTD: u8 = 2;
/// zstd's fastest standard level: the ratio of higher levels is not worth
/// their time on content that is mostly ciphertext.
const ZSTD_LEVEL: i32 = 1;
const MIN_CHUNK: u32 = 1024;
const MAX_CHUNK: u32 = 16 * 1024 * 1024;

/// How the content is compressed before it is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupCompression {
    /// Sealed as it is (format version 2): the right choice for content that
    /// is mostly ciphertext.
    None,
    /// One raw DEFLATE stream (level 1) over the whole content (the only
    /// choice of format version 1; slow).
    Deflate,
    /// One zstd frame (level 1) over the whole content (format version 2):
    /// the default.
    Zstd,
}

impl BackupCompression {
    fn code(self) -> u8 {
        match self {
            BackupCompression::None => COMPRESSION_NONE,
            BackupCompression::Deflate => COMPRESSION_DEFLATE,
            BackupCompression::Zstd => COMPRESSION_ZSTD,
        }
    }
}

/// What can go wrong writing, reading or verifying a backup. Messages never
/// hold backup contents or key bytes.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the underlying file failed.
    #[error("backup input/output failed: {0}")]
    Io(#[source] io::Error),
    /// Not a Habeas backup, or a header this build cannot read.
    #[error("not a readable Habeas backup: {0}")]
    Header(String),
    /// The backup key could not be unwrapped: another KEK, or a tampered header.
    #[error("the backup key cannot be opened ({0}); use the KEK the backup was made with")]
    Key(#[source] CryptoError),
    /// A chunk failed authentication: the file was altered or chunks reordered.
    #[error(
        "backup chunk {chunk} failed authentication: the file was altered, reordered, \
         or belongs with another header; restore from another copy"
    )]
    Tampered { chunk: u32 },
    /// The file ends before its last chunk.
    #[error(
        "the backup is truncated after chunk {chunks}: its final chunk is missing; \
         the copy is incomplete, restore from another one"
    )]
    Truncated { chunks: u32 },
    /// Authenticated data that does not decompress (a writer bug, not an attack).
    #[error("the backup's compressed stream is invalid: {0}")]
    Corrupt(String),
    /// Bad parameters given by the caller.
    #[error("backup settings: {0}")]
    Settings(String),
    /// A crypto primitive failed (the OS random generator, in practice).
    #[error(transparent)]
    Crypto(CryptoError),
}

impl From<io::Error> for BackupError {
    fn from(e: io::Error) -> Self {
        // Errors of our own travel through `io::Read`/`Write` wrapped in an io::Error.
        if e.get_ref().is_some_and(|inner| inner.is::<BackupError>()) {
            if let Some(inner) = e.into_inner()
                && let Ok(ours) = inner.downcast::<BackupError>()
            {
                return *ours;
            }
            return BackupError::Corrupt("unreadable inner error".into());
        }
        BackupError::Io(e)
    }
}

fn to_io(e: BackupError) -> io::Error {
    io::Error::other(e)
}

/// What the caller says about a new backup (all of it authenticated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupMeta {
    /// When the backup was taken (Unix seconds, UTC); restores replay what came after.
    pub created_at: i64,
    /// The schema version of the database it copies.
    pub source_schema_version: u32,
    /// Bytes of the stream per chunk (1 KiB to 16 MiB; [`DEFAULT_CHUNK_SIZE`] is a good choice).
    pub chunk_size: u32,
    /// Compression of the content before sealing.
    pub compression: BackupCompression,
}

impl BackupMeta {
    /// Metadata with the default chunk size and zstd compression.
    pub fn new(created_at: i64, source_schema_version: u32) -> Self {
        BackupMeta {
            created_at,
            source_schema_version,
            chunk_size: DEFAULT_CHUNK_SIZE,
            compression: BackupCompression::Zstd,
        }
    }
}

/// A parsed backup header: readable without any key (for `backup list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupHeader {
    pub format_version: u8,
    pub meta: BackupMeta,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    wrapped: WrappedKey,
    /// The exact header bytes, magic included (hashed into every chunk's AAD).
    raw: Vec<u8>,
}

impl BackupHeader {
    /// The KEK that wraps this backup's key (needed to restore it).
    pub fn kek_id(&self) -> &KekId {
        self.wrapped.kek_id()
    }

    /// Length of the header in bytes (where the first chunk starts).
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Always false: a header has at least its magic.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    fn chunk_aad(&self) -> [u8; 32] {
        Sha256::digest(&self.raw).into()
    }
}

/// The fields before the wrapped key: what the wrapped key's AAD binds.
fn fixed_fields(meta: &BackupMeta, nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.push(meta.compression.code());
    out.extend_from_slice(&meta.chunk_size.to_be_bytes());
    out.extend_from_slice(&meta.created_at.to_be_bytes());
    out.extend_from_slice(&meta.source_schema_version.to_be_bytes());
    out.extend_from_slice(nonce_prefix);
    out
}

fn key_aad(version: u8, fixed: &[u8]) -> Aad {
    Aad::new(DOMAIN_BACKUP_KEY)
        .with(BACKUP_MAGIC)
        .with([version])
        .with(fixed)
}

fn check_chunk_size(size: u32) -> Result<(), BackupError> {
    if (MIN_CHUNK..=MAX_CHUNK).contains(&size) {
        Ok(())
    } else {
        Err(BackupError::Settings(format!(
            "chunk size {size} is outside {MIN_CHUNK}..={MAX_CHUNK} bytes; use {DEFAULT_CHUNK_SIZE}"
        )))
    }
}

fn nonce(
    prefix: &[u8; NONCE_PREFIX_LEN],
    counter: u32,
    last: bool,
) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    n[NONCE_PREFIX_LEN..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

fn cipher_for(key: &DataKey) -> Aes256Gcm {
    Aes256Gcm::new(<&aes_gcm::Key<Aes256Gcm>>::from(key.expose()))
}

/// Read and parse the header at the start of `input` (no key needed).
pub fn read_header<R: Read>(input: &mut R) -> Result<BackupHeader, BackupError> {
    let mut start = [0u8; 11];
    let mut got = 0;
    while got < start.len() {
        match input.read(&mut start[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BackupError::Io(e)),
        }
    }
    if got < BACKUP_MAGIC.len() || &start[..8] != BACKUP_MAGIC {
        return Err(BackupError::Header(
            "the file does not start with `HABEASBK`".into(),
        ));
    }
    if got < start.len() {
        return Err(BackupError::Header(
            "the file ends inside its header".into(),
        ));
    }
    let version = start[8];
    if version != BACKUP_FORMAT_V1 && version != BACKUP_FORMAT_V2 {
        return Err(BackupError::Header(format!(
            "format version {version} (this build reads versions {BACKUP_FORMAT_V1} and \
             {BACKUP_FORMAT_V2}); use a newer habeas"
        )));
    }
    let len = usize::from(u16::from_be_bytes([start[9], start[10]]));
    let mut body = vec![0u8; len];
    read_full(input, &mut body, "its header")?;
    let fixed_len = 1 + 4 + 8 + 4 + NONCE_PREFIX_LEN;
    if body.len() < fixed_len + 2 {
        return Err(BackupError::Header(format!(
            "a header of {len} bytes is too short"
        )));
    }
    let compression = match (body[0], version) {
        (COMPRESSION_DEFLATE, _) => BackupCompression::Deflate,
        (COMPRESSION_NONE, BACKUP_FORMAT_V2) => BackupCompression::None,
        (COMPRESSION_ZSTD, BACKUP_FORMAT_V2) => BackupCompression::Zstd,
        (other, _) => {
            return Err(BackupError::Header(format!(
                "unknown compression {other} for format version {version}"
            )));
        }
    };
    let u32_at = |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
    let chunk_size = u32_at(1);
    let mut created = [0u8; 8];
    created.copy_from_slice(&body[5..13]);
    let meta = BackupMeta {
        chunk_size,
        created_at: i64::from_be_bytes(created),
        source_schema_version: u32_at(13),
        compression,
    };
    check_chunk_size(chunk_size).map_err(|e| BackupError::Header(e.to_string()))?;
    let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
    nonce_prefix.copy_from_slice(&body[17..fixed_len]);
    let wrapped_len = usize::from(u16::from_be_bytes([body[fixed_len], body[fixed_len + 1]]));
    let wrapped_bytes = &body[fixed_len + 2..];
    if wrapped_bytes.len() != wrapped_len {
        return Err(BackupError::Header(format!(
            "the wrapped key is {} bytes where the header announces {wrapped_len}",
            wrapped_bytes.len()
        )));
    }
    let wrapped = WrappedKey::from_bytes(wrapped_bytes.to_vec())
        .map_err(|e| BackupError::Header(e.to_string()))?;
    let mut raw = start.to_vec();
    raw.extend_from_slice(&body);
    Ok(BackupHeader {
        format_version: version,
        meta,
        nonce_prefix,
        wrapped,
        raw,
    })
}

fn read_full<R: Read>(input: &mut R, buf: &mut [u8], what: &str) -> Result<(), BackupError> {
    input.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            BackupError::Header(format!("the file ends inside {what}"))
        } else {
            BackupError::Io(e)
        }
    })
}

/// Seals the stream chunk by chunk, in place: the plaintext is copied once,
/// into `buf`, encrypted there and written with its tag in one call.
struct ChunkSealer<W: Write> {
    out: W,
    cipher: Aes256Gcm,
    prefix: [u8; NONCE_PREFIX_LEN],
    aad: [u8; 32],
    chunk: usize,
    /// Up to `chunk` bytes of plaintext (then ciphertext and tag while
    /// sealing); zeroed when dropped.
    buf: Zeroizing<Vec<u8>>,
    counter: u32,
}

impl<W: Write> ChunkSealer<W> {
    fn seal(&mut self, last: bool) -> io::Result<()> {
        let tag = self
            .cipher
            .encrypt_inout_detached(
                &nonce(&self.prefix, self.counter, last),
                &self.aad,
                self.buf.as_mut_slice().into(),
            )
            .map_err(|_| to_io(BackupError::Settings("chunk encryption failed".into())))?;
        self.buf.extend_from_slice(&tag);
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.counter = self.counter.checked_add(1).ok_or_else(|| {
            to_io(BackupError::Settings(
                "more than 2^32 chunks: use a larger chunk size".into(),
            ))
        })?;
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ChunkSealer<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let total = data.len();
        while !data.is_empty() {
            // A full chunk is sealed only once more data comes: the final
            // chunk is sealed by `finish`, with the last flag, and is never
            // empty unless the whole stream is.
            if self.buf.len() == self.chunk {
                self.seal(false)?;
            }
            let n = (self.chunk - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        Ok(total)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Where written content goes: straight to the sealer, or through a compressor.
enum Sink<W: Write> {
    Plain(ChunkSealer<W>),
    Deflate(DeflateEncoder<ChunkSealer<W>>),
    Zstd(zstd::stream::write::Encoder<'static, ChunkSealer<W>>),
}

/// Writes a backup: what is written to it is (compressed,) chunked and
/// encrypted. Call [`BackupWriter::finish`]; a writer dropped without it
/// leaves a file that [`verify`] reports as truncated.
pub struct BackupWriter<W: Write> {
    sink: Sink<W>,
}

impl<W: Write> BackupWriter<W> {
    /// Start a backup on `out`: draws a fresh data key, wraps it under `kek`
    /// and writes the header (format version 2).
    pub fn new(
        mut out: W,
        kek: &dyn KeyEncryptionKey,
        meta: BackupMeta,
    ) -> Result<Self, BackupError> {
        check_chunk_size(meta.chunk_size)?;
        let key = DataKey::generate().map_err(BackupError::Crypto)?;
        let nonce_prefix: [u8; NONCE_PREFIX_LEN] = random::array().map_err(BackupError::Crypto)?;
        let version = BACKUP_FORMAT_V2;
        let fixed = fixed_fields(&meta, &nonce_prefix);
        let wrapped = kek
            .wrap(&key, &key_aad(version, &fixed))
            .map_err(BackupError::Key)?;
        let wrapped = wrapped.as_bytes();
        let wrapped_len = u16::try_from(wrapped.len())
            .map_err(|_| BackupError::Settings("the wrapped key is too long".into()))?;
        let mut body = fixed;
        body.extend_from_slice(&wrapped_len.to_be_bytes());
        body.extend_from_slice(wrapped);
        let body_len = u16::try_from(body.len())
            .map_err(|_| BackupError::Settings("the header is too long".into()))?;
        let mut raw = BACKUP_MAGIC.to_vec();
        raw.push(version);
        raw.extend_from_slice(&body_len.to_be_bytes());
        raw.extend_from_slice(&body);
        out.write_all(&raw)?;
        let chunk = meta.chunk_size as usize;
        let sealer = ChunkSealer {
            out,
            cipher: cipher_for(&key),
            prefix: nonce_prefix,
            aad: Sha256::digest(&raw).into(),
            chunk,
            buf: Zeroizing::new(Vec::with_capacity(chunk + TAG_LEN)),
            counter: 0,
        };
        let sink = match meta.compression {
            BackupCompression::None => Sink::Plain(sealer),
            BackupCompression::Deflate => {
                Sink::Deflate(DeflateEncoder::new(sealer, Compression::fast()))
            }
            BackupCompression::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(sealer, ZSTD_LEVEL)?;
                // The chunks' AEAD tags already authenticate every byte.
                encoder.include_checksum(false)?;
                // One background worker: compression runs beside the caller's
                // reads of the database copy instead of after each of them.
                encoder.multithread(1)?;
                Sink::Zstd(encoder)
            }
        };
        Ok(BackupWriter { sink })
    }

    /// Compress and seal what is left, write the final chunk, return the output.
    pub fn finish(self) -> Result<W, BackupError> {
        let sealer = match self.sink {
            Sink::Plain(sealer) => sealer,
            Sink::Deflate(encoder) => encoder.finish()?,
            Sink::Zstd(encoder) => encoder.finish()?,
        };
        Ok(sealer.finish()?)
    }
}

impl<W: Write> Write for BackupWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Plain(sealer) => sealer.write(data),
            Sink::Deflate(encoder) => encoder.write(data),
            Sink::Zstd(encoder) => encoder.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Plain(sealer) => sealer.flush(),
            Sink::Deflate(encoder) => encoder.flush(),
            Sink::Zstd(encoder) => encoder.flush(),
        }
    }
}

/// Opens chunks in order, in place, checking the counter and the last flag.
struct ChunkOpener<R: Read> {
    input: BufReader<R>,
    cipher: Aes256Gcm,
    prefix: [u8; NONCE_PREFIX_LEN],
    aad: [u8; 32],
    chunk: usize,
    counter: u32,
    /// The current chunk: read sealed, opened in place; zeroed when dropped.
    plain: Zeroizing<Vec<u8>>,
    pos: usize,
    done: bool,
}

impl<R: Read> ChunkOpener<R> {
    fn next_chunk(&mut self) -> Result<(), BackupError> {
        let want = self.chunk + TAG_LEN;
        // The previous chunk's plaintext is overwritten by the next ciphertext.
        self.plain.clear();
        self.plain.resize(want, 0);
        self.pos = 0;
        let mut got = 0;
        while got < want {
            match self.input.read(&mut self.plain[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.plain.clear();
                    return Err(e.into());
                }
            }
        }
        self.plain.truncate(got);
        // The final chunk is the one followed by nothing.
        let last = got < want || self.input.fill_buf()?.is_empty();
        if got < TAG_LEN {
            self.plain.clear();
            return Err(BackupError::Truncated {
                chunks: self.counter,
            });
        }
        let body_len = got - TAG_LEN;
        let tag = Tag::try_from(&self.plain[body_len..]).map_err(|_| BackupError::Tampered {
            chunk: self.counter,
        })?;
        // Only a full chunk at the end of the file may need a second try
        // (sealed as "not last": the file was cut after it); keep its bytes.
        let probe = (last && got == want).then(|| Zeroizing::new(self.plain[..body_len].to_vec()));
        let opened = self.cipher.decrypt_inout_detached(
            &nonce(&self.prefix, self.counter, last),
            &self.aad,
            (&mut self.plain[..body_len]).into(),
            &tag,
        );
        if opened.is_err() {
            self.plain.zeroize();
            self.plain.clear();
            let was_middle = probe.is_some_and(|mut bytes| {
                self.cipher
                    .decrypt_inout_detached(
                        &nonce(&self.prefix, self.counter, false),
                        &self.aad,
                        bytes.as_mut_slice().into(),
                        &tag,
                    )
                    .is_ok()
            });
            return Err(if was_middle {
                BackupError::Truncated {
                    chunks: self.counter + 1,
                }
            } else {
                BackupError::Tampered {
                    chunk: self.counter,
                }
            });
        }
        self.plain.truncate(body_len);
        self.done = last;
        self.counter = self.counter.checked_add(1).ok_or(BackupError::Tampered {
            chunk: self.counter,
        })?;
        Ok(())
    }
}

impl<R: Read> Read for ChunkOpener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_chunk().map_err(to_io)?;
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Where content is read from: the opened chunks, or a decompressor over them.
enum Source<R: Read> {
    Plain(ChunkOpener<R>),
    Deflate(DeflateDecoder<ChunkOpener<R>>),
    /// One frame only: bytes after it are refused by [`BackupReader::finish`].
    Zstd(zstd::stream::read::Decoder<'static, BufReader<ChunkOpener<R>>>),
}

impl<R: Read> Source<R> {
    fn opener(&self) -> &ChunkOpener<R> {
        match self {
            Source::Plain(o) => o,
            Source::Deflate(d) => d.get_ref(),
            Source::Zstd(d) => d.get_ref().get_ref(),
        }
    }

    fn opener_mut(&mut self) -> &mut ChunkOpener<R> {
        match self {
            Source::Plain(o) => o,
            Source::Deflate(d) => d.get_mut(),
            Source::Zstd(d) => d.get_mut().get_mut(),
        }
    }
}

/// Reads a backup: yields the original bytes, checking every chunk on the way.
/// An error (tampering, truncation) surfaces from `read` as an `io::Error`
/// whose inner error is a [`BackupError`] (`BackupError::from` recovers it).
/// Content read before an error may come from a damaged file: call
/// [`BackupReader::finish`] and use what was read only when it succeeds.
pub struct BackupReader<R: Read> {
    header: BackupHeader,
    source: Source<R>,
    content_bytes: u64,
}

impl<R: Read> BackupReader<R> {
    /// Parse the header of `input` and unwrap its key with `kek`.
    pub fn open(mut input: R, kek: &dyn KeyEncryptionKey) -> Result<Self, BackupError> {
        let header = read_header(&mut input)?;
        let fixed = fixed_fields(&header.meta, &header.nonce_prefix);
        let key = kek
            .unwrap(&header.wrapped, &key_aad(header.format_version, &fixed))
            .map_err(BackupError::Key)?;
        let chunk = header.meta.chunk_size as usize;
        let opener = ChunkOpener {
            input: BufReader::with_capacity(chunk + TAG_LEN, input),
            cipher: cipher_for(&key),
            prefix: header.nonce_prefix,
            aad: header.chunk_aad(),
            chunk,
            counter: 0,
            plain: Zeroizing::new(Vec::new()),
            pos: 0,
            done: false,
        };
        let source = match header.meta.compression {
            BackupCompression::None => Source::Plain(opener),
            BackupCompression::Deflate => Source::Deflate(DeflateDecoder::new(opener)),
            BackupCompression::Zstd => Source::Zstd(
                zstd::stream::read::Decoder::new(opener)
                    .map_err(|e| BackupError::Corrupt(format!("zstd: {e}")))?
                    .single_frame(),
            ),
        };
        Ok(BackupReader {
            header,
            source,
            content_bytes: 0,
        })
    }

    /// The backup's header.
    pub fn header(&self) -> &BackupHeader {
        &self.header
    }

    /// Chunks authenticated so far.
    pub fn chunks(&self) -> u32 {
        self.source.opener().counter
    }

    /// Read whatever content is left (into a scratch buffer, overwritten),
    /// then check the end of the file: the final chunk authenticated and, for
    /// DEFLATE, no authenticated byte after the end of the compressed stream.
    /// After `finish` succeeds, every byte `read` returned was authentic and
    /// complete.
    pub fn finish(mut self) -> Result<VerifyReport, BackupError> {
        let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
        loop {
            let n = self.read(&mut buf).map_err(BackupError::from)?;
            if n == 0 {
                break;
            }
        }
        // A compressed stream may end before the final chunk has been read:
        // read it, so the final chunk is authenticated in every case. Bytes
        // the zstd decoder buffered past its frame count as such bytes too.
        let mut extra = match &self.source {
            Source::Zstd(d) => d.get_ref().buffer().len(),
            _ => 0usize,
        };
        loop {
            let n = self
                .source
                .opener_mut()
                .read(&mut buf)
                .map_err(BackupError::from)?;
            if n == 0 {
                break;
            }
            extra += n;
        }
        if extra > 0 {
            return Err(BackupError::Corrupt(
                "authenticated bytes follow the end of the compressed stream".into(),
            ));
        }
        Ok(VerifyReport {
            chunks: self.chunks(),
            content_bytes: self.content_bytes,
            header: self.header,
        })
    }
}

impl<R: Read> Read for BackupReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.source {
            Source::Plain(opener) => opener.read(out)?,
            Source::Deflate(decoder) => decoder.read(out).map_err(stream_error)?,
            Source::Zstd(decoder) => decoder.read(out).map_err(stream_error)?,
        };
        self.content_bytes += n as u64;
        Ok(n)
    }
}

/// A decompressor's own complaint (not one of ours passed through) is a
/// corrupt backup.
fn stream_error(e: io::Error) -> io::Error {
    let ours = e.get_ref().is_some_and(|i| i.is::<BackupError>());
    let bad_stream = matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::Other
    );
    if !ours && bad_stream {
        to_io(BackupError::Corrupt(e.to_string()))
    } else {
        e
    }
}

/// What [`verify`] found in a sound backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub header: BackupHeader,
    /// Authenticated chunks.
    pub chunks: u32,
    /// Bytes of the original (uncompressed) content.
    pub content_bytes: u64,
}

/// Check a whole backup — header, key, every chunk, the final chunk, the
/// compressed stream — without writing its content anywhere.
pub fn verify<R: Read>(input: R, kek: &dyn KeyEncryptionKey) -> Result<VerifyReport, BackupError> {
    BackupReader::open(input, kek)?.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kek::SoftwareKek;

    const ALL: [BackupCompression; 3] = [
        BackupCompression::None,
        BackupCompression::Deflate,
        BackupCompression::Zstd,
    ];

    fn kek(byte: u8) -> SoftwareKek {
        let secret = zeroize::Zeroizing::new([byte; 32]);
        SoftwareKek::from_secret(&secret, "test".into()).expect("kek")
    }

    /// Deterministic, partly compressible content.
    fn content(len: usize) -> Vec<u8> {
        let mut x: u32 = 0x1234_5678;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if i % 3 == 0 { b'a' } else { (x & 0xff) as u8 }
            })
            .collect()
    }

    fn make_with(
        data: &[u8],
        kek: &dyn KeyEncryptionKey,
        chunk: u32,
        compression: BackupCompression,
    ) -> Vec<u8> {
        let meta = BackupMeta {
            created_at: 1_790_000_000,
            source_schema_version: 7,
            chunk_size: chunk,
            compression,
        };
        let mut w = BackupWriter::new(Vec::new(), kek, meta).expect("writer");
        // Uneven writes, to cross chunk boundaries at odd places.
        for piece in data.chunks(3001) {
            w.write_all(piece).expect("write");
        }
        w.finish().expect("finish")
    }

    fn make(data: &[u8], kek: &dyn KeyEncryptionKey, chunk: u32) -> Vec<u8> {
        make_with(data, kek, chunk, BackupCompression::None)
    }

    fn restore(file: &[u8], kek: &dyn KeyEncryptionKey) -> Result<Vec<u8>, BackupError> {
        let mut r = BackupReader::open(file, kek)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(BackupError::from)?;
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn a_second_zstd_frame_after_the_first_is_refused() {
        // Sealed by the right key, so only the single-frame rule can catch it:
        // a restore must not silently stop at the first frame.
        let k = kek(6);
        let meta = BackupMeta::new(1_790_000_000, 7);
        assert_eq!(
            meta.compression,
            BackupCompression::Zstd,
            "zstd is the default"
        );
        let writer = BackupWriter::new(Vec::new(), &k, meta).expect("writer");
        let Sink::Zstd(mut encoder) = writer.sink else {
            panic!("a zstd sink")
        };
        encoder.write_all(&content(5000)).expect("first frame");
        let mut sealer = encoder.finish().expect("end of the first frame");
        let second = zstd::stream::encode_all(&b"more content"[..], 1).expect("second frame");
        sealer.write_all(&second).expect("second frame sealed");
        let file = sealer.finish().expect("final chunk");
        let err = restore(&file, &k).expect_err("two frames");
        assert!(
            err.to_string()
                .contains("follow the end of the compressed stream"),
            "{err}"
        );
        assert!(verify(file.as_slice(), &k).is_err());
    }

    #[test]
    fn round_trip_restores_the_exact_bytes_and_header() {
        let k = kek(1);
        for compression in ALL {
            for len in [0, 1, 1024, 2048, 200_000] {
                let data = content(len);
                let file = make_with(&data, &k, 1024, compression);
                assert_eq!(
                    restore(&file, &k).expect("restore"),
                    data,
                    "len {len} {compression:?}"
                );
                let report = verify(file.as_slice(), &k).expect("verify");
                assert_eq!(report.content_bytes, len as u64);
                assert_eq!(report.header.format_version, BACKUP_FORMAT_V2);
                assert_eq!(report.header.meta.created_at, 1_790_000_000);
                assert_eq!(report.header.meta.source_schema_version, 7);
                assert_eq!(report.header.meta.compression, compression);
                assert_eq!(report.header.kek_id(), k.id());
                assert!(report.chunks >= 1);
            }
        }
    }

    #[test]
    fn without_compression_the_file_is_the_content_plus_header_and_tags() {
        let k = kek(1);
        let data = content(10 * 1024 + 5);
        let file = make(&data, &k, 1024);
        let h = read_header(&mut file.as_slice()).expect("h").len();
        // 10 full chunks and a final one of 5 bytes, each with its tag.
        assert_eq!(file.len(), h + data.len() + 11 * TAG_LEN);
        assert_eq!(verify(file.as_slice(), &k).expect("verify").chunks, 11);
    }

    /// `tests/fixtures/backup-v1.hbk` was written by the version-1 writer
    /// (before format version 2 existed): `content(3000)`, KEK `kek(1)`,
    /// 1 KiB chunks, DEFLATE. It must keep restoring.
    #[test]
    fn a_version_1_backup_still_restores_and_verifies() {
        let file = include_bytes!("../tests/fixtures/backup-v1.hbk");
        let k = kek(1);
        assert_eq!(restore(file, &k).expect("restore v1"), content(3000));
        let report = verify(file.as_slice(), &k).expect("verify v1");
        assert_eq!(report.header.format_version, BACKUP_FORMAT_V1);
        assert_eq!(report.header.meta.compression, BackupCompression::Deflate);
        assert_eq!(report.header.meta.chunk_size, 1024);
        assert_eq!(report.content_bytes, 3000);
        // Still tamper-evident.
        let mut bad = file.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(verify(bad.as_slice(), &k).is_err());
    }

    #[test]
    fn the_version_byte_is_authenticated_and_v1_never_means_no_compression() {
        let k = kek(1);
        let file = make(&content(3000), &k, 1024);
        // A version-2 file relabelled version 1: version 1 has no "none".
        let mut relabelled = file.clone();
        relabelled[8] = BACKUP_FORMAT_V1;
        let err = verify(relabelled.as_slice(), &k).expect_err("v1 without compression");
        assert!(err.to_string().contains("compression 0"), "{err}");
        // A DEFLATE version-2 file relabelled version 1: the key's AAD binds the version.
        let mut relabelled = make_with(&content(3000), &k, 1024, BackupCompression::Deflate);
        relabelled[8] = BACKUP_FORMAT_V1;
        assert!(matches!(
            verify(relabelled.as_slice(), &k),
            Err(BackupError::Key(_))
        ));
        let mut future = file;
        future[8] = 3;
        let err = verify(future.as_slice(), &k).expect_err("v3");
        assert!(err.to_string().contains("version 3"), "{err}");
    }

    #[test]
    fn the_header_reads_without_a_key_and_holds_no_key_bytes_in_clear() {
        let k = kek(1);
        let file = make(&content(5000), &k, DEFAULT_CHUNK_SIZE);
        let header = read_header(&mut file.as_slice()).expect("header");
        assert_eq!(header.kek_id(), k.id());
        assert_eq!(header.meta.chunk_size, DEFAULT_CHUNK_SIZE);
        // The KEK secret (32 × 0x01) appears nowhere in the file.
        assert!(!file.windows(32).any(|w| w == [1u8; 32]));
    }

    #[test]
    fn the_content_is_not_readable_in_the_file() {
        let k = kek(1);
        let data = b"alice.martin@example.org ".repeat(500);
        for compression in ALL {
            let file = make_with(&data, &k, 1024, compression);
            assert!(!file.windows(12).any(|w| w == b"alice.martin"));
        }
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let k = kek(1);
        for compression in ALL {
            let file = make_with(&content(2500), &k, 1024, compression);
            // Every byte of a small backup: header, wrapped key, chunks, tags.
            for i in 0..file.len() {
                let mut bad = file.clone();
                bad[i] ^= 0x01;
                assert!(
                    verify(bad.as_slice(), &k).is_err(),
                    "flip at {i} accepted ({compression:?})"
                );
                assert!(
                    restore(&bad, &k).is_err(),
                    "flip at {i} restored ({compression:?})"
                );
            }
        }
    }

    #[test]
    fn truncation_is_refused_at_every_length_and_named_at_chunk_boundaries() {
        let k = kek(1);
        let data = content(6000);
        for compression in ALL {
            let file = make_with(&data, &k, 1024, compression);
            let header_len = read_header(&mut file.as_slice()).expect("h").len();
            for cut in 0..file.len() {
                assert!(
                    verify(&file[..cut], &k).is_err(),
                    "cut at {cut} accepted ({compression:?})"
                );
                assert!(
                    restore(&file[..cut], &k).is_err(),
                    "cut at {cut} restored ({compression:?})"
                );
            }
            // Cut exactly after the second full chunk.
            let boundary = header_len + 2 * (1024 + TAG_LEN);
            assert!(boundary < file.len());
            assert!(matches!(
                verify(&file[..boundary], &k),
                Err(BackupError::Truncated { chunks: 2 })
            ));
        }
    }

    #[test]
    fn reordered_chunks_and_appended_bytes_are_refused() {
        let k = kek(1);
        for compression in ALL {
            let file = make_with(&content(6000), &k, 1024, compression);
            let h = read_header(&mut file.as_slice()).expect("h").len();
            let c = 1024 + TAG_LEN;
            let mut swapped = file[..h].to_vec();
            swapped.extend_from_slice(&file[h + c..h + 2 * c]);
            swapped.extend_from_slice(&file[h..h + c]);
            swapped.extend_from_slice(&file[h + 2 * c..]);
            assert!(matches!(
                verify(swapped.as_slice(), &k),
                Err(BackupError::Tampered { chunk: 0 })
            ));
            let mut longer = file.clone();
            longer.extend_from_slice(b"x");
            assert!(verify(longer.as_slice(), &k).is_err());
            assert!(restore(&longer, &k).is_err());
        }
    }

    #[test]
    fn a_header_moved_onto_another_backup_is_refused() {
        let k = kek(1);
        let a = make(&content(3000), &k, 1024);
        let b = make(&content(3000), &k, 1024);
        let ha = read_header(&mut a.as_slice()).expect("a").len();
        let hb = read_header(&mut b.as_slice()).expect("b").len();
        let mut mixed = a[..ha].to_vec();
        mixed.extend_from_slice(&b[hb..]);
        assert!(matches!(
            verify(mixed.as_slice(), &k),
            Err(BackupError::Tampered { chunk: 0 })
        ));
    }

    #[test]
    fn the_wrong_kek_is_refused_with_its_id() {
        let file = make(&content(3000), &kek(1), 1024);
        let err = verify(file.as_slice(), &kek(2)).expect_err("wrong kek");
        assert!(matches!(err, BackupError::Key(_)), "{err}");
        assert!(err.to_string().contains(kek(1).id().as_str()), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        #[test]
        fn any_content_any_chunk_size_any_write_pattern_round_trips(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20_000),
            chunk in 1024u32..4096,
            split in 1usize..5000,
            deflate in proptest::prelude::any::<bool>(),
        ) {
            let k = kek(3);
            let compression = if deflate { BackupCompression::Deflate } else { BackupCompression::None };
            let meta = BackupMeta { created_at: -5, source_schema_version: 0, chunk_size: chunk, compression };
            let mut w = BackupWriter::new(Vec::new(), &k, meta).expect("writer");
            for piece in data.chunks(split) {
                w.write_all(piece).expect("write");
            }
            let file = w.finish().expect("finish");
            proptest::prop_assert_eq!(restore(&file, &k).expect("restore"), data.clone());
            let report = verify(file.as_slice(), &k).expect("verify");
            proptest::prop_assert_eq!(report.content_bytes, data.len() as u64);
            proptest::prop_assert_eq!(report.header.meta, meta);
        }
    }

    #[test]
    fn not_a_backup_and_bad_settings_are_explained() {
        let err = verify(b"PK\x03\x04 zip".as_slice(), &kek(1)).expect_err("zip");
        assert!(err.to_string().contains("HABEASBK"), "{err}");
        let meta = BackupMeta {
            chunk_size: 10,
            ..BackupMeta::new(0, 1)
        };
        assert!(matches!(
            BackupWriter::new(Vec::new(), &kek(1), meta),
            Err(BackupError::Settings(_))
        ));
    }
}
