//! Times written into JSON answers the way chrono's own `Serialize` writes
//! them (RFC 3339, `Z`, as many fractional digits as needed: 0, 3, 6 or 9),
//! without going through `collect_str`.
//!
//! Why: chrono serialises a `DateTime` through `Display`, which serde_json
//! receives one character at a time and checks for escaping. With two times
//! per record, that was half of the instructions spent writing a subject's
//! 10,000 records as JSON (docs/benchmarks-vault.md, session 10). Formatting
//! into a string first, then writing that string once, gives the same text.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "habeas_engine::json_time::rfc3339")]`
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// [`rfc3339`] for an optional time (`null` when absent).
pub fn rfc3339_opt<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[derive(serde::Serialize)]
    struct Ours {
        #[serde(serialize_with = "rfc3339")]
        t: DateTime<Utc>,
        #[serde(serialize_with = "rfc3339_opt")]
        o: Option<DateTime<Utc>>,
    }

    #[derive(serde::Serialize)]
    struct Chronos {
        t: DateTime<Utc>,
        o: Option<DateTime<Utc>>,
    }

    proptest! {
        /// The same text as chrono's own serialisation, for whole seconds,
        /// milli-, micro- and nanosecond times over four millennia.
        #[test]
        fn writes_what_chrono_writes(
            secs in -30_000_000_000i64..60_000_000_000,
            nanos in prop_oneof![Just(0u32), 0u32..1000, (0u32..1000).prop_map(|m| m * 1_000_000),
                                 (0u32..1_000_000).prop_map(|u| u * 1000), 0u32..1_000_000_000],
            none in any::<bool>(),
        ) {
            let t = Utc.timestamp_opt(secs, nanos).single().unwrap();
            let o = (!none).then_some(t);
            prop_assert_eq!(
                serde_json::to_string(&Ours { t, o }).unwrap(),
                serde_json::to_string(&Chronos { t, o }).unwrap()
            );
        }
    }
}
