//! The register as JSON, for tools. The shape is documented in
//! `docs/declarations.md` ("register JSON") and versioned by
//! `habeas_register_format`; labels are in the requested language, codes
//! (ids, legal-basis keys, ISO durations) are language-independent.

use serde_json::{Value, json};

use super::View;
use super::fiche::legal_basis;
use crate::declarations::{Activity, Declarations};
use crate::lang::Lang;

/// Bumped on any incompatible change of the shape.
pub const FORMAT_VERSION: u32 = 1;

pub(crate) fn render(d: &Declarations, view: View, lang: Lang) -> String {
    let (version, updated) = d.version_line();
    let organisation = d.organisation().map(|o| {
        json!({
            "name": o.name.get_ref(),
            "legal_form": o.legal_form,
            "siren": o.siren.as_ref().map(|s| s.get_ref()),
            "kbo": o.kbo.as_ref().map(|s| s.get_ref()),
            "address": o.address.as_ref().map(|s| s.get_ref()),
            "country": o.country.get_ref(),
            "email": o.email.as_ref().map(|s| s.get_ref()),
            "phone": o.phone,
            "website": o.website,
            "representative": o.representative.as_ref().map(|p| p.name.get_ref()),
            "joint_controllers": o.joint_controllers.iter().map(|p| p.name.get_ref()).collect::<Vec<_>>(),
        })
    });
    let dpo = d.dpo().map(|p| {
        json!({
            "name": p.name, "email": p.email.as_ref().map(|e| e.get_ref()), "phone": p.phone,
            "address": p.address, "contact_url": p.contact_url,
        })
    });
    let activities: Vec<Value> = d
        .activities_with_role(view.role())
        .map(|(id, a)| activity(d, view, id, a, lang))
        .collect();
    let value = json!({
        "habeas_register_format": FORMAT_VERSION,
        "view": view.key(),
        "lang": lang.tag(),
        "version": version,
        "updated": updated,
        "organisation": organisation,
        "dpo": dpo,
        "activities": activities,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

fn activity(d: &Declarations, view: View, id: &str, a: &Activity, lang: Lang) -> Value {
    let categories: Vec<Value> = a
        .categories
        .iter()
        .filter_map(|c| d.category(c.get_ref()).map(|cat| (c.get_ref(), cat)))
        .map(|(name, c)| {
            let rule = c.retention_rule();
            json!({
                "id": name,
                "label": c.name.get(lang),
                "family": c.family,
                "sensitivity": c.sensitivity,
                "dpv": c.dpv_term(),
                "retention": rule.as_ref().map(|r| json!({
                    "rule": r.to_string(),
                    "iso8601": r.iso8601(),
                    "anchor": r.anchor().key(),
                    "incident_iso8601": r.incident_period().map(|p| p.iso8601()),
                    "legal_obligation": r.legal_obligation(),
                    "description": r.describe(lang),
                })),
                "on_expiry": c.on_expiry,
            })
        })
        .collect();
    let recipients: Vec<Value> = a
        .recipients
        .iter()
        .filter_map(|r| d.recipient(r.get_ref()).map(|rec| (r.get_ref(), rec)))
        .map(|(name, r)| {
            json!({
                "id": name, "label": r.name.get(lang), "role": r.role,
                "country": r.country.as_ref().map(|c| c.get_ref()),
            })
        })
        .collect();
    let transfers: Vec<Value> = d
        .transfers_of(a)
        .into_iter()
        .map(|x| json!({"recipient": x.recipient, "country": x.country, "safeguard": x.safeguard, "safeguard_ref": x.safeguard_ref}))
        .collect();
    let controllers = d.controllers_of(a, lang);
    json!({
        "id": id,
        "name": a.name.get(lang),
        "purpose": a.purpose.as_ref().map(|p| p.get(lang)),
        "kind": a.kind,
        "role": a.role(),
        "services": a.services.iter().map(|s| s.get_ref()).collect::<Vec<_>>(),
        "controllers": if view == View::Processor { Some(controllers) } else { None },
        "legal_basis": a.legal_basis().map(|b| json!({"code": b, "article": b.article(), "label": legal_basis(a, lang)})),
        "legal_basis_ref": a.legal_basis_ref,
        "art9_condition": a.art9_condition.as_ref().map(|c| c.get_ref()),
        "legitimate_interest": a.legitimate_interest.as_ref().map(|l| l.get(lang)),
        "direct_marketing": a.is_direct_marketing(),
        "objection": a.objection,
        "automated_decisions": a.automated_decisions,
        "subjects": a.subjects.iter().map(|s| json!({"id": s.get_ref(), "label": d.subject_label(s.get_ref(), lang)})).collect::<Vec<_>>(),
        "categories": categories,
        "recipients": recipients,
        "transfers": transfers,
        "measures": a.measures.iter().filter_map(|m| d.measure(m.get_ref()).map(|x| json!({"id": m.get_ref(), "label": x.name.get(lang), "family": x.family}))).collect::<Vec<_>>(),
        "source": a.source.as_ref().map(|s| s.get(lang)),
        "software": a.software,
        "created": a.created.as_ref().map(|c| c.get_ref()),
        "updated": a.updated.as_ref().map(|c| c.get_ref()),
    })
}
