//! Golden files of every render of the demo provider (both views, every
//! format, both languages), and the checks a reader of each format would do:
//! the CSV parses back with the CNIL model's columns, the JSON has the
//! documented shape, the HTML is standalone.

use super::*;
use crate::declarations::{Declarations, load_and_check};
use crate::test_support::demo_files;

fn demo() -> Declarations {
    let files = demo_files();
    let checked = load_and_check(&files);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    checked.declarations
}

#[test]
fn golden_registers() {
    let d = demo();
    for lang in Lang::ALL {
        for view in View::ALL {
            for format in Format::ALL {
                let name = format!(
                    "register-{}-{}-{}",
                    view.key(),
                    lang.tag(),
                    format.extension()
                );
                insta::assert_snapshot!(name, render_register(&d, view, format, lang));
            }
        }
    }
}

#[test]
fn golden_notices_and_assurance() {
    let d = demo();
    for lang in Lang::ALL {
        for format in DocFormat::ALL {
            insta::assert_snapshot!(
                format!("notice-{}-{}", lang.tag(), format.extension()),
                render_notice(&d, format, lang)
            );
            insta::assert_snapshot!(
                format!("assurance-{}-{}", lang.tag(), format.extension()),
                render_assurance(&d, format, lang)
            );
        }
    }
}

/// The CNIL model register's fiche, read from STANDARDS §1.4: organisation
/// header, purpose, subjects, the data-category rows with description and
/// retention, NIR, sensitive data, recipients (internal, external bodies,
/// processors), transfers outside the EU (recipient, country, type of
/// safeguard, link to documentation) and the security checklist.
const CNIL_FICHE_SECTIONS: &[&str] = &[
    "Nom du traitement",
    "Date de création",
    "Date de mise à jour",
    "Responsable conjoint",
    "Finalité principale",
    "Catégories de personnes concernées",
    "État civil, identité, données d'identification, images",
    "Vie personnelle",
    "Vie professionnelle",
    "Informations d'ordre économique et financier",
    "Données de connexion",
    "Données de localisation",
    "Internet",
    "NIR",
    "Données sensibles",
    "Destinataires internes",
    "Organismes externes",
    "Sous-traitants",
    "Transferts hors UE — destinataire",
    "Transferts hors UE — pays",
    "Transferts hors UE — type de garanties",
    "Transferts hors UE — lien vers la documentation",
    "Contrôle d'accès des utilisateurs",
    "Mesures de traçabilité",
    "Mesures de protection des logiciels",
    "Sauvegarde des données",
    "Chiffrement des données",
    "Contrôle des sous-traitants",
    "Autres mesures",
];

#[test]
fn csv_parses_back_with_the_cnil_model_columns() {
    let d = demo();
    for view in View::ALL {
        let text = render_register(&d, view, Format::Csv, Lang::Fr);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        for section in CNIL_FICHE_SECTIONS {
            assert!(
                header.iter().any(|h| h.starts_with(section)),
                "no column for `{section}` in {header:?}"
            );
        }
        assert_eq!(header, cnil_columns(Lang::Fr, view));
        let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        let expected = d.activities_with_role(view.role()).count();
        assert_eq!(rows.len(), expected);
        for row in &rows {
            assert_eq!(row.len(), header.len());
        }
        if view == View::Controller {
            let billing = rows.iter().find(|r| &r[0] == "PA-0002").expect("PA-0002");
            let retention_col = header
                .iter()
                .position(|h| {
                    h == "Informations d'ordre économique et financier — durée de conservation"
                })
                .expect("col");
            assert!(
                billing[retention_col].contains("10 ans après la collecte"),
                "{}",
                &billing[retention_col]
            );
            let processors = header
                .iter()
                .position(|h| h == "Sous-traitants")
                .expect("col");
            assert!(billing[processors].contains("PayEuro B.V. (NL)"));
        }
    }
    assert_eq!(CNIL_COLUMNS_FR.len(), CNIL_COLUMNS_EN.len());
}

#[test]
fn json_has_the_documented_shape() {
    let d = demo();
    let value: serde_json::Value = serde_json::from_str(&render_register(
        &d,
        View::Controller,
        Format::Json,
        Lang::En,
    ))
    .expect("json");
    assert_eq!(value["habeas_register_format"], 1);
    assert_eq!(value["view"], "controller");
    assert_eq!(value["organisation"]["siren"], "912 345 675");
    let billing = value["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .find(|a| a["id"] == "PA-0002")
        .expect("PA-0002");
    assert_eq!(billing["legal_basis"]["code"], "legal_obligation");
    let cat = billing["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["id"] == "billing")
        .expect("billing");
    assert_eq!(cat["retention"]["iso8601"], "P10Y");
    assert_eq!(
        cat["retention"]["legal_obligation"],
        "Code de commerce art. L123-22"
    );
    let processor: serde_json::Value = serde_json::from_str(&render_register(
        &d,
        View::Processor,
        Format::Json,
        Lang::Fr,
    ))
    .expect("json");
    assert!(
        processor["activities"]
            .as_array()
            .expect("list")
            .iter()
            .all(|a| a["role"] == "processor"
                && a["controllers"].as_array().is_some_and(|c| !c.is_empty()))
    );
}

#[test]
fn html_is_a_standalone_page() {
    let d = demo();
    for html in [
        render_register(&d, View::Controller, Format::Html, Lang::Fr),
        render_notice(&d, DocFormat::Html, Lang::En),
        render_assurance(&d, DocFormat::Html, Lang::Fr),
    ] {
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<style>") && html.contains("@media print"));
        for external in ["<link", "<script", "src=\"http", "href=\"http", "@import"] {
            assert!(!html.contains(external), "external resource `{external}`");
        }
        assert!(html.trim_end().ends_with("</html>"));
    }
    assert!(render_notice(&d, DocFormat::Html, Lang::En).contains("<html lang=\"en\">"));
}

#[test]
fn notice_carries_the_art13_information() {
    let d = demo();
    let fr = render_notice(&d, DocFormat::Markdown, Lang::Fr);
    for needle in [
        "Hébergix SAS",
        "dpo@hebergix.example",
        "Intérêt légitime",
        "10 ans après la collecte",
        "48 heures ouvrées",
        "CNIL",
        "mes-donnees.hebergix.example",
        "{#newsletter}",
        "Annuaires professionnels publics",
    ] {
        assert!(fr.contains(needle), "notice lacks `{needle}`");
    }
    let en = render_notice(&d, DocFormat::Markdown, Lang::En);
    assert!(en.contains("13 months after collection"));
    assert!(en.contains("immediately"));
}

#[test]
fn escapes_html() {
    assert_eq!(
        doc::esc("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
    assert_eq!(
        doc::slug("Données de connexion (LCEN)"),
        "donnees-de-connexion-lcen"
    );
}
