//! Conformance check for [`crate::WriteOp::LinkIncident`]: only the category's records inside
//! the window (both ends included) are linked, their due date is the one the engine's rule
//! gives, records already linked are counted apart and left alone, the unit's journal entry
//! commits with the change, a unit that fails links nothing, and a second link changes
//! nothing.
#![allow(clippy::missing_panics_doc)]

use std::sync::Arc;

use chrono::Duration;

use crate::conformance::{Fixture, day, due_ids, record, subject};
use crate::conformance_commit::{assert_chain, failing_after, one, unit};
use crate::model::*;
use crate::{IncidentDue, IncidentDueFn, IncidentLinked, IncidentWindow, OpOutput, WriteOp};

fn unlinked(id: &str, category: &str, collected_day: i64) -> Record {
    let mut r = record(
        id,
        "s-1",
        category,
        collected_day,
        Some(collected_day + 365),
    );
    r.incident_linked = false;
    r
}

/// Incident links: window bounds, category, recomputed due date, idempotence.
pub fn link_incident(f: &Fixture) {
    let s = &*f.store;
    s.create_subject(&subject("s-1", SubjectStatus::Active))
        .expect("create subject");
    let mut pre = unlinked("r-pre", "security", 12);
    pre.incident_linked = true;
    s.insert_records(vec![
        unlinked("r-before", "security", 9),
        unlinked("r-first", "security", 10),
        unlinked("r-mid", "security", 15),
        unlinked("r-last", "security", 20),
        unlinked("r-after", "security", 21),
        unlinked("r-other", "support", 15),
        pre,
    ])
    .expect("insert records");
    // The engine's rule stand-in: three years after collection once linked.
    let due: IncidentDue = Arc::new(|collected, _events| Some(collected + Duration::days(1095)));
    let window = IncidentWindow {
        category: "security".into(),
        from: day(10),
        to: day(20),
    };
    let link = |window: &IncidentWindow, due: &IncidentDue| WriteOp::LinkIncident {
        window: window.clone(),
        due: IncidentDueFn(due.clone()),
    };
    // All or nothing: a unit failing after linking (a subject that does not exist) links
    // nothing and journals nothing.
    let entries = assert_chain(s).len();
    let failed = one(s, failing_after(link(&window, &due), "incident.link"));
    assert!(failed.is_err(), "link_incident: the unit fails");
    assert!(
        !s.get_record("r-mid")
            .expect("get")
            .expect("record exists")
            .incident_linked,
        "link_incident: a failed unit links nothing"
    );
    assert_eq!(assert_chain(s).len(), entries, "and journals nothing");
    let done = one(s, unit(vec![link(&window, &due)], &["incident.link"])).expect("link");
    assert_eq!(
        done.outputs[0],
        OpOutput::Linked(IncidentLinked {
            linked: 3,
            already: 1
        }),
        "link_incident: the three unlinked records of the window, the linked one counted apart"
    );
    assert_eq!(
        assert_chain(s).len(),
        entries + 1,
        "link_incident: journaled with the change"
    );
    let get = |id: &str| s.get_record(id).expect("get").expect("record exists");
    for (id, d) in [("r-first", 10), ("r-mid", 15), ("r-last", 20)] {
        let r = get(id);
        assert!(r.incident_linked, "link_incident: {id} linked");
        assert_eq!(
            r.retention_due,
            Some(day(d) + Duration::days(1095)),
            "link_incident: {id} due date recomputed"
        );
        assert_eq!(
            r.sealed,
            format!("sealed:{id}").into_bytes(),
            "sealed untouched"
        );
    }
    for (id, d) in [("r-before", 9), ("r-after", 21), ("r-other", 15)] {
        let r = get(id);
        assert!(
            !r.incident_linked,
            "link_incident: {id} is outside and stays unlinked"
        );
        assert_eq!(
            r.retention_due,
            Some(day(d + 365)),
            "link_incident: {id} keeps its date"
        );
    }
    assert_eq!(
        get("r-pre").retention_due,
        Some(day(12 + 365)),
        "link_incident: an already linked record is left as it is"
    );
    // The due listing sees the change at once.
    assert_eq!(
        due_ids(s, "security", day(400)),
        ["r-before", "r-pre", "r-after"],
        "link_incident: due listing"
    );
    let again = one(s, unit(vec![link(&window, &due)], &["incident.link"])).expect("link again");
    assert_eq!(
        again.outputs[0],
        OpOutput::Linked(IncidentLinked {
            linked: 0,
            already: 4
        }),
        "link_incident: a second call changes nothing"
    );
}
