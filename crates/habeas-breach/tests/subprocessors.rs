//! Sub-processor changes between two versions of the declarations and the
//! notices owed to controller customers (Art. 28(2), 28(4)).

mod common;

use chrono::NaiveDate;
use common::*;
use habeas_breach::subprocessors::{
    NoticeError, ObjectionTerms, SubprocessorChange, diff, notices, subprocessors,
};
use habeas_core::declarations::Safeguard;
use habeas_core::lang::Lang;

const US_FILTER: &str = r#"
[recipients.spam-filter]
name = "FilterCloud Inc."
role = "sub_processor"
description = { fr = "Analyse antispam des messages entrants.", en = "Spam analysis of incoming messages." }
country = "US"
safeguard = "scc"
safeguard_ref = "SCC 2021/914 module 3, annexe du DPA du 2026-11-30"
contract = "DPA art. 28, 2026-11-30"
receives = ["mail_content"]
"#;

/// The demo files with `edit` applied to one of them.
fn edited(file: &str, edit: impl Fn(&str) -> String) -> Vec<(String, String)> {
    demo_files()
        .into_iter()
        .map(|(path, content)| {
            if path.ends_with(file) {
                let new = edit(&content);
                assert_ne!(new, content, "the edit of {file} changed nothing");
                (path, new)
            } else {
                (path, content)
            }
        })
        .collect()
}

/// Version 2 of the declarations: a US spam filter joins the e-mail service.
fn with_us_filter() -> Vec<(String, String)> {
    let files = edited("recipients.toml", |c| format!("{c}{US_FILTER}"));
    files
        .into_iter()
        .map(|(path, content)| {
            if path.ends_with("activities.toml") {
                let old = r#"recipients = ["mail-relay", "datacenter"]"#;
                assert_eq!(content.matches(old).count(), 1);
                let new = content.replace(
                    old,
                    r#"recipients = ["mail-relay", "datacenter", "spam-filter"]"#,
                );
                (path, new)
            } else {
                (path, content)
            }
        })
        .collect()
}

fn terms(effective: (i32, u32, u32)) -> ObjectionTerms {
    ObjectionTerms {
        notice_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        objection_days: 30,
        effective: NaiveDate::from_ymd_opt(effective.0, effective.1, effective.2).unwrap(),
    }
}

#[test]
fn the_demo_sub_processors_serve_the_processor_services() {
    let decls = demo();
    let subs = subprocessors(&decls);
    let ids: Vec<_> = subs.keys().map(String::as_str).collect();
    // The payment processor works for the provider's own billing: not a
    // sub-processor of the customers' data.
    assert_eq!(ids, ["datacenter", "mail-relay"]);
    assert_eq!(subs["mail-relay"].services, ["mail"]);
    assert_eq!(
        subs["datacenter"].services,
        ["file-sharing", "mail", "web-hosting"]
    );
    assert!(diff(&decls, &decls).is_empty());
}

#[test]
fn art28_2_diff_finds_an_added_us_sub_processor_with_its_safeguard() {
    let old = demo();
    let new = parsed(&with_us_filter());
    let changes = diff(&old, &new);
    assert_eq!(changes.len(), 1, "{changes:?}");
    let SubprocessorChange::Added { after } = &changes[0] else {
        panic!("{changes:?}");
    };
    assert_eq!(after.id, "spam-filter");
    assert_eq!(after.countries, ["US"]);
    assert_eq!(after.transfers(), ["US"]);
    assert_eq!(after.safeguard, Some(Safeguard::Scc));
    assert_eq!(after.receives, ["mail_content"]);
    assert_eq!(after.services, ["mail"]);

    let out = notices(&new, &changes, terms((2027, 1, 4))).unwrap();
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(n.service, "mail");
    assert_eq!(
        n.objection_deadline,
        NaiveDate::from_ymd_opt(2027, 1, 3).unwrap()
    );
    assert!(n.controllers.as_deref().unwrap().contains("messagerie"));
    let [fr, en] = &n.drafts[..] else {
        panic!("two drafts expected");
    };
    assert_eq!((fr.lang, en.lang), (Lang::Fr, Lang::En));
    assert!(fr.subject.contains("Messagerie"), "{}", fr.subject);
    assert!(
        fr.body.contains("Ajout : FilterCloud Inc. (US)"),
        "{}",
        fr.body
    );
    assert!(fr.body.contains("transfert hors EEE vers US"));
    assert!(fr.body.contains("Clauses contractuelles types"));
    assert!(fr.body.contains("jusqu'au 3 janvier 2027 inclus"));
    assert!(
        en.body.contains("transfer outside the EEA to US"),
        "{}",
        en.body
    );
    assert!(en.body.contains("take effect on 4 January 2027"));
    insta::assert_snapshot!(
        "us-filter-notice-fr",
        format!("Subject: {}\n\n{}", fr.subject, fr.body)
    );
}

#[test]
fn art28_2_the_change_cannot_apply_before_the_objection_period_ends() {
    let old = demo();
    let new = parsed(&with_us_filter());
    let changes = diff(&old, &new);
    let err = notices(&new, &changes, terms((2026, 12, 20))).unwrap_err();
    assert_eq!(
        err,
        NoticeError::BeforeObjectionPeriodEnds {
            effective: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            deadline: NaiveDate::from_ymd_opt(2027, 1, 3).unwrap(),
        }
    );
    assert!(err.to_string().contains("Art. 28(2)"));
}

#[test]
fn removed_and_relocated_sub_processors_are_reported_per_service() {
    let old = demo();
    // The mail relay moves its processing to Switzerland; the datacenter
    // leaves (its activities no longer name it).
    let files = edited("recipients.toml", |c| {
        c.replace(
            "receives = [\"mail_content\", \"marketing\"]",
            "receives = [\"mail_content\", \"marketing\"]\nprocessing_countries = [\"CH\"]\nsafeguard = \"adequacy\"",
        )
    });
    let files: Vec<_> = files
        .into_iter()
        .map(|(p, c)| {
            if p.ends_with("activities.toml") {
                (
                    p,
                    c.replace(", \"datacenter\"]", "]")
                        .replace("[\"datacenter\"]", "[]"),
                )
            } else {
                (p, c)
            }
        })
        .collect();
    let new = parsed(&files);
    let changes = diff(&old, &new);
    let kinds: Vec<_> = changes
        .iter()
        .map(|c| match c {
            SubprocessorChange::Added { .. } => ("added", c.id().to_string(), vec![]),
            SubprocessorChange::Removed { .. } => ("removed", c.id().to_string(), vec![]),
            SubprocessorChange::Changed { fields, .. } => {
                ("changed", c.id().to_string(), fields.clone())
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("removed", "datacenter".to_string(), vec![]),
            (
                "changed",
                "mail-relay".to_string(),
                vec!["countries".to_string(), "safeguard".to_string()]
            ),
        ]
    );
    let out = notices(&new, &changes, terms((2027, 1, 4))).unwrap();
    let services: Vec<_> = out.iter().map(|n| n.service.as_str()).collect();
    assert_eq!(services, ["file-sharing", "mail", "web-hosting"]);
    let mail = &out[1].drafts[1].body;
    assert!(mail.contains("Removed: DataCentre Rhône SAS"), "{mail}");
    assert!(mail.contains("processing countries FR → CH"), "{mail}");
    assert_eq!(out[0].changes.len(), 1);
}
