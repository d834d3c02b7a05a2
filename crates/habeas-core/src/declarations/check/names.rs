//! Names: every reference points at a declared name (H010), every declared
//! name is used (H011), every data category serves a purpose (H013).
//! A register with dangling or orphan names is not a faithful record
//! (Art. 5(2) accountability).

use std::collections::BTreeMap;

use super::{Ctx, closest};
use crate::declarations::model::{FileId, Name};

pub(super) fn check(ctx: &mut Ctx<'_>) {
    references(ctx);
    unused(ctx);
}

/// A kind of declaration as messages name it, with the `[section]` that declares it.
struct Kind {
    noun: &'static str,
    section: &'static str,
}

impl Kind {
    const fn new(noun: &'static str, section: &'static str) -> Self {
        Self { noun, section }
    }
}

const SERVICE: Kind = Kind::new("service", "services");
const SUBJECT: Kind = Kind::new("data-subject category", "subjects");
const CATEGORY: Kind = Kind::new("data category", "categories");
const RECIPIENT: Kind = Kind::new("recipient", "recipients");
const MEASURE: Kind = Kind::new("security measure", "measures");
const ACTIVITY: Kind = Kind::new("activity", "activities");

fn references(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    let joint: Vec<&str> = d
        .organisation()
        .map(|o| {
            o.joint_controllers
                .iter()
                .map(|p| p.name.get_ref().as_str())
                .collect()
        })
        .unwrap_or_default();
    for (id, a) in &d.activities {
        let f = a.file;
        let what = format!("activity `{}`", id.get_ref());
        refs(ctx, f, &what, &a.services, &d.services, &SERVICE);
        refs(ctx, f, &what, &a.subjects, &d.subjects, &SUBJECT);
        refs(ctx, f, &what, &a.categories, &d.categories, &CATEGORY);
        refs(ctx, f, &what, &a.recipients, &d.recipients, &RECIPIENT);
        refs(ctx, f, &what, &a.measures, &d.measures, &MEASURE);
        if let Some(j) = &a.joint_controller
            && !joint.contains(&j.get_ref().as_str())
        {
            ctx.error(
                "H010",
                f,
                &j.span(),
                format!(
                    "{what} names joint controller `{}`, which is not declared",
                    j.get_ref()
                ),
                "declare it in `[[organisation.joint_controllers]]` with its name and contact",
            );
        }
    }
    for (name, r) in &d.recipients {
        let what = format!("recipient `{}`", name.get_ref());
        refs(ctx, r.file, &what, &r.receives, &d.categories, &CATEGORY);
    }
    for (name, l) in &d.locations {
        let what = format!("storage location `{}`", name.get_ref());
        refs(ctx, l.file, &what, &l.categories, &d.categories, &CATEGORY);
        if let Some(op) = &l.operator {
            let operator = std::slice::from_ref(op);
            refs(ctx, l.file, &what, operator, &d.recipients, &RECIPIENT);
        }
    }
    for (name, r) in &d.residency {
        let what = format!("residency rule `{}`", name.get_ref());
        refs(ctx, r.file, &what, &r.categories, &d.categories, &CATEGORY);
    }
    for (name, r) in &d.roles {
        let what = format!("staff role `{}`", name.get_ref());
        refs(ctx, r.file, &what, &r.purposes, &d.activities, &ACTIVITY);
        refs(ctx, r.file, &what, &r.categories, &d.categories, &CATEGORY);
    }
    for (name, c) in &d.consents {
        let what = format!("consent purpose `{}`", name.get_ref());
        let activity = std::slice::from_ref(&c.activity);
        refs(ctx, c.file, &what, activity, &d.activities, &ACTIVITY);
    }
}

/// H010 for each of `names` (listed by `what` in `file`) that is not a key of `declared`.
fn refs<T>(
    ctx: &mut Ctx<'_>,
    file: FileId,
    what: &str,
    names: &[Name],
    declared: &BTreeMap<Name, T>,
    kind: &Kind,
) {
    let Kind { noun, section } = kind;
    for name in names {
        let text = name.get_ref();
        if declared.contains_key(text.as_str()) {
            continue;
        }
        let suggestion = closest(text, declared.keys().map(|k| k.get_ref().as_str()));
        let help = match suggestion {
            Some(s) => format!("did you mean `{s}`? Otherwise declare `[{section}.{text}]`"),
            None => format!("declare it as `[{section}.{text}]`, or remove it from the list"),
        };
        ctx.error(
            "H010",
            file,
            &name.span(),
            format!("{what} refers to {noun} `{text}`, which is not declared"),
            help,
        );
    }
}

fn unused(ctx: &mut Ctx<'_>) {
    let d = ctx.d;
    let used = |pick: &dyn Fn(&crate::declarations::Activity) -> &Vec<Name>, name: &str| {
        d.activities
            .values()
            .any(|a| pick(a).iter().any(|n| n.get_ref() == name))
    };
    for (name, c) in &d.categories {
        if !used(&|a| &a.categories, name.get_ref()) {
            ctx.error(
                "H013",
                c.file,
                &name.span(),
                format!("data category `{}` has no purpose: no activity processes it", name.get_ref()),
                "add it to the `categories` of the activity that uses it, or delete the category (data without purpose may not be kept, Art. 5(1)(b))",
            );
        }
    }
    for (name, s) in &d.subjects {
        if !used(&|a| &a.subjects, name.get_ref()) {
            unused_warning(ctx, s.file, name, &SUBJECT);
        }
    }
    for (name, r) in &d.recipients {
        if !used(&|a| &a.recipients, name.get_ref()) {
            unused_warning(ctx, r.file, name, &RECIPIENT);
        }
    }
    for (name, m) in &d.measures {
        if !used(&|a| &a.measures, name.get_ref()) {
            unused_warning(ctx, m.file, name, &MEASURE);
        }
    }
    for (name, s) in &d.services {
        if !used(&|a| &a.services, name.get_ref()) {
            unused_warning(ctx, s.file, name, &SERVICE);
        }
    }
}

fn unused_warning(ctx: &mut Ctx<'_>, file: FileId, name: &Name, kind: &Kind) {
    let Kind { noun, section } = kind;
    ctx.warn(
        "H011",
        file,
        &name.span(),
        format!(
            "{noun} `{}` is declared but no activity uses it",
            name.get_ref()
        ),
        format!(
            "add `\"{}\"` to the `{section}` of an activity, or delete the declaration",
            name.get_ref()
        ),
    );
}
