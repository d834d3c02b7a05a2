//! The retention listing's plan on a live PostgreSQL (`HABEAS_TEST_POSTGRES_URL`; skipped
//! when unset, like the conformance suite). At 10M records two plan faults made the purge a
//! hundred times slow (docs/benchmarks-retention.md): tables filled by a bulk load had no
//! statistics until autovacuum came by, and the due listing sorted every due record for
//! each page because its index was not in the order the query asks.

use crate::Store;
use crate::conformance::{record, subject};
use crate::model::SubjectStatus;

use super::conn::Db;
use super::conn_tests::url;
use super::store::{DUE_RECORDS, DUE_RECORDS_NEXT, PgStore};

#[test]
fn after_a_bulk_load_the_due_listing_walks_its_index_in_order() {
    let Some(url) = url() else { return };
    let schema = format!("habeas_plan_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = PgStore::open(&format!("{url}{sep}schema={schema}")).expect("open");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // 4,000 subjects, each with one record due (days 100–139) and one never due.
        for chunk in 0..4 {
            let mut records = Vec::new();
            for i in chunk * 1000..(chunk + 1) * 1000 {
                let id = format!("s{i:05}");
                store
                    .create_subject(&subject(&id, SubjectStatus::Active))
                    .expect("subject");
                records.push(record(
                    &format!("d{i:05}"),
                    &id,
                    "contact",
                    1,
                    Some(100 + i % 40),
                ));
                records.push(record(&format!("k{i:05}"), &id, "billing", 1, None));
            }
            store.insert_records(records).expect("records");
        }
        store.refresh_statistics().expect("analyze");
        store
            .pool
            .with(|c| {
                let analyzed: Vec<String> = c
                    .query(
                        "SELECT relname::text FROM pg_stat_user_tables \
                         WHERE schemaname = $1 AND last_analyze IS NOT NULL ORDER BY relname",
                        &[&schema],
                    )?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                for table in ["blind_index", "journal", "records", "subjects"] {
                    assert!(
                        analyzed.iter().any(|t| t == table),
                        "{table} not analyzed: {analyzed:?}"
                    );
                }
                let due_by = crate::time::to_micros(crate::conformance::day(200));
                let (none_due, none_id): (Option<i64>, Option<&str>) = (None, None);
                let first_page = [
                    &due_by as _,
                    &None::<String> as _,
                    &none_due as _,
                    &none_id as _,
                    &100i64 as _,
                ];
                let after = crate::time::to_micros(crate::conformance::day(120));
                let next_page = [
                    &due_by as _,
                    &None::<String> as _,
                    &Some(after) as _,
                    &Some("d00500") as _,
                    &100i64 as _,
                ];
                for (sql, params) in [
                    (DUE_RECORDS, &first_page[..]),
                    (DUE_RECORDS_NEXT, &next_page[..]),
                ] {
                    let plan: Vec<String> = c
                        .query(&format!("EXPLAIN {sql}"), params)?
                        .iter()
                        .map(|r| r.get(0))
                        .collect();
                    let plan = plan.join("\n");
                    assert!(plan.contains("records_due_c"), "{plan}");
                    assert!(!plan.contains("Sort"), "the listing sorts:\n{plan}");
                }
                // The generic plan a cached statement may switch to: the next page must
                // start at its resume point (an index condition), not filter its way there.
                c.batch_execute(&format!(
                    "SET plan_cache_mode = force_generic_plan; \
                     PREPARE due_next(bigint, text, bigint, text, bigint) AS {DUE_RECORDS_NEXT}"
                ))?;
                let plan: Vec<String> = c
                    .query(
                        &format!(
                            "EXPLAIN EXECUTE due_next({due_by}, NULL, {after}, 'd00500', 100)"
                        ),
                        &[],
                    )?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let plan = plan.join("\n");
                c.batch_execute("DEALLOCATE due_next; SET plan_cache_mode = auto")?;
                let cond = plan
                    .lines()
                    .find(|l| l.contains("Index Cond"))
                    .unwrap_or_default();
                assert!(
                    cond.contains("ROW("),
                    "generic plan: the resume point is a filter:\n{plan}"
                );
                assert!(!plan.contains("Sort"), "generic plan sorts:\n{plan}");
                Ok(())
            })
            .expect("plans");
    }));
    drop(store);
    if let Ok(mut c) = ::postgres::Client::connect(&url, ::postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_page_of_subjects_walks_the_byte_order_index_without_sorting() {
    let Some(url) = url() else { return };
    let schema = format!("habeas_plan_subjects_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = PgStore::open(&format!("{url}{sep}schema={schema}")).expect("open");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store
            .pool
            .with(|c| {
                c.batch_execute(
                    "INSERT INTO subjects (id, kind, status, created_at) \
                     SELECT 'sub_' || lpad(to_hex(g), 24, '0'), 'customers', 'active', 0 \
                     FROM generate_series(1, 20000) g",
                )?;
                Ok(())
            })
            .expect("subjects");
        store.refresh_statistics().expect("analyze");
        store
            .pool
            .with(|c| {
                let plan: Vec<String> = c
                    .query(
                        &format!("EXPLAIN {}", super::store::list_subjects_sql(true)),
                        &[
                            &None::<String>,
                            &None::<i64>,
                            &Some("sub_0000000000000000000003e8"),
                            &1000i64,
                        ],
                    )?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let plan = plan.join("\n");
                assert!(plan.contains("subjects_id_c"), "{plan}");
                assert!(
                    !plan.contains("Sort"),
                    "each page sorts every subject:\n{plan}"
                );
                Ok(())
            })
            .expect("plan");
    }));
    drop(store);
    if let Ok(mut c) = ::postgres::Client::connect(&url, ::postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
