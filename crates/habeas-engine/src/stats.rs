//! `Vault::statistics`: counts over one category's records that single
//! nobody out (SPEC C2: "pseudonymised / aggregated statistics can be
//! produced without exposing identities").
//!
//! The figures are computed for a declared purpose that processes the
//! category (Art. 5(1)(b), 89(1): further processing for statistical
//! purposes), and with the same limits as any other processing for it:
//! subjects who restricted processing (Art. 18), objected (Art. 21, and
//! 21(6) names statistics) or withdrew or never gave a consent the purpose
//! needs (Art. 7(3)) are left out, and only counted as left out.
//!
//! Subjects are walked a page at a time, the page shared among worker
//! threads; each worker reads its share's records and data keys with one
//! statement each (a high-volume category's rows subject by subject), and
//! every subject's limits are read once for the run. Records are decrypted
//! in memory, grouped subject by subject, then dropped — so each cell's
//! count of distinct subjects is exact without any id being kept. Grouping
//! fields are generalised as the category's anonymisation would
//! (`habeas_retention::anonymise`: a date to its month, an IP address to its
//! network…); identifiers and free text cannot be grouped by. Cells of fewer
//! subjects than the threshold are withheld (`habeas_core::stats`).
//!
//! The whole run is one journal entry (who, purpose, category, counts), not
//! one per subject: nothing of any one subject leaves it.

use std::collections::{BTreeMap, HashMap};

use habeas_core::stats::{Period, Published, Tally, check_threshold};
use habeas_retention::anonymise::{Treatment, generalised_text, groupable, treatment};
use habeas_store::{Subject, SubjectFilter, SubjectStatus};
use serde::Serialize;
use serde_json::Value;

use crate::access::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::journaled::{Planned, Stop};
use crate::limits::{ProcessingLimits, SubjectLimits};
use crate::vault::{Stored, Vault};

/// Subjects read per page.
const PAGE: usize = 1000;

/// Threads sharing a page's subjects, at most.
const MAX_WORKERS: usize = 8;

/// What every worker of one run needs.
struct StatsRun<'a> {
    caller: &'a Caller,
    category: &'a str,
    purpose: &'a str,
    treatments: &'a [(String, Treatment)],
    period: Period,
    /// Rows in monthly partitions, read subject by subject.
    high_volume: bool,
    /// Every subject's restrictions and objections, read once for the run.
    limits: BTreeMap<String, ProcessingLimits>,
}

/// The text of a grouping field that a record does not carry.
pub const MISSING: &str = "";
/// The text of a grouping field whose value does not parse as its type.
pub const UNPARSABLE: &str = "(invalid)";

/// What to count.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub category: String,
    /// Declared fields to group by, in this order after the period.
    pub by: Vec<String>,
    pub period: Period,
    /// Cells of fewer distinct subjects are withheld.
    pub min_subjects: u32,
}

/// The published figures and what they cover.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    pub category: String,
    pub purpose: String,
    pub period: Period,
    /// The cells' key columns: `period`, then the grouping fields.
    pub columns: Vec<String>,
    /// How each grouping field was generalised.
    pub generalised: BTreeMap<String, Treatment>,
    /// Subjects and records counted (all cells, withheld ones included).
    pub subjects: u64,
    pub records: u64,
    /// Subjects left out because processing for the purpose is limited.
    pub excluded_subjects: u64,
    #[serde(flatten)]
    pub published: Published,
}

impl Vault {
    /// Count `query.category`'s records by period and generalised fields,
    /// for the caller's purpose. Returns only after the run is journaled.
    pub fn statistics(&self, caller: &Caller, query: &StatsQuery) -> Result<StatsReport> {
        self.answer_now(self.plan_statistics(caller, query))
    }

    fn plan_statistics(&self, caller: &Caller, query: &StatsQuery) -> Planned<StatsReport> {
        let treatments = self.stats_fields(query)?;
        let category = query.category.as_str();
        let purpose = self.authorize_or_stop(caller, "stats", None, category)?;
        let processing: Vec<&str> = self
            .decls
            .activities
            .iter()
            .filter(|(_, a)| a.categories.iter().any(|c| c.get_ref() == category))
            .map(|(k, _)| k.get_ref().as_str())
            .collect();
        if !processing.contains(&purpose.as_str()) {
            let listed = if processing.is_empty() {
                "-".to_string()
            } else {
                processing.join(", ")
            };
            let refusal = Refusal::new(
                "category_not_in_purpose",
                format!(
                    "statistiques : la finalité « {purpose} » ne traite pas la catégorie « {category} » ; finalités déclarées qui la traitent : {listed}"
                ),
                format!(
                    "statistics: purpose `{purpose}` does not process category `{category}`; declared purposes that do: {listed}"
                ),
            )
            .category(category);
            let entry = self.entry(
                caller,
                "refused",
                None,
                Some(category),
                None,
                format!("stats denied: {}", refusal.code),
            );
            return Err(Stop::refused(vec![entry], EngineError::Forbidden(refusal)));
        }
        let run = StatsRun {
            caller,
            category,
            purpose: &purpose,
            treatments: &treatments,
            period: query.period,
            high_volume: self.decls.category(category).is_some_and(|c| c.high_volume),
            limits: self.all_processing_limits()?,
        };
        let workers = std::thread::available_parallelism()
            .map_or(2, |n| n.get() * 2)
            .min(MAX_WORKERS);
        let mut tally = Tally::new();
        let mut excluded = 0u64;
        let mut after = None;
        loop {
            let page = self.store.list_subjects(&SubjectFilter {
                status: None,
                grace_due_by: None,
                after_id: after.take(),
                limit: PAGE,
            })?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            // The page's subjects shared among workers: each share is a few
            // statements (round trips on PostgreSQL) and a key unwrap and a
            // decryption per subject, which several connections and cores overlap.
            let chunk = page.len().div_ceil(workers);
            let parts: Vec<Result<(Tally, u64)>> = std::thread::scope(|scope| {
                let handles: Vec<_> = page
                    .chunks(chunk)
                    .map(|subjects| scope.spawn(|| self.stats_of(&run, subjects)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(EngineError::Storage("a statistics worker failed".into()))
                        })
                    })
                    .collect()
            });
            for part in parts {
                let (t, e) = part?;
                tally.merge(t);
                excluded += e;
            }
            if page.len() < PAGE {
                break;
            }
        }
        let (subjects, records) = (tally.subjects(), tally.records());
        let published = tally.publish(query.min_subjects);
        let entry = self.entry(
            caller,
            "stats",
            None,
            Some(category),
            Some(&purpose),
            format!(
                "by={} period={} min_subjects={} subjects={subjects} records={records} cells={} withheld={} excluded={excluded}",
                query.by.join(","),
                query.period,
                query.min_subjects,
                published.cells.len(),
                published.withheld_cells,
            ),
        );
        let mut columns = vec!["period".to_string()];
        columns.extend(query.by.iter().cloned());
        Ok((
            vec![entry],
            StatsReport {
                category: category.to_string(),
                purpose,
                period: query.period,
                columns,
                generalised: treatments.iter().cloned().collect(),
                subjects,
                records,
                excluded_subjects: excluded,
                published,
            },
        ))
    }

    /// One worker's share of a page: its subjects' cells, and how many
    /// were left out because processing for the purpose is limited.
    ///
    /// An ordinary category's records and data keys are read for the whole
    /// share with one statement each; a high-volume category's rows, spread
    /// over monthly partitions with their own keys, subject by subject.
    fn stats_of(&self, run: &StatsRun<'_>, subjects: &[Subject]) -> Result<(Tally, u64)> {
        let category = run.category;
        let live: Vec<&Subject> = subjects
            .iter()
            .filter(|s| s.status != SubjectStatus::Erased)
            .collect();
        let mut rows: HashMap<String, Vec<Stored>> = HashMap::new();
        let mut keys = HashMap::new();
        if !run.high_volume {
            let ids: Vec<String> = live.iter().map(|s| s.id.clone()).collect();
            for r in self.store.records_of_subjects(&ids, category)? {
                rows.entry(r.subject_id.clone())
                    .or_default()
                    .push(Stored::Record(r));
            }
            let holders: Vec<String> = rows.keys().cloned().collect();
            keys = self.keys.get_many(&holders, category)?;
        }
        let allowed = [(category.to_string(), run.purpose.to_string())];
        let mut tally = Tally::new();
        let mut excluded = 0u64;
        for subject in live {
            let id = subject.id.as_str();
            let mut stored = if run.high_volume {
                self.stored_rows(id, Some(category))?
            } else {
                rows.remove(id)
                    .map(|r| BTreeMap::from([(category.to_string(), r)]))
                    .unwrap_or_default()
            };
            if stored.is_empty() {
                continue;
            }
            // Art. 18, 21, 7(3): limits read once for the run.
            let mut loaded = Some(SubjectLimits::known(
                run.limits.get(id).cloned().unwrap_or_default(),
            ));
            match self.limits_or_stop(run.caller, "read", id, category, run.purpose, &mut loaded) {
                Ok(()) => {}
                Err(Stop::Refused(_)) => {
                    excluded += 1;
                    continue;
                }
                Err(Stop::Failed(e)) => return Err(e),
            }
            // A high-volume row's key depends on its month: `open_allowed`
            // finds it. An ordinary record opens with the subject's key read
            // above; none means erased while the run went on.
            let records = if run.high_volume {
                match self.open_allowed(run.caller, id, &allowed, &mut stored) {
                    Ok((records, _entries)) => records,
                    Err(EngineError::NotFound(r)) if r.code == "shredded" => continue,
                    Err(e) => return Err(e),
                }
            } else {
                let Some(key) = keys.get(id) else { continue };
                stored
                    .remove(category)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| row.open(id, category, key))
                    .collect::<Result<Vec<_>>>()?
            };
            tally.add_subject(records.iter().map(|r| {
                let mut key = Vec::with_capacity(1 + run.treatments.len());
                key.push(run.period.label(r.collected_at));
                for (field, t) in run.treatments {
                    key.push(cell_text(*t, r.fields.get(field.as_str())));
                }
                key
            }));
        }
        Ok((tally, excluded))
    }

    /// The grouping fields' treatments, or why the query is refused.
    fn stats_fields(&self, query: &StatsQuery) -> Result<Vec<(String, Treatment)>> {
        let name = query.category.as_str();
        let Some(category) = self.decls.category(name) else {
            return Err(crate::validate::unknown_category(&self.decls, name));
        };
        check_threshold(query.min_subjects).map_err(|e| {
            EngineError::invalid(
                "threshold_too_low",
                format!(
                    "un seuil de {} personne(s) par case publierait des cases qui désignent une personne : indiquez {} ou plus (par défaut {})",
                    e.0,
                    habeas_core::stats::MIN_SUBJECTS_FLOOR,
                    habeas_core::stats::DEFAULT_MIN_SUBJECTS
                ),
                e.to_string(),
            )
        })?;
        let mut out: Vec<(String, Treatment)> = Vec::with_capacity(query.by.len());
        for field in &query.by {
            if out.iter().any(|(f, _)| f == field) {
                return Err(EngineError::Invalid(
                    Refusal::new(
                        "duplicate_field",
                        format!("le champ « {field} » est demandé deux fois"),
                        format!("field `{field}` is asked for twice"),
                    )
                    .category(name),
                ));
            }
            let Some(kind) = category.field(field) else {
                let known: Vec<&str> = category.field_names().collect();
                return Err(EngineError::Invalid(
                    Refusal::new(
                        "unknown_field",
                        format!(
                            "le champ « {field} » n'est pas déclaré pour la catégorie « {name} » ; champs déclarés : {}",
                            known.join(", ")
                        ),
                        format!(
                            "field `{field}` is not declared for category `{name}`; declared fields: {}",
                            known.join(", ")
                        ),
                    )
                    .category(name),
                ));
            };
            let t = treatment(field, kind, category.is_identifier(field));
            if !groupable(t) {
                let (fr, en) = if t == Treatment::Drop {
                    (
                        "du texte libre ne se regroupe pas",
                        "free text cannot be grouped",
                    )
                } else {
                    (
                        "un identifiant distingue chaque personne : chaque case n'en compterait qu'une",
                        "an identifier tells each person apart: every cell would count one person",
                    )
                };
                return Err(EngineError::Invalid(
                    Refusal::new(
                        "field_not_groupable",
                        format!("statistiques par « {field} » refusées : {fr} ; regroupez par un champ partagé (une offre, un pays, une date)"),
                        format!("statistics by `{field}` refused: {en}; group by a field many share (a plan, a country, a date)"),
                    )
                    .category(name),
                ));
            }
            out.push((field.clone(), t));
        }
        Ok(out)
    }
}

/// A record's grouping value as a cell's text.
fn cell_text(treatment: Treatment, value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => MISSING.to_string(),
        Some(v) => generalised_text(treatment, v).unwrap_or_else(|| UNPARSABLE.to_string()),
    }
}
