//! `habeas stats CATEGORY --purpose PA-…`: aggregated figures over one
//! category's records that single nobody out — counts per period and
//! generalised field values, cells of fewer subjects than the threshold
//! withheld, subjects whose processing is limited left out
//! (`habeas_engine::stats`). The run is journaled as one entry.

use std::process::ExitCode;

use habeas_core::lang::Lang;
use habeas_core::stats::{DEFAULT_MIN_SUBJECTS, Period};
use habeas_engine::{Caller, StatsQuery, StatsReport, project};

use super::Global;
use super::register::LangArg;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declared category to count (e.g. connection_logs).
    category: String,
    /// The declared activity the figures are for; it must process the category
    /// (subjects who restricted it, objected to it or withdrew consent are left out).
    #[arg(long)]
    purpose: String,
    /// Declared fields to group by, generalised (a date to its month, an IP
    /// address to its network…); identifiers and free text are refused.
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Group collection dates by day, week, month, year, or all.
    #[arg(long, default_value_t = Period::Month)]
    period: Period,
    /// Withhold cells of fewer distinct subjects than this (2 at least).
    #[arg(long, default_value_t = DEFAULT_MIN_SUBJECTS)]
    min_subjects: u32,
    /// Output: a table, JSON, or CSV (one line per published cell).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[arg(long, value_enum, default_value_t = LangArg::Fr)]
    lang: LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    let caller = Caller::operator("cli", &args.purpose);
    let report = vault.statistics(
        &caller,
        &StatsQuery {
            category: args.category,
            by: args.by,
            period: args.period,
            min_subjects: args.min_subjects,
        },
    )?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Csv => print!("{}", csv_text(&report)?),
        Format::Table => print!("{}", table(&report, args.lang.into())),
    }
    Ok(ExitCode::SUCCESS)
}

/// The published cells as CSV: the key columns, then `records`, `subjects`.
fn csv_text(report: &StatsReport) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = report.columns.clone();
    header.extend(["records".to_string(), "subjects".to_string()]);
    w.write_record(&header)?;
    for cell in &report.published.cells {
        let mut row = cell.key.clone();
        row.extend([cell.records.to_string(), cell.subjects.to_string()]);
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The published cells as an aligned table, then what they cover.
fn table(report: &StatsReport, lang: Lang) -> String {
    let mut header = report.columns.clone();
    header.push(lang.pick("enregistrements", "records").to_string());
    header.push(lang.pick("personnes", "subjects").to_string());
    let rows: Vec<Vec<String>> = report
        .published
        .cells
        .iter()
        .map(|c| {
            let mut row: Vec<String> = c
                .key
                .iter()
                .map(|v| if v.is_empty() { "-".into() } else { v.clone() })
                .collect();
            row.extend([c.records.to_string(), c.subjects.to_string()]);
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let p = &report.published;
    out.push_str(lang.pick(
        &format!(
            "{} : {} personnes, {} enregistrements comptés pour {} ; {} case(s) de moins de {} personnes masquée(s) ; {} personne(s) écartée(s) (traitement limité pour cette finalité)\n",
            report.category,
            report.subjects,
            report.records,
            report.purpose,
            p.withheld_cells,
            p.min_subjects,
            report.excluded_subjects
        ),
        &format!(
            "{}: {} subjects, {} records counted for {}; {} cell(s) of fewer than {} subjects withheld; {} subject(s) left out (processing limited for this purpose)\n",
            report.category,
            report.subjects,
            report.records,
            report.purpose,
            p.withheld_cells,
            p.min_subjects,
            report.excluded_subjects
        ),
    ));
    for (field, how) in &report.generalised {
        let colon = lang.pick(" :", ":");
        out.push_str(&format!("  {field}{colon} {}\n", how.describe(lang)));
    }
    out
}
