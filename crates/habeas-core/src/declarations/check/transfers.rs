//! Chapter V transfers and residency (SPEC C9): every country is a real
//! code; a country outside the EEA needs an adequacy decision (Art. 45) or a
//! safeguard (Art. 46–47), or at worst a derogation (Art. 49); a residency
//! rule holds for every recipient receiving the covered data and every
//! storage location holding it.

use super::Ctx;
use crate::declarations::adequacy::{adequacy, is_country, is_eea, residency_allows};
use crate::declarations::model::{FileId, Name, Recipient};
use crate::declarations::vocab::{RecipientRole, Safeguard};

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    for (name, r) in &d.recipients {
        countries(ctx, r);
        if r.role != RecipientRole::Internal && r.country.is_none() {
            ctx.error(
                "H050",
                r.file,
                &name.span(),
                format!("recipient `{}` has no `country`", name.get_ref()),
                "add `country = \"FR\"` (its country of establishment), Art. 30(1)(d)-(e)",
            );
        }
        if r.role.is_processor() && r.contract.as_deref().is_none_or(|c| c.trim().is_empty()) {
            ctx.warn(
                "H036",
                r.file,
                &name.span(),
                format!("processor `{}` has no contract reference", name.get_ref()),
                "add `contract = \"DPA signed 2025-03-01\"` (Art. 28(3) requires a contract)",
            );
        }
        safeguards(ctx, name, r);
        residency_of_recipient(ctx, name, r);
    }
    for (name, l) in &d.locations {
        country(ctx, l.file, &l.country);
        for (rule_name, rule) in &d.residency {
            let covered = l.categories.is_empty()
                || rule.categories.is_empty()
                || l.categories
                    .iter()
                    .any(|c| rule.categories.iter().any(|rc| rc.get_ref() == c.get_ref()));
            if covered
                && !rule
                    .allowed
                    .iter()
                    .any(|a| residency_allows(a.get_ref(), l.country.get_ref()))
            {
                ctx.error(
                    "H033",
                    l.file,
                    &l.country.span(),
                    format!(
                        "storage location `{}` is in {}, outside residency rule `{}` ({})",
                        name.get_ref(),
                        l.country.get_ref(),
                        rule_name.get_ref(),
                        allowed(&rule.allowed)
                    ),
                    "move the data to an allowed country, or narrow `categories` of the location or of the rule",
                );
            }
        }
    }
    for rule in d.residency.values() {
        for a in &rule.allowed {
            let text = a.get_ref();
            if text != "EEA" && text != "EU" {
                country(ctx, rule.file, a);
            }
        }
    }
}

fn allowed(list: &[Name]) -> String {
    list.iter()
        .map(|a| a.get_ref().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn countries(ctx: &mut Ctx<'_>, r: &Recipient) {
    for c in r.country.iter().chain(&r.processing_countries) {
        country(ctx, r.file, c);
    }
}

fn country(ctx: &mut Ctx<'_>, file: FileId, code: &Name) {
    if !is_country(code.get_ref()) {
        ctx.error(
            "H031",
            file,
            &code.span(),
            format!(
                "`{}` is not an ISO 3166-1 alpha-2 country code",
                code.get_ref()
            ),
            "write the two-letter code in capitals, e.g. `FR`, `BE`, `DE`, `US`",
        );
    }
}

fn safeguards(ctx: &mut Ctx<'_>, name: &Name, r: &Recipient) {
    let n = name.get_ref();
    let safeguard = r.safeguard.as_ref().map(|s| *s.get_ref());
    let at = r.safeguard.as_ref().map_or(name.span(), |s| s.span());
    for c in r.countries() {
        let code = c.get_ref().as_str();
        if is_eea(code) || !is_country(code) {
            continue;
        }
        let decision = adequacy(code);
        match (safeguard, decision) {
            (None, None) => ctx.error(
                "H030",
                r.file,
                &c.span(),
                format!("recipient `{n}` receives data in {code}, which has no EU adequacy decision, and no safeguard is declared"),
                "add `safeguard = \"scc\"` (Decision 2021/914) or `\"bcr\"` with `safeguard_ref`, or choose a recipient in the EEA (Art. 44-46)",
            ),
            (None | Some(Safeguard::Adequacy), Some(dec)) if dec.requires_certification && !r.dpf_certified => ctx.error(
                "H034",
                r.file,
                &at,
                format!("recipient `{n}` in {code} relies on adequacy, but {} covers certified organisations only", dec.decision),
                "set `dpf_certified = true` after checking the Data Privacy Framework list, or use `safeguard = \"scc\"`",
            ),
            (Some(Safeguard::Adequacy), None) => ctx.error(
                "H034",
                r.file,
                &at,
                format!("recipient `{n}` claims adequacy, but {code} has no EU adequacy decision"),
                "use `safeguard = \"scc\"` or `\"bcr\"`; the adequacy list is in docs/declarations.md",
            ),
            (Some(Safeguard::Derogation), _) => ctx.warn(
                "H035",
                r.file,
                &at,
                format!("recipient `{n}` in {code} relies on an Art. 49 derogation"),
                "derogations are for occasional transfers only (EDPB Guidelines 2/2018): prefer SCCs for a regular recipient",
            ),
            _ => {}
        }
    }
}

fn residency_of_recipient(ctx: &mut Ctx<'_>, name: &Name, r: &Recipient) {
    if r.role == RecipientRole::Internal || r.role == RecipientRole::Authority {
        return;
    }
    let d = ctx.d;
    let received = d.received_by(name.get_ref());
    for (rule_name, rule) in &d.residency {
        let covered = rule.categories.is_empty()
            || rule
                .categories
                .iter()
                .any(|c| received.contains(&c.get_ref().as_str()));
        if !covered {
            continue;
        }
        for c in r.countries() {
            if !rule
                .allowed
                .iter()
                .any(|a| residency_allows(a.get_ref(), c.get_ref()))
            {
                ctx.error(
                    "H032",
                    r.file,
                    &c.span(),
                    format!(
                        "recipient `{}` processes data in {}, outside residency rule `{}` ({})",
                        name.get_ref(),
                        c.get_ref(),
                        rule_name.get_ref(),
                        allowed(&rule.allowed)
                    ),
                    "choose a recipient in an allowed country, or limit what it `receives` to categories the rule does not cover",
                );
            }
        }
    }
}
