//! The OpenAPI 3 document served at `/api/openapi.json`, generated from the
//! handlers' annotations (utoipa), so it cannot drift from the routes.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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

#[derive(OpenApi)]
#[openapi(
    info(title = "Habeas vault API", description = "Encrypted personal-data vault: subjects, records, lookup by identifier. Every call is audited."),
    paths(api::create_subject, api::write_record, api::write_bulk, api::read_records, api::find,
          rights::create_request, rights::list_requests, rights::show_request, rights::send_code,
          rights::verify_code, rights::record_proof, rights::transition, rights::export, rights::erase, rights::rectify,
          rights::consent_event, rights::consent_proof,
          breach::open, breach::list, breach::show, breach::update, breach::impact, breach::decide,
          breach::notify_authority, breach::export_form, breach::close, breach::reopen,
          mail_lists::show, mail_lists::add, mail_lists::remove, mail_lists::settings, mail_lists::erase,
          notices::list, notices::show, notices::publish, stats::category_stats),
    components(schemas(CreateSubject, SubjectCreated, RecordBody, EventsBody, RecordWritten, BulkWritten,
                       RecordOut, SubjectRecords, FindBody, FindResult, ErrorBody,
                       rights::NewRequestBody, rights::CodeBody, rights::ProofBody, rights::TransitionBody,
                       rights::ErasureBody, rights::ConsentBody, rights::RectifyBody,
                       breach::ReasonBody, breach::DecisionBody, breach::NotificationBody,
                       mail_lists::EntriesBody, notices::PublishBody, stats::StatsOut, stats::StatsCell)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub async fn serve_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
