//! The access (Art. 15) and portability (Art. 20) answers, through the
//! service: refused before verification, then complete in JSON, CSV zip and
//! HTML.

mod common;

use std::io::{Cursor, Read};

use common::*;
use habeas_core::clock::ManualClock;
use habeas_core::docs::MemoryDocs;
use habeas_core::lang::Lang;
use habeas_core::rights::{IdentityProof, RequestKind, VerificationMethod};
use habeas_rights::RightsError;
use habeas_rights::export::json::{access_json, portability_json};
use habeas_rights::export::{
    AccessExport, ExclusionReason, access_csv_zip, access_html, build_access_export,
    portability_csv_zip,
};
use habeas_rights::service::{NewRequest, RequestChannel, RequestService};

const NOW: &str = "2026-04-03T08:00:00Z";

/// A request of `kind` for the demo subject, acknowledged, verified by code.
fn verified(service: &RequestService<'_>, kind: RequestKind) -> String {
    let r = service
        .create(NewRequest {
            kind,
            channel: RequestChannel::Portal,
            subject: Some(SUBJECT.into()),
            contact_ref: "contact:ct-1".into(),
        })
        .unwrap();
    let v = service.acknowledge(&r.id, r.version).unwrap();
    let (_, code) = service.issue_identity_code(&r.id, v.version).unwrap();
    service.verify_identity_code(&r.id, &code.code).unwrap();
    r.id
}

fn access_export(lang: Lang) -> AccessExport {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let id = verified(&service, RequestKind::Access);
    service.access_export(&id, &holdings(), lang).unwrap()
}

#[test]
fn nothing_is_exported_before_identity_is_verified() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service
        .create(NewRequest {
            kind: RequestKind::Access,
            channel: RequestChannel::Email,
            subject: Some(SUBJECT.into()),
            contact_ref: "contact:ct-1".into(),
        })
        .unwrap();
    let e = service
        .access_export(&r.id, &holdings(), Lang::Fr)
        .unwrap_err();
    assert!(matches!(e, RightsError::NotVerified { .. }), "{e}");
    assert!(e.to_string().contains("Art. 12(6)"), "{e}");
    let v = service.acknowledge(&r.id, r.version).unwrap();
    assert!(matches!(
        service.access_export(&r.id, &holdings(), Lang::Fr),
        Err(RightsError::NotVerified { .. })
    ));
    // Verified, but another subject's data, or through the wrong kind of request.
    let v = service
        .record_identity_proof(
            &r.id,
            v.version,
            IdentityProof {
                method: VerificationMethod::Session,
                verified_by: "portal".into(),
                reason: None,
            },
            utc(NOW),
        )
        .unwrap();
    let mut other = holdings();
    other.subject.id = "subj-other".into();
    assert!(matches!(
        service.access_export(&r.id, &other, Lang::Fr),
        Err(RightsError::SubjectMismatch { .. })
    ));
    assert!(matches!(
        service.portability_export(&r.id, &holdings()),
        Err(RightsError::WrongKind { .. })
    ));
    // Once done, the request discloses nothing more.
    let v = service.start(&r.id, v.version).unwrap();
    service.complete(&r.id, v.version).unwrap();
    assert!(matches!(
        service.access_export(&r.id, &holdings(), Lang::Fr),
        Err(RightsError::Closed { .. })
    ));
}

#[test]
fn the_json_export_holds_every_field_and_the_art15_information() {
    let export = access_export(Lang::Fr);
    let bytes = access_json(&export).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["schema"], "habeas.access-export/1");
    assert_eq!(json["processed"], true);

    // Every held field, with its record's date and source.
    for record in &holdings().records {
        let category = json["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == record.category.as_str())
            .unwrap_or_else(|| panic!("category {} missing", record.category));
        let exported = category["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == record.id.as_str())
            .unwrap();
        assert_eq!(
            exported["recorded_at"],
            record.recorded_at.to_rfc3339().replace("+00:00", "Z")
        );
        assert_eq!(exported["source_channel"], record.source_channel.key());
        for (k, v) in &record.fields {
            assert_eq!(exported["fields"][k], v.as_str(), "{k}");
        }
        assert!(!exported["purposes"].as_array().unwrap().is_empty());
    }

    // (a) purposes with their legal basis.
    let purposes: Vec<&str> = export.purposes.iter().map(|p| p.id.as_str()).collect();
    for p in ["PA-0001", "PA-0002", "PA-0004", "PA-0006", "PA-0008"] {
        assert!(purposes.contains(&p), "{p} in {purposes:?}");
    }
    assert!(!purposes.contains(&"PA-0009"), "HR is not about a customer");
    let billing = export.purposes.iter().find(|p| p.id == "PA-0002").unwrap();
    assert_eq!(billing.legal_basis.as_ref().unwrap().article, "6(1)(c)");
    // (b) and (d): categories with their retention.
    let invoices = export
        .categories
        .iter()
        .find(|c| c.key == "billing")
        .unwrap();
    assert_eq!(invoices.label, "Facturation");
    let retention = invoices.retention.as_ref().unwrap();
    assert_eq!(
        retention.legal_obligation.as_deref(),
        Some("Code de commerce art. L123-22")
    );
    assert!(
        retention.description.starts_with("10 ans après"),
        "{}",
        retention.description
    );
    // (c) recipients, with what they receive.
    let payer = export
        .recipients
        .iter()
        .find(|r| r.key == "payment-processor")
        .unwrap();
    assert_eq!(payer.country.as_deref(), Some("NL"));
    assert!(payer.categories.contains(&"billing".to_string()));
    // (e) rights, (f) complaint to the authority.
    let rights: Vec<&str> = export.rights.iter().map(|r| r.right.as_str()).collect();
    for r in [
        "rectification",
        "erasure",
        "restriction",
        "objection",
        "consent_withdrawal",
    ] {
        assert!(rights.contains(&r), "{r}");
    }
    assert!(export.rights[0].how.contains("donnees@hebergix.example"));
    assert!(export.complaint.authority.contains("CNIL"));
    // (g) sources of what the subject did not provide.
    assert!(
        export
            .sources
            .iter()
            .any(|s| s.category == "marketing" && s.source == "obtenue d'un tiers"),
        "{:?}",
        export.sources
    );
    // (h) automated decisions; 15(2) transfers (none outside the EEA here).
    assert!(!export.automated_decisions.any);
    assert!(export.automated_decisions.statement.contains("art. 22"));
    assert!(export.transfers.is_empty());
    // Consents and consultations (dates and purposes, no staff names).
    assert_eq!(export.consents[0].purpose, "newsletter");
    assert_eq!(export.access_log[0].purpose_label, "Support client");
    assert_eq!(json["access_log"][0].as_object().unwrap().len(), 4);

    // The JSON reads back into the same document.
    let back: AccessExport = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, export);
}

#[test]
fn transfers_outside_the_eea_are_listed_with_their_safeguard() {
    // The demo provider transfers nothing; add a US processor receiving billing.
    let decls = demo_with(
        r#"
[recipients.us-analytics]
name = "Numbers Inc."
role = "processor"
country = "US"
safeguard = "scc"
safeguard_ref = "DPA annex 3"
contract = "DPA 2026-01-10"
receives = ["billing"]

[activities.PA-0010]
name = { fr = "Analyse des factures", en = "Invoice analytics" }
purpose = { fr = "Analyser le chiffre d'affaires.", en = "Analyse revenue." }
kind = "billing"
role = "controller"
legal_basis = "contract"
subjects = ["customers"]
categories = ["billing"]
recipients = ["us-analytics"]
measures = ["access-control"]
"#,
    );
    let export = build_access_export(&decls, &holdings(), Lang::En, utc(NOW));
    let t = &export.transfers[0];
    assert_eq!(
        (t.recipient.as_str(), t.country.as_str()),
        ("us-analytics", "US")
    );
    assert!(
        t.safeguard_label
            .as_deref()
            .unwrap()
            .contains("Standard contractual clauses")
    );
    assert_eq!(t.safeguard_ref.as_deref(), Some("DPA annex 3"));
    let html = access_html(&export);
    assert!(html.contains("Numbers Inc."));
}

/// Every file of a zip, by name.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().to_string(), out)
        })
        .collect()
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "every CSV starts with the BOM"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn the_csv_zip_opens_with_one_file_per_category_and_french_text_intact() {
    let export = access_export(Lang::Fr);
    let files = unzip(&access_csv_zip(&export).unwrap());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "information.csv",
            "categories/billing.csv",
            "categories/contact.csv",
            "categories/identity.csv",
            "categories/marketing.csv",
            "categories/security_logs.csv",
            "categories/support.csv",
        ]
    );
    let identity = csv_rows(&files[3].1);
    assert_eq!(
        identity[0][..4],
        ["identifiant", "enregistré le", "source", "finalités"]
    );
    let header = &identity[0];
    let row = &identity[1];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(row[col("first_name")], "Hélène");
    assert_eq!(row[col("last_name")], "Dupré-Œillet");
    assert_eq!(row[1], "2024-05-02T09:00:00+00:00");
    assert_eq!(row[2], "saisie par vous (formulaire)");
    let billing = csv_rows(&files[1].1);
    assert_eq!(billing.len(), 3, "a header and two invoices");

    let info = csv_rows(&files[0].1);
    assert_eq!(info[0], ["rubrique", "clé", "valeur"]);
    let find = |section: &str, key: &str| {
        info.iter()
            .find(|r| r[0] == section && r[1] == key)
            .map(|r| r[2].clone())
            .unwrap_or_else(|| panic!("{section}/{key} missing"))
    };
    assert_eq!(find("controller", "name"), "Hébergix SAS");
    assert!(find("retention", "billing").contains("L123-22"));
    assert!(find("purpose", "PA-0002").contains("Obligation légale"));
    assert!(
        info.iter()
            .any(|r| r[0] == "complaint" && r[1].contains("CNIL"))
    );
    assert!(
        info.iter()
            .any(|r| r[0] == "recipient" && r[1] == "payment-processor")
    );
}

#[test]
fn the_html_page_escapes_values_and_stands_alone() {
    let fr = access_html(&access_export(Lang::Fr));
    assert!(fr.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
    assert!(fr.contains("Vos données personnelles chez Hébergix SAS"));
    assert!(fr.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; merci"));
    assert!(!fr.contains("<script"), "no script element, escaped or not");
    for external in ["<link", "src=", "<img", "@import", "url("] {
        assert!(!fr.contains(external), "{external}");
    }
    assert!(fr.contains("Dupré-Œillet"));
    assert!(fr.contains("Commission nationale de l&#39;informatique et des libertés"));
    let en = access_html(&access_export(Lang::En));
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("Your personal data at Hébergix SAS"));
    assert!(en.contains("Where the data come from"));
}

#[test]
fn portability_keeps_only_provided_data_on_consent_or_contract() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let id = verified(&service, RequestKind::Portability);
    let export = service.portability_export(&id, &holdings()).unwrap();
    assert_eq!(export.schema, "habeas.portability-export/1");

    let kept: Vec<(&str, Vec<&str>)> = export
        .categories
        .iter()
        .map(|c| {
            (
                c.key.as_str(),
                c.records.iter().map(|r| r.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("contact", vec!["rec-ct-1"]),
            ("identity", vec!["rec-id-1"]),
            ("marketing", vec!["rec-mkt-1"]),
            ("support", vec!["rec-sup-1"]),
        ]
    );
    let why = |category: &str| {
        export
            .excluded
            .iter()
            .filter(|x| x.category == category)
            .map(|x| x.reason)
            .collect::<Vec<_>>()
    };
    // Collected from a third party: not provided by the subject.
    assert_eq!(why("marketing"), [ExclusionReason::NotProvidedBySubject]);
    // Security logs are observed but processed on legitimate interest.
    assert_eq!(
        why("security_logs"),
        [ExclusionReason::NotConsentOrContract]
    );
    // Invoices are issued by the provider, under a legal obligation.
    assert_eq!(why("billing"), [ExclusionReason::NotProvidedBySubject]);

    let json: serde_json::Value =
        serde_json::from_slice(&portability_json(&export).unwrap()).unwrap();
    assert_eq!(
        json["categories"][1]["records"][0]["fields"]["first_name"],
        "Hélène"
    );

    let files = unzip(&portability_csv_zip(&export).unwrap());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"categories/identity.csv"));
    assert!(!names.contains(&"categories/billing.csv"));
    let identity = csv_rows(
        &files
            .iter()
            .find(|(n, _)| n == "categories/identity.csv")
            .unwrap()
            .1,
    );
    assert!(identity[1].contains(&"Dupré-Œillet".to_string()));
}

#[test]
fn a_subject_with_no_data_is_told_so_with_the_rights_still_listed() {
    let decls = demo();
    let mut empty = holdings();
    empty.records.clear();
    empty.consents.clear();
    empty.access_journal.clear();
    let export = build_access_export(&decls, &empty, Lang::En, utc(NOW));
    assert!(!export.processed);
    assert!(export.categories.is_empty() && export.purposes.is_empty());
    assert_eq!(export.rights.len(), 6, "the six rights, no consent purpose");
    let html = access_html(&export);
    assert!(html.contains("We hold no personal data about you."));
    let files = unzip(&access_csv_zip(&export).unwrap());
    assert_eq!(files.len(), 1, "only information.csv");
}
