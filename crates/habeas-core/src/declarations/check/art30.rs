//! The content Art. 30 requires of the register, and the well-formedness of
//! what feeds it: organisation identity, DPO, per-activity fields, data
//! categories (retention, fields, storage), promised delays, dates.

use std::ops::Range;

use serde_spanned::Spanned;

use super::Ctx;
use crate::declarations::diagnostic::Severity;
use crate::declarations::model::*;
use crate::declarations::vocab::{OnExpiry, Right, Role};
use crate::delay::{Delay, STATUTORY_MONTH_MAX_HOURS};
use crate::retention::RetentionRule;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    sections(ctx);
    organisation(ctx);
    dpo(ctx);
    activities(ctx);
    categories(ctx);
    rights(ctx);
    services(ctx);
    roles(ctx);
    dpv_terms(ctx);
}

/// DPV prefixes the JSON-LD context declares; any other term would not
/// expand to an IRI in a JSON-LD processor.
const DPV_PREFIXES: [&str; 4] = ["dpv:", "pd:", "eu-gdpr:", "loc:"];

fn dpv_terms(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    let terms = d
        .categories
        .iter()
        .filter_map(|(n, c)| c.dpv.as_ref().map(|t| (n, c.file, t)))
        .chain(
            d.subjects
                .iter()
                .filter_map(|(n, s)| s.dpv.as_ref().map(|t| (n, s.file, t))),
        );
    for (name, file, term) in terms {
        let ok = DPV_PREFIXES.iter().any(|p| {
            term.strip_prefix(p).is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        }) || term.starts_with("https://");
        if !ok {
            ctx.error(
                "H055",
                file,
                &name.span(),
                format!("`{}` has DPV term `{term}`, which is not a DPV compact IRI", name.get_ref()),
                "write e.g. `dpv = \"pd:EmailAddress\"` or `\"dpv:Customer\"` (prefixes dpv:, pd:, eu-gdpr:, loc:), or a full https:// IRI",
            );
        }
    }
}

fn first_file(ctx: &Ctx<'_>) -> Option<(FileId, usize)> {
    (!ctx.d.sources.is_empty()).then_some((FileId(0), 0))
}

fn sections(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    let at = first_file(ctx);
    if d.organisation.is_none() {
        ctx.push(
            Severity::Error,
            "H003",
            at,
            "no `[organisation]` section: the register must name the controller (Art. 30(1)(a))",
            "add `[organisation]` with `name`, `address`, `country` and `email` (see `habeas init`)",
        );
    }
    if d.dpo.is_none() {
        ctx.push(
            Severity::Warning,
            "H003",
            at,
            "no `[dpo]` section: the register and the notice name the DPO where there is one (Art. 30(1)(a), 13(1)(b))",
            "add `[dpo]` with `name` and `email`; a hosting provider monitoring logs at scale usually must appoint one (Art. 37(1)(b))",
        );
    }
    if d.meta.is_none() {
        ctx.push(
            Severity::Warning,
            "H003",
            at,
            "no `[declarations]` section: the register cannot show which version it is",
            "add `[declarations]` with `version = \"1\"` and `updated = \"YYYY-MM-DD\"`",
        );
    }
    if d.rights.is_none() {
        ctx.push(
            Severity::Warning,
            "H003",
            at,
            "no `[rights]` section: the notice cannot say how to exercise rights (Art. 12(2), 13(2)(b))",
            "add `[rights]` with `contact_email` and `[rights.delays]`",
        );
    }
    if d.activities.is_empty() {
        ctx.push(
            Severity::Error,
            "H003",
            at,
            "no processing activity is declared",
            "declare each activity as `[activities.PA-0001]` with its purpose, legal basis, subjects and categories",
        );
    }
    if let Some(meta) = &d.meta {
        let m = meta.get_ref();
        date(ctx, m.file, &m.updated, "[declarations] updated");
    }
}

fn organisation(ctx: &mut Ctx<'_>) {
    let Some(org) = &ctx.d.organisation else {
        return;
    };
    let span = org.span();
    let o = org.get_ref();
    let f = o.file;
    if o.address.is_none() {
        missing(
            ctx,
            f,
            &span,
            "[organisation] has no `address`",
            "30(1)(a)",
            "address = \"12 rue …, 75011 Paris\"",
        );
    }
    if o.email.is_none() {
        missing(
            ctx,
            f,
            &span,
            "[organisation] has no contact `email`",
            "30(1)(a)",
            "email = \"contact@example.fr\"",
        );
    }
    if let Some(e) = &o.email {
        email(ctx, f, e);
    }
    let country = o.country.get_ref();
    if !crate::declarations::adequacy::is_country(country) {
        ctx.error(
            "H031",
            f,
            &o.country.span(),
            format!("`{country}` is not an ISO 3166-1 alpha-2 country code"),
            "write the two-letter code in capitals, e.g. `FR` or `BE`",
        );
    }
    if let Some(siren) = &o.siren
        && !siren_is_valid(siren.get_ref())
    {
        ctx.error(
            "H052",
            f,
            &siren.span(),
            "the SIREN number is not valid (9 digits with a Luhn check digit)",
            "copy the SIREN from the Kbis extract or the INSEE directory (spaces are allowed)",
        );
    }
    if let Some(kbo) = &o.kbo
        && !kbo_is_valid(kbo.get_ref())
    {
        ctx.error(
            "H052",
            f,
            &kbo.span(),
            "the BCE/KBO enterprise number is not valid (10 digits, the last two a mod-97 check)",
            "copy it from the Banque-Carrefour des Entreprises, e.g. `0123.456.749`",
        );
    }
    if country == "FR" && o.siren.is_none() {
        ctx.warn(
            "H050",
            f,
            &span,
            "[organisation] in France has no `siren`",
            "add `siren = \"123 456 789\"` so the controller is identified without doubt",
        );
    }
    if country == "BE" && o.kbo.is_none() {
        ctx.warn(
            "H050",
            f,
            &span,
            "[organisation] in Belgium has no `kbo` enterprise number",
            "add `kbo = \"0123.456.749\"` (the APD model register asks for it)",
        );
    }
}

fn dpo(ctx: &mut Ctx<'_>) {
    let Some(dpo) = &ctx.d.dpo else { return };
    let span = dpo.span();
    let p = dpo.get_ref();
    match &p.email {
        Some(e) => email(ctx, p.file, e),
        None if p.contact_url.is_none() && p.phone.is_none() => missing(
            ctx,
            p.file,
            &span,
            "[dpo] gives no way to contact the DPO",
            "37(7)",
            "email = \"dpo@example.fr\"",
        ),
        None => {}
    }
}

fn activities(ctx: &mut Ctx<'_>) {
    for (id, a) in &ctx.d.activities {
        let f = a.file;
        let span = id.span();
        let idt = id.get_ref();
        if a.purpose.as_ref().is_none_or(|p| p.is_blank()) {
            missing(
                ctx,
                f,
                &span,
                &format!("activity `{idt}` has no `purpose`"),
                "30(1)(b)",
                "purpose = { fr = \"…\", en = \"…\" }",
            );
        }
        if a.subjects.is_empty() {
            missing(
                ctx,
                f,
                &span,
                &format!("activity `{idt}` lists no data subjects"),
                "30(1)(c)",
                "subjects = [\"customers\"]",
            );
        }
        if a.categories.is_empty() {
            missing(
                ctx,
                f,
                &span,
                &format!("activity `{idt}` lists no data categories"),
                "30(1)(c)",
                "categories = [\"identity\"]",
            );
        }
        if a.measures.is_empty() {
            ctx.warn(
                "H050",
                f,
                &span,
                format!("activity `{idt}` lists no security measures (Art. 30(1)(g), 30(2)(d))"),
                "add `measures = [\"access-control\", …]` naming `[measures.*]` declarations",
            );
        }
        if a.role() == Role::Controller && a.legal_basis.is_none() {
            ctx.error(
                "H028",
                f,
                &span,
                format!("controller activity `{idt}` has no `legal_basis`"),
                "add `legal_basis = \"contract\"` (or consent, legal_obligation, vital_interests, public_task, legitimate_interests), Art. 6(1)",
            );
        }
        if a.role() == Role::Processor
            && !a.services.iter().any(|s| {
                ctx.d
                    .service(s.get_ref())
                    .is_some_and(|s| s.role == Role::Processor)
            })
        {
            ctx.error(
                "H051",
                f,
                &a.role.span(),
                format!("processor activity `{idt}` is not linked to a service where the provider is processor"),
                "add `services = [\"…\"]` naming a `[services.*]` with `role = \"processor\"` and its `controllers`, so the processor register can name the controllers (Art. 30(2)(a))",
            );
        }
        for d in [&a.created, &a.updated].into_iter().flatten() {
            date(ctx, f, d, "date");
        }
    }
}

fn categories(ctx: &mut Ctx<'_>) {
    for (name, c) in &ctx.d.categories {
        let f = c.file;
        let n = name.get_ref();
        match &c.retention {
            None => ctx.error(
                "H012",
                f,
                &name.span(),
                format!("data category `{n}` has no retention rule"),
                "add e.g. `retention = \"3 years after last interaction\"` (Art. 5(1)(e), 30(1)(f))",
            ),
            Some(text) => {
                if let Err(e) = text.get_ref().parse::<RetentionRule>() {
                    let at = ctx.inside(f, &text.span(), e.offset);
                    ctx.error("H014", f, &at, format!("invalid retention rule: {}", e.message), e.hint);
                }
            }
        }
        if c.fields.is_empty() {
            ctx.error(
                "H016",
                f,
                &name.span(),
                format!("data category `{n}` declares no fields"),
                format!("add `[categories.{n}.fields]` with one `field = \"type\"` line per field the vault may store"),
            );
        }
        let lists: [(&Vec<Name>, &str); 3] = [
            (&c.identifiers, "identifiers"),
            (&c.critical, "critical"),
            (&c.keep_generalised, "keep_generalised"),
        ];
        for (list, key) in lists {
            for field in list {
                if c.field(field.get_ref()).is_none() {
                    ctx.error(
                        "H016",
                        f,
                        &field.span(),
                        format!(
                            "`{key}` names field `{}`, which category `{n}` does not declare",
                            field.get_ref()
                        ),
                        format!(
                            "declare it under `[categories.{n}.fields]`, or remove it from `{key}`"
                        ),
                    );
                }
            }
        }
        if c.high_volume && c.partition.is_none() {
            ctx.error(
                "H017",
                f,
                &name.span(),
                format!("high-volume category `{n}` has no time partition"),
                "add `partition = \"day\"` (or \"month\") so purges drop whole partitions",
            );
        }
        if c.on_expiry == OnExpiry::Delete && !c.keep_generalised.is_empty() {
            ctx.error(
                "H018",
                f,
                &c.keep_generalised[0].span(),
                format!(
                    "category `{n}` keeps generalised fields but `on_expiry` deletes the record"
                ),
                "set `on_expiry = \"anonymise\"`, or remove `keep_generalised`",
            );
        }
    }
}

fn rights(ctx: &mut Ctx<'_>) {
    let Some(rights) = &ctx.d.rights else { return };
    let r = rights.get_ref();
    let f = r.file;
    if r.contact_email.is_none() && r.portal_url.is_none() {
        ctx.warn(
            "H050",
            f,
            &rights.span(),
            "[rights] gives no way to exercise rights",
            "add `contact_email` and/or `portal_url` (Art. 12(2): facilitate the exercise of rights)",
        );
    }
    if let Some(e) = &r.contact_email {
        email(ctx, f, e);
    }
    for right in Right::ALL {
        let Some(text) = r.delays.get(right) else {
            continue;
        };
        match text.get_ref().parse::<Delay>() {
            Err(e) => {
                let at = ctx.inside(f, &text.span(), e.offset);
                ctx.error(
                    "H015",
                    f,
                    &at,
                    format!("invalid delay for {}: {}", right.key(), e.message),
                    e.hint,
                );
            }
            Ok(delay) => promised(ctx, f, right, text, delay),
        }
    }
    for (key, value) in [
        ("account_closure_grace", &r.account_closure_grace),
        ("notice_change_period", &r.notice_change_period),
    ] {
        let Some(text) = value else { continue };
        match text.get_ref().parse::<Delay>() {
            Err(e) => {
                let at = ctx.inside(f, &text.span(), e.offset);
                ctx.error("H015", f, &at, format!("invalid delay for {key}: {}", e.message), e.hint);
            }
            Ok(delay) if key == "notice_change_period" && delay.bounds_hours().0 < 30 * 24 => ctx.warn(
                "H041",
                f,
                &text.span(),
                "substantial notice changes would be announced less than 30 days before they apply",
                "use at least `30 days`, so subjects can react before the change (SPEC C8)",
            ),
            Ok(_) => {}
        }
    }
}

/// Art. 12(3): at the latest one month after receipt.
fn promised(ctx: &mut Ctx<'_>, f: FileId, right: Right, text: &Name, delay: Delay) {
    if delay == Delay::Months(1) {
        return;
    }
    let (min, max) = delay.bounds_hours();
    let help = "promise at most `1 month` (Art. 12(3)); faster is better, e.g. `5 working days`";
    if min > STATUTORY_MONTH_MAX_HOURS {
        ctx.error(
            "H040",
            f,
            &text.span(),
            format!(
                "the promised delay for {} ({delay}) is longer than the statutory one month",
                right.key()
            ),
            help,
        );
    } else if max > STATUTORY_MONTH_MAX_HOURS {
        ctx.warn(
            "H040",
            f,
            &text.span(),
            format!("the promised delay for {} ({delay}) can run past one month with weekends and holidays", right.key()),
            help,
        );
    }
}

fn services(ctx: &mut Ctx<'_>) {
    for (name, s) in &ctx.d.services {
        if s.role == Role::Processor && s.controllers.as_ref().is_none_or(|c| c.is_blank()) {
            ctx.error(
                "H051",
                s.file,
                &name.span(),
                format!("processor service `{}` does not say who the controllers are", name.get_ref()),
                "add `controllers = { fr = \"Les clients …\", en = \"The customers …\" }` (Art. 30(2)(a))",
            );
        }
    }
}

fn roles(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    for (name, r) in &d.roles {
        if r.purposes.is_empty() {
            ctx.warn(
                "H061",
                r.file,
                &name.span(),
                format!(
                    "staff role `{}` has no purposes, so it may read nothing",
                    name.get_ref()
                ),
                "add `purposes = [\"PA-0001\"]` listing the activities the role works for",
            );
            continue;
        }
        for c in &r.categories {
            let covered = r.purposes.iter().any(|p| {
                d.activity(p.get_ref())
                    .is_some_and(|a| a.categories.iter().any(|ac| ac.get_ref() == c.get_ref()))
            });
            if !covered && d.category(c.get_ref()).is_some() {
                ctx.warn(
                    "H060",
                    r.file,
                    &c.span(),
                    format!("staff role `{}` may read `{}`, but none of its purposes processes it", name.get_ref(), c.get_ref()),
                    "remove the category from the role, or add the activity that needs it to `purposes` (Art. 5(1)(b), 32(4))",
                );
            }
        }
    }
}

fn missing(
    ctx: &mut Ctx<'_>,
    f: FileId,
    span: &Range<usize>,
    what: &str,
    article: &str,
    example: &str,
) {
    ctx.error(
        "H050",
        f,
        span,
        format!("{what} (required by GDPR Art. {article})"),
        format!("add `{example}`"),
    );
}

fn date(ctx: &mut Ctx<'_>, f: FileId, value: &Spanned<String>, key: &str) {
    if chrono::NaiveDate::parse_from_str(value.get_ref(), "%Y-%m-%d").is_err() {
        ctx.error(
            "H053",
            f,
            &value.span(),
            format!("{key} `{}` is not a date", value.get_ref()),
            "write the date as `YYYY-MM-DD`, e.g. `2026-11-30`",
        );
    }
}

fn email(ctx: &mut Ctx<'_>, f: FileId, value: &Spanned<String>) {
    let v = value.get_ref();
    let ok = v.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !v.contains(' ')
    });
    if !ok {
        ctx.error(
            "H054",
            f,
            &value.span(),
            format!("`{v}` is not an e-mail address"),
            "write a full address, e.g. `dpo@example.fr`",
        );
    }
}

/// SIREN: 9 digits, Luhn key (La Poste's 356000000 is the known exception:
/// its digits sum to a multiple of 5).
pub(crate) fn siren_is_valid(text: &str) -> bool {
    let digits: Vec<u32> = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .filter_map(|c| c.to_digit(10))
        .collect();
    if digits.len() != 9
        || text
            .chars()
            .any(|c| !(c.is_ascii_digit() || c.is_whitespace()))
    {
        return false;
    }
    if digits == [3, 5, 6, 0, 0, 0, 0, 0, 0] {
        return true;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// BCE/KBO: 10 digits (dots and spaces allowed), first 0 or 1, last two =
/// 97 − (first eight mod 97).
pub(crate) fn kbo_is_valid(text: &str) -> bool {
    if text
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == '.' || c == ' '))
    {
        return false;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 10 || !(digits.starts_with('0') || digits.starts_with('1')) {
        return false;
    }
    let (Ok(base), Ok(check)) = (digits[..8].parse::<u64>(), digits[8..].parse::<u64>()) else {
        return false;
    };
    97 - base % 97 == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_numbers() {
        assert!(siren_is_valid("732 829 320"));
        assert!(siren_is_valid("356000000"));
        assert!(!siren_is_valid("732 829 321"));
        assert!(!siren_is_valid("73282932"));
        assert!(kbo_is_valid("0403.170.701"));
        assert!(!kbo_is_valid("0403.170.702"));
    }
}
