//! The public privacy notice, from the same declarations as the register:
//! the information of GDPR Art. 13 (data collected from the subject) and
//! Art. 14 (data obtained otherwise) — who we are, the DPO, what we process
//! and why, on which legal basis, who receives it, transfers, how long it is
//! kept, the rights and how to exercise them, the authority to complain to.

use super::doc::Doc;
use super::fiche::{legal_basis, transfers_summary};
use super::{NONE, join_or_none, or_none, t};
use crate::declarations::{Declarations, LegalBasis, RecipientRole, Right, Role};
use crate::lang::Lang;

pub(crate) fn notice_doc(d: &Declarations, lang: Lang) -> Doc {
    let org = d.organisation();
    let org_name = org.map_or(NONE.to_string(), |o| o.name.get_ref().clone());
    let (version, updated) = d.version_line();
    let mut doc = Doc {
        lang,
        title: format!(
            "{} — {org_name}",
            t(lang, "Politique de confidentialité", "Privacy notice")
        ),
        header: vec![format!(
            "{}{sep}{version} — {}{sep}{updated}",
            t(lang, "Version", "Version"),
            t(lang, "mise à jour", "updated"),
            sep = super::colon(lang)
        )],
        blocks: Vec::new(),
    };

    // Art. 13(1)(a)-(b).
    doc.h2(t(lang, "Qui sommes-nous ?", "Who we are"));
    if let Some(o) = org {
        doc.para(match lang {
            Lang::Fr => format!(
                "{} ({}) est responsable des traitements décrits ci-dessous. Adresse : {}. Contact : {}.",
                o.name.get_ref(),
                or_none(o.legal_form.as_deref()),
                or_none(o.address.as_ref().map(|a| a.get_ref().as_str())),
                or_none(o.email.as_ref().map(|a| a.get_ref().as_str()))
            ),
            Lang::En => format!(
                "{} ({}) is the controller of the processing described below. Address: {}. Contact: {}.",
                o.name.get_ref(),
                or_none(o.legal_form.as_deref()),
                or_none(o.address.as_ref().map(|a| a.get_ref().as_str())),
                or_none(o.email.as_ref().map(|a| a.get_ref().as_str()))
            ),
        });
    }
    if let Some(dpo) = d.dpo() {
        let contact: Vec<String> = [
            dpo.email.as_ref().map(|e| e.get_ref().clone()),
            dpo.contact_url.clone(),
            dpo.address.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        doc.para(format!(
            "{} {}",
            t(
                lang,
                "Notre délégué à la protection des données (DPO) répond à vos questions :",
                "Our data protection officer (DPO) answers your questions:"
            ),
            join_or_none(contact)
        ));
    }

    // Art. 13(1)(c)-(d), 14(1)(c)-(d).
    doc.h2(t(
        lang,
        "Ce que nous traitons et pourquoi",
        "What we process and why",
    ));
    for (id, a) in d.activities_with_role(Role::Controller) {
        doc.h3(a.name.get(lang).to_string(), Some(id.to_ascii_lowercase()));
        let mut f = vec![
            (
                t(lang, "Finalité", "Purpose"),
                a.purpose
                    .as_ref()
                    .map_or(NONE.to_string(), |p| p.get(lang).to_string()),
            ),
            (t(lang, "Base légale", "Legal basis"), legal_basis(a, lang)),
        ];
        if let Some(li) = &a.legitimate_interest {
            f.push((
                t(lang, "Notre intérêt légitime", "Our legitimate interest"),
                li.get(lang).to_string(),
            ));
        }
        f.push((
            t(lang, "Personnes concernées", "Who"),
            join_or_none(d.subject_labels(&a.subjects, lang)),
        ));
        f.push((
            t(lang, "Données", "Data"),
            join_or_none(d.category_labels(&a.categories, lang)),
        ));
        if let Some(source) = &a.source {
            f.push((
                t(lang, "Origine des données", "Where the data comes from"),
                source.get(lang).to_string(),
            ));
        }
        let external: Vec<String> = a
            .recipients
            .iter()
            .filter_map(|r| d.recipient(r.get_ref()))
            .filter(|r| r.role != RecipientRole::Internal)
            .map(|r| r.name.get(lang).to_string())
            .collect();
        f.push((
            t(lang, "Destinataires", "Recipients"),
            join_or_none(external),
        ));
        f.push((
            t(lang, "Transferts hors UE", "Transfers outside the EU"),
            transfers_summary(d, a, lang),
        ));
        doc.fields(f);
        if a.legal_basis() == Some(LegalBasis::Consent) {
            for c in d.consents.values().filter(|c| c.activity.get_ref() == id) {
                doc.para(format!(
                    "{} « {} » {}",
                    t(lang, "Nous vous demandons votre accord :", "We ask for your agreement:"),
                    c.text.get(lang),
                    t(lang, "(vous pouvez le retirer à tout moment, aussi simplement que vous l'avez donné).", "(you can withdraw it at any time, as easily as you gave it).")
                ));
            }
        }
        if a.is_direct_marketing() {
            // Art. 21(2)-(3): objection to direct marketing is absolute.
            doc.para(t(
                lang,
                "Vous pouvez vous opposer à tout moment à cette prospection, sans avoir à vous justifier (art. 21(2) RGPD).",
                "You can object to this marketing at any time, without giving reasons (GDPR Art. 21(2)).",
            ));
        } else if a.legal_basis() == Some(LegalBasis::LegitimateInterests) {
            // Art. 21(1): objection on grounds relating to the subject's situation.
            doc.para(t(
                lang,
                "Vous pouvez vous opposer à ce traitement pour des raisons tenant à votre situation particulière (art. 21(1) RGPD).",
                "You can object to this processing on grounds relating to your particular situation (GDPR Art. 21(1)).",
            ));
        }
    }
    for (name, c) in &d.consents {
        doc.h3(
            format!(
                "{}{sep}{}",
                t(lang, "Consentement", "Consent"),
                name.get_ref(),
                sep = super::colon(lang)
            ),
            Some(name.get_ref().clone()),
        );
        doc.para(c.text.get(lang).to_string());
    }

    // Art. 13(2)(a).
    doc.h2(t(
        lang,
        "Combien de temps nous conservons vos données",
        "How long we keep your data",
    ));
    doc.table(
        vec![
            t(lang, "Données", "Data"),
            t(lang, "Durée", "How long"),
            t(lang, "Ensuite", "Then"),
        ],
        d.categories
            .iter()
            .filter(|(name, _)| {
                d.purposes_of_category(name.get_ref())
                    .any(|(_, a)| a.role() == Role::Controller)
            })
            .map(|(_, c)| {
                vec![
                    c.name.get(lang).to_string(),
                    c.retention_rule()
                        .map_or(NONE.to_string(), |r| r.describe(lang)),
                    c.on_expiry.label(lang).to_string(),
                ]
            })
            .collect(),
    );

    // Processor services: the customer is the controller.
    let processor_services: Vec<String> = d
        .services
        .values()
        .filter(|s| s.role == Role::Processor)
        .map(|s| s.name.get(lang).to_string())
        .collect();
    if !processor_services.is_empty() {
        doc.h2(t(
            lang,
            "Données que nous hébergeons pour nos clients",
            "Data we host for our customers",
        ));
        doc.para(format!(
            "{} {}. {}",
            t(lang, "Pour les services suivants, nous agissons comme sous-traitant de nos clients :", "For the following services we act as our customers' processor:"),
            processor_services.join(", "),
            t(
                lang,
                "Le client (par exemple votre employeur ou l'éditeur du site) est responsable de ces données : adressez-lui d'abord vos demandes ; nous l'aidons à y répondre.",
                "The customer (for example your employer or the site's publisher) is the controller of that data: send your requests to them first; we help them answer.",
            )
        ));
    }

    // Art. 13(2)(b)-(d), 12(3).
    doc.h2(t(lang, "Vos droits", "Your rights"));
    doc.para(t(
        lang,
        "Vous pouvez accéder à vos données, les faire rectifier ou effacer, en limiter le traitement, vous y opposer, en recevoir une copie portable, et retirer votre consentement à tout moment. La loi nous donne au plus un mois pour répondre (art. 12(3) RGPD) ; voici nos délais :",
        "You can access your data, have it corrected or erased, restrict its processing, object to it, receive a portable copy, and withdraw your consent at any time. The law gives us at most one month to answer (GDPR Art. 12(3)); our delays are:",
    ));
    doc.table(
        vec![
            t(lang, "Droit", "Right"),
            t(lang, "Article du RGPD", "GDPR article"),
            t(lang, "Notre délai", "Our delay"),
        ],
        Right::ALL
            .iter()
            .map(|r| {
                vec![
                    r.label(lang).to_string(),
                    r.article().to_string(),
                    d.promised_delay(*r).map_or_else(
                        || t(lang, "1 mois", "1 month"),
                        |delay| delay.describe(lang),
                    ),
                ]
            })
            .collect(),
    );
    if let Some(r) = d.rights() {
        let mut how = Vec::new();
        if let Some(url) = &r.portal_url {
            how.push(format!(
                "{} {url}",
                t(lang, "espace « Mes données » :", "\"My data\" portal:")
            ));
        }
        if let Some(email) = &r.contact_email {
            how.push(format!(
                "{} {}",
                t(lang, "courriel :", "e-mail:"),
                email.get_ref()
            ));
        }
        doc.para(format!(
            "{} {}.",
            t(
                lang,
                "Pour exercer vos droits :",
                "To exercise your rights:"
            ),
            join_or_none(how)
        ));
    }
    // Art. 13(2)(f), 14(2)(g): automated decision-making.
    let automated: Vec<String> = d
        .activities_with_role(Role::Controller)
        .filter(|(_, a)| a.automated_decisions)
        .map(|(_, a)| a.name.get(lang).to_string())
        .collect();
    doc.para(if automated.is_empty() {
        t(
            lang,
            "Nous ne prenons aucune décision fondée exclusivement sur un traitement automatisé produisant des effets juridiques à votre égard (art. 22 RGPD).",
            "We make no decision based solely on automated processing that produces legal effects concerning you (GDPR Art. 22).",
        )
    } else {
        format!(
            "{} {}.",
            t(
                lang,
                "Les traitements suivants comportent une décision automatisée ; vous pouvez demander l'intervention d'une personne, exprimer votre point de vue et contester la décision (art. 22(3) RGPD) :",
                "The following processing involves an automated decision; you can ask for human intervention, express your point of view and contest the decision (GDPR Art. 22(3)):",
            ),
            automated.join(", ")
        )
    });
    let authority = d.authority();
    doc.h2(t(lang, "Réclamation", "Complaints"));
    doc.para(format!(
        "{} {}, {} ({}).",
        t(lang, "Si vous estimez que vos droits ne sont pas respectés, vous pouvez saisir l'autorité de contrôle :", "If you believe your rights are not respected, you can complain to the supervisory authority:"),
        lang.pick(authority.name_fr, authority.name_en),
        authority.address,
        authority.website
    ));
    doc
}
