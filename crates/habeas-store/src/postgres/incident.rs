//! [`crate::WriteOp::LinkIncident`] on PostgreSQL, inside the unit's transaction: lock the
//! window's rows of the category (`FOR UPDATE`), then update the unlinked ones in one
//! statement.

use super::conn::Db;

use crate::error::Result;
use crate::incident::{IncidentDue, IncidentLinked, IncidentWindow};
use crate::model::EventDates;
use crate::time::{from_micros, to_micros};

pub fn link(c: &mut impl Db, w: &IncidentWindow, due: &IncidentDue) -> Result<IncidentLinked> {
    let rows = c.query(
        "SELECT id, collected_at, last_interaction, contract_end, account_closure, custom_events, \
         incident_linked FROM records WHERE category = $1 AND collected_at >= $2 AND collected_at <= $3 \
         ORDER BY id FOR UPDATE",
        &[&w.category, &to_micros(w.from), &to_micros(w.to)],
    )?;
    let mut done = IncidentLinked::default();
    let mut updates: Vec<(String, Option<i64>)> = Vec::new();
    for r in &rows {
        if r.try_get::<_, bool>(6)? {
            done.already += 1;
            continue;
        }
        let custom: String = r.try_get(5)?;
        let events =
            EventDates::from_columns(r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, &custom)?;
        let collected = from_micros(r.try_get(1)?, "records")?;
        updates.push((r.try_get(0)?, due(collected, &events).map(to_micros)));
    }
    if !updates.is_empty() {
        // One statement for the whole window (one round trip, not one per record).
        let (ids, dues): (Vec<&str>, Vec<Option<i64>>) =
            updates.iter().map(|(id, d)| (id.as_str(), *d)).unzip();
        c.execute(
            "UPDATE records r SET incident_linked = TRUE, retention_due = t.due \
             FROM unnest($1::text[], $2::bigint[]) AS t(id, due) WHERE r.id = t.id",
            &[&ids, &dues],
        )?;
    }
    done.linked = updates.len() as u64;
    Ok(done)
}
