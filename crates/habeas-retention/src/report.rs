//! What `habeas purge --dry-run` and `habeas purge` print: per category,
//! what goes, what stays and why, then each item with the date it goes.
//! French first, English on request; record ids and hold ids only, never
//! values or subject ids.

use std::fmt::Write;

use habeas_core::lang::Lang;

use crate::plan::{Action, Decision, Expiry, PurgeSummary};

impl Action {
    /// The action in words.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            Action::Delete => lang.pick("suppression", "deletion").into(),
            Action::Anonymise => lang.pick("anonymisation", "anonymisation").into(),
            Action::Held { holds } => match lang {
                Lang::Fr => format!("conservé : gel juridique {}", holds.join(", ")),
                Lang::En => format!("kept: legal hold {}", holds.join(", ")),
            },
            Action::Scheduled { then } => match (lang, then) {
                (Lang::Fr, Expiry::Delete) => "suppression prévue".into(),
                (Lang::Fr, Expiry::Anonymise) => "anonymisation prévue".into(),
                (Lang::En, Expiry::Delete) => "deletion scheduled".into(),
                (Lang::En, Expiry::Anonymise) => "anonymisation scheduled".into(),
            },
            Action::UnknownCategory => lang
                .pick(
                    "conservé : catégorie non déclarée (corrigez les déclarations)",
                    "kept: category not declared (fix the declarations)",
                )
                .into(),
        }
    }
}

/// The plain-text report of a purge or a dry run. `decisions` may be empty
/// (a real purge prints the counts only).
pub fn render(summary: &PurgeSummary, decisions: &[Decision], lang: Lang) -> String {
    let mut out = String::new();
    let at = summary
        .at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} {at}",
        lang.pick("Conservation — purge au", "Retention — purge at")
    );
    let _ = writeln!(
        out,
        "{:<24} {:>10} {:>10} {:>10} {:>10}",
        lang.pick("catégorie", "category"),
        lang.pick("supprimés", "deleted"),
        lang.pick("anonymisés", "anonymised"),
        lang.pick("gelés", "held"),
        lang.pick("prévus", "scheduled"),
    );
    for (category, c) in &summary.categories {
        let _ = writeln!(
            out,
            "{category:<24} {:>10} {:>10} {:>10} {:>10}",
            c.delete, c.anonymise, c.held, c.scheduled
        );
        if !c.holds.is_empty() {
            let holds: Vec<&str> = c.holds.iter().map(String::as_str).collect();
            let _ = writeln!(
                out,
                "  {} {}",
                lang.pick("gels juridiques :", "legal holds:"),
                holds.join(", ")
            );
        }
        if c.undeclared > 0 {
            let _ = writeln!(
                out,
                "  {}",
                lang.count(
                    u32::try_from(c.undeclared).unwrap_or(u32::MAX),
                    (
                        "enregistrement conservé : catégorie non déclarée",
                        "enregistrements conservés : catégorie non déclarée"
                    ),
                    (
                        "record kept: category not declared",
                        "records kept: category not declared"
                    ),
                )
            );
        }
    }
    if !decisions.is_empty() {
        let _ = writeln!(out);
        for d in decisions {
            let when = d.goes_at.map_or_else(
                || lang.pick("date inconnue", "date unknown").to_string(),
                |t| t.format("%Y-%m-%d").to_string(),
            );
            let _ = writeln!(
                out,
                "{when:<14} {:<24} {:<20} {}",
                d.category,
                d.record,
                d.action.label(lang)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hold::{Hold, HoldScope};
    use crate::plan::{DueItem, dry_run};
    use chrono::{DateTime, Utc};
    use std::collections::BTreeMap;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn sample() -> (PurgeSummary, Vec<Decision>) {
        let expiry = BTreeMap::from([
            ("contact".to_string(), Expiry::Delete),
            ("navigation".to_string(), Expiry::Anonymise),
        ]);
        let holds = [Hold {
            id: "HOLD-0001".into(),
            scope: HoldScope::Subject("sub_2".into()),
            reason: "litigation".into(),
            created_by: "dpo".into(),
            created_at: t("2026-01-01T00:00:00Z"),
            until: None,
            released: None,
        }];
        let item = |record: &str, subject: &str, category: &str, due: &str| DueItem {
            record: record.into(),
            subject: subject.into(),
            category: category.into(),
            due: t(due),
            incident_linked: false,
        };
        let items = [
            item("rec-1", "sub_1", "contact", "2027-05-01T00:00:00Z"),
            item("rec-2", "sub_2", "contact", "2027-05-02T00:00:00Z"),
            item("rec-3", "sub_1", "navigation", "2027-08-01T00:00:00Z"),
        ];
        let (decisions, summary) = dry_run(t("2027-06-01T00:00:00Z"), &expiry, &holds, &items);
        (summary, decisions)
    }

    #[test]
    fn the_dry_run_reads_in_french_and_english() {
        let (summary, decisions) = sample();
        let fr = render(&summary, &decisions, Lang::Fr);
        assert!(
            fr.starts_with("Conservation — purge au 2027-06-01 00:00 UTC"),
            "{fr}"
        );
        assert!(fr.contains("gels juridiques : HOLD-0001"), "{fr}");
        assert!(
            fr.contains("2027-06-01     contact                  rec-1                suppression"),
            "{fr}"
        );
        assert!(fr.contains("date inconnue"), "{fr}");
        assert!(
            fr.contains(
                "2027-08-01     navigation               rec-3                anonymisation prévue"
            ),
            "{fr}"
        );
        let en = render(&summary, &decisions, Lang::En);
        assert!(en.contains("kept: legal hold HOLD-0001"), "{en}");
        assert!(en.contains("deletion"), "{en}");
        // Subject ids never appear.
        assert!(!fr.contains("sub_") && !en.contains("sub_"));
    }
}
