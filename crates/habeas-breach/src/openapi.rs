//! Schemas for the HTTP API's OpenAPI document (feature `openapi`, enabled by
//! habeas-web): the breach bodies are the register's own types, so their
//! schema is derived from them and cannot drift from what is accepted. The
//! one type that needs a hand-written schema is the bilingual text, which
//! habeas-core deserializes from two shapes.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A free text written by staff, as a request gives it: one string for both
/// languages, or `{"fr": "…", "en": "…"}` (both required). It flows into
/// the bilingual authority forms and subject letters.
pub struct BilingualText;

impl PartialSchema for BilingualText {
    fn schema() -> RefOr<Schema> {
        let string = || ObjectBuilder::new().schema_type(Type::String);
        OneOfBuilder::new()
            .description(Some(
                "une chaîne pour les deux langues, ou {\"fr\", \"en\"} / one string for both languages, or {\"fr\", \"en\"}",
            ))
            .item(string())
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("fr", string())
                    .property("en", string())
                    .required("fr")
                    .required("en")
                    .additional_properties(Some(AdditionalProperties::FreeForm(false))),
            )
            .into()
    }
}

impl ToSchema for BilingualText {}
