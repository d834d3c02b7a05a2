//! Reports: the harness's JSON Lines interchange format (streamed), per-file summaries with a
//! risk score (JSON), and a table for people. Values are masked unless asked for.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::kind::PiiType;
use crate::walk::{FileReport, Hit};

/// Per-file risk score: Σ over types of weight(type) × log2(1 + count). Logarithmic in the
/// count so that one dump with 10 000 e-mails does not hide a letter with a NIR and an IBAN;
/// weighted because GDPR Art. 9–10 data and national identifiers (Art. 87) or payment data
/// carry more harm if leaked than an IP address. Documented in docs/scan.md.
pub fn risk(counts: &BTreeMap<PiiType, u64>) -> f64 {
    let r: f64 = counts
        .iter()
        .map(|(t, &n)| f64::from(t.weight()) * (1.0 + n as f64).log2())
        .sum();
    (r * 10.0).round() / 10.0
}

/// "élevé/high" ≥ 40, "moyen/medium" ≥ 10, else "faible/low".
pub fn risk_level(r: f64) -> &'static str {
    if r >= 40.0 {
        "élevé/high"
    } else if r >= 10.0 {
        "moyen/medium"
    } else {
        "faible/low"
    }
}

pub fn counts(hits: &[Hit]) -> BTreeMap<PiiType, u64> {
    let mut m = BTreeMap::new();
    for h in hits {
        *m.entry(h.kind).or_insert(0) += 1;
    }
    m
}

/// Masked preview: the first two and last two letters or digits stay, others become `•`;
/// separators stay so the shape is recognisable. Short values keep one character.
pub fn mask(value: &str) -> String {
    let alnum = value.chars().filter(|c| c.is_alphanumeric()).count();
    let (keep_head, keep_tail) = if alnum >= 8 { (2, 2) } else { (1, 0) };
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen <= keep_head || seen > alnum - keep_tail {
                    c
                } else {
                    '•'
                }
            } else {
                c
            }
        })
        .collect()
}

/// Append one interchange line per hit (`{"path","start","end","type"}` + score, part, value)
/// to `out` (UTF-8). Written by hand rather than through `format!`: bulk scans print a million
/// lines, and formatting machinery showed as a tenth of the whole command in profiles.
pub fn jsonl_lines(file: &FileReport, show_values: bool, out: &mut Vec<u8>) {
    let path = serde_json::to_string(&file.path).unwrap_or_else(|_| "\"\"".into());
    // Hits of one decoded part are consecutive: escape each label once.
    let mut part_json: (Option<&str>, String) = (None, String::new());
    for h in &file.hits {
        let hundredths = (h.confidence.clamp(0.0, 1.0) * 100.0).round() as u32;
        out.extend_from_slice(b"{\"path\":");
        out.extend_from_slice(path.as_bytes());
        out.extend_from_slice(b",\"start\":");
        push_uint(out, h.start as u64);
        out.extend_from_slice(b",\"end\":");
        push_uint(out, h.end as u64);
        out.extend_from_slice(b",\"type\":\"");
        out.extend_from_slice(h.kind.name().as_bytes());
        out.extend_from_slice(b"\",\"score\":");
        push_uint(out, u64::from(hundredths / 100));
        out.extend_from_slice(&[
            b'.',
            b'0' + (hundredths % 100 / 10) as u8,
            b'0' + (hundredths % 10) as u8,
        ]);
        if let Some(p) = h.part.as_deref() {
            if part_json.0 != Some(p) {
                part_json = (Some(p), serde_json::to_string(p).unwrap_or_default());
            }
            out.extend_from_slice(b",\"part\":");
            out.extend_from_slice(part_json.1.as_bytes());
        }
        if show_values && let Some(v) = &h.value {
            out.extend_from_slice(b",\"value\":");
            out.extend_from_slice(serde_json::to_string(v).unwrap_or_default().as_bytes());
            if h.kind == PiiType::Phone
                && let Some(n) = crate::detect::phone_plan::e164(v)
            {
                out.extend_from_slice(b",\"e164\":\"");
                out.extend_from_slice(n.as_bytes());
                out.push(b'"');
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Decimal digits of `n`, without the formatting machinery: two digits per division (a
/// million lines carry two offsets each).
fn push_uint(out: &mut Vec<u8>, mut n: u64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while n >= 100 {
        let k = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i] = PAIRS[k];
        buf[i + 1] = PAIRS[k + 1];
    }
    if n >= 10 {
        let k = n as usize * 2;
        i -= 2;
        buf[i] = PAIRS[k];
        buf[i + 1] = PAIRS[k + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    out.extend_from_slice(&buf[i..]);
}

#[derive(Debug, Serialize)]
pub struct FindingOut {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub kind: PiiType,
    /// Rounded to 0.01 (the f32 value would print as 0.800000011920929).
    pub confidence: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Masked unless `--show-values`.
    pub value: String,
    /// Phones only, with `--show-values`: the number in E.164 form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e164: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FileOut {
    pub path: String,
    pub kind: &'static str,
    pub bytes: u64,
    pub risk: f64,
    pub level: &'static str,
    pub counts: BTreeMap<PiiType, u64>,
    pub findings: Vec<FindingOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl FileOut {
    pub fn from_report(f: &FileReport, show_values: bool) -> FileOut {
        let counts = counts(&f.hits);
        let r = risk(&counts);
        FileOut {
            path: f.path.clone(),
            kind: f.kind.name(),
            bytes: f.bytes,
            risk: r,
            level: risk_level(r),
            counts,
            findings: f
                .hits
                .iter()
                .map(|h| FindingOut {
                    start: h.start,
                    end: h.end,
                    kind: h.kind,
                    confidence: (f64::from(h.confidence) * 100.0).round() / 100.0,
                    part: h.part.clone(),
                    value: h
                        .value
                        .as_deref()
                        .map(|v| if show_values { v.to_string() } else { mask(v) })
                        .unwrap_or_default(),
                    e164: h
                        .value
                        .as_deref()
                        .filter(|_| show_values && h.kind == PiiType::Phone)
                        .and_then(crate::detect::phone_plan::e164),
                })
                .collect(),
            problems: f.problems.clone(),
        }
    }
}

/// Running totals over a scan.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub files_scanned: u64,
    pub files_with_findings: u64,
    pub bytes_scanned: u64,
    pub files_skipped: u64,
    pub errors: u64,
    pub findings: BTreeMap<PiiType, u64>,
}

impl Totals {
    pub fn add(&mut self, f: &FileReport) {
        self.files_scanned += 1;
        self.bytes_scanned += f.bytes;
        if !f.hits.is_empty() {
            self.files_with_findings += 1;
        }
        // Counted per type first: one map update per type present, not one per hit.
        let mut counts = [0u64; PiiType::ALL.len()];
        for h in &f.hits {
            counts[h.kind as usize] += 1;
        }
        for (kind, n) in PiiType::ALL.iter().zip(counts) {
            if n > 0 {
                *self.findings.entry(*kind).or_insert(0) += n;
            }
        }
    }

    pub fn any_finding(&self) -> bool {
        self.findings.values().any(|&n| n > 0)
    }
}

/// The table printed by default.
pub fn table(
    files: &[FileOut],
    totals: &Totals,
    skipped: &[(String, String)],
    errors: &[(String, String)],
    seconds: f64,
) -> String {
    let mut out = String::new();
    let mut ranked: Vec<&FileOut> = files.iter().filter(|f| !f.counts.is_empty()).collect();
    ranked.sort_by(|a, b| b.risk.total_cmp(&a.risk).then(a.path.cmp(&b.path)));
    if ranked.is_empty() {
        out.push_str("Aucune donnée personnelle trouvée / no personal data found\n");
    } else {
        let _ = writeln!(
            out,
            "{:>7}  {:<14} {:<50} TYPES",
            "RISQUE", "NIVEAU/LEVEL", "FICHIER / FILE"
        );
        for f in &ranked {
            let types: Vec<String> = f.counts.iter().map(|(t, n)| format!("{t}×{n}")).collect();
            let _ = writeln!(
                out,
                "{:>7.1}  {:<14} {:<50} {}",
                f.risk,
                f.level,
                f.path,
                types.join(" ")
            );
        }
    }
    out.push('\n');
    let _ = writeln!(out, "Totaux / totals:");
    for (t, n) in &totals.findings {
        let _ = writeln!(out, "  {:<16} {n}", t.name());
    }
    let mb = totals.bytes_scanned as f64 / 1e6;
    let _ = writeln!(
        out,
        "{} fichiers analysés / files scanned ({mb:.1} MB, {seconds:.2} s), {} avec données personnelles / with personal data, {} ignorés / skipped, {} erreurs / errors",
        totals.files_scanned, totals.files_with_findings, totals.files_skipped, totals.errors
    );
    for (p, why) in skipped.iter().take(20) {
        let _ = writeln!(out, "  ignoré / skipped: {p}: {why}");
    }
    if skipped.len() > 20 {
        let _ = writeln!(out, "  … {} de plus / more", skipped.len() - 20);
    }
    for (p, e) in errors {
        let _ = writeln!(out, "  erreur / error: {p}: {e}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_shape_not_value() {
        assert_eq!(
            mask("FR76 3000 6000 0112 3456 7890 189"),
            "FR•• •••• •••• •••• •••• •••• •89"
        );
        assert_eq!(mask("jean@ex.fr"), "je••@••.fr");
        assert_eq!(mask("Marc"), "M•••");
    }

    #[test]
    fn integers_are_written_in_decimal() {
        let mut n = 1u64;
        let mut samples = vec![0, u64::MAX];
        while let Some(m) = n.checked_mul(10) {
            samples.extend([n - 1, n, n + 1, n * 7 + 3]);
            n = m;
        }
        for v in samples {
            let mut out = b"x".to_vec();
            push_uint(&mut out, v);
            assert_eq!(out, format!("x{v}").into_bytes(), "{v}");
        }
    }

    #[test]
    fn totals_count_findings_per_type() {
        for (k, kind) in PiiType::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, k, "{kind:?}");
        }
        let hit = |kind| Hit {
            start: 0,
            end: 1,
            kind,
            confidence: 0.9,
            part: None,
            value: None,
        };
        let file = FileReport {
            path: "a".into(),
            root: 0,
            kind: crate::source::SourceKind::Utf8,
            bytes: 10,
            hits: vec![
                hit(PiiType::Person),
                hit(PiiType::Email),
                hit(PiiType::Person),
            ],
            problems: Vec::new(),
        };
        let mut t = Totals::default();
        t.add(&file);
        t.add(&file);
        let got: Vec<(PiiType, u64)> = t.findings.iter().map(|(k, n)| (*k, *n)).collect();
        assert_eq!(got, vec![(PiiType::Email, 2), (PiiType::Person, 4)]);
        assert_eq!(t.files_with_findings, 2);
    }

    #[test]
    fn jsonl_lines_are_the_interchange_format() {
        let file = FileReport {
            path: "a \"b\"/c.txt".into(),
            root: 0,
            kind: crate::source::SourceKind::Utf8,
            bytes: 100,
            hits: vec![
                Hit {
                    start: 0,
                    end: 12_345_678_901,
                    kind: PiiType::FrNir,
                    confidence: 0.97,
                    part: None,
                    value: Some("x".into()),
                },
                Hit {
                    start: 7,
                    end: 10,
                    kind: PiiType::Email,
                    confidence: 1.0,
                    part: Some("message 1, part 2 (a\"b)".into()),
                    value: None,
                },
            ],
            problems: Vec::new(),
        };
        let mut out = Vec::new();
        jsonl_lines(&file, false, &mut out);
        let mut out = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            out,
            concat!(
                "{\"path\":\"a \\\"b\\\"/c.txt\",\"start\":0,\"end\":12345678901,\"type\":\"FR_NIR\",\"score\":0.97}\n",
                "{\"path\":\"a \\\"b\\\"/c.txt\",\"start\":7,\"end\":10,\"type\":\"EMAIL\",\"score\":1.00,\"part\":\"message 1, part 2 (a\\\"b)\"}\n",
            )
        );
        for line in out.lines() {
            assert!(
                serde_json::from_str::<serde_json::Value>(line).is_ok(),
                "{line}"
            );
        }
        let mut bytes = Vec::new();
        jsonl_lines(&file, true, &mut bytes);
        out = String::from_utf8(bytes).unwrap_or_default();
        assert!(
            out.lines()
                .next()
                .is_some_and(|l| l.ends_with(",\"value\":\"x\"}"))
        );
    }

    #[test]
    fn risk_weighs_identifiers_over_volume() {
        let mut nir = BTreeMap::new();
        nir.insert(PiiType::FrNir, 1);
        let mut ips = BTreeMap::new();
        ips.insert(PiiType::IpAddress, 500);
        assert!(risk(&nir) > 9.9 && risk(&ips) < risk(&nir));
    }
}
