//! The unwrapped data keys a process keeps in memory, and for how long.
//!
//! A key in memory is a copy of the key outside the key store: shredding a
//! subject (Art. 17) destroys the stored key, and the process that shreds
//! drops its own copy at once ([`KeyCache::forget`]) — but another process
//! (a second server on the same PostgreSQL, `habeas purge` run beside a
//! server) cannot reach this one's memory. So every key leaves the cache a
//! bounded time after it was unwrapped, used or not: a memory image of the
//! server never holds a key shredded elsewhere longer than that, nor the key
//! of a subject nobody has asked for since (RELIABILITY.md T24). Re-unwrapping
//! a busy subject's key once per period costs one key-store read and one
//! unwrap. Dropped keys are zeroized ([`DataKey`] wipes itself when its last
//! `Arc` goes).
//!
//! Pure: the caller passes the time, so the rules are tested without waiting.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use habeas_crypto::DataKey;

/// (subject, category).
pub(crate) type Pair = (String, String);

/// Most unwrapped data keys kept in memory before the cache is emptied.
pub const CACHE_LIMIT: usize = 50_000;

/// How long an unwrapped key is kept by default.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(60);

/// How often a long-running process drops the keys past their time: half
/// the time a key is kept (at least a second), so none stays in memory more
/// than 1.5 × `ttl` after its unwrap. `None` when no key is kept.
pub fn sweep_period(ttl: Duration) -> Option<Duration> {
    (!ttl.is_zero()).then(|| (ttl / 2).max(Duration::from_secs(1)))
}

struct Cached {
    key: Arc<DataKey>,
    since: Instant,
}

/// Unwrapped data keys, each kept `ttl` from the moment it was unwrapped.
pub(crate) struct KeyCache {
    entries: HashMap<Pair, Cached>,
    ttl: Duration,
}

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        KeyCache {
            entries: HashMap::new(),
            ttl,
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Keep keys `ttl` from now on (a zero `ttl`: keep none); keys already
    /// older than that go at once.
    pub(crate) fn set_ttl(&mut self, ttl: Duration, now: Instant) {
        self.ttl = ttl;
        self.expire(now);
    }

    fn fresh(&self, c: &Cached, now: Instant) -> bool {
        now.saturating_duration_since(c.since) < self.ttl
    }

    /// The key of `pair`, if it is kept and not past its time (a key past
    /// its time is dropped here).
    pub(crate) fn get(&mut self, pair: &Pair, now: Instant) -> Option<Arc<DataKey>> {
        let c = self.entries.get(pair)?;
        if self.fresh(c, now) {
            Some(Arc::clone(&c.key))
        } else {
            self.entries.remove(pair);
            None
        }
    }

    pub(crate) fn contains(&self, pair: &Pair, now: Instant) -> bool {
        self.entries.get(pair).is_some_and(|c| self.fresh(c, now))
    }

    /// Keep `keys`, unwrapped (or made) at `now`. When they would take the
    /// cache past [`CACHE_LIMIT`], it is emptied first.
    pub(crate) fn insert_all(&mut self, keys: &[(Pair, Arc<DataKey>)], now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        if self.entries.len() + keys.len() > CACHE_LIMIT {
            self.entries.clear();
        }
        for (pair, key) in keys {
            let key = Arc::clone(key);
            self.entries
                .insert(pair.clone(), Cached { key, since: now });
        }
    }

    /// Drop the keys `shredded` says are destroyed.
    pub(crate) fn forget(&mut self, shredded: impl Fn(&str, &str) -> bool) {
        self.entries.retain(|(s, c), _| !shredded(s, c));
    }

    /// Drop every key past its time; how many went.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let before = self.entries.len();
        let ttl = self.ttl;
        self.entries
            .retain(|_, c| now.saturating_duration_since(c.since) < ttl);
        before - self.entries.len()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Arc<DataKey> {
        Arc::new(DataKey::generate().expect("key"))
    }

    fn pair(s: &str, c: &str) -> Pair {
        (s.to_string(), c.to_string())
    }

    #[test]
    fn a_key_is_kept_for_its_time_from_its_unwrap_used_or_not() {
        let t0 = Instant::now();
        let mut cache = KeyCache::new(Duration::from_secs(60));
        cache.insert_all(&[(pair("s1", "contact"), key())], t0);
        let at = |s| t0 + Duration::from_secs(s);
        assert!(cache.get(&pair("s1", "contact"), at(59)).is_some());
        // Used at 59 s, still gone at 60 s: the time runs from the unwrap.
        assert!(!cache.contains(&pair("s1", "contact"), at(60)));
        assert!(cache.get(&pair("s1", "contact"), at(60)).is_none());
        assert_eq!(
            cache.len(),
            0,
            "a key past its time is dropped when asked for"
        );
    }

    #[test]
    fn expire_drops_only_the_keys_past_their_time() {
        let t0 = Instant::now();
        let mut cache = KeyCache::new(Duration::from_secs(10));
        cache.insert_all(&[(pair("old", "c"), key())], t0);
        cache.insert_all(&[(pair("new", "c"), key())], t0 + Duration::from_secs(5));
        assert_eq!(cache.expire(t0 + Duration::from_secs(9)), 0);
        assert_eq!(cache.expire(t0 + Duration::from_secs(10)), 1);
        assert!(cache.contains(&pair("new", "c"), t0 + Duration::from_secs(14)));
        assert_eq!(cache.expire(t0 + Duration::from_secs(15)), 1);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_zero_time_keeps_nothing_and_a_shorter_time_applies_at_once() {
        let t0 = Instant::now();
        let mut cache = KeyCache::new(Duration::ZERO);
        cache.insert_all(&[(pair("s", "c"), key())], t0);
        assert_eq!(cache.len(), 0);
        let mut cache = KeyCache::new(Duration::from_secs(60));
        cache.insert_all(&[(pair("s", "c"), key())], t0);
        cache.set_ttl(Duration::from_secs(5), t0 + Duration::from_secs(6));
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.ttl(), Duration::from_secs(5));
    }

    #[test]
    fn the_sweep_runs_at_half_the_time_a_key_is_kept() {
        assert_eq!(sweep_period(Duration::ZERO), None);
        assert_eq!(
            sweep_period(Duration::from_secs(60)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            sweep_period(Duration::from_secs(1)),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn forget_drops_the_shredded_pairs_only() {
        let t0 = Instant::now();
        let mut cache = KeyCache::new(Duration::from_secs(60));
        cache.insert_all(
            &[
                (pair("s1", "contact"), key()),
                (pair("s1", "billing"), key()),
                (pair("s2", "contact"), key()),
            ],
            t0,
        );
        cache.forget(|s, c| s == "s1" && c == "contact");
        assert!(!cache.contains(&pair("s1", "contact"), t0));
        assert!(cache.contains(&pair("s1", "billing"), t0));
        cache.forget(|s, _| s == "s1");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_cache_is_emptied_rather_than_grown_past_its_limit() {
        let t0 = Instant::now();
        let mut cache = KeyCache::new(Duration::from_secs(60));
        let k = key();
        let full: Vec<_> = (0..CACHE_LIMIT)
            .map(|i| (pair(&format!("s{i}"), "c"), Arc::clone(&k)))
            .collect();
        cache.insert_all(&full, t0);
        assert_eq!(cache.len(), CACHE_LIMIT);
        cache.insert_all(&[(pair("one-more", "c"), key())], t0);
        assert_eq!(cache.len(), 1);
        assert!(cache.contains(&pair("one-more", "c"), t0));
    }
}
