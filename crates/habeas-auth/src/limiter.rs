//! Lock-out with exponential back-off, per account and per source address,
//! consulted before any password is hashed (ASVS V6.3.1, RELIABILITY T14).
//!
//! Why keyed by the login as typed, known or not: an unknown login must lock
//! exactly like a known one, or the lock-out itself would tell which accounts
//! exist. Why in memory: the state is small and hot (every attempt reads it);
//! a restart forgets it, which the documentation states as a limit.
//! The back-off rule ([`Throttle`]) is pure, with time passed in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::config::{LockoutPolicy, ThrottleRule};

/// Failures of one key and the lock they earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub failures: u32,
    pub last_failure: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Throttle {
    /// `Err(until)` while the key is locked.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        match self.locked_until {
            Some(until) if until > now => Err(until),
            _ => Ok(()),
        }
    }

    /// Counts one failure at `now`: the `threshold`-th locks for `base_lock`,
    /// each later one doubles the lock up to `max_lock`.
    pub fn record_failure(
        state: Option<Throttle>,
        rule: &ThrottleRule,
        now: DateTime<Utc>,
    ) -> Throttle {
        let failures = match state {
            Some(s) if now - s.last_failure < rule.forget_after => s.failures.saturating_add(1),
            _ => 1,
        };
        let locked_until = if failures >= rule.threshold {
            let doublings = (failures - rule.threshold).min(30);
            let lock = rule
                .base_lock
                .checked_mul(1i32 << doublings.min(30))
                .filter(|d| *d <= rule.max_lock)
                .unwrap_or(rule.max_lock);
            Some(now + lock)
        } else {
            state.and_then(|s| s.locked_until)
        };
        Throttle {
            failures,
            last_failure: now,
            locked_until,
        }
    }

    /// Whether the entry carries nothing any more (no lock, failures forgotten).
    fn is_idle(&self, rule: &ThrottleRule, now: DateTime<Utc>) -> bool {
        self.check(now).is_ok() && now - self.last_failure >= rule.forget_after
    }
}

#[derive(Debug, Default)]
struct Table {
    entries: HashMap<String, Throttle>,
}

impl Table {
    fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        self.entries.get(key).map_or(Ok(()), |t| t.check(now))
    }

    fn fail(&mut self, key: &str, rule: &ThrottleRule, now: DateTime<Utc>, cap: usize) {
        if !self.entries.contains_key(key) && self.entries.len() >= cap {
            self.entries.retain(|_, t| !t.is_idle(rule, now));
            if self.entries.len() >= cap {
                // Still full: forget the oldest entry, unlocked ones first.
                if let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, t)| (t.check(now).is_err(), t.last_failure))
                    .map(|(k, _)| k.clone())
                {
                    self.entries.remove(&oldest);
                }
            }
        }
        let next = Throttle::record_failure(self.entries.get(key).copied(), rule, now);
        self.entries.insert(key.to_string(), next);
    }
}

/// Which key refused the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedBy {
    Account,
    Source,
}

/// The shared lock-out state of one Habeas instance.
#[derive(Debug)]
pub struct Limiter {
    policy: LockoutPolicy,
    accounts: Mutex<Table>,
    sources: Mutex<Table>,
}

/// The account key: the login as typed, trimmed and lower-cased (logins are
/// stored lower-case, so "Alice" and "alice" share one counter).
pub fn account_key(login: &str) -> String {
    login.trim().to_lowercase()
}

/// The source key: an IPv4 address, or the /64 prefix of an IPv6 address
/// (one subscriber usually holds a whole /64).
pub fn source_key(source: IpAddr) -> String {
    match source {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl Limiter {
    pub fn new(policy: LockoutPolicy) -> Self {
        Limiter {
            policy,
            accounts: Mutex::new(Table::default()),
            sources: Mutex::new(Table::default()),
        }
    }

    /// Whether an attempt may proceed to hashing: `Err((by, until))` if the
    /// source or the login is locked.
    pub fn check(
        &self,
        login: &str,
        source: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<(), (LockedBy, DateTime<Utc>)> {
        lock(&self.sources)
            .check(&source_key(source), now)
            .map_err(|u| (LockedBy::Source, u))?;
        lock(&self.accounts)
            .check(&account_key(login), now)
            .map_err(|u| (LockedBy::Account, u))
    }

    /// Counts a failed attempt against both the login and the source.
    pub fn record_failure(&self, login: &str, source: IpAddr, now: DateTime<Utc>) {
        let cap = self.policy.max_tracked.max(1);
        lock(&self.accounts).fail(&account_key(login), &self.policy.per_account, now, cap);
        lock(&self.sources).fail(&source_key(source), &self.policy.per_source, now, cap);
    }

    /// Counts an attempt against the source alone: one the hashing pool had
    /// no room for. A source whose attempts keep finding the pool full is
    /// flooding it; counting them locks it out before hashing (its busy
    /// answers would otherwise never count, and the flood would keep the
    /// pool full for everyone). The login is not charged: a flood aimed at a
    /// known login must not lock its owner through busy answers alone.
    pub fn record_source_failure(&self, source: IpAddr, now: DateTime<Utc>) {
        let cap = self.policy.max_tracked.max(1);
        lock(&self.sources).fail(&source_key(source), &self.policy.per_source, now, cap);
    }

    /// The login's lock alone (re-authentication inside a session, where the
    /// source is already known to the session).
    pub fn check_account(&self, login: &str, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        lock(&self.accounts).check(&account_key(login), now)
    }

    /// Counts a failure against the login alone.
    pub fn record_account_failure(&self, login: &str, now: DateTime<Utc>) {
        let cap = self.policy.max_tracked.max(1);
        lock(&self.accounts).fail(&account_key(login), &self.policy.per_account, now, cap);
    }

    /// A successful sign-in clears the login's failures. The source keeps its
    /// own: one valid account must not wash a source that guesses others.
    pub fn record_success(&self, login: &str) {
        lock(&self.accounts).entries.remove(&account_key(login));
    }

    /// Lifts the lock on a login (an administrator's reset).
    pub fn unlock(&self, login: &str) {
        self.record_success(login);
    }

    /// How many logins and sources are tracked now.
    pub fn tracked(&self) -> (usize, usize) {
        (
            lock(&self.accounts).entries.len(),
            lock(&self.sources).entries.len(),
        )
    }
}

fn lock(table: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

/// Seconds until `until`, rounded up, at least 1 (for `Retry-After`).
pub fn retry_after_secs(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let d: Duration = until - now;
    (d.num_milliseconds() + 999).div_euclid(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn rule() -> ThrottleRule {
        LockoutPolicy::default().per_account
    }

    #[test]
    fn fifth_failure_locks_for_15_minutes_then_each_doubles_up_to_the_cap() {
        let r = rule();
        let mut now = t0();
        let mut s = None;
        for _ in 0..4 {
            let t = Throttle::record_failure(s, &r, now);
            assert_eq!(t.check(now), Ok(()));
            s = Some(t);
        }
        let t = Throttle::record_failure(s, &r, now);
        assert_eq!(t.check(now), Err(now + Duration::minutes(15)));
        now += Duration::minutes(15);
        assert_eq!(t.check(now), Ok(()));
        let t = Throttle::record_failure(Some(t), &r, now);
        assert_eq!(t.locked_until, Some(now + Duration::minutes(30)));
        let mut t = t;
        for _ in 0..10 {
            t = Throttle::record_failure(Some(t), &r, now);
        }
        assert_eq!(t.locked_until, Some(now + Duration::hours(4)));
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_day() {
        let r = rule();
        let mut s = None;
        for _ in 0..4 {
            s = Some(Throttle::record_failure(s, &r, t0()));
        }
        let later = t0() + Duration::hours(25);
        let t = Throttle::record_failure(s, &r, later);
        assert_eq!((t.failures, t.check(later)), (1, Ok(())));
    }

    #[test]
    fn ipv6_sources_share_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(source_key(a), source_key(b));
        assert_eq!(source_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[test]
    fn the_table_stays_bounded_under_a_flood_of_made_up_logins() {
        let policy = LockoutPolicy {
            max_tracked: 100,
            ..LockoutPolicy::default()
        };
        let limiter = Limiter::new(policy);
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..1000 {
            limiter.record_failure(&format!("user{i}"), src, t0());
        }
        assert!(limiter.tracked().0 <= 100);
    }

    /// A flood of made-up logins fills the table; the entries it evicts must
    /// never include a locked login, or the flood would unlock it.
    #[test]
    fn a_locked_login_stays_locked_through_a_flood_of_made_up_logins() {
        let limiter = Limiter::new(LockoutPolicy {
            max_tracked: 100,
            ..LockoutPolicy::default()
        });
        let victim_src: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..5 {
            limiter.record_failure("victim", victim_src, t0());
        }
        let later = t0() + Duration::minutes(1);
        for i in 0..1000u32 {
            let src = IpAddr::from([198, 51, (i / 256) as u8, (i % 256) as u8]);
            limiter.record_failure(&format!("user{i}"), src, later);
        }
        assert_eq!(
            limiter.check("victim", "203.0.113.9".parse().unwrap(), later),
            Err((LockedBy::Account, t0() + Duration::minutes(15)))
        );
        assert_eq!(limiter.tracked(), (100, 100));
    }

    /// A full table first drops every idle entry (no lock, failures
    /// forgotten), and only those; a table with room drops nothing.
    #[test]
    fn a_full_table_drops_its_idle_entries_first() {
        let limiter = Limiter::new(LockoutPolicy {
            max_tracked: 3,
            ..LockoutPolicy::default()
        });
        let src: IpAddr = "192.0.2.1".parse().unwrap();
        limiter.record_failure("a", src, t0());
        limiter.record_failure("b", src, t0());
        let next_day = t0() + Duration::hours(25);
        limiter.record_failure("c", src, next_day);
        assert_eq!(limiter.tracked(), (3, 1), "room left: nothing dropped");
        limiter.record_failure("d", src, next_day);
        assert_eq!(
            limiter.tracked(),
            (2, 1),
            "`a` and `b` were idle and dropped; `c` kept"
        );
    }

    #[test]
    fn failures_are_forgotten_exactly_when_the_quiet_period_ends() {
        let r = rule();
        let first = Throttle::record_failure(None, &r, t0());
        let just_before = t0() + r.forget_after - Duration::seconds(1);
        assert_eq!(
            Throttle::record_failure(Some(first), &r, just_before).failures,
            2
        );
        let at_end = t0() + r.forget_after;
        assert_eq!(
            Throttle::record_failure(Some(first), &r, at_end).failures,
            1
        );
    }

    proptest::proptest! {
        /// Whatever the rhythm of an attacker, one login admits at most 7
        /// failed guesses in any hour and 20 in a day (ASVS 4.0.3 V2.2.1: ≤ 100/h).
        #[test]
        fn guesses_per_login_stay_bounded(gaps in proptest::collection::vec(0i64..600, 1..2000)) {
            let r = rule();
            let mut now = t0();
            let mut state: Option<Throttle> = None;
            let mut admitted = Vec::new();
            for gap in gaps {
                now += Duration::seconds(gap);
                if now > t0() + Duration::hours(24) {
                    break;
                }
                if state.is_none_or(|s| s.check(now).is_ok()) {
                    admitted.push(now);
                    state = Some(Throttle::record_failure(state, &r, now));
                }
            }
            proptest::prop_assert!(admitted.len() <= 20, "{} in a day", admitted.len());
            for (i, start) in admitted.iter().enumerate() {
                let in_hour = admitted[i..]
                    .iter()
                    .take_while(|t| **t < *start + Duration::hours(1))
                    .count();
                proptest::prop_assert!(in_hour <= 7, "{in_hour} in one hour");
            }
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(
            retry_after_secs(t0() + Duration::milliseconds(1500), t0()),
            2
        );
        assert_eq!(retry_after_secs(t0(), t0()), 1);
    }
}
