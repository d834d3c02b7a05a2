//! The enrolment QR code as an SVG image, ready to inline in a page.
//!
//! Why SVG: it needs no image library and no JavaScript, scales for print and
//! screen readers get a title; `qrcodegen` (no dependencies) builds the matrix.

use qrcodegen::{QrCode, QrCodeEcc};

use crate::error::AuthError;

/// An SVG drawing of `text` as a QR code (medium error correction, 4-module
/// quiet zone), titled for assistive technology.
pub fn svg(text: &str, title: &str) -> Result<String, AuthError> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| AuthError::Config("the enrolment URI is too long for a QR code".into()))?;
    let border = 4;
    let size = qr.size();
    let full = size + 2 * border;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" role=\"img\" aria-label=\"{title}\" shape-rendering=\"crispEdges\"><title>{title}</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        title = xml_escape(title)
    ))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_becomes_a_titled_square_svg() {
        let s = svg(
            "otpauth://totp/Habeas:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Habeas",
            "Code QR <TOTP>",
        )
        .unwrap();
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "));
        assert!(s.contains("<title>Code QR &lt;TOTP&gt;</title>"));
        // Version ≥ 4 for ~90 bytes at level M: at least 33 + 8 modules wide.
        let n: i32 = s["<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(n >= 41, "{n}");
        assert!(s.matches('M').count() > 200);
    }
}
