//! [`crate::WriteOp::DateSubjectEvent`] on PostgreSQL, inside the unit's transaction: lock the
//! subject's rows of the categories (`FOR UPDATE`), then update them in one statement.

use super::conn::Db;

use crate::error::Result;
use crate::model::EventDates;
use crate::subject_event::{EventDated, EventUpdate};
use crate::time::{from_micros, to_micros};

pub fn date(
    c: &mut impl Db,
    subject: &str,
    categories: &[String],
    update: &EventUpdate,
    due_by: chrono::DateTime<chrono::Utc>,
) -> Result<(EventDated, u64)> {
    let rows = c.query(
        "SELECT id, category, collected_at, last_interaction, contract_end, account_closure, \
         custom_events, incident_linked FROM records WHERE subject_id = $1 AND category = ANY($2) \
         ORDER BY id FOR UPDATE",
        &[&subject, &categories],
    )?;
    let mut done = EventDated::new();
    let mut due_now = 0;
    let (mut ids, mut last, mut end, mut closure, mut custom, mut dues) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in &rows {
        let category: String = r.try_get(1)?;
        let stored: String = r.try_get(6)?;
        let mut events =
            EventDates::from_columns(r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, &stored)?;
        let collected = from_micros(r.try_get(2)?, "records")?;
        let due = update(&category, collected, &mut events, r.try_get(7)?);
        due_now += u64::from(due.is_some_and(|d| d <= due_by));
        ids.push(r.try_get::<_, String>(0)?);
        last.push(events.last_interaction.map(to_micros));
        end.push(events.contract_end.map(to_micros));
        closure.push(events.account_closure.map(to_micros));
        custom.push(events.custom_column()?);
        dues.push(due.map(to_micros));
        *done.entry(category).or_insert(0) += 1;
    }
    if !ids.is_empty() {
        // One statement for all the subject's rows (one round trip, not one per record).
        c.execute(
            "UPDATE records r SET last_interaction = t.li, contract_end = t.ce, \
             account_closure = t.ac, custom_events = t.cu, retention_due = t.due \
             FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[]) \
             AS t(id, li, ce, ac, cu, due) WHERE r.id = t.id",
            &[&ids, &last, &end, &closure, &custom, &dues],
        )?;
    }
    Ok((done, due_now))
}
