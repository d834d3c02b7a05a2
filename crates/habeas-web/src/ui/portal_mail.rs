//! The portal's mail lists page (SPEC C12): a mail user sees their allow,
//! deny and personal lists, adds and removes entries, and chooses how
//! personal mail is marked (IMAP keyword, folder, subject tag).
//!
//! Why through `habeas_mail::vault_store`: the lists are personal data held
//! in the vault (category `mail_lists`), so every read and change goes
//! through the same store as `habeas mail` and the HTTP API — sealed,
//! journaled under the declared mail activity, all or nothing — and a
//! duplicate or a contradiction is refused with the library's own
//! bilingual message. The mailbox is the one the signed-in subject's list
//! records name; a subject holding no lists has nothing to manage here
//! (lists are first created by the mail service, `habeas mail lists`).

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::declarations::Declarations;
use habeas_core::lang::Lang;
use habeas_engine::{EngineError, Vault};
use habeas_mail::vault_store::{MAIL_LISTS, VaultListStore, check_category};
use habeas_mail::{ListKind, MailListStore, Settings, StoreError, TagStyle, UserLists};
use maud::html;
use serde::Deserialize;

use super::UiState;
use super::http::{PageQuery, UiLang};
use super::page::{Area, Failure, html_response, redirect};
use super::portal::{page, portal_caller};
use super::portal_rights::{
    DoneQuery, Refused, confirmation, csrf_ok, refused_page, remember_lang, signed,
};
use crate::storage_full::OurSide;
use crate::t;

/// Whether the declarations provide for mail lists (the home page links here).
pub(super) fn offered(decls: &Declarations) -> bool {
    check_category(decls).is_ok()
}

/// The store's actor in the journal.
const ACTOR: &str = "portal";

fn list_label(kind: ListKind, lang: Lang) -> String {
    match kind {
        ListKind::Perso => t!(lang, "portal-mail-list-perso"),
        ListKind::Allow => t!(lang, "portal-mail-list-allow"),
        ListKind::Deny => t!(lang, "portal-mail-list-deny"),
    }
}

fn store_refused(e: StoreError) -> Refused {
    match e {
        // The library's message is already French / English.
        StoreError::Lists(err) => {
            let text = err.to_string();
            Refused::input(text.clone(), text)
        }
        other => Refused::Internal(OurSide::within("mail lists", &other)),
    }
}

/// The signed-in subject's mailbox: the one their list records name.
fn mailbox_of(vault: &Vault, subject: &str) -> Result<Option<String>, Refused> {
    let view = match vault.read(&portal_caller(), subject, Some(MAIL_LISTS)) {
        Ok(v) => v,
        Err(EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mailbox = view
        .records
        .iter()
        .find_map(|r| r.fields.get("mailbox").and_then(|v| v.as_str()))
        .map(str::to_string);
    let Some(mailbox) = mailbox else {
        return Ok(None);
    };
    // The store finds lists by the mailbox's blind index: it must lead
    // back to this subject and no other, or nothing is shown or changed.
    let found = vault.find(&portal_caller(), "email", &mailbox)?;
    if found.as_slice() != [subject.to_string()] {
        return Err(Refused::said(|l| t!(l, "portal-mail-shared-mailbox")));
    }
    Ok(Some(mailbox))
}

/// Runs `f` with the store and the subject's mailbox (None: no lists).
fn with_lists<T>(
    s: &UiState,
    subject: &str,
    f: impl FnOnce(&VaultListStore<'_>, &str) -> Result<T, Refused>,
) -> Result<Option<T>, Refused> {
    let Some(mailbox) = mailbox_of(&s.vault, subject)? else {
        return Ok(None);
    };
    let store = VaultListStore::new(&s.vault, ACTOR, None).map_err(store_refused)?;
    f(&store, &mailbox).map(Some)
}

/// `GET /portail/listes`.
pub async fn lists(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    PageQuery(q): PageQuery<DoneQuery>,
) -> Response {
    let lang = l.lang;
    let who = match signed(&state, &headers, lang).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    if !offered(state.vault.declarations()) {
        return Failure::NotFound.render(lang, Area::Portal);
    }
    let subject = who.subject.clone();
    let loaded = state
        .run(move |s| {
            with_lists(s, &subject, |store, mailbox| {
                Ok(store
                    .load(mailbox)
                    .map_err(store_refused)?
                    .unwrap_or_else(|| UserLists::new(mailbox.to_string())))
            })
        })
        .await;
    let lists = match loaded {
        Ok(Ok(l)) => l,
        Ok(Err(r)) => return refused_page(lang, &who.csrf, "/portail", r),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        @match &lists {
            None => {
                p { (t!(lang, "portal-mail-none-intro")) }
            }
            Some(lists) => {
                p { (t!(lang, "portal-mail-mailbox")) " " strong { (lists.user) } }
                p { (t!(lang, "portal-mail-entry-help")) }
                @for kind in ListKind::ALL {
                    section {
                        h2 { (list_label(kind, lang)) }
                        @if lists.list(kind).is_empty() {
                            p { (t!(lang, "portal-mail-empty-list")) }
                        } @else {
                            ul {
                                @for e in lists.list(kind) {
                                    li {
                                        (e.to_string()) " "
                                        form method="post" action="/portail/listes/retrait" class="inline" {
                                            input type="hidden" name="csrf" value=(who.csrf);
                                            input type="hidden" name="list" value=(kind.as_str());
                                            input type="hidden" name="entry" value=(e.to_string());
                                            button type="submit" aria-label=(t!(lang, "portal-mail-remove-entry", entry = e.to_string())) {
                                                (t!(lang, "portal-mail-remove"))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section {
                    h2 { (t!(lang, "portal-mail-add-entry")) }
                    form method="post" action="/portail/listes/ajout" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        label for="list" { (t!(lang, "portal-mail-list-label")) }
                        select id="list" name="list" {
                            @for kind in ListKind::ALL {
                                option value=(kind.as_str()) { (list_label(kind, lang)) }
                            }
                        }
                        label for="entry" { (t!(lang, "portal-mail-entry-label")) }
                        input type="text" id="entry" name="entry" required maxlength="320";
                        button type="submit" { (t!(lang, "portal-mail-add")) }
                    }
                }
                section {
                    h2 { (t!(lang, "portal-mail-marking-title")) }
                    form method="post" action="/portail/listes/marquage" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        p {
                            input type="checkbox" id="keyword" name="keyword" value="oui" checked[lists.settings.tag.keyword];
                            label for="keyword" { (t!(lang, "portal-mail-marking-keyword")) }
                        }
                        p {
                            label for="folder" { (t!(lang, "portal-mail-marking-folder")) }
                            input type="text" id="folder" name="folder" value=(lists.settings.tag.folder.as_deref().unwrap_or("")) maxlength="100";
                        }
                        p {
                            label for="subject" { (t!(lang, "portal-mail-marking-prefix")) }
                            input type="text" id="subject" name="subject" value=(lists.settings.tag.subject.as_deref().unwrap_or("")) maxlength="40";
                        }
                        button type="submit" { (t!(lang, "portal-mail-marking-save")) }
                    }
                }
            }
        }
        p { a href="/portail" { (t!(lang, "portal-back-to-my-data")) } }
    };
    let r = html_response(
        StatusCode::OK,
        page(
            lang,
            &t!(lang, "portal-act-mail-lists"),
            "/portail/listes",
            Some(who.csrf),
            body,
        ),
    );
    remember_lang(&l, r)
}

#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    list: String,
    #[serde(default)]
    entry: String,
}

#[derive(Deserialize)]
pub struct TagForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    folder: String,
    #[serde(default)]
    subject: String,
}

/// What a POST changes in the lists.
enum Change {
    Add(ListKind, String),
    Remove(ListKind, String),
    Tag(TagStyle),
}

async fn change(
    state: UiState,
    lang: Lang,
    headers: HeaderMap,
    csrf: String,
    what: Result<Change, Refused>,
) -> Response {
    let who = match signed(&state, &headers, lang).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    if !csrf_ok(&who, &csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let what = match what {
        Ok(w) => w,
        Err(r) => return refused_page(lang, &who.csrf, "/portail/listes", r),
    };
    let subject = who.subject.clone();
    let done = state
        .run(move |s| {
            with_lists(s, &subject, |store, mailbox| {
                store.update(mailbox, |lists| -> Result<(), Refused> {
                    match &what {
                        Change::Add(kind, raw) => {
                            lists.add(*kind, raw).map_err(|e| store_refused(e.into()))?;
                        }
                        Change::Remove(kind, raw) => {
                            lists
                                .remove(*kind, raw)
                                .map_err(|e| store_refused(e.into()))?;
                        }
                        Change::Tag(tag) => {
                            let settings = Settings {
                                tag: tag.clone(),
                                ..lists.settings.clone()
                            };
                            lists
                                .set_settings(settings)
                                .map_err(|e| store_refused(e.into()))?;
                        }
                    }
                    Ok(())
                })
            })
        })
        .await;
    match done {
        Ok(Ok(Some(()))) => redirect("/portail/listes?fait=liste", &[]),
        Ok(Ok(None)) => refused_page(
            lang,
            &who.csrf,
            "/portail/listes",
            Refused::said(|l| t!(l, "portal-mail-none")),
        ),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/listes", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        store_refused(e)
    }
}

fn kind_of(list: &str) -> Result<ListKind, Refused> {
    ListKind::parse(list).ok_or_else(|| Refused::said(|l| t!(l, "portal-mail-unknown-list")))
}

/// `POST /portail/listes/ajout`.
pub async fn add(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<EntryForm>,
) -> Response {
    let what = kind_of(&form.list).map(|k| Change::Add(k, form.entry.trim().to_string()));
    change(state, l.lang, headers, form.csrf, what).await
}

/// `POST /portail/listes/retrait`.
pub async fn remove(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<EntryForm>,
) -> Response {
    let what = kind_of(&form.list).map(|k| Change::Remove(k, form.entry.trim().to_string()));
    change(state, l.lang, headers, form.csrf, what).await
}

/// `POST /portail/listes/marquage`: the tag style (the library checks it:
/// at least one style, a valid folder name and subject tag).
pub async fn tag(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<TagForm>,
) -> Response {
    let text = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    };
    let what = Ok(Change::Tag(TagStyle {
        keyword: form.keyword == "oui",
        folder: text(&form.folder),
        subject: text(&form.subject),
    }));
    change(state, l.lang, headers, form.csrf, what).await
}
