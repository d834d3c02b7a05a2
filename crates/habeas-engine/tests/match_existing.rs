//! What an import line offers for matching its reference to an existing
//! subject, against the demo provider's declarations: the identifiers a
//! lookup takes, named as the lookup names them.

use habeas_engine::RecordInput;
use habeas_engine::match_existing::ReferenceProbe;
use serde_json::json;

mod common;
use common::declarations;

fn probe(line: serde_json::Value) -> Option<Vec<(String, String)>> {
    let input: RecordInput = serde_json::from_value(line).expect("input");
    ReferenceProbe::of(&declarations(), &input).map(|p| {
        assert_eq!(p.reference, "r");
        p.identifiers
    })
}

fn pairs(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    Some(
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn a_probe_holds_the_identifiers_as_a_lookup_takes_them() {
    assert_eq!(
        probe(json!({"subject_ref": "r", "category": "contact",
            "fields": {"email": "A@example.org", "phone": "01 99 00 11 11", "country": "FR"}})),
        pairs(&[("email", "A@example.org"), ("phone", "01 99 00 11 11")])
    );
    // The mail lists' `mailbox` is typed `email`; identity's `account_id` keeps its name.
    assert_eq!(
        probe(json!({"subject_ref": "r", "category": "mail_lists",
            "fields": {"mailbox": "b@example.org"}})),
        pairs(&[("email", "b@example.org")])
    );
    assert_eq!(
        probe(json!({"subject_ref": "r", "category": "identity",
            "fields": {"account_id": "C-1", "last_name": "Fictif"}})),
        pairs(&[("account_id", "C-1")])
    );
    // No identifier, or a line naming its subject: nothing to look up.
    assert_eq!(
        probe(
            json!({"subject_ref": "r", "category": "identity", "fields": {"last_name": "Fictif"}})
        ),
        None
    );
    assert_eq!(
        probe(
            json!({"subject": "sub_1", "category": "contact", "fields": {"email": "a@example.org"}})
        ),
        None
    );
}
