//! The answers a subject receives: the Art. 15 access export and the Art. 20
//! portability export, and their renderings.
//!
//! Why split this way: [`access::build_access_export`] and
//! [`portability::build_portability_export`] are pure functions from the
//! holdings and the declarations to one typed document; the renderers
//! ([`json`], [`csv_zip`], [`html`]) only format that document, so every
//! format says the same thing. The JSON schema is documented field by field
//! in `docs/rights.md`.

pub mod access;
pub mod csv_zip;
pub mod html;
pub mod json;
pub mod model;
pub mod portability;

pub use access::build_access_export;
pub use csv_zip::{access_csv_zip, portability_csv_zip};
pub use html::access_html;
pub use model::*;
pub use portability::build_portability_export;
