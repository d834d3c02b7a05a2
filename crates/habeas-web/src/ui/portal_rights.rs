//! The portal's actions on the subject's rights: correct a field (Art. 16),
//! restrict or object per purpose (Art. 18, Art. 21), close the account with
//! its grace period and reactivate it (Art. 17), and follow every request
//! with its deadlines (Art. 12(3)).
//!
//! Why every action is a request: the portal is one more channel of the
//! request workflow (`habeas-rights` service), so each action has its two
//! clocks, shows in the DPO console and in `habeas requests`, and is carried
//! out by the same code as the CLI and the API — `vault_bridge::
//! apply_rectification` (with the tombstone a restore replays), the
//! new-value verification of a critical identifier, the engine's
//! `set_restriction` / `set_objection`, the erasure plan's grace period. The
//! subject is signed in with a single-use code mailed to an address on file,
//! so the portal session is the identity proof (Art. 12(6); EDPB Guidelines
//! 01/2022 §3.3) recorded on each request. Bad input is refused before a
//! request is created; nothing here logs personal data.

use std::collections::BTreeMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::declarations::LegalBasis;
use habeas_core::lang::Lang;
use habeas_core::rights::policy::ObjectionStatus;
use habeas_core::rights::{IdentityProof, RequestKind, VerificationMethod, promised_due};
use habeas_engine::{EngineError, Vault};
use habeas_notify::MailAddress;
use habeas_rights::RightsError;
use habeas_rights::erasure::{ErasureRequest, plan_erasure};
use habeas_rights::rectification::plan_rectification;
use habeas_rights::service::{
    NewRequest, RequestChannel, RequestService, RequestView, ServiceConfig,
};
use habeas_rights::vault_bridge::{self, BridgeError, Notifier, holdings};
use maud::{Markup, html};
use serde::Deserialize;

use super::UiState;
use super::http::UiLang;
use super::page::{Area, Failure, html_response, message, redirect, when};
use super::portal::{export_for, page, portal_caller, subject_of};

/// Longest value a portal form accepts for a field.
const MAX_VALUE: usize = 1000;

/// The signed-in subject and the portal form token.
pub(super) struct Signed {
    pub subject: String,
    pub csrf: String,
}

/// The signed-in subject, or `None` (the caller redirects to sign-in).
pub(super) async fn signed(state: &UiState, headers: &HeaderMap) -> Option<Signed> {
    let (subject, token) = subject_of(state, headers).await?;
    Some(Signed {
        subject,
        csrf: state.keys.portal_token(&token),
    })
}

/// A form's token matches the session's.
pub(super) fn csrf_ok(who: &Signed, form_csrf: &str) -> bool {
    super::secret::WebKeys::same(&who.csrf, form_csrf)
}

/// Why an action was refused, in both languages; nothing was changed.
#[derive(Debug)]
pub(super) enum Refused {
    /// The subject's input: what is wrong and how to fix it.
    Input { fr: String, en: String },
    /// Our side; details go to the server log (without personal data).
    Internal(String),
}

impl Refused {
    pub(super) fn input(fr: impl Into<String>, en: impl Into<String>) -> Refused {
        Refused::Input {
            fr: fr.into(),
            en: en.into(),
        }
    }
}

impl From<EngineError> for Refused {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Invalid(r) | EngineError::Conflict(r) | EngineError::Forbidden(r) => {
                Refused::Input {
                    fr: r.message_fr.to_string(),
                    en: r.message_en.to_string(),
                }
            }
            other => Refused::Internal(other.to_string()),
        }
    }
}

impl From<RightsError> for Refused {
    fn from(e: RightsError) -> Self {
        match &e {
            RightsError::Code { .. } => Refused::input(
                "Code erroné, expiré ou déjà utilisé. Vérifiez-le, ou recommencez la correction pour en recevoir un autre.",
                "Wrong, expired or already used code. Check it, or start the correction again to receive another one.",
            ),
            RightsError::Rectification(r) => Refused::input(
                format!("Correction refusée : {r}"),
                format!("Correction refused: {r}"),
            ),
            RightsError::Invalid { .. }
            | RightsError::Closed { .. }
            | RightsError::StaleVersion { .. } => Refused::input(
                format!("Action refusée : {e}"),
                format!("Action refused: {e}"),
            ),
            _ => Refused::Internal(e.to_string()),
        }
    }
}

impl From<BridgeError> for Refused {
    fn from(e: BridgeError) -> Self {
        match e {
            BridgeError::Engine(e) => e.into(),
            BridgeError::Rights(e) => e.into(),
            other => Refused::Internal(other.to_string()),
        }
    }
}

/// The page of a refused action: the reason, a way back, status 422.
pub(super) fn refused_page(lang: Lang, csrf: &str, back: &'static str, why: Refused) -> Response {
    let text = match why {
        Refused::Input { fr, en } => lang.pick(&fr, &en).to_string(),
        Refused::Internal(detail) => {
            tracing::error!(error = %detail, "a portal action failed");
            return Failure::Internal.render(lang, Area::Portal);
        }
    };
    let body = html! {
        (message("error", &text))
        p { (lang.pick("Rien n'a été modifié.", "Nothing was changed.")) }
        p { a href=(back) { (lang.pick("Revenir en arrière", "Go back")) } }
    };
    html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        page(
            lang,
            lang.pick("Action refusée", "Action refused"),
            back,
            Some(csrf.to_string()),
            body,
        ),
    )
}

/// The request service over the vault, with the code key the CLI and the
/// API use (so a code issued here is checked by the same key).
fn with_service<T>(
    s: &UiState,
    f: impl FnOnce(&RequestService<'_>, &Vault) -> Result<T, Refused>,
) -> Result<T, Refused> {
    let caller = portal_caller();
    let key = vault_bridge::code_key(&s.vault, &caller)?;
    let docs = s.vault.docs(caller);
    let svc = RequestService::new(
        &docs,
        &*s.clock,
        s.vault.declarations(),
        ServiceConfig::new(key),
    );
    f(&svc, &s.vault)
}

/// Receives a request from the signed-in subject, acknowledged (this page
/// is the acknowledgment) and identity-verified by the portal session.
fn open_verified(
    svc: &RequestService<'_>,
    vault: &Vault,
    subject: &str,
    kind: RequestKind,
    account_closure: bool,
) -> Result<RequestView, Refused> {
    let contact_ref = vault_bridge::default_contact_ref(vault, &portal_caller(), subject)?;
    let new = NewRequest {
        kind,
        channel: RequestChannel::Portal,
        subject: Some(subject.to_string()),
        contact_ref,
    };
    let v = if account_closure {
        svc.create_account_closure(new)?
    } else {
        svc.create(new)?
    };
    let v = svc.acknowledge(&v.id, v.version)?;
    let at = v.history.last().map_or(v.received_at, |h| h.at);
    Ok(svc.record_identity_proof(
        &v.id,
        v.version,
        IdentityProof {
            method: VerificationMethod::Session,
            verified_by: "portal".into(),
            reason: Some(
                "signed in to the portal with a single-use code mailed to an address on file"
                    .into(),
            ),
        },
        at,
    )?)
}

/// Marks a request carried out (start, then done).
fn complete(svc: &RequestService<'_>, v: &RequestView) -> Result<RequestView, Refused> {
    let v = svc.start(&v.id, v.version)?;
    Ok(svc.complete(&v.id, v.version)?)
}

/// The confirmation named by `?fait=` after an action (a fixed set).
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub(super) fait: String,
}

pub(super) fn confirmation(lang: Lang, key: &str) -> Option<Markup> {
    let (fr, en) = match key {
        "correction" => (
            "Votre donnée est corrigée. La demande de rectification est enregistrée et close.",
            "Your data is corrected. The rectification request is recorded and closed.",
        ),
        "limitation" => (
            "La limitation est en vigueur : ce traitement est suspendu pour vos données. Votre demande apparaît ci-dessous.",
            "The restriction is in force: this processing is suspended for your data. Your request is listed below.",
        ),
        "opposition" => (
            "Votre opposition est en vigueur : ce traitement est arrêté pour vos données. Votre demande apparaît ci-dessous.",
            "Your objection is in force: this processing has stopped for your data. Your request is listed below.",
        ),
        "fermeture" => (
            "La fermeture de votre compte est enregistrée. Vous pouvez la révoquer jusqu'à la date indiquée.",
            "The closure of your account is recorded. You may revoke it until the date shown.",
        ),
        "reactivation" => (
            "Votre compte est réactivé : la demande de fermeture est retirée.",
            "Your account is reactivated: the closure request is withdrawn.",
        ),
        "liste" => ("Vos listes sont modifiées.", "Your lists are changed."),
        _ => return None,
    };
    Some(message("notice", lang.pick(fr, en)))
}

fn back_to_portal() -> Response {
    redirect("/portail", &[])
}

// ---- correct a field (Art. 16) ------------------------------------------

/// `GET /portail/corriger`: a form per declared field of every record.
pub async fn correct_form(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Query(q): Query<DoneQuery>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    let subject = who.subject.clone();
    let export = match state.run(move |s| export_for(s, &subject, lang)).await {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return refused_page(lang, &who.csrf, "/portail", Refused::Internal(e)),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        p { (lang.pick(
            "Vous pouvez faire corriger ou compléter toute donnée inexacte (RGPD art. 16). Une adresse électronique qui sert à vous identifier ne change qu'après confirmation d'un code envoyé à la nouvelle adresse.",
            "You may have any inaccurate data corrected or completed (GDPR Art. 16). An e-mail address that identifies you changes only after you confirm a code sent to the new address."
        )) }
        @if export.categories.is_empty() {
            (message("notice", lang.pick("Nous ne détenons aucune donnée vous concernant.", "We hold no data about you.")))
        }
        @for c in &export.categories {
            section {
                h2 { (c.label) }
                @for r in &c.records {
                    h3 { (lang.pick("Enregistré le ", "Recorded on ")) (when(r.recorded_at)) }
                    @for f in &c.fields {
                        @let id = format!("v-{}-{}", r.id, f);
                        form method="post" action="/portail/corriger" class="inline" {
                            input type="hidden" name="csrf" value=(who.csrf);
                            input type="hidden" name="category" value=(c.key);
                            input type="hidden" name="record" value=(r.id);
                            input type="hidden" name="field" value=(f);
                            label for=(id) { (f) }
                            input type="text" id=(id) name="value" value=(r.fields.get(f).map(String::as_str).unwrap_or("")) maxlength="1000";
                            button type="submit" { (lang.pick("Corriger", "Correct")) }
                        }
                    }
                }
            }
        }
        p { a href="/portail" { (lang.pick("Retour à Mes données", "Back to My data")) } }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.pick("Corriger une donnée", "Correct a field"),
            "/portail/corriger",
            Some(who.csrf),
            body,
        ),
    )
}

#[derive(Deserialize)]
pub struct CorrectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    record: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    /// Only on the second step (the code mailed to the new value).
    #[serde(default)]
    request: String,
    #[serde(default)]
    code: String,
}

/// What a correction led to.
enum Corrected {
    Applied,
    /// A code was mailed to the new value: ask for it (request id).
    Pending(String),
}

fn checked_value(value: &str) -> Result<String, Refused> {
    let v = value.trim();
    if v.chars().count() > MAX_VALUE || v.chars().any(char::is_control) {
        return Err(Refused::input(
            format!(
                "La nouvelle valeur doit compter au plus {MAX_VALUE} caractères, sans caractère de contrôle."
            ),
            format!(
                "The new value must be at most {MAX_VALUE} characters, with no control character."
            ),
        ));
    }
    Ok(v.to_string())
}

/// `POST /portail/corriger`: plan first (a bad field or an unchanged value
/// creates nothing), then a verified rectification request; a critical
/// identifier gets a code at its new value, anything else is applied now.
pub async fn correct(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CorrectForm>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    if !csrf_ok(&who, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let subject = who.subject.clone();
    let (category, record, field) = (
        form.category.clone(),
        form.record.clone(),
        form.field.clone(),
    );
    let value = match checked_value(&form.value) {
        Ok(v) => v,
        Err(r) => return refused_page(lang, &who.csrf, "/portail/corriger", r),
    };
    let v2 = value.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                correct_now(
                    s, svc, vault, &subject, &category, &record, &field, &v2, lang,
                )
            })
        })
        .await;
    match done {
        Ok(Ok(Corrected::Applied)) => redirect("/portail/corriger?fait=correction", &[]),
        Ok(Ok(Corrected::Pending(request))) => html_response(
            StatusCode::ACCEPTED,
            code_page(lang, &who.csrf, &form, &request, &value, None),
        ),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/corriger", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

#[allow(clippy::too_many_arguments)]
fn correct_now(
    s: &UiState,
    svc: &RequestService<'_>,
    vault: &Vault,
    subject: &str,
    category: &str,
    record: &str,
    field: &str,
    value: &str,
    lang: Lang,
) -> Result<Corrected, Refused> {
    let caller = portal_caller();
    let (_, current) = vault_bridge::record_fields(vault, &caller, subject, category, record)
        .map_err(|e| match e {
            BridgeError::UnknownRecord { .. } => Refused::input(
                "Cette donnée n'existe pas (ou plus) parmi les vôtres ; rechargez la page.",
                "This record is not (or no longer) among yours; reload the page.",
            ),
            other => other.into(),
        })?;
    let changes: BTreeMap<String, String> = [(field.to_string(), value.to_string())].into();
    // Planned before any request exists: an unknown field or an unchanged
    // value is refused with nothing recorded.
    let plan = plan_rectification(vault.declarations(), category, record, &current, &changes)
        .map_err(RightsError::from)?;
    let needs_code = plan.needing_new_value_verification().next().is_some();
    let to: Option<MailAddress> = if needs_code {
        Some(value.parse().map_err(|_| {
            Refused::input(
                "La nouvelle valeur n'est pas une adresse électronique valide (exemple : nom@exemple.fr).",
                "The new value is not a valid e-mail address (example: name@example.com).",
            )
        })?)
    } else {
        None
    };
    let v = open_verified(svc, vault, subject, RequestKind::Rectification, false)?;
    let (plan, codes, _) = svc.rectification_plan(
        &v.id, v.version, subject, category, record, &current, &changes,
    )?;
    if let (Some(to), Some(issued)) = (to, codes.first()) {
        let v = svc.get(&v.id)?;
        let sent =
            Notifier::new(s.mailer.as_ref(), vault.declarations()).code(&v, issued, to, Some(lang));
        if let Err(e) = sent {
            // Nothing is pending on a code that never left: withdraw it.
            let _ = svc.withdraw(&v.id, v.version, subject);
            return Err(match e {
                BridgeError::Send(_) | BridgeError::Template(_) => {
                    Refused::Internal(format!("the new-value code was not sent: {e}"))
                }
                other => other.into(),
            });
        }
        return Ok(Corrected::Pending(v.id));
    }
    apply_and_close(svc, vault, subject, &v.id, &plan)?;
    Ok(Corrected::Applied)
}

/// Applies a ready plan and closes its request; a value the vault refuses
/// withdraws the request (nothing was changed) and says why.
fn apply_and_close(
    svc: &RequestService<'_>,
    vault: &Vault,
    subject: &str,
    id: &str,
    plan: &habeas_rights::rectification::RectificationPlan,
) -> Result<(), Refused> {
    let ready = svc.rectification_ready(id, plan)?;
    if let Err(e) = vault_bridge::apply_rectification(vault, &portal_caller(), subject, plan, ready)
    {
        if let Ok(v) = svc.get(id) {
            let _ = svc.withdraw(id, v.version, subject);
        }
        return Err(e.into());
    }
    let v = svc.get(id)?;
    complete(svc, &v)?;
    Ok(())
}

fn code_page(
    lang: Lang,
    csrf: &str,
    form: &CorrectForm,
    request: &str,
    value: &str,
    note: Option<Markup>,
) -> Markup {
    let body = html! {
        @if let Some(n) = note { (n) }
        (message("notice", lang.pick(
            "Un code vient d'être envoyé à la nouvelle adresse. Saisissez-le pour confirmer qu'elle est bien la vôtre ; l'adresse actuelle reste en place d'ici là.",
            "A code has just been sent to the new address. Enter it to confirm the address is yours; the current address stays until then."
        )))
        form method="post" action="/portail/corriger/code" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="request" value=(request);
            input type="hidden" name="category" value=(form.category);
            input type="hidden" name="record" value=(form.record);
            input type="hidden" name="field" value=(form.field);
            input type="hidden" name="value" value=(value);
            label for="code" { (lang.pick("Code reçu à la nouvelle adresse", "Code received at the new address")) }
            input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
            button type="submit" { (lang.pick("Confirmer la nouvelle adresse", "Confirm the new address")) }
        }
        p { a href="/portail/corriger" { (lang.pick("Annuler", "Cancel")) } }
    };
    page(
        lang,
        lang.pick("Confirmer la nouvelle adresse", "Confirm the new address"),
        "/portail/corriger",
        Some(csrf.to_string()),
        body,
    )
}

/// `POST /portail/corriger/code`: the code mailed to the new value; right,
/// the change is applied (through the same verification as the API).
pub async fn correct_code(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CorrectForm>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    if !csrf_ok(&who, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let value = match checked_value(&form.value) {
        Ok(v) => v,
        Err(r) => return refused_page(lang, &who.csrf, "/portail/corriger", r),
    };
    let subject = who.subject.clone();
    let (request, category, record, field, code, v2) = (
        form.request.clone(),
        form.category.clone(),
        form.record.clone(),
        form.field.clone(),
        form.code.trim().to_string(),
        value.clone(),
    );
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                let v = svc.get(&request).map_err(|_| not_yours())?;
                if v.subject.as_deref() != Some(subject.as_str())
                    || v.kind != RequestKind::Rectification
                {
                    return Err(not_yours());
                }
                let (_, current) = vault_bridge::record_fields(
                    vault,
                    &portal_caller(),
                    &subject,
                    &category,
                    &record,
                )?;
                let changes: BTreeMap<String, String> = [(field.clone(), v2.clone())].into();
                let plan = plan_rectification(
                    vault.declarations(),
                    &category,
                    &record,
                    &current,
                    &changes,
                )
                .map_err(RightsError::from)?;
                for change in plan.needing_new_value_verification() {
                    svc.confirm_new_value(
                        &request,
                        &category,
                        &change.field,
                        &change.new_value,
                        &code,
                    )?;
                }
                apply_and_close(svc, vault, &subject, &request, &plan)
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect("/portail/corriger?fait=correction", &[]),
        Ok(Err(Refused::Input { fr, en })) => {
            let note = message("error", lang.pick(&fr, &en));
            html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                code_page(lang, &who.csrf, &form, &form.request, &value, Some(note)),
            )
        }
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/corriger", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

fn not_yours() -> Refused {
    Refused::input(
        "Cette demande n'est pas l'une des vôtres ; recommencez depuis la page « Corriger une donnée ».",
        "This request is not one of yours; start again from the \"Correct a field\" page.",
    )
}

// ---- restrict or object per purpose (Art. 18, Art. 21) -------------------

/// Whether the subject may object to the activity: Art. 21(1) for a basis
/// of public task or legitimate interests, Art. 21(2) for direct marketing,
/// or where the declarations offer it.
fn objectable(vault: &Vault, purpose: &str) -> bool {
    vault.declarations().activity(purpose).is_some_and(|a| {
        a.objection
            || a.is_direct_marketing()
            || matches!(
                a.legal_basis(),
                Some(LegalBasis::PublicTask | LegalBasis::LegitimateInterests)
            )
    })
}

fn direct_marketing(vault: &Vault, purpose: &str) -> bool {
    vault
        .declarations()
        .activity(purpose)
        .is_some_and(|a| a.is_direct_marketing())
}

/// `GET /portail/limiter`: the subject's purposes, their state, the forms.
pub async fn limits_form(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    let subject = who.subject.clone();
    let built = state
        .run(move |s| -> Result<_, String> {
            let export = export_for(s, &subject, lang)?;
            let (limits, _) = s
                .vault
                .processing_limits(&subject)
                .map_err(|e| e.to_string())?;
            let rows: Vec<_> = export
                .purposes
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        p.name.clone(),
                        limits.restricted.contains(&p.id),
                        limits.objections.get(&p.id).cloned(),
                        objectable(&s.vault, &p.id),
                        direct_marketing(&s.vault, &p.id),
                    )
                })
                .collect();
            Ok(rows)
        })
        .await;
    let rows = match built {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return refused_page(lang, &who.csrf, "/portail", Refused::Internal(e)),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        p { (lang.pick(
            "Limiter un traitement (RGPD art. 18) le suspend : vos données sont conservées mais plus utilisées pour cette finalité. Vous opposer (art. 21) l'arrête ; pour la prospection, l'opposition est absolue (art. 21(3)). Chaque choix est enregistré comme une demande que vous suivez dans « Vos demandes ».",
            "Restricting a processing (GDPR Art. 18) suspends it: your data is kept but no longer used for this purpose. Objecting (Art. 21) stops it; for direct marketing the objection is absolute (Art. 21(3)). Each choice is recorded as a request you follow in \"Your requests\"."
        )) }
        @if rows.is_empty() {
            (message("notice", lang.pick("Aucun traitement ne porte sur vos données.", "No processing concerns your data.")))
        }
        @for (id, name, restricted, objection, can_object, marketing) in &rows {
            section {
                h2 { (name) }
                p { strong { (lang.pick("État : ", "State: ")) }
                    @if *restricted { (lang.pick("limité à votre demande", "restricted at your request")) }
                    @else if matches!(objection, Some(ObjectionStatus::Active)) { (lang.pick("arrêté sur votre opposition", "stopped on your objection")) }
                    @else if matches!(objection, Some(ObjectionStatus::Overridden { .. })) { (lang.pick("opposition écartée pour motifs légitimes impérieux (art. 21(1))", "objection overridden by compelling legitimate grounds (Art. 21(1))")) }
                    @else { (lang.pick("en cours", "active")) }
                }
                @if !*restricted {
                    form method="post" action="/portail/limiter" class="inline" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="purpose" value=(id);
                        input type="hidden" name="action" value="restrict";
                        button type="submit" { (lang.pick("Limiter ce traitement", "Restrict this processing")) }
                    }
                }
                @if *can_object && !matches!(objection, Some(ObjectionStatus::Active)) {
                    form method="post" action="/portail/limiter" class="inline" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="purpose" value=(id);
                        input type="hidden" name="action" value="object";
                        button type="submit" {
                            @if *marketing { (lang.pick("M'opposer à la prospection", "Object to direct marketing")) }
                            @else { (lang.pick("M'opposer à ce traitement", "Object to this processing")) }
                        }
                    }
                }
            }
        }
        p { a href="/portail" { (lang.pick("Retour à Mes données", "Back to My data")) } }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.pick("Limiter ou vous opposer", "Restrict or object"),
            "/portail/limiter",
            Some(who.csrf),
            body,
        ),
    )
}

#[derive(Deserialize)]
pub struct LimitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    action: String,
}

/// `POST /portail/limiter`: the limit is put in force at once (the vault
/// enforces it on every read and write) and recorded as a verified request;
/// an objection to direct marketing needs no weighing and is closed done
/// (Art. 21(3)), anything else stays open for staff to review.
pub async fn limit(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<LimitForm>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    if !csrf_ok(&who, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let kind = match form.action.as_str() {
        "restrict" => RequestKind::Restriction,
        "object" => RequestKind::Objection,
        _ => {
            return refused_page(
                lang,
                &who.csrf,
                "/portail/limiter",
                Refused::input(
                    "Action inconnue : choisissez « Limiter » ou « M'opposer ».",
                    "Unknown action: choose \"Restrict\" or \"Object\".",
                ),
            );
        }
    };
    let subject = who.subject.clone();
    let purpose = form.purpose.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                let caller = portal_caller();
                let docs = vault.docs(caller.clone());
                let held = holdings(vault, &caller, &docs, &*s.clock, &subject)?;
                if !held.records.iter().any(|r| r.purposes.contains(&purpose)) {
                    return Err(Refused::input(
                        "Ce traitement ne porte pas sur vos données : choisissez-en un dans la liste.",
                        "This processing does not concern your data: choose one from the list.",
                    ));
                }
                if kind == RequestKind::Objection && !objectable(vault, &purpose) {
                    return Err(Refused::input(
                        "Ce traitement ne repose ni sur l'intérêt légitime ni sur une mission d'intérêt public et n'est pas de la prospection : l'opposition (art. 21) ne s'y applique pas. Vous pouvez en demander la limitation (art. 18), ou retirer votre consentement s'il en repose sur lui.",
                        "This processing rests neither on legitimate interests nor on a public task and is not direct marketing: objection (Art. 21) does not apply. You may ask for its restriction (Art. 18), or withdraw your consent if it rests on it.",
                    ));
                }
                let v = open_verified(svc, vault, &subject, kind, false)?;
                if kind == RequestKind::Restriction {
                    vault.set_restriction(&caller, &subject, &purpose, true)?;
                } else {
                    vault.set_objection(&caller, &subject, &purpose, Some(ObjectionStatus::Active))?;
                    if direct_marketing(vault, &purpose) {
                        // Art. 21(3): nothing to weigh, the request is carried out.
                        complete(svc, &v)?;
                    }
                }
                Ok(())
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect(
            if kind == RequestKind::Restriction {
                "/portail/demandes?fait=limitation"
            } else {
                "/portail/demandes?fait=opposition"
            },
            &[],
        ),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/limiter", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

// ---- follow the requests (Art. 12(3)) -------------------------------------

fn status_label(v: &RequestView, lang: Lang) -> String {
    match v.withdrawn_at {
        Some(at) => format!("{} {}", lang.pick("retirée le", "withdrawn on"), when(at)),
        None => v.status.label(lang).to_string(),
    }
}

/// `GET /portail/demandes`: every request of the subject, newest first.
pub async fn requests(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Query(q): Query<DoneQuery>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    let subject = who.subject.clone();
    let listed = state
        .run(move |s| with_service(s, |svc, _| Ok(svc.list_for_subject(&subject)?)))
        .await;
    let list = match listed {
        Ok(Ok(l)) => l,
        Ok(Err(r)) => return refused_page(lang, &who.csrf, "/portail", r),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        p { (lang.pick(
            "Nous répondons à chaque demande dans le délai légal d'un mois à compter de sa réception, prolongeable de deux mois pour les demandes complexes, auquel cas nous vous en informons avec les motifs (RGPD art. 12(3)). Le délai que nous nous sommes engagés à tenir est indiqué lorsqu'il existe.",
            "We answer every request within the legal deadline of one month from receipt, which may be extended by two months for complex requests, in which case we tell you why (GDPR Art. 12(3)). The delay we committed to is shown where there is one."
        )) }
        @if list.is_empty() {
            (message("notice", lang.pick("Vous n'avez fait aucune demande.", "You have made no request.")))
        } @else {
            table {
                caption { (lang.pick("Vos demandes, les plus récentes d'abord", "Your requests, newest first")) }
                thead { tr {
                    th scope="col" { (lang.pick("Référence", "Reference")) }
                    th scope="col" { (lang.pick("Demande", "Request")) }
                    th scope="col" { (lang.pick("État", "Status")) }
                    th scope="col" { (lang.pick("Reçue le", "Received on")) }
                    th scope="col" { (lang.pick("Délai légal", "Legal deadline")) }
                    th scope="col" { (lang.pick("Délai promis", "Promised delay")) }
                } }
                tbody {
                    @for v in &list {
                        tr {
                            th scope="row" { (v.id) }
                            td { (v.kind.label(lang)) }
                            td { (status_label(v, lang)) }
                            td { (when(v.received_at)) }
                            td { (v.effective_deadline.legal.format("%Y-%m-%d").to_string())
                                @if v.effective_deadline != v.statutory_deadline { " " (lang.pick("(prolongé)", "(extended)")) } }
                            td { @match v.promised_due {
                                Some(due) => { (when(due)) }
                                None => { (lang.pick("aucun engagement déclaré", "no commitment declared")) }
                            } }
                        }
                    }
                }
            }
        }
        p { a href="/portail" { (lang.pick("Retour à Mes données", "Back to My data")) } }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.pick("Vos demandes", "Your requests"),
            "/portail/demandes",
            Some(who.csrf),
            body,
        ),
    )
}

// ---- close the account, reactivate it (Art. 17) -----------------------------

/// When a closure becomes final: the end of the declared grace period
/// counted from its receipt (as the erasure plan counts it).
fn closure_final(s: &UiState, v: &RequestView) -> Option<chrono::DateTime<chrono::Utc>> {
    let decls = s.vault.declarations();
    decls
        .account_closure_grace()
        .map(|g| promised_due(g, v.received_at, decls.holiday_calendar()))
}

/// The subject's pending account closure, if any.
fn pending_closure(
    svc: &RequestService<'_>,
    subject: &str,
) -> Result<Option<RequestView>, Refused> {
    Ok(svc
        .list_for_subject(subject)?
        .into_iter()
        .find(|v| v.account_closure && v.is_open()))
}

/// `GET /portail/compte`: the grace period and the final date, or the
/// pending closure with the reactivation button.
pub async fn account(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Query(q): Query<DoneQuery>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    let subject = who.subject.clone();
    let built = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                let decls = vault.declarations();
                let pending = pending_closure(svc, &subject)?;
                let grace = decls.account_closure_grace();
                let since = pending.as_ref().map_or(s.clock.now(), |p| p.received_at);
                let final_at = grace.map(|g| promised_due(g, since, decls.holiday_calendar()));
                let over = final_at.is_some_and(|f| s.clock.now() >= f);
                let caller = portal_caller();
                let docs = vault.docs(caller.clone());
                let held = holdings(vault, &caller, &docs, &*s.clock, &subject)?;
                let plan = plan_erasure(
                    decls,
                    &held,
                    &ErasureRequest {
                        requested_at: since,
                        account_closure: true,
                        dates: Default::default(),
                        legal_holds: Vec::new(),
                    },
                    s.clock.now(),
                );
                Ok((
                    pending,
                    over,
                    grace.map(|g| g.describe(lang)),
                    final_at,
                    plan.describe(decls, lang),
                ))
            })
        })
        .await;
    let (pending, over, grace, final_at, described) = match built {
        Ok(Ok(b)) => b,
        Ok(Err(r)) => return refused_page(lang, &who.csrf, "/portail", r),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let final_text = final_at.map(when);
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        @if let Some(p) = &pending {
            section aria-labelledby="en-cours" {
                h2 id="en-cours" { (lang.pick("Fermeture en cours", "Closure pending")) }
                p { (lang.pick("Vous avez demandé la fermeture de votre compte le ", "You asked to close your account on ")) (when(p.received_at)) "." }
                @if let Some(f) = &final_text {
                    @if over {
                        p { strong { (lang.pick("Elle est définitive depuis le ", "It has been final since ")) (f) "." } }
                    } @else {
                        p { strong { (lang.pick("Elle deviendra définitive le ", "It becomes final on ")) (f) "." } }
                    }
                }
                @if !over {
                    form method="post" action="/portail/reactiver" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="request" value=(p.id);
                        button type="submit" { (lang.pick("Réactiver mon compte", "Reactivate my account")) }
                    }
                }
            }
        } @else {
            section aria-labelledby="fermer" {
                h2 id="fermer" { (lang.pick("Fermer votre compte", "Close your account")) }
                @match (&grace, &final_text) {
                    (Some(g), Some(f)) => {
                        p { (lang.pick("Délai de grâce déclaré : ", "Declared grace period: ")) (g) "." }
                        p { (lang.pick("Si vous fermez votre compte maintenant, la fermeture deviendra définitive le ", "If you close your account now, the closure becomes final on ")) strong { (f) } (lang.pick(" ; d'ici là, vous pourrez le réactiver ici.", "; until then you may reactivate it here.")) }
                    }
                    _ => {
                        p { (lang.pick(
                            "Aucun délai de grâce n'est déclaré : l'effacement suivra dans le délai légal d'un mois, sans réactivation possible.",
                            "No grace period is declared: erasure follows within the legal deadline of one month, with no reactivation."
                        )) }
                    }
                }
                @if !described.is_empty() {
                    h3 { (lang.pick("Ce qui sera effacé, ce qui sera conservé", "What is erased, what is kept")) }
                    @for line in described.lines() { p { (line) } }
                }
                form method="post" action="/portail/cloturer" {
                    input type="hidden" name="csrf" value=(who.csrf);
                    input type="checkbox" id="confirm" name="confirm" value="oui" required;
                    label for="confirm" { (lang.pick("Je confirme vouloir fermer mon compte", "I confirm I want to close my account")) }
                    button type="submit" { (lang.pick("Fermer mon compte", "Close my account")) }
                }
            }
        }
        p { a href="/portail/demandes" { (lang.pick("Suivre vos demandes", "Follow your requests")) } }
        p { a href="/portail" { (lang.pick("Retour à Mes données", "Back to My data")) } }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.pick("Votre compte", "Your account"),
            "/portail/compte",
            Some(who.csrf),
            body,
        ),
    )
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    request: String,
}

/// `POST /portail/cloturer`: the erasure request with account closure.
pub async fn close_account(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    if !csrf_ok(&who, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    if form.confirm != "oui" {
        return refused_page(
            lang,
            &who.csrf,
            "/portail/compte",
            Refused::input(
                "Cochez la case de confirmation pour fermer votre compte.",
                "Tick the confirmation box to close your account.",
            ),
        );
    }
    let subject = who.subject.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                if pending_closure(svc, &subject)?.is_some() {
                    return Err(Refused::input(
                        "La fermeture de votre compte est déjà demandée.",
                        "The closure of your account is already requested.",
                    ));
                }
                open_verified(svc, vault, &subject, RequestKind::Erasure, true)?;
                Ok(())
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect("/portail/compte?fait=fermeture", &[]),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/compte", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

/// `POST /portail/reactiver`: the subject withdraws the closure request.
pub async fn reactivate(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    let lang = l.lang;
    let Some(who) = signed(&state, &headers).await else {
        return back_to_portal();
    };
    if !csrf_ok(&who, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let subject = who.subject.clone();
    let id = form.request.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, _| {
                let v = svc.get(&id).map_err(|_| not_yours())?;
                if v.subject.as_deref() != Some(subject.as_str()) || !v.account_closure {
                    return Err(not_yours());
                }
                if !v.is_open() {
                    return Err(Refused::input(
                        "Cette fermeture n'est plus en cours : elle a été retirée ou exécutée.",
                        "This closure is no longer pending: it was withdrawn or carried out.",
                    ));
                }
                if closure_final(s, &v).is_some_and(|at| s.clock.now() >= at) {
                    return Err(Refused::input(
                        "Le délai de grâce est écoulé : la fermeture est définitive et le compte ne peut plus être réactivé.",
                        "The grace period is over: the closure is final and the account can no longer be reactivated.",
                    ));
                }
                svc.withdraw(&id, v.version, &subject)?;
                Ok(())
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect("/portail/compte?fait=reactivation", &[]),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/compte", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}
