//! The JSON API handlers. Each one takes its caller's [`Credential`] — the
//! token [`token_first`] already authenticated for a request with a body,
//! or the bearer token a read authenticates itself — then runs the engine
//! call on a blocking thread through [`crate::blocking`] (STYLE.md (d)9).
//! The audited single-record calls — write, read, find — go through
//! [`crate::journaled`] instead: their work runs on the async worker unless
//! it may touch the key store, and their commit is awaited, not waited for
//! on a thread.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use habeas_core::declarations::PurposeKind;
use habeas_engine::match_existing::{ExistingMatch, Matched, ReferenceProbe};
use habeas_engine::{BulkLine, Caller, EngineError, Refusal, Token, Vault};

use crate::dto::*;
use crate::error::{ApiError, ApiQuery};
use crate::{AppState, MAX_BULK_BODY, MAX_RECORD_BODY, Plan, blocking, journaled, planned};

pub(crate) fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string());
    value.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            Refusal::new(
                "token_required",
                "jeton requis : en-tête Authorization: Bearer hbs_… (créez-en un avec `habeas token create`)",
                "token required: Authorization: Bearer hbs_… header (create one with `habeas token create`)",
            ),
        )
    })
}

pub(crate) fn purpose(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-habeas-purpose")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Checks the bearer token of an API request that may carry a body before
/// the handler reads or parses it: a missing, wrong or revoked token gets
/// 401 whatever the body (a caller who is not authenticated learns nothing
/// about what a body should look like, and costs no parsing). Reads (`GET`,
/// `HEAD`) carry no body and are checked by their handlers — some are
/// public (the notices).
///
/// Authentication only, and once: the token found is handed to the handler
/// in the request's extensions ([`Authenticated`], taken by [`Credential`]),
/// so a write costs one token lookup, not two. The scope (purposes,
/// categories) is still checked by the handler's engine call. A token
/// revoked after this check is refused from the next request on: the
/// window is this one request, the same as a revocation landing while the
/// engine call runs.
pub(crate) async fn token_first(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if reads || !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let token = match bearer(req.headers()) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    // One indexed read of the token table.
    let plan = Plan::for_call(&state.vault, None);
    match planned(&state, plan, move |v| v.authenticate(&token)).await {
        Ok(token) => {
            req.extensions_mut().insert(Authenticated(token));
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The token [`token_first`] authenticated for this request.
#[derive(Clone)]
pub(crate) struct Authenticated(Token);

/// Who calls an API handler: the token [`token_first`] authenticated, or —
/// on the reads the layer lets through — the bearer token still to
/// authenticate. Extracted before the body, so a request without a token
/// is 401 whatever its body.
pub(crate) enum Credential {
    Checked(Token),
    Bearer(String),
}

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.remove::<Authenticated>() {
            Some(Authenticated(token)) => Ok(Credential::Checked(token)),
            None => bearer(&parts.headers).map(Credential::Bearer),
        }
    }
}

impl Credential {
    /// The caller's token, authenticating the bearer token if the layer did
    /// not (one lookup per request either way).
    pub(crate) fn token(self, vault: &Vault) -> Result<Token, EngineError> {
        match self {
            Credential::Checked(token) => Ok(token),
            Credential::Bearer(presented) => vault.authenticate(&presented),
        }
    }

    /// The engine caller, authenticating the bearer token if the layer did not.
    pub(crate) fn caller(
        self,
        vault: &Vault,
        purpose: Option<String>,
    ) -> Result<Caller, EngineError> {
        Ok(Caller::token(self.token(vault)?, purpose))
    }

    /// The caller of an API reserved to purposes of some kinds (the breach
    /// register, rights requests): the purpose stated in `X-Habeas-Purpose`
    /// must be one the token carries and be declared with one of `kinds`.
    /// Otherwise the refusal is journaled (`{register} denied: {code}`) and
    /// answered 403 with `refusal`.
    pub(crate) fn caller_of_kind(
        self,
        vault: &Vault,
        purpose: Option<String>,
        kinds: &[PurposeKind],
        register: &str,
        refusal: Refusal,
    ) -> Result<Caller, ApiError> {
        let token = self.token(vault)?;
        let caller = Caller::token(token.clone(), purpose);
        let decls = vault.declarations();
        let allowed = caller.purpose.as_deref().is_some_and(|p| {
            token.purposes.iter().any(|t| t == p)
                && decls.activity(p).is_some_and(|a| kinds.contains(&a.kind))
        });
        if !allowed {
            vault.journal_admin(
                &caller,
                "refused",
                format!("{register} denied: {}", refusal.code),
            )?;
            return Err(ApiError::new(StatusCode::FORBIDDEN, refusal));
        }
        Ok(caller)
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(limit)
        } else {
            ApiError::bad_request(
                "unreadable_body",
                "corps de requête illisible",
                "unreadable request body",
            )
        }
    })
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_json(&e, None))
}

/// Create a data subject.
#[utoipa::path(post, path = "/api/subjects", request_body(content = Option<CreateSubject>, description = "optional: an empty body creates a subject of the default kind"),
    responses((status = 201, body = SubjectCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_subject(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubjectCreated>), ApiError> {
    let bytes = body_bytes(body, MAX_RECORD_BODY)?;
    let req: CreateSubject = if bytes.iter().all(u8::is_ascii_whitespace) {
        CreateSubject::default()
    } else {
        parse(&bytes)?
    };
    let p = purpose(&headers);
    let subject = blocking(&state, move |v| {
        let c = credential.caller(v, p)?;
        v.create_subject(&c, req.kind.as_deref())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(SubjectCreated { subject })))
}

/// Write one record for a subject.
#[utoipa::path(post, path = "/api/subjects/{subject}/records", request_body = RecordBody,
    params(("subject" = String, Path, description = "subject id (sub_…)"),
           ("X-Habeas-Purpose" = Option<String>, Header, description = "the purpose (declared activity) of this call")),
    responses((status = 201, body = RecordWritten), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn write_record(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    credential: Credential,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<RecordWritten>), ApiError> {
    let bytes = body_bytes(body, MAX_RECORD_BODY)?;
    let rec: RecordBody = parse(&bytes)?;
    if rec.subject.is_some() || rec.subject_ref.is_some() {
        return Err(ApiError::bad_request(
            "subject_in_body",
            "la personne concernée est donnée par l'URL ; retirez « subject »/« subject_ref » du corps",
            "the URL names the subject; remove `subject`/`subject_ref` from the body",
        ));
    }
    let p = purpose(&headers);
    let plan = Plan::for_call(&state.vault, Some((&subject, &rec.category)));
    let r = journaled(&state, plan, move |v| {
        let c = credential.caller(v, p)?;
        v.write_begin(&c, &subject, rec.into_input())
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RecordWritten {
            subject: r.subject,
            record: r.record,
            category: r.category,
            due_at: r.due_at,
        }),
    ))
}

/// Write many records, one JSON object per line (JSON Lines), all or nothing.
#[utoipa::path(post, path = "/api/records/bulk", params(BulkQuery),
    request_body(content = String, content_type = "application/x-ndjson", description = "one RecordBody per line, each with `subject` or `subject_ref`"),
    responses((status = 201, body = BulkWritten), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn write_bulk(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<BulkQuery>,
    credential: Credential,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<BulkWritten>), ApiError> {
    let match_existing = match q.match_existing.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad_parameter",
                "match_existing vaut true ou false",
                "match_existing is true or false",
            ));
        }
    };
    let bytes = body_bytes(body, MAX_BULK_BODY)?;
    // A body saved by a Windows editor may start with a UTF-8 byte-order mark, which JSON
    // does not allow: it is not part of the first record.
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut lines = Vec::new();
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let line = i as u64 + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let rec: RecordBody =
            serde_json::from_slice(raw).map_err(|e| ApiError::invalid_json(&e, Some(line)))?;
        lines.push(BulkLine {
            line,
            input: rec.into_input(),
        });
    }
    if lines.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "corps vide : une ligne JSON par enregistrement",
            "empty body: one JSON line per record",
        ));
    }
    let p = purpose(&headers);
    let (r, matched) = blocking(&state, move |v| {
        let c = credential.caller(v, p)?;
        let mut lines = lines;
        let mut matched = Matched::default();
        if match_existing {
            let mut probes = ExistingMatch::new();
            for l in &lines {
                probes.add(l.line, ReferenceProbe::of(v.declarations(), &l.input))?;
            }
            matched = probes.resolve(v, &c, 1)?;
            // One refusal at most (`resolve`'s limit): the first line.
            if let Some((line, refused)) = matched.refused.drain(..).next() {
                return Err(refused.at_line(line));
            }
            for l in &mut lines {
                matched.apply(&mut l.input);
            }
        }
        Ok((v.write_bulk(&c, lines)?, matched.len()))
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(BulkWritten {
            written: r.written,
            created_subjects: r.created_subjects,
            matched_subjects: matched,
            waiting_for_event: r.waiting_for_event,
        }),
    ))
}

/// Read a subject's records (audited: journaled durably before the answer).
#[utoipa::path(get, path = "/api/subjects/{subject}/records",
    params(("subject" = String, Path, description = "subject id (sub_…)"), ReadQuery,
           ("X-Habeas-Purpose" = Option<String>, Header, description = "the purpose of this read")),
    responses((status = 200, body = SubjectRecords), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn read_records(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    ApiQuery(q): ApiQuery<ReadQuery>,
    credential: Credential,
    headers: HeaderMap,
) -> Result<Json<SubjectRecords>, ApiError> {
    let p = purpose(&headers);
    // A read of every category may need several keys: on the blocking pool.
    let plan = match &q.category {
        Some(c) => Plan::for_call(&state.vault, Some((&subject, c))),
        None => Plan::Blocking,
    };
    let view = journaled(&state, plan, move |v| {
        let c = credential.caller(v, p)?;
        v.read_begin(&c, &subject, q.category.as_deref())
    })
    .await?;
    Ok(Json(SubjectRecords {
        subject: view.subject,
        kind: view.kind,
        status: view.status,
        withheld: view.withheld,
        records: view
            .records
            .into_iter()
            .map(|r| RecordOut {
                id: r.id,
                category: r.category,
                fields: r.fields,
                source: r.source,
                purposes: r.purposes,
                collected_at: r.collected_at,
                due_at: r.due_at,
            })
            .collect(),
    }))
}

/// Find subjects by an identifier, through the blind index.
#[utoipa::path(post, path = "/api/subjects/find", request_body = FindBody,
    responses((status = 200, body = FindResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn find(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FindResult>, ApiError> {
    let bytes = body_bytes(body, MAX_RECORD_BODY)?;
    let req: FindBody = parse(&bytes)?;
    let p = purpose(&headers);
    // A blind-index lookup: no data key is needed.
    let plan = Plan::for_call(&state.vault, None);
    let subjects = journaled(&state, plan, move |v| {
        let c = credential.caller(v, p)?;
        v.find_begin(&c, &req.kind, &req.value)
    })
    .await?;
    Ok(Json(FindResult { subjects }))
}

/// Date a retention event on a subject's records (contract end, account
/// closure, last interaction, a provider event): their retention due dates
/// are recomputed from the declared rules (GDPR Art. 5(1)(e)).
#[utoipa::path(post, path = "/api/subjects/{subject}/events", request_body = EventBody,
    params(("subject" = String, Path, description = "subject id (sub_…)"),
           ("X-Habeas-Purpose" = Option<String>, Header, description = "the purpose (declared activity) of this call")),
    responses((status = 200, body = EventDatedOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn date_event(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    credential: Credential,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EventDatedOut>, ApiError> {
    let bytes = body_bytes(body, MAX_RECORD_BODY)?;
    let req: EventBody = parse(&bytes)?;
    let p = purpose(&headers);
    let done = blocking(&state, move |v| {
        let c = credential.caller(v, p)?;
        v.date_event(&c, &subject, &req.event, req.at)
    })
    .await?;
    Ok(Json(EventDatedOut {
        subject: done.subject,
        event: done.event,
        updated: done.updated,
        due_now: done.due_now,
        withheld: done.withheld,
    }))
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
