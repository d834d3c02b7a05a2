//! The OpenAPI 3 document served at `/api/openapi.json`, generated from the
//! handlers' annotations (utoipa), so it cannot drift from the routes.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::breach;
use crate::dto::*;
use crate::mail_lists;
use crate::notices;
use crate::rights;
use crate::stats;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The error answers every authenticated operation can give, each with the
/// same `ErrorBody` (the server's one error model, `error.rs`), added where an
/// operation's own annotation does not already describe that status: a
/// client learns them from the document instead of meeting them undocumented
/// (schemathesis found 44 such answers; docs/fuzzing.md).
struct ErrorResponses;

impl ErrorResponses {
    fn statuses(path: &str, op: &Operation) -> Vec<(&'static str, &'static str)> {
        let has_body = op.request_body.is_some();
        let has_path_params = path.contains('{');
        let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let mut out = vec![
            (
                "400",
                "malformed request: invalid JSON, an unknown field, a bad parameter or header",
            ),
            ("401", "no valid bearer token"),
            (
                "403",
                "the token's purposes (or the stated `X-Habeas-Purpose`) do not allow this",
            ),
        ];
        if has_path_params {
            out.push(("404", "nothing of that id is stored"));
        }
        if has_body {
            out.push(("413", "the body is larger than the limit"));
        }
        if has_body || has_path_params || has_params {
            out.push((
                "422",
                "the input breaks a declared rule (unknown category, wrong type, invalid id…): nothing changed",
            ));
        }
        out.push(("500", "internal error; nothing was acknowledged"));
        out.push((
            "503",
            "the vault's disk is full (`storage_full`): nothing was stored or read; retry after `Retry-After` seconds, once space is freed",
        ));
        out
    }
}

/// The `Retry-After` header of a 503 answer ([`crate::error::RETRY_AFTER_SECONDS`]).
fn retry_after() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer)
                .minimum(Some(1)),
        ))
        .description(Some(format!(
            "seconds to wait before retrying ({})",
            crate::error::RETRY_AFTER_SECONDS
        )))
        .build()
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if op.security.is_none() {
                    continue;
                }
                for (status, description) in Self::statuses(path, op) {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            let mut answer =
                                ResponseBuilder::new().description(description).content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                );
                            if status == "503" {
                                answer = answer.header("Retry-After", retry_after());
                            }
                            RefOr::T(answer.build())
                        });
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Habeas vault API", description = "Encrypted personal-data vault: subjects, records, lookup by identifier. Every call is audited."),
    paths(api::create_subject, api::write_record, api::write_bulk, api::read_records, api::find, api::date_event,
          rights::create_request, rights::list_requests, rights::show_request, rights::send_code,
          rights::verify_code, rights::record_proof, rights::transition, rights::export, rights::erase, rights::rectify,
          rights::consent_event, rights::consent_proof,
          breach::open, breach::list, breach::show, breach::update, breach::impact, breach::decide,
          breach::notify_authority, breach::export_form, breach::close, breach::reopen,
          mail_lists::show, mail_lists::add, mail_lists::remove, mail_lists::settings, mail_lists::erase,
          notices::list, notices::show, notices::publish, stats::category_stats),
    components(schemas(CreateSubject, SubjectCreated, RecordBody, EventsBody, RecordWritten, BulkWritten,
                       RecordOut, SubjectRecords, FindBody, FindResult, EventBody, EventDatedOut, ErrorBody,
                       rights::NewRequestBody, rights::CodeBody, rights::ProofBody, rights::TransitionBody,
                       rights::ErasureBody, rights::ConsentBody, rights::RectifyBody,
                       breach::ReasonBody, breach::DecisionBody, breach::NotificationBody,
                       mail_lists::EntriesBody, notices::PublishBody, stats::StatsOut, stats::StatsCell)),
    modifiers(&BearerAuth, &ErrorResponses)
)]
pub struct ApiDoc;

pub async fn serve_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> serde_json::Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the document serialises")
    }

    #[test]
    fn every_authenticated_operation_documents_the_error_answers_it_can_give() {
        let doc = doc();
        let paths = doc["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("item") {
                if op.get("security").is_none() {
                    continue; // public: the notices' versions
                }
                operations += 1;
                let responses = op["responses"].as_object().expect("responses");
                for status in ["400", "401", "403", "500", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: no {status}"
                    );
                }
                if path.contains('{') {
                    assert!(responses.contains_key("404"), "{method} {path}: no 404");
                    assert!(responses.contains_key("422"), "{method} {path}: no 422");
                }
                if op.get("requestBody").is_some() {
                    assert!(responses.contains_key("413"), "{method} {path}: no 413");
                }
                assert_eq!(
                    responses["500"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody"
                );
                assert_eq!(
                    responses["503"]["headers"]["Retry-After"]["schema"]["type"], "integer",
                    "{method} {path}: a 503 says when to retry"
                );
            }
        }
        assert!(operations >= 33, "{operations} operations");
        // An operation's own description of a status is kept.
        let find = &doc["paths"]["/api/subjects/{subject}/records"]["post"]["responses"];
        assert!(find["413"]["content"].is_object());
    }

    /// A client generating its types from the document gets the breach
    /// register's bodies field by field, as the register's own types accept
    /// them (they were an untyped `object`).
    #[test]
    fn the_breach_bodies_are_described_field_by_field() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        let body_ref = |path: &str, method: &str| {
            doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"]
                .as_str()
                .map(|r| r.trim_start_matches("#/components/schemas/").to_string())
        };
        assert_eq!(
            body_ref("/api/breaches", "post").as_deref(),
            Some("NewBreach")
        );
        let new = &schemas["NewBreach"];
        let mut required: Vec<&str> = new["required"]
            .as_array()
            .expect("required fields")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        required.sort_unstable();
        assert_eq!(
            required,
            ["aware_at", "description", "detected_at", "natures"],
            "the rest has defaults: {new}"
        );
        assert_eq!(
            schemas["Nature"]["enum"],
            serde_json::json!(["confidentiality", "integrity", "availability"])
        );
        let text = &new["properties"]["description"];
        let shapes = text["oneOf"]
            .as_array()
            .or_else(|| schemas["BilingualText"]["oneOf"].as_array())
            .expect("a bilingual text is a string or {fr, en}");
        assert_eq!(shapes.len(), 2, "{text}");
        assert_eq!(
            body_ref("/api/breaches/{id}", "patch").as_deref(),
            Some("UpdateBody")
        );
        let patch = &schemas["BreachPatch"];
        assert_eq!(
            patch["additionalProperties"], false,
            "an unknown field is refused, as the register refuses it"
        );
        assert!(patch["properties"]["measures_taken"].is_object(), "{patch}");
    }

    #[test]
    fn creating_a_subject_takes_an_optional_body() {
        let doc = doc();
        let body = &doc["paths"]["/api/subjects"]["post"]["requestBody"];
        assert_ne!(body["required"], true, "{body}");
    }
}
