//! A decrypted record's fields, kept as the JSON text they were sealed as.
//!
//! Why: most reads of a subject's records only write them out again (the HTTP
//! API, Art. 15 and Art. 20 answers). Parsing every record into a
//! `BTreeMap<String, Value>` on the way was a third of the instructions of a
//! 10,000-record read (docs/benchmarks-vault.md, "A subject's 10,000
//! records"). [`Fields`] keeps the decrypted bytes, parses them into a map
//! only when a caller looks inside (through `Deref`), and writes them out
//! unchanged when serialised — checking then, in one scan, that they are JSON.
//!
//! The bytes are the vault's own `serde_json` output of a `BTreeMap` (keys in
//! order, compact) and were authenticated by AES-GCM when opened, so writing
//! them out as they are gives the JSON a parsed map would. They are zeroed
//! when dropped, like the buffer they were decrypted in.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use zeroize::Zeroize;

/// The fields of a [`crate::RecordView`]: read like a `BTreeMap<String, Value>`.
pub struct Fields {
    /// A JSON object's text (its first byte checked when taken in).
    json: Vec<u8>,
    map: OnceLock<BTreeMap<String, Value>>,
}

/// Why decrypted bytes are not a record's fields (no value is quoted).
#[derive(Debug, thiserror::Error)]
#[error("a decrypted record is not a JSON object")]
pub struct NotFields;

impl Fields {
    /// Take decrypted bytes that must hold one JSON object. Only their first
    /// byte is looked at here; the rest is checked when they are parsed or
    /// written out. On refusal the bytes are zeroed before they are dropped.
    pub fn from_json(mut json: Vec<u8>) -> Result<Fields, NotFields> {
        if json.trim_ascii_start().first() != Some(&b'{') {
            json.zeroize();
            return Err(NotFields);
        }
        Ok(Fields {
            json,
            map: OnceLock::new(),
        })
    }

    /// A JSON value already parsed out of a larger decrypted document (a
    /// high-volume record's payload); it must be an object.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Fields, NotFields> {
        let text: Box<str> = raw.into();
        Fields::from_json(text.into_string().into_bytes())
    }

    /// The parsed map, built on first use.
    fn map(&self) -> &BTreeMap<String, Value> {
        self.map.get_or_init(|| parse(&self.json))
    }

    /// The fields as an owned map.
    pub fn into_map(mut self) -> BTreeMap<String, Value> {
        match self.map.take() {
            Some(map) => map,
            None => parse(&self.json),
        }
    }
}

/// Parse fields taken in by [`Fields::from_json`]. Not JSON means a broken
/// invariant (the bytes were authenticated as the vault's own output): said
/// in the log, without the bytes, and shown as no fields rather than a panic.
fn parse(json: &[u8]) -> BTreeMap<String, Value> {
    serde_json::from_slice(json).unwrap_or_else(|e| {
        tracing::error!(
            line = e.line(),
            column = e.column(),
            "a decrypted record's fields are not a JSON object; shown as empty"
        );
        BTreeMap::new()
    })
}

impl Deref for Fields {
    type Target = BTreeMap<String, Value>;

    fn deref(&self) -> &BTreeMap<String, Value> {
        self.map()
    }
}

impl Drop for Fields {
    fn drop(&mut self) {
        self.json.zeroize();
    }
}

impl Clone for Fields {
    fn clone(&self) -> Fields {
        Fields {
            json: self.json.clone(),
            map: self.map.clone(),
        }
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        self.json == other.json || self.map() == other.map()
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.map(), f)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return self.map().serialize(serializer);
        }
        // One scan that checks the text is JSON, then serde_json copies it
        // out as it is. (Other human-readable formats would get serde_json's
        // raw-value marker: the vault's views are only written as JSON.)
        let raw: &RawValue =
            serde_json::from_slice(&self.json).map_err(|_| serde::ser::Error::custom(NotFields))?;
        raw.serialize(serializer)
    }
}

impl IntoIterator for Fields {
    type Item = (String, Value);
    type IntoIter = std::collections::btree_map::IntoIter<String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.map().iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sealed_form(v: &Value) -> Vec<u8> {
        let map: BTreeMap<String, Value> = serde_json::from_value(v.clone()).unwrap();
        serde_json::to_vec(&map).unwrap()
    }

    #[test]
    fn serialises_as_the_parsed_map_would() {
        let v = json!({"email": "a@example.org", "n": 1.5, "tags": ["x", "y"], "z": null, "é": "\u{1F600}\"q\""});
        let fields = Fields::from_json(sealed_form(&v)).unwrap();
        let map: BTreeMap<String, Value> = serde_json::from_value(v).unwrap();
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            serde_json::to_string(&map).unwrap()
        );
        assert_eq!(*fields, map);
        assert_eq!(fields["n"], json!(1.5));
        assert_eq!(fields.clone().into_map(), map);
        assert_eq!(
            Fields::from_json(serde_json::to_vec(&map).unwrap()).unwrap(),
            fields
        );
    }

    #[test]
    fn inside_a_struct_it_stays_one_object() {
        #[derive(Serialize)]
        struct Out {
            id: &'static str,
            fields: Fields,
        }
        let fields = Fields::from_json(br#"{"a":"b"}"#.to_vec()).unwrap();
        let out = serde_json::to_value(Out {
            id: "rec_1",
            fields,
        })
        .unwrap();
        assert_eq!(out, json!({"id": "rec_1", "fields": {"a": "b"}}));
    }

    #[test]
    fn refuses_what_is_not_one_json_object() {
        for bad in [&b"[1,2]"[..], b"\"text\"", b"\xff\xfe", b"", b"  "] {
            assert!(Fields::from_json(bad.to_vec()).is_err(), "{bad:?}");
        }
        // An object cut short is caught when written out, and reads as empty.
        for broken in [&b"{\"a\":"[..], b"{\"a\":1} trailing", b"{\"a\":\"\xff\"}"] {
            let fields = Fields::from_json(broken.to_vec()).unwrap();
            assert!(serde_json::to_vec(&fields).is_err(), "{broken:?}");
            assert!(fields.is_empty());
        }
    }

    #[test]
    fn iterates_in_key_order() {
        let fields = Fields::from_json(br#"{"a":1,"b":2}"#.to_vec()).unwrap();
        let keys: Vec<&String> = (&fields).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        let owned: Vec<(String, Value)> = fields.into_iter().collect();
        assert_eq!(owned, [("a".into(), json!(1)), ("b".into(), json!(2))]);
    }
}
