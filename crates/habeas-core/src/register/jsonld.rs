//! The register as JSON-LD with the W3C Data Privacy Vocabulary (DPV 2.x,
//! STANDARDS §6.1). DPV ships no `@context` for instance data, so the
//! context is ours: prefixes only, every term written as a compact IRI
//! (`dpv:hasPurpose`), so the document expands to the same triples in any
//! processor. Each activity is a `dpv:PersonalDataProcess`
//! (`dpv:PersonalDataHandling` is sunset), the register a `dpv:ROPA`.
//! Retention is a `dpv:StorageDuration` with an ISO 8601 `dpv:hasDuration`,
//! or a `dpv:UntilEventDuration` for "until …" rules.

use serde_json::{Value, json};

use super::View;
use super::doc::slug;
use crate::declarations::{Activity, Declarations, RecipientRole};
use crate::lang::Lang;
use crate::retention::RetentionBase;

pub(crate) fn render(d: &Declarations, view: View, lang: Lang) -> String {
    let base = base_iri(d);
    let org = format!("{base}:organisation");
    let (version, updated) = d.version_line();
    let mut graph = Vec::new();

    let mut org_node = json!({
        "@id": org,
        "@type": if view == View::Controller { "dpv:DataController" } else { "dpv:DataProcessor" },
        "dpv:hasName": d.organisation().map(|o| o.name.get_ref().clone()),
    });
    if let Some(o) = d.organisation() {
        org_node["dpv:hasAddress"] = json!(o.address.as_ref().map(|a| a.get_ref()));
        org_node["dpv:hasCountry"] = json!({"@id": format!("loc:{}", o.country.get_ref())});
        if let Some(siren) = &o.siren {
            org_node["dct:identifier"] = json!(format!("SIREN {}", siren.get_ref()));
        }
        if let Some(kbo) = &o.kbo {
            org_node["dct:identifier"] = json!(format!("KBO {}", kbo.get_ref()));
        }
    }
    if let Some(dpo) = d.dpo() {
        let dpo_id = format!("{base}:dpo");
        org_node["dpv:hasDataProtectionOfficer"] = json!({"@id": dpo_id});
        graph.push(json!({
            "@id": dpo_id,
            "@type": "dpv:DataProtectionOfficer",
            "dpv:hasName": dpo.name,
            "dpv:hasContact": dpo.email.as_ref().map(|e| format!("mailto:{}", e.get_ref())),
        }));
    }
    graph.push(org_node);

    for (name, r) in &d.recipients {
        let mut node = json!({
            "@id": format!("{base}:recipient:{}", name.get_ref()),
            "@type": if r.role == RecipientRole::Internal { "dpv:Recipient" } else { r.role.dpv() },
            "dpv:hasName": r.name.get(lang),
        });
        if let Some(c) = &r.country {
            node["dpv:hasCountry"] = json!({"@id": format!("loc:{}", c.get_ref())});
        }
        if let Some(s) = &r.safeguard {
            node["dpv:hasLegalBasis"] = json!({"@id": s.get_ref().dpv()});
        }
        graph.push(node);
    }

    let processes: Vec<Value> = d
        .activities_with_role(view.role())
        .map(|(id, a)| process(d, view, &base, &org, id, a, lang))
        .collect();
    let process_ids: Vec<Value> = processes
        .iter()
        .map(|p| json!({"@id": p["@id"].clone()}))
        .collect();
    graph.extend(processes);

    graph.insert(
        0,
        json!({
            "@id": format!("{base}:register:{}", view.key()),
            "@type": "dpv:ROPA",
            "dct:title": {"@value": title(view, lang), "@language": lang.tag()},
            "dct:hasVersion": version,
            "dct:modified": {"@value": updated, "@type": "xsd:date"},
            "dct:creator": {"@id": org},
            "dct:hasPart": process_ids,
        }),
    );

    let doc = json!({
        "@context": {
            "dpv": "https://w3id.org/dpv#",
            "pd": "https://w3id.org/dpv/pd#",
            "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
            "loc": "https://w3id.org/dpv/loc#",
            "dct": "http://purl.org/dc/terms/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": graph,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn title(view: View, lang: Lang) -> &'static str {
    match view {
        View::Controller => lang.pick(
            "Registre des activités de traitement",
            "Record of processing activities",
        ),
        View::Processor => lang.pick(
            "Registre des catégories d'activités de traitement",
            "Record of categories of processing activities",
        ),
    }
}

/// `urn:habeas:siren:912345675`, or a slug of the name.
fn base_iri(d: &Declarations) -> String {
    match d.organisation() {
        Some(o) => match (&o.siren, &o.kbo) {
            (Some(s), _) => format!(
                "urn:habeas:siren:{}",
                s.get_ref()
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            ),
            (None, Some(k)) => format!(
                "urn:habeas:kbo:{}",
                k.get_ref()
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            ),
            _ => format!("urn:habeas:org:{}", slug(o.name.get_ref())),
        },
        None => "urn:habeas:org:unnamed".into(),
    }
}

fn text(value: &str, lang: Lang) -> Value {
    json!({"@value": value, "@language": lang.tag()})
}

fn process(
    d: &Declarations,
    view: View,
    base: &str,
    org: &str,
    id: &str,
    a: &Activity,
    lang: Lang,
) -> Value {
    let mut node = json!({
        "@id": format!("{base}:activity:{id}"),
        "@type": "dpv:PersonalDataProcess",
        "dct:identifier": id,
        "dct:title": text(a.name.get(lang), lang),
        "dpv:hasPurpose": {
            "@type": a.kind.dpv(),
            "dct:description": text(a.purpose.as_ref().map_or("", |p| p.get(lang)), lang),
        },
        "dpv:hasDataSubject": a.subjects.iter().map(|s| {
            let subject = d.subject(s.get_ref());
            json!({
                "@type": subject.and_then(|x| x.dpv.clone()).unwrap_or_else(|| "dpv:DataSubject".into()),
                "dct:title": text(&d.subject_label(s.get_ref(), lang), lang),
            })
        }).collect::<Vec<_>>(),
        "dpv:hasPersonalData": a.categories.iter().filter_map(|c| d.category(c.get_ref())).map(|c| json!({"@id": c.dpv_term()})).collect::<Vec<_>>(),
        "dpv:hasRecipient": a.recipients.iter().map(|r| json!({"@id": format!("{base}:recipient:{}", r.get_ref())})).collect::<Vec<_>>(),
        "dpv:hasTechnicalOrganisationalMeasure": a.measures.iter().filter_map(|m| d.measure(m.get_ref())).map(|m| json!({
            "@type": m.family.dpv(),
            "dct:title": text(m.name.get(lang), lang),
        })).collect::<Vec<_>>(),
        "dpv:hasStorageCondition": a.categories.iter().filter_map(|c| d.category(c.get_ref()).map(|cat| (c.get_ref(), cat))).map(|(name, c)| {
            let rule = c.retention_rule();
            let duration = match (&rule, rule.as_ref().and_then(|r| r.iso8601())) {
                (Some(r), Some(iso)) if matches!(r.base, RetentionBase::After { .. }) => json!({
                    "@type": "dpv:Duration",
                    "dpv:hasDuration": {"@value": iso, "@type": "xsd:duration"},
                }),
                _ => json!({"@type": "dpv:UntilEventDuration"}),
            };
            json!({
                "@type": "dpv:StorageDuration",
                "dct:subject": name,
                "dct:description": text(&rule.map_or_else(String::new, |r| r.describe(lang)), lang),
                "dpv:hasDuration": duration,
            })
        }).collect::<Vec<_>>(),
        "dpv:hasLocation": storage_countries(d, a).into_iter().map(|c| json!({"@id": format!("loc:{c}")})).collect::<Vec<_>>(),
    });
    match view {
        View::Controller => {
            node["dpv:hasDataController"] = json!({"@id": org});
            if let Some(b) = a.legal_basis() {
                let mut bases = vec![json!({"@id": b.dpv()})];
                if let Some(c) = &a.art9_condition {
                    bases.push(json!({"@id": c.get_ref().dpv()}));
                }
                node["dpv:hasLegalBasis"] = json!(bases);
            }
        }
        View::Processor => {
            node["dpv:hasDataProcessor"] = json!({"@id": org});
        }
    }
    let third: Vec<Value> = d
        .transfers_of(a)
        .iter()
        .map(|t| json!({"@id": format!("loc:{}", t.country)}))
        .collect();
    if !third.is_empty() {
        node["dpv:hasThirdCountry"] = json!(third);
    }
    node
}

/// Countries of the storage locations holding the activity's categories.
fn storage_countries(d: &Declarations, a: &Activity) -> Vec<String> {
    let mut out: Vec<String> = d
        .locations
        .values()
        .filter(|l| {
            l.categories.is_empty()
                || l.categories
                    .iter()
                    .any(|c| a.categories.iter().any(|ac| ac.get_ref() == c.get_ref()))
        })
        .map(|l| l.country.get_ref().clone())
        .collect();
    out.sort();
    out.dedup();
    out
}
