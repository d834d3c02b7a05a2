//! [`crate::WriteOp::DateSubjectEvent`] on SQLite, inside the unit's transaction: read the
//! subject's rows through the `(subject_id, category)` index, then update each by its `rid`.

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::model::EventDates;
use crate::subject_event::{EventDated, EventUpdate};
use crate::time::{from_micros, to_micros};

pub fn date(
    c: &Connection,
    subject: &str,
    categories: &[String],
    update: &EventUpdate,
    due_by: chrono::DateTime<chrono::Utc>,
) -> Result<(EventDated, u64)> {
    let mut select = c.prepare_cached(
        "SELECT rid, collected_at, last_interaction, contract_end, account_closure, custom_events, \
         incident_linked FROM records WHERE subject_id = ?1 AND category = ?2",
    )?;
    let mut write = c.prepare_cached(
        "UPDATE records SET last_interaction = ?2, contract_end = ?3, account_closure = ?4, \
         custom_events = ?5, retention_due = ?6 WHERE rid = ?1",
    )?;
    let mut done = EventDated::new();
    let mut due_now = 0;
    for category in categories {
        let mut rows = select.query(params![subject, category])?;
        let mut changes = Vec::new();
        while let Some(r) = rows.next()? {
            let custom: String = r.get(5)?;
            let mut events = EventDates::from_columns(r.get(2)?, r.get(3)?, r.get(4)?, &custom)?;
            let collected = from_micros(r.get(1)?, "records")?;
            let due = update(category, collected, &mut events, r.get(6)?);
            due_now += u64::from(due.is_some_and(|d| d <= due_by));
            changes.push((r.get::<_, i64>(0)?, events, due));
        }
        drop(rows);
        for (rid, events, due) in &changes {
            write.execute(params![
                rid,
                events.last_interaction.map(to_micros),
                events.contract_end.map(to_micros),
                events.account_closure.map(to_micros),
                events.custom_column()?,
                due.map(to_micros),
            ])?;
        }
        if !changes.is_empty() {
            done.insert(category.clone(), changes.len() as u64);
        }
    }
    Ok((done, due_now))
}
