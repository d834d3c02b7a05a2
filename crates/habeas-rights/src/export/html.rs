//! The access export as one standalone HTML page a person can read and keep:
//! inline CSS, no script, no external resource (addresses are shown as
//! text, not fetched), every value HTML-escaped. French or English.

use std::fmt::Write as _;

use habeas_core::lang::Lang;

use super::model::*;

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}\
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f2f2f2}\
.muted{color:#555}.scroll{overflow-x:auto}";

struct Page {
    out: String,
}

impl Page {
    fn h2(&mut self, text: &str) {
        let _ = writeln!(self.out, "<h2>{}</h2>", escape(text));
    }
    fn p(&mut self, text: &str) {
        let _ = writeln!(self.out, "<p>{}</p>", escape(text));
    }
    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.out.push_str("<div class=\"scroll\"><table>\n<tr>");
        for h in header {
            let _ = write!(self.out, "<th>{}</th>", escape(h));
        }
        self.out.push_str("</tr>\n");
        for row in rows {
            self.out.push_str("<tr>");
            for cell in row {
                let _ = write!(self.out, "<td>{}</td>", escape(cell));
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</table></div>\n");
    }
}

/// The access export as a standalone HTML page in the export's language.
pub fn access_html(e: &AccessExport) -> String {
    let lang = e.lang;
    let t = |fr: &'static str, en: &'static str| lang.pick(fr, en);
    let mut page = Page { out: String::new() };
    let title = match lang {
        Lang::Fr => format!("Vos données personnelles chez {}", e.controller.name),
        Lang::En => format!("Your personal data at {}", e.controller.name),
    };
    let _ = write!(
        page.out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        lang.tag(),
        escape(&title),
        escape(&title)
    );
    page.p(&match lang {
        Lang::Fr => format!(
            "Réponse à votre demande d'accès (RGPD art. 15), établie le {} (déclarations {}). Identifiant : {}.",
            e.generated_at.format("%Y-%m-%d %H:%M UTC"),
            e.declarations_version,
            e.subject.id
        ),
        Lang::En => format!(
            "Answer to your access request (GDPR Art. 15), produced on {} (declarations {}). Identifier: {}.",
            e.generated_at.format("%Y-%m-%d %H:%M UTC"),
            e.declarations_version,
            e.subject.id
        ),
    });
    page.p(if e.processed {
        t(
            "Nous confirmons traiter des données personnelles vous concernant ; en voici la copie complète et les informations qui s'y rapportent.",
            "We confirm that we process personal data about you; here is a complete copy and the information about it.",
        )
    } else {
        t(
            "Nous ne détenons aucune donnée personnelle vous concernant.",
            "We hold no personal data about you.",
        )
    });

    page.h2(t("Vos données", "Your data"));
    for c in &e.categories {
        let _ = writeln!(
            page.out,
            "<h3>{} <span class=\"muted\">({})</span></h3>",
            escape(&c.label),
            escape(&c.key)
        );
        if let Some(d) = &c.description {
            page.p(d);
        }
        if let Some(r) = &c.retention {
            page.p(&format!(
                "{} {}",
                t("Durée de conservation :", "Retention:"),
                r.description
            ));
        }
        let mut header = vec![
            t("Identifiant", "Id"),
            t("Enregistré le", "Recorded at"),
            t("Source", "Source"),
            t("Finalités", "Purposes"),
        ];
        header.extend(c.fields.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = c
            .records
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.id.clone(),
                    r.recorded_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    r.source_label.clone(),
                    r.purposes.join(", "),
                ];
                row.extend(
                    c.fields
                        .iter()
                        .map(|f| r.fields.get(f).cloned().unwrap_or_default()),
                );
                row
            })
            .collect();
        page.table(&header, &rows);
    }

    page.h2(t("Finalités et bases légales", "Purposes and legal bases"));
    let rows: Vec<Vec<String>> = e
        .purposes
        .iter()
        .map(|p| {
            let mut basis = p
                .legal_basis
                .as_ref()
                .map(|b| b.label.clone())
                .unwrap_or_else(|| match lang {
                    Lang::Fr => format!("sous-traitance pour : {}", p.controllers.join(", ")),
                    Lang::En => format!("processing on behalf of: {}", p.controllers.join(", ")),
                });
            if let Some(li) = &p.legitimate_interest {
                basis.push_str(" — ");
                basis.push_str(li);
            }
            vec![
                p.id.clone(),
                p.name.clone(),
                p.purpose.clone().unwrap_or_default(),
                basis,
                p.categories.join(", "),
            ]
        })
        .collect();
    page.table(
        &[
            t("Réf.", "Ref."),
            t("Traitement", "Activity"),
            t("Finalité", "Purpose"),
            t("Base légale", "Legal basis"),
            t("Catégories", "Categories"),
        ],
        &rows,
    );

    page.h2(t("Destinataires", "Recipients"));
    let rows: Vec<Vec<String>> = e
        .recipients
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.role_label.clone(),
                r.country.clone().unwrap_or_default(),
                r.categories.join(", "),
            ]
        })
        .collect();
    page.table(
        &[
            t("Destinataire", "Recipient"),
            t("Rôle", "Role"),
            t("Pays", "Country"),
            t("Catégories reçues", "Categories received"),
        ],
        &rows,
    );

    page.h2(t("Transferts hors de l'EEE", "Transfers outside the EEA"));
    if e.transfers.is_empty() {
        page.p(t(
            "Vos données ne sont pas transférées hors de l'Espace économique européen.",
            "Your data are not transferred outside the European Economic Area.",
        ));
    } else {
        let rows: Vec<Vec<String>> = e
            .transfers
            .iter()
            .map(|x| {
                vec![
                    x.recipient_name.clone(),
                    x.country.clone(),
                    x.safeguard_label.clone().unwrap_or_default(),
                    x.safeguard_ref.clone().unwrap_or_default(),
                ]
            })
            .collect();
        page.table(
            &[
                t("Destinataire", "Recipient"),
                t("Pays", "Country"),
                t("Garantie (art. 46)", "Safeguard (Art. 46)"),
                t("Référence", "Reference"),
            ],
            &rows,
        );
    }

    page.h2(t("Origine des données", "Where the data come from"));
    if e.sources.is_empty() {
        page.p(t("Toutes ces données ont été fournies par vous ou observées lors de votre utilisation du service.", "All these data were provided by you or observed from your use of the service."));
    } else {
        let rows: Vec<Vec<String>> = e
            .sources
            .iter()
            .map(|s| vec![s.category_label.clone(), s.source.clone()])
            .collect();
        page.table(&[t("Catégorie", "Category"), t("Source", "Source")], &rows);
    }

    page.h2(t("Décisions automatisées", "Automated decisions"));
    page.p(&e.automated_decisions.statement);

    page.h2(t("Vos droits", "Your rights"));
    let rows: Vec<Vec<String>> = e
        .rights
        .iter()
        .map(|r| vec![r.label.clone(), r.article.clone(), r.how.clone()])
        .collect();
    page.table(
        &[
            t("Droit", "Right"),
            t("Article", "Article"),
            t("Comment l'exercer", "How to exercise it"),
        ],
        &rows,
    );
    page.p(&e.complaint.statement);
    page.p(&format!(
        "{} — {}",
        e.complaint.address, e.complaint.website
    ));

    if !e.consents.is_empty() {
        page.h2(t("Vos consentements", "Your consents"));
        let rows: Vec<Vec<String>> = e
            .consents
            .iter()
            .map(|c| vec![c.purpose.clone(), consent_words(c, lang)])
            .collect();
        page.table(&[t("Finalité", "Purpose"), t("État", "State")], &rows);
    }

    page.h2(t(
        "Consultations de vos données",
        "Consultations of your data",
    ));
    if e.access_log.is_empty() {
        page.p(t(
            "Aucune consultation enregistrée.",
            "No consultation recorded.",
        ));
    } else {
        let rows: Vec<Vec<String>> = e
            .access_log
            .iter()
            .map(|a| {
                vec![
                    a.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    a.purpose_label.clone(),
                    a.categories.join(", "),
                ]
            })
            .collect();
        page.table(
            &[
                t("Date", "Date"),
                t("Finalité", "Purpose"),
                t("Catégories", "Categories"),
            ],
            &rows,
        );
    }
    page.out.push_str("</body>\n</html>\n");
    page.out
}

fn consent_words(c: &ConsentInfo, lang: Lang) -> String {
    use habeas_core::consent::ConsentState;
    let day = |at: &chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d").to_string();
    match (&c.state, lang) {
        (ConsentState::Unknown, _) => lang.pick("non renseigné", "not recorded").into(),
        (ConsentState::Given { since }, Lang::Fr) => format!("donné le {}", day(since)),
        (ConsentState::Given { since }, Lang::En) => format!("given on {}", day(since)),
        (ConsentState::Refused { since }, Lang::Fr) => format!("refusé le {}", day(since)),
        (ConsentState::Refused { since }, Lang::En) => format!("refused on {}", day(since)),
        (ConsentState::Withdrawn { since }, Lang::Fr) => format!("retiré le {}", day(since)),
        (ConsentState::Withdrawn { since }, Lang::En) => format!("withdrawn on {}", day(since)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
