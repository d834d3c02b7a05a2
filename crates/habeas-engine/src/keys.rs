//! Data keys per (subject, category): created and wrapped on first use,
//! unwrapped on read, destroyed to crypto-shred, rewrapped on rotation
//! (issue 3 point 3). The wrapped keys live in the key store
//! ([`habeas_store::KeyStore`]: a separate SQLite file in its own directory,
//! or its own PostgreSQL schema); the KEK never touches a database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use habeas_crypto::{
    Aad, DataKey, KekRing, KeyDir, KeyEncryptionKey, KeyProvider, KeysConfig, Pkcs11Settings,
    WrappedKey,
};
use habeas_store::{KeyStore, StoreError};

use crate::error::{EngineError, Result};
use crate::key_cache::{DEFAULT_KEY_CACHE_TTL, KeyCache, Pair};

/// Suffix of the variable holding the next KEK during an env rotation.
pub const ENV_NEXT_SUFFIX: &str = "_NEXT";

/// Where the key-encryption keys come from.
pub enum KekSource {
    /// `provider = "file"`: the key directory, which `habeas keys rotate`
    /// stages, promotes and retires KEKs in (another process's rotation is
    /// picked up by reloading it).
    Dir(KeyDir),
    /// `provider = "env"`: the KEK in `variable`. While `<variable>_NEXT`
    /// is set, a rotation is under way: the next KEK wraps, the current one
    /// still unwraps, and `habeas keys rotate` rewraps every data key under
    /// the next one; the operator then moves the next secret into `variable`.
    Env {
        config: Box<KeysConfig>,
        variable: String,
    },
    /// `provider = "pkcs11"`: the token key `key_label` wraps; the token keys
    /// of `retired_key_labels` still unwrap. Habeas never creates, relabels
    /// or destroys a token key during a rotation: the operator names the new
    /// key in `habeas.toml`, creates it (`habeas keys create-pkcs11`),
    /// restarts, then `habeas keys rotate` rewraps every data key.
    Pkcs11 {
        config: Box<KeysConfig>,
        /// Why `habeas keys rotate` has nothing to do (no retired key named).
        no_retired: String,
    },
}

impl KekSource {
    /// The environment provider: the KEK in `variable`.
    pub fn env(config: KeysConfig, variable: &str) -> Self {
        KekSource::Env {
            config: Box::new(config),
            variable: variable.to_string(),
        }
    }

    /// The PKCS#11 provider: the KEK is the token's key `token.key_label`,
    /// the keys labelled `retired_labels` on the same token still unwrap.
    pub fn pkcs11(
        key_dir: &std::path::Path,
        token: &Pkcs11Settings,
        retired_labels: &[String],
    ) -> Self {
        let mut config = KeysConfig::for_pkcs11(token.clone(), key_dir);
        config.retired_keks = retired_labels
            .iter()
            .map(|label| {
                KeyProvider::Pkcs11(Pkcs11Settings {
                    key_label: label.clone(),
                    ..token.clone()
                })
            })
            .collect();
        KekSource::Pkcs11 {
            config: Box::new(config),
            no_retired: format!(
                "rien à re-chiffrer : aucune ancienne clé n'est nommée / nothing to rewrap: no \
                 earlier key is named. To rotate the KEK `{key}` on PKCS#11 token `{token}`: \
                 in habeas.toml set `key_label` to a new label and add \
                 `retired_key_labels = [\"{key}\"]`, run `habeas keys create-pkcs11` (it \
                 creates the new key on the token), restart every process using this vault, \
                 then run `habeas keys rotate`. Keep the old key on the token until the \
                 rotation reports every data key rewrapped.",
                key = token.key_label,
                token = token.token_label,
            ),
        }
    }

    /// Open the KEKs: the current one wraps, the others still unwrap.
    pub fn load_ring(&self) -> Result<KekRing> {
        Ok(match self {
            KekSource::Dir(dir) => dir.load_kek_ring()?,
            KekSource::Env { config, variable } => {
                let next = format!("{variable}{ENV_NEXT_SUFFIX}");
                if std::env::var_os(&next).is_some() {
                    let next = habeas_crypto::open_kek(&KeyProvider::Env { variable: next })?;
                    KekRing::new(next).with_retired(habeas_crypto::open_kek(&config.kek)?)
                } else {
                    config.open_kek_ring()?
                }
            }
            KekSource::Pkcs11 { config, .. } => config.open_kek_ring()?,
        })
    }
}

pub struct DataKeys {
    store: Box<dyn KeyStore>,
    ring: RwLock<KekRing>,
    kek: KekSource,
    cache: Mutex<KeyCache>,
}

fn lock_err() -> EngineError {
    EngineError::Storage("a key-store lock was poisoned by an earlier panic".into())
}

/// The KEK id written in a wrapped key's header (`version, algorithm, id length, id`).
fn kek_id_of(bytes: &[u8]) -> String {
    let len = bytes.get(2).map_or(0, |n| usize::from(*n));
    bytes
        .get(3..3 + len)
        .and_then(|id| std::str::from_utf8(id).ok())
        .unwrap_or_default()
        .to_string()
}

impl DataKeys {
    /// The data keys of the key store `store`, wrapped by `ring` (opened
    /// from `kek` by [`KekSource::load_ring`], before any file is created).
    pub fn new(store: Box<dyn KeyStore>, kek: KekSource, ring: KekRing) -> Result<Self> {
        Ok(DataKeys {
            store,
            ring: RwLock::new(ring),
            kek,
            cache: Mutex::new(KeyCache::new(DEFAULT_KEY_CACHE_TTL)),
        })
    }

    fn unwrap(&self, bytes: Vec<u8>, subject: &str, category: &str) -> Result<DataKey> {
        let wrapped = WrappedKey::from_bytes(bytes)?;
        let aad = Aad::data_key(subject, category);
        let first = self
            .ring
            .read()
            .map_err(|_| lock_err())?
            .unwrap(&wrapped, &aad);
        match first {
            Ok(key) => Ok(key),
            Err(habeas_crypto::CryptoError::WrongKek { .. })
                if matches!(self.kek, KekSource::Dir(_)) =>
            {
                // Another process rotated the KEK: reload the ring once.
                let ring = self.kek.load_ring()?;
                let key = ring.unwrap(&wrapped, &aad)?;
                *self.ring.write().map_err(|_| lock_err())? = ring;
                Ok(key)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn wrap_new(
        &self,
        subject: &str,
        category: &str,
    ) -> Result<(DataKey, habeas_store::WrappedKey)> {
        let key = DataKey::generate()?;
        let wrapped = self
            .ring
            .read()
            .map_err(|_| lock_err())?
            .wrap(&key, &Aad::data_key(subject, category))?;
        let bytes = wrapped.into_bytes();
        Ok((
            key,
            habeas_store::WrappedKey {
                subject_id: subject.to_string(),
                category: category.to_string(),
                kek_id: kek_id_of(&bytes),
                wrapped: bytes,
            },
        ))
    }

    /// The data keys of `pairs`, creating (and durably storing, wrapped)
    /// those that do not exist yet. Subjects in `fresh` were just created:
    /// they cannot have keys, so no lookup is made for them. Two writers
    /// creating the same pair at once: the loser's insert conflicts and it
    /// uses the winner's key.
    pub fn get_or_create(
        &self,
        pairs: &[Pair],
        fresh: &std::collections::BTreeSet<&str>,
    ) -> Result<HashMap<Pair, Arc<DataKey>>> {
        let mut out = HashMap::with_capacity(pairs.len());
        let mut missing = Vec::new();
        {
            let mut cache = self.cache.lock().map_err(|_| lock_err())?;
            let now = Instant::now();
            for pair in pairs {
                match cache.get(pair, now) {
                    Some(k) => {
                        out.insert(pair.clone(), k);
                    }
                    None => missing.push(pair.clone()),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        missing.sort();
        missing.dedup();
        let mut made = Vec::with_capacity(missing.len());
        let mut new_keys = Vec::new();
        let mut new_wrapped = Vec::new();
        for (subject, category) in &missing {
            let existing = if fresh.contains(subject.as_str()) {
                None
            } else {
                self.store.get_key(subject, category)?
            };
            match existing {
                Some(w) => made.push((
                    (subject.clone(), category.clone()),
                    Arc::new(self.unwrap(w.wrapped, subject, category)?),
                )),
                None => {
                    let (key, wrapped) = self.wrap_new(subject, category)?;
                    new_keys.push(((subject.clone(), category.clone()), Arc::new(key)));
                    new_wrapped.push(wrapped);
                }
            }
        }
        if !new_wrapped.is_empty() {
            match self.store.put_keys(&new_wrapped) {
                Ok(()) => made.extend(new_keys),
                Err(StoreError::Conflict { .. }) => {
                    // Someone else created one of them: store ours one by one,
                    // and take theirs where they won.
                    for ((pair, key), wrapped) in new_keys.into_iter().zip(new_wrapped) {
                        match self.store.put_keys(std::slice::from_ref(&wrapped)) {
                            Ok(()) => made.push((pair, key)),
                            Err(StoreError::Conflict { .. }) => {
                                let theirs =
                                    self.store.get_key(&pair.0, &pair.1)?.ok_or_else(|| {
                                        EngineError::Storage(
                                            "a data key vanished during its creation".into(),
                                        )
                                    })?;
                                let key = self.unwrap(theirs.wrapped, &pair.0, &pair.1)?;
                                made.push((pair, Arc::new(key)));
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.cache
            .lock()
            .map_err(|_| lock_err())?
            .insert_all(&made, Instant::now());
        out.extend(made);
        Ok(out)
    }

    /// Whether the data key of (`subject`, `category`) is unwrapped in
    /// memory: using it then touches neither the key store nor the KEK.
    pub fn in_memory(&self, subject: &str, category: &str) -> bool {
        let pair = (subject.to_string(), category.to_string());
        self.cache
            .lock()
            .is_ok_and(|cache| cache.contains(&pair, Instant::now()))
    }

    /// The data keys of `category` of several subjects (those that have one), read with one
    /// statement. Keys unwrapped here are not kept in the cache: a walk over every subject
    /// (statistics) would flush the keys the server's requests use.
    pub fn get_many(
        &self,
        subjects: &[String],
        category: &str,
    ) -> Result<HashMap<String, Arc<DataKey>>> {
        let mut out = HashMap::with_capacity(subjects.len());
        let mut missing = Vec::new();
        {
            let mut cache = self.cache.lock().map_err(|_| lock_err())?;
            let now = Instant::now();
            for s in subjects {
                match cache.get(&(s.clone(), category.to_string()), now) {
                    Some(k) => {
                        out.insert(s.clone(), k);
                    }
                    None => missing.push(s.clone()),
                }
            }
        }
        if !missing.is_empty() {
            for w in self.store.keys_of_subjects(&missing, category)? {
                let key = self.unwrap(w.wrapped, &w.subject_id, category)?;
                out.insert(w.subject_id, Arc::new(key));
            }
        }
        Ok(out)
    }

    /// The data key of a pair if it exists (a shredded pair has none).
    pub fn get(&self, subject: &str, category: &str) -> Result<Option<Arc<DataKey>>> {
        let pair = (subject.to_string(), category.to_string());
        if let Some(k) = self
            .cache
            .lock()
            .map_err(|_| lock_err())?
            .get(&pair, Instant::now())
        {
            return Ok(Some(k));
        }
        let Some(w) = self.store.get_key(subject, category)? else {
            return Ok(None);
        };
        let key = Arc::new(self.unwrap(w.wrapped, subject, category)?);
        self.cache
            .lock()
            .map_err(|_| lock_err())?
            .insert_all(&[(pair, Arc::clone(&key))], Instant::now());
        Ok(Some(key))
    }

    /// Destroy every data key of a subject (crypto-shredding, Art. 17); the
    /// key store purges the remnants before returning (SQLite:
    /// `secure_delete` + WAL truncation; PostgreSQL: `VACUUM FULL`).
    pub fn destroy_subject(&self, subject: &str) -> Result<usize> {
        let shredded = |s: &str, _: &str| s == subject;
        self.forget(shredded)?;
        let n = self.store.shred(subject, None)? as usize;
        self.forget(shredded)?;
        Ok(n)
    }

    /// Destroy the data key of one (subject, category) — crypto-shredding of
    /// one category (Art. 17(3): other categories may have to be kept).
    pub fn destroy_pair(&self, subject: &str, category: &str) -> Result<usize> {
        let shredded = |s: &str, c: &str| s == subject && c == category;
        self.forget(shredded)?;
        let n = self.store.shred(subject, Some(category))? as usize;
        self.forget(shredded)?;
        Ok(n)
    }

    /// Destroy the keys of many (subject, category) pairs — `None` for all of
    /// a subject's keys — in one key-store transaction with one purge
    /// (batched erasures, issue 4). Returns the count per target, in order.
    pub fn destroy_many(&self, targets: &[(String, Option<String>)]) -> Result<Vec<usize>> {
        let shredded = |s: &str, c: &str| {
            targets
                .iter()
                .any(|(ts, tc)| ts == s && tc.as_deref().is_none_or(|tc| tc == c))
        };
        self.forget(shredded)?;
        let counts = self.store.shred_many(targets)?;
        self.forget(shredded)?;
        Ok(counts.into_iter().map(|n| n as usize).collect())
    }

    /// Drop this process's copies of the keys `shredded` names — before the
    /// key store destroys them and again after, so a read that unwrapped
    /// one in between does not leave it in memory.
    fn forget(&self, shredded: impl Fn(&str, &str) -> bool) -> Result<()> {
        self.cache.lock().map_err(|_| lock_err())?.forget(shredded);
        Ok(())
    }

    /// How long an unwrapped data key stays in this process's memory from
    /// its unwrap (default [`DEFAULT_KEY_CACHE_TTL`]; zero: keys are not
    /// kept). Keys already older go at once.
    pub fn set_cache_ttl(&self, ttl: Duration) -> Result<()> {
        self.cache
            .lock()
            .map_err(|_| lock_err())?
            .set_ttl(ttl, Instant::now());
        Ok(())
    }

    /// The time an unwrapped data key stays in memory.
    pub fn cache_ttl(&self) -> Result<Duration> {
        Ok(self.cache.lock().map_err(|_| lock_err())?.ttl())
    }

    /// Drop (and so zeroize) every kept key past its time; how many went.
    /// The server calls this on a timer, so a key nobody asks for again
    /// does not wait for the next request to leave memory.
    pub fn expire_cached(&self) -> Result<usize> {
        Ok(self
            .cache
            .lock()
            .map_err(|_| lock_err())?
            .expire(Instant::now()))
    }

    /// `habeas keys rotate`: stage a new KEK (or resume a staged one),
    /// rewrap every data key under it, then promote it. Data is not
    /// re-encrypted; the server keeps serving (new keys are wrapped by the
    /// staged KEK as soon as the ring is reloaded).
    /// With `provider = "env"`: rewraps under `<VAR>_NEXT` (refused, changing
    /// nothing, while it is unset); the operator then moves that secret into
    /// `VAR`. With a PKCS#11 KEK: rewraps every data key wrapped by a token
    /// key of `retired_key_labels` under `key_label` (refused, changing
    /// nothing, while no retired key is named).
    pub fn rotate(&self) -> Result<(usize, Option<String>)> {
        let dir = match &self.kek {
            KekSource::Dir(dir) => dir,
            KekSource::Env { variable, .. } => {
                let next = format!("{variable}{ENV_NEXT_SUFFIX}");
                if std::env::var_os(&next).is_none() {
                    return Err(EngineError::Config(format!(
                        "la KEK vient de la variable {variable} (provider = \"env\") : définissez \
                         {next} (32 octets aléatoires en base64) / the KEK comes from the variable \
                         {variable} (provider = \"env\"): set {next} to a new secret (base64 of \
                         32 random bytes, `head -c 32 /dev/urandom | base64`) for every process \
                         using this vault, restart them, run `habeas keys rotate` again, then set \
                         {variable} to that secret and unset {next}"
                    )));
                }
                let ring = self.kek.load_ring()?;
                *self.ring.write().map_err(|_| lock_err())? = ring;
                return Ok((self.rewrap_all()?, None));
            }
            KekSource::Pkcs11 { config, no_retired } => {
                // Art. 32 GDPR (security of processing): the old token key
                // keeps unwrapping until every data key is rewrapped under
                // the new one; only then may the operator destroy it.
                if config.retired_keks.is_empty() {
                    return Err(EngineError::Config(no_retired.clone()));
                }
                let ring = self.kek.load_ring()?;
                *self.ring.write().map_err(|_| lock_err())? = ring;
                return Ok((self.rewrap_all()?, None));
            }
        };
        if dir.load_staged_kek()?.is_none() {
            dir.stage_new_kek()?;
        }
        let ring = dir.load_kek_ring()?;
        *self.ring.write().map_err(|_| lock_err())? = ring;
        let rewrapped = self.rewrap_all()?;
        let retired = dir.promote_staged_kek()?;
        let ring = dir.load_kek_ring()?;
        *self.ring.write().map_err(|_| lock_err())? = ring;
        Ok((rewrapped, retired.map(|id| id.to_string())))
    }

    /// Rewrap, in chunks of 1,000, every data key the ring's current KEK did
    /// not wrap.
    fn rewrap_all(&self) -> Result<usize> {
        let mut rewrapped = 0usize;
        let mut after: Option<(String, String)> = None;
        loop {
            let chunk = self
                .store
                .list_keys(after.as_ref().map(|(s, c)| (s.as_str(), c.as_str())), 1000)?;
            let Some(last) = chunk.last() else { break };
            after = Some((last.subject_id.clone(), last.category.clone()));
            let ring = self.ring.read().map_err(|_| lock_err())?;
            let mut changed = Vec::new();
            for k in chunk {
                let wrapped = WrappedKey::from_bytes(k.wrapped)?;
                if !ring.needs_rewrap(&wrapped) {
                    continue;
                }
                let new = ring
                    .rewrap_to_current(&wrapped, &Aad::data_key(&k.subject_id, &k.category))?
                    .into_bytes();
                changed.push(habeas_store::WrappedKey {
                    kek_id: kek_id_of(&new),
                    subject_id: k.subject_id,
                    category: k.category,
                    wrapped: new,
                });
            }
            drop(ring);
            if !changed.is_empty() {
                rewrapped += self.store.replace_wrapped(&changed)? as usize;
            }
        }
        Ok(rewrapped)
    }

    /// Count of stored data keys (for reports and tests); partition keys
    /// are not data keys of a subject and are not counted.
    pub fn count(&self) -> Result<i64> {
        let mut n = 0i64;
        let mut after: Option<(String, String)> = None;
        loop {
            let chunk = self.store.list_keys(
                after.as_ref().map(|(s, c)| (s.as_str(), c.as_str())),
                10_000,
            )?;
            let Some(last) = chunk.last() else { break };
            after = Some((last.subject_id.clone(), last.category.clone()));
            n += chunk
                .iter()
                .filter(|k| k.subject_id != PARTITION_OWNER)
                .count() as i64;
        }
        Ok(n)
    }
}

/// The key-store owner of the partition keys of high-volume rows: one
/// wrapped key per (category, month), stored beside the subjects' data keys
/// so that they share the key store's guarantees — wrapped by the KEK,
/// rewrapped by `habeas keys rotate`, remnant-free destruction, never in a
/// data backup. Not a subject id (those are `sub_…`).
pub const PARTITION_OWNER: &str = "~partitions";

/// The key-store slot of a (category, month) partition key.
fn partition_slot(category: &str, month: i64) -> String {
    format!("{category}@{month}")
}

/// The (category, month) of a partition key's slot.
fn parse_slot(slot: &str) -> Option<(&str, i64)> {
    let (category, month) = slot.rsplit_once('@')?;
    Some((category, month.parse().ok()?))
}

impl DataKeys {
    /// The partition keys of `wanted` (category, month index), created and
    /// stored where missing.
    pub fn partition_keys(
        &self,
        wanted: &[(String, i64)],
    ) -> Result<HashMap<(String, i64), Arc<DataKey>>> {
        let pairs: Vec<Pair> = wanted
            .iter()
            .map(|(c, m)| (PARTITION_OWNER.to_string(), partition_slot(c, *m)))
            .collect();
        let mut keys = self.get_or_create(&pairs, &Default::default())?;
        Ok(wanted
            .iter()
            .zip(&pairs)
            .filter_map(|(slot, pair)| Some((slot.clone(), keys.remove(pair)?)))
            .collect())
    }

    /// The partition key of (category, month) if it exists (an expired
    /// month has none: its rows can never be opened again).
    pub fn partition_key(&self, category: &str, month: i64) -> Result<Option<Arc<DataKey>>> {
        self.get(PARTITION_OWNER, &partition_slot(category, month))
    }

    /// Destroy `category`'s partition keys of every month ending at or
    /// before `before`: their rows are crypto-shredded wherever they are
    /// (Art. 5(1)(e), Art. 17). Returns how many keys.
    pub fn destroy_partitions_before(
        &self,
        category: &str,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize> {
        let mut targets = Vec::new();
        for k in self.store.subject_keys(PARTITION_OWNER)? {
            let Some((c, month)) = parse_slot(&k.category) else {
                continue;
            };
            let ends = habeas_store::month_start(month + 1)?;
            if c == category && ends <= before {
                targets.push((PARTITION_OWNER.to_string(), Some(k.category.clone())));
            }
        }
        if targets.is_empty() {
            return Ok(0);
        }
        Ok(self.destroy_many(&targets)?.into_iter().sum())
    }
}
