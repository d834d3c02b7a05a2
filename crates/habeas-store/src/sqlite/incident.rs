//! [`crate::WriteOp::LinkIncident`] on SQLite, inside the unit's transaction: read the
//! window's rows of the category and update each unlinked one by its `rid`.

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::incident::{IncidentDue, IncidentLinked, IncidentWindow};
use crate::model::EventDates;
use crate::time::{from_micros, to_micros};

/// One row of the window as read before the update.
struct Candidate {
    rid: i64,
    collected_at: i64,
    events: EventDates,
    linked: bool,
}

pub fn link(c: &Connection, w: &IncidentWindow, due: &IncidentDue) -> Result<IncidentLinked> {
    let candidates = {
        let mut stmt = c.prepare_cached(
            "SELECT rid, collected_at, last_interaction, contract_end, account_closure, custom_events, \
             incident_linked FROM records WHERE category = ?1 AND collected_at >= ?2 AND collected_at <= ?3",
        )?;
        let mut rows = stmt.query(params![w.category, to_micros(w.from), to_micros(w.to)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let custom: String = r.get(5)?;
            out.push(Candidate {
                rid: r.get(0)?,
                collected_at: r.get(1)?,
                events: EventDates::from_columns(r.get(2)?, r.get(3)?, r.get(4)?, &custom)?,
                linked: r.get(6)?,
            });
        }
        out
    };
    let mut update = c.prepare_cached(
        "UPDATE records SET incident_linked = 1, retention_due = ?2 WHERE rid = ?1",
    )?;
    let mut done = IncidentLinked::default();
    for row in candidates {
        if row.linked {
            done.already += 1;
            continue;
        }
        let collected = from_micros(row.collected_at, "records")?;
        let new_due = due(collected, &row.events).map(to_micros);
        update.execute(params![row.rid, new_due])?;
        done.linked += 1;
    }
    Ok(done)
}
