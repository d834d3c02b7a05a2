//! Whether each activity's legal basis fits what it does: direct marketing
//! (Art. 21(2)–(3), L34-5 CPCE), special categories (Art. 9), criminal data
//! (Art. 10), the NIR (décret n° 2019-341), legitimate interests
//! (Art. 13(1)(d)), consent (Art. 7), data obtained from others (Art. 14).

use super::Ctx;
use crate::declarations::vocab::{LegalBasis, Role, Sensitivity};

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    for (id, a) in &d.activities {
        let f = a.file;
        let idt = id.get_ref();
        let basis_span = a.legal_basis.as_ref().map_or(id.span(), |b| b.span());
        let basis = a.legal_basis();
        let sensitivities: Vec<(Sensitivity, &str)> = a
            .categories
            .iter()
            .filter_map(|c| {
                d.category(c.get_ref())
                    .map(|cat| (cat.sensitivity, c.get_ref().as_str()))
            })
            .collect();

        if a.is_direct_marketing() && a.role() == Role::Controller {
            match basis {
                Some(LegalBasis::Consent) => {}
                Some(LegalBasis::LegitimateInterests) if a.objection => {}
                Some(LegalBasis::LegitimateInterests) => ctx.error(
                    "H020",
                    f,
                    &basis_span,
                    format!("direct-marketing activity `{idt}` relies on legitimate interests without offering objection"),
                    "set `objection = true` and offer a free opt-out in every message (Art. 21(2)-(3)); electronic prospecting of individuals needs `legal_basis = \"consent\"` (CPCE L34-5)",
                ),
                Some(other) => ctx.error(
                    "H020",
                    f,
                    &basis_span,
                    format!("direct-marketing activity `{idt}` cannot rely on {}", other.label(crate::lang::Lang::En).to_lowercase()),
                    "use `legal_basis = \"consent\"`, or `legitimate_interests` with `objection = true` (Art. 21(2))",
                ),
                None => {}
            }
        }

        let special: Vec<&str> = sensitivities
            .iter()
            .filter(|(s, _)| *s == Sensitivity::Special)
            .map(|(_, n)| *n)
            .collect();
        if !special.is_empty() && a.art9_condition.is_none() && a.role() == Role::Controller {
            ctx.error(
                "H021",
                f,
                &id.span(),
                format!(
                    "activity `{idt}` processes special-category data ({}) without an Art. 9(2) condition",
                    special.join(", ")
                ),
                "add `art9_condition = \"explicit_consent\"` (or another Art. 9(2) condition), or stop processing that category",
            );
        }
        if special.is_empty()
            && let Some(cond) = &a.art9_condition
        {
            ctx.warn(
                "H024",
                f,
                &cond.span(),
                format!("activity `{idt}` gives an Art. 9(2) condition but processes no special-category data"),
                "remove `art9_condition`, or mark the category `sensitivity = \"special\"`",
            );
        }
        if sensitivities
            .iter()
            .any(|(s, _)| *s == Sensitivity::Criminal)
            && a.role() == Role::Controller
            && a.art10_authorisation
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
        {
            ctx.error(
                "H025",
                f,
                &id.span(),
                format!("activity `{idt}` processes criminal-offence data without an Art. 10 authorisation"),
                "add `art10_authorisation = \"<the law authorising it>\"` (Art. 10 GDPR, loi I&L art. 46)",
            );
        }
        if sensitivities.iter().any(|(s, _)| *s == Sensitivity::Nir)
            && a.role() == Role::Controller
            && basis != Some(LegalBasis::LegalObligation)
        {
            ctx.warn(
                "H026",
                f,
                &basis_span,
                format!("activity `{idt}` processes the NIR outside a legal obligation"),
                "the NIR may only be used in the cases of décret n° 2019-341: use `legal_basis = \"legal_obligation\"` with the text in `legal_basis_ref`, or drop the NIR",
            );
        }
        match basis {
            Some(LegalBasis::LegitimateInterests)
                if a.legitimate_interest.as_ref().is_none_or(|t| t.is_blank()) =>
            {
                ctx.error(
                    "H022",
                    f,
                    &basis_span,
                    format!("activity `{idt}` relies on legitimate interests without saying which"),
                    "add `legitimate_interest = { fr = \"…\", en = \"…\" }`: the notice must state it (Art. 13(1)(d))",
                );
            }
            Some(LegalBasis::LegalObligation)
                if a.legal_basis_ref
                    .as_deref()
                    .is_none_or(|s| s.trim().is_empty()) =>
            {
                ctx.warn(
                    "H023",
                    f,
                    &basis_span,
                    format!("activity `{idt}` relies on a legal obligation without naming it"),
                    "add `legal_basis_ref = \"Code de commerce art. L123-22\"` (the text that imposes it)",
                );
            }
            Some(LegalBasis::Consent)
                if a.role() == Role::Controller
                    && !d.consents.values().any(|c| c.activity.get_ref() == idt) =>
            {
                ctx.warn(
                        "H027",
                        f,
                        &basis_span,
                        format!("activity `{idt}` relies on consent but no consent purpose collects it"),
                        format!("declare `[consents.<name>]` with `activity = \"{idt}\"` and the request text, so consent can be recorded and withdrawn (Art. 7(1), 7(3))"),
                    );
            }
            _ => {}
        }
        let from_others = a
            .categories
            .iter()
            .filter_map(|c| d.category(c.get_ref()))
            .any(|c| !c.provided_by_subject);
        if from_others
            && a.role() == Role::Controller
            && a.source.as_ref().is_none_or(|s| s.is_blank())
        {
            ctx.warn(
                "H029",
                f,
                &id.span(),
                format!("activity `{idt}` uses data not provided by the subject but does not say where it comes from"),
                "add `source = { fr = \"…\", en = \"…\" }` (Art. 14(2)(f))",
            );
        }
    }
    for (name, c) in &d.consents {
        let Some(a) = d.activity(c.activity.get_ref()) else {
            continue;
        };
        if a.legal_basis() != Some(LegalBasis::Consent) {
            ctx.error(
                "H027",
                c.file,
                &c.activity.span(),
                format!(
                    "consent purpose `{}` points at activity `{}`, whose legal basis is not consent",
                    name.get_ref(),
                    c.activity.get_ref()
                ),
                "set `legal_basis = \"consent\"` on the activity, or remove the consent purpose",
            );
        }
    }
}
