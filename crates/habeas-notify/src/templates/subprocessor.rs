//! Notice of a sub-processor change, from the provider (a processor) to a
//! customer (the controller). Art. 28(2) GDPR: under a general written
//! authorisation, the processor informs the controller of any intended
//! addition or replacement of other processors, giving the controller the
//! opportunity to object; the EU standard contractual clauses (Decision
//! 2021/915, clause 7.7) ask for this notice in advance, with a period to
//! object before the change applies.

use chrono::NaiveDate;
use habeas_core::lang::Lang;

use super::render::{Section, date};
use super::{
    Localized, Organisation, Recipient, TemplateError, compose, localized, ref_label, reference,
    required, signature,
};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubprocessorChangeKind {
    Addition,
    /// Replaces the named sub-processor.
    Replacement {
        previous: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubprocessorChange {
    /// The notice's reference.
    pub reference: String,
    /// The customer's organisation name.
    pub customer: String,
    pub change: SubprocessorChangeKind,
    /// The new sub-processor's legal name.
    pub subprocessor: String,
    /// What it will do and which data it will receive.
    pub activity: Localized,
    /// Where it processes data (country), and the transfer safeguard if
    /// outside the EU/EEA (Chapter V GDPR).
    pub location: Localized,
    /// The date of this notice.
    pub notified_on: NaiveDate,
    /// The last day the customer may object.
    pub objection_until: NaiveDate,
    /// The day the new sub-processor starts processing.
    pub effective: NaiveDate,
    /// How to object (address, portal page).
    pub how_to_object: Localized,
}

pub fn subprocessor_change(
    org: &Organisation,
    recipient: &Recipient,
    c: &SubprocessorChange,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&c.reference)?;
    let customer = required("customer", &c.customer)?;
    let subprocessor = required("subprocessor", &c.subprocessor)?;
    // Art. 28(2): the controller must be able to object before the change.
    if c.objection_until <= c.notified_on || c.objection_until > c.effective {
        return Err(TemplateError::Invalid {
            field: "objection_until",
            rule: "the objection period must end after the notice date and no later than the effective date (Art. 28(2) GDPR)".into(),
        });
    }
    let previous = match &c.change {
        SubprocessorChangeKind::Addition => None,
        SubprocessorChangeKind::Replacement { previous } => {
            Some(required("change.previous", previous)?)
        }
    };
    compose(
        recipient,
        MailKind::SubprocessorChange,
        Some(reference),
        |lang| {
            let activity = localized("activity", &c.activity, lang)?;
            let location = localized("location", &c.location, lang)?;
            let how = localized("how_to_object", &c.how_to_object, lang)?;
            let mut s = Section::new(
                lang,
                format!(
                    "{}{subprocessor} ({})",
                    match previous {
                        None =>
                            lang.pick("Nouveau sous-traitant ultérieur : ", "New sub-processor: "),
                        Some(_) => lang.pick(
                            "Changement de sous-traitant ultérieur : ",
                            "Change of sub-processor: "
                        ),
                    },
                    ref_label(lang, reference)
                ),
            );
            s.blocks[0] = super::render::Block::Para(
                lang.pick("Madame, Monsieur,", "Dear Sir or Madam,").into(),
            );
            s.para(match (lang, previous) {
            (Lang::Fr, None) => format!(
                "Conformément à l'article 28(2) du RGPD et à notre contrat de sous-traitance avec {customer}, nous vous informons de notre intention de confier une partie du traitement de vos données à un nouveau sous-traitant ultérieur."
            ),
            (Lang::Fr, Some(old)) => format!(
                "Conformément à l'article 28(2) du RGPD et à notre contrat de sous-traitance avec {customer}, nous vous informons de notre intention de remplacer notre sous-traitant ultérieur {old}."
            ),
            (Lang::En, None) => format!(
                "In accordance with Article 28(2) GDPR and our data processing agreement with {customer}, we inform you that we intend to engage a new sub-processor for part of the processing of your data."
            ),
            (Lang::En, Some(old)) => format!(
                "In accordance with Article 28(2) GDPR and our data processing agreement with {customer}, we inform you that we intend to replace our sub-processor {old}."
            ),
        });
            let mut facts = vec![
                (
                    lang.pick("Sous-traitant ultérieur", "Sub-processor").into(),
                    subprocessor.to_string(),
                ),
                (
                    lang.pick("Activité et données", "Activity and data").into(),
                    activity.into(),
                ),
                (
                    lang.pick("Localisation et garanties", "Location and safeguards")
                        .into(),
                    location.into(),
                ),
            ];
            if let Some(old) = previous {
                facts.push((lang.pick("Remplace", "Replaces").into(), old.to_string()));
            }
            facts.push((
                lang.pick("Date d'effet", "Effective date").into(),
                date(c.effective, lang),
            ));
            facts.push((
                lang.pick("Opposition possible jusqu'au", "Objections until")
                    .into(),
                date(c.objection_until, lang),
            ));
            s.facts(facts);
            s.para(match lang {
            Lang::Fr => format!(
                "Vous pouvez vous opposer à ce changement jusqu'au {} inclus, en indiquant vos motifs : {how}",
                date(c.objection_until, lang)
            ),
            Lang::En => format!(
                "You may object to this change until {} inclusive, stating your reasons: {how}",
                date(c.objection_until, lang)
            ),
        });
            s.para(lang.pick(
            "Sans opposition de votre part à cette date, le changement s'appliquera à la date d'effet indiquée.",
            "Without an objection from you by that date, the change will apply on the effective date above.",
        ));
            s.signature = signature(org, lang)?;
            Ok(s)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn change() -> SubprocessorChange {
        SubprocessorChange {
            reference: "SUB-2026-03".into(),
            customer: "Cabinet Martin & Associés".into(),
            change: SubprocessorChangeKind::Replacement {
                previous: "Sauvegardes Nord SARL".into(),
            },
            subprocessor: "Stockage Froid SAS".into(),
            activity: Localized::new(
                "Stockage chiffré des sauvegardes nocturnes (toutes catégories de données hébergées).",
                "Encrypted storage of nightly backups (every category of hosted data).",
            ),
            location: Localized::new("France (Roubaix), dans l'UE", "France (Roubaix), in the EU"),
            notified_on: d(2026, 12, 4),
            objection_until: d(2027, 1, 4),
            effective: d(2027, 1, 15),
            how_to_object: Localized::new(
                "écrivez à dpo@hebergeur.example avec la référence SUB-2026-03.",
                "write to dpo@hebergeur.example quoting the reference SUB-2026-03.",
            ),
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = subprocessor_change(&org(), &to(lang), &change()).unwrap();
            insta::assert_snapshot!(format!("subprocessor_{name}"), show(&mail));
        }
    }

    #[test]
    fn the_objection_period_must_end_before_the_change_applies() {
        let mut c = change();
        c.objection_until = d(2027, 1, 20);
        let err = subprocessor_change(&org(), &to(None), &c).unwrap_err();
        assert!(matches!(
            err,
            TemplateError::Invalid {
                field: "objection_until",
                ..
            }
        ));
        c.objection_until = d(2026, 12, 4);
        assert!(subprocessor_change(&org(), &to(None), &c).is_err());
    }
}
