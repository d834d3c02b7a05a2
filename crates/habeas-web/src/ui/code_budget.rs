//! How many portal sign-in codes may be mailed: at most
//! [`CodeBudget::PER_ADDRESS`] to one address and
//! [`CodeBudget::PER_SOURCE`] for one client in any [`CodeBudget::WINDOW`].
//!
//! Why: the sign-in form mails a code to any registered address it is
//! given, and answers the same whether or not the address is registered
//! (no account enumeration). Without a budget anyone could flood a
//! subject's mailbox — or the provider's mail reputation — from one page.
//! Past the budget the form still answers the same page; no code is
//! issued and no mail leaves (ASVS 4.0.3 V2.2.1, anti-automation; V11.1.4).
//!
//! The counts live in memory (per instance, like the staff lock-out) and
//! keep no address: an address is counted under its SHA-256. Memory is
//! bounded: past [`CodeBudget::MAX_TRACKED`] keys, old ones are forgotten;
//! if all are recent, a new key is refused (closed, not open, under a
//! flood).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address([u8; 32]),
    Source(IpAddr),
}

/// The sends counted per address and per client, in memory.
#[derive(Debug, Default)]
pub struct CodeBudget {
    sent: Mutex<HashMap<Key, VecDeque<DateTime<Utc>>>>,
}

impl CodeBudget {
    /// A code lives 15 minutes; so does the count of codes sent.
    pub const WINDOW: Duration = Duration::minutes(15);
    /// Codes per address per window: enough for a mistyped or lost mail.
    pub const PER_ADDRESS: usize = 5;
    /// Codes per client address per window (an office behind one NAT).
    pub const PER_SOURCE: usize = 20;
    /// Keys kept at most (memory bound under a flood).
    pub const MAX_TRACKED: usize = 100_000;

    /// Whether a code may be sent to `address` for a request from
    /// `source` at `now`; if so, the send is counted against both.
    pub fn allow(&self, address: &str, source: IpAddr, now: DateTime<Utc>) -> bool {
        let digest: [u8; 32] = Sha256::digest(address.trim().to_lowercase().as_bytes()).into();
        let keys = [
            (Key::Address(digest), Self::PER_ADDRESS),
            (Key::Source(source), Self::PER_SOURCE),
        ];
        let Ok(mut sent) = self.sent.lock() else {
            return false;
        };
        let since = now - Self::WINDOW;
        for (key, _) in &keys {
            if let Some(times) = sent.get_mut(key) {
                while times.front().is_some_and(|t| *t <= since) {
                    times.pop_front();
                }
            }
        }
        let within = keys
            .iter()
            .all(|(key, max)| sent.get(key).map_or(0, VecDeque::len) < *max);
        if !within {
            return false;
        }
        let new_keys = keys.iter().filter(|(k, _)| !sent.contains_key(k)).count();
        if sent.len() + new_keys > Self::MAX_TRACKED {
            sent.retain(|_, times| times.back().is_some_and(|t| *t > since));
            if sent.len() + new_keys > Self::MAX_TRACKED {
                return false;
            }
        }
        for (key, _) in keys {
            sent.entry(key).or_default().push_back(now);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_gets_five_codes_per_window_whatever_the_spelling() {
        let b = CodeBudget::default();
        for n in 0..5 {
            let spelled = if n % 2 == 0 {
                "Claire@Example.org "
            } else {
                "claire@example.org"
            };
            assert!(b.allow(spelled, ip("198.51.100.1"), t(n)), "send {n}");
        }
        assert!(
            !b.allow("claire@example.org", ip("198.51.100.2"), t(5)),
            "sixth"
        );
        assert!(b.allow("other@example.org", ip("198.51.100.1"), t(5)));
        // The first send leaves the window 15 minutes later.
        assert!(!b.allow("claire@example.org", ip("198.51.100.3"), t(14)));
        assert!(b.allow("claire@example.org", ip("198.51.100.3"), t(15)));
    }

    #[test]
    fn a_source_gets_twenty_codes_per_window_across_addresses() {
        let b = CodeBudget::default();
        for n in 0..20 {
            assert!(b.allow(&format!("a{n}@example.org"), ip("203.0.113.7"), t(0)));
        }
        assert!(!b.allow("z@example.org", ip("203.0.113.7"), t(1)));
        assert!(
            b.allow("z@example.org", ip("203.0.113.8"), t(1)),
            "another client"
        );
        assert!(
            b.allow("y@example.org", ip("203.0.113.7"), t(15)),
            "window passed"
        );
    }

    #[test]
    fn a_refused_send_is_not_counted() {
        let b = CodeBudget::default();
        for n in 0..20 {
            assert!(b.allow(&format!("a{n}@example.org"), ip("203.0.113.7"), t(0)));
        }
        // Refused by the source's budget: the address's count is untouched.
        for _ in 0..10 {
            assert!(!b.allow("claire@example.org", ip("203.0.113.7"), t(1)));
        }
        for _ in 0..5 {
            assert!(b.allow("claire@example.org", ip("198.51.100.1"), t(2)));
        }
    }

    #[test]
    fn memory_is_bounded_and_old_keys_make_room() {
        let b = CodeBudget::default();
        let sources = CodeBudget::MAX_TRACKED / 2;
        for n in 0..sources {
            let source = IpAddr::from(std::net::Ipv6Addr::from(n as u128 + 1));
            assert!(b.allow(&format!("{n}@example.org"), source, t(0)));
        }
        let fresh = ip("192.0.2.1");
        assert!(
            !b.allow("new@example.org", fresh, t(1)),
            "full of recent keys"
        );
        assert!(
            b.allow("new@example.org", fresh, t(16)),
            "old keys forgotten"
        );
        assert!(b.sent.lock().unwrap().len() <= CodeBudget::MAX_TRACKED);
    }
}
