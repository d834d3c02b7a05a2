//! Where personal data may go: the EEA, and the countries with an EU
//! adequacy decision (GDPR Art. 45).
//!
//! The adequacy list is data, dated, with its source, so it can be updated
//! when the Commission adopts or the Court annuls a decision (the EU–US Data
//! Privacy Framework is under appeal in C-703/25 P). Source: the Commission's
//! list of adequacy decisions as digested in STANDARDS.md §5.1, checked
//! against the Official Journal references given there. DPV's own list is
//! deliberately not used: it lacks KR, US-DPF and BR (STANDARDS §5.1).

/// The date the list below was last checked.
pub const ADEQUACY_LIST_AS_OF: &str = "2026-11-30";
/// Where the list comes from.
pub const ADEQUACY_LIST_SOURCE: &str = "European Commission, adequacy decisions (Art. 45 GDPR), \
     as in force on 2026-11-30 (OJ references in each entry)";

/// One adequacy decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdequacyDecision {
    /// ISO 3166-1 alpha-2 code.
    pub country: &'static str,
    pub decision: &'static str,
    /// Limits of the decision, if any.
    pub scope: &'static str,
    /// Last day of validity, if the decision has a sunset clause.
    pub valid_until: Option<&'static str>,
    /// The decision covers only importers certified under a framework (US: DPF).
    pub requires_certification: bool,
}

const fn decision(
    country: &'static str,
    decision: &'static str,
    scope: &'static str,
) -> AdequacyDecision {
    AdequacyDecision {
        country,
        decision,
        scope,
        valid_until: None,
        requires_certification: false,
    }
}

/// Adequacy decisions in force (Art. 45(3)); the European Patent
/// Organisation's decision of 15 July 2025 concerns an international
/// organisation, not a country, and is not listed here.
pub const ADEQUACY_DECISIONS: &[AdequacyDecision] = &[
    decision("AD", "Decision 2010/625/EU", "all"),
    decision("AR", "Decision 2003/490/EC", "all"),
    decision("BR", "Implementing Decision (EU) 2026/179", "all"),
    decision(
        "CA",
        "Decision 2002/2/EC",
        "commercial organisations subject to PIPEDA only",
    ),
    decision("CH", "Decision 2000/518/EC", "all"),
    decision("FO", "Decision 2010/146/EU", "all"),
    AdequacyDecision {
        country: "GB",
        decision: "Implementing Decision of 19 December 2025 (UK GDPR)",
        scope: "all",
        valid_until: Some("2031-12-27"),
        requires_certification: false,
    },
    decision("GG", "Decision 2003/821/EC", "all"),
    decision("IL", "Decision 2011/61/EU", "all"),
    decision("IM", "Decision 2004/411/EC", "all"),
    decision("JE", "Decision 2008/393/EC", "all"),
    decision("JP", "Decision (EU) 2019/419", "private sector (APPI)"),
    decision("KR", "Decision (EU) 2022/254", "all"),
    decision("NZ", "Decision 2013/65/EU", "all"),
    AdequacyDecision {
        country: "US",
        decision: "Decision (EU) 2023/1795 (EU-US Data Privacy Framework)",
        scope: "organisations certified on the DPF list only",
        valid_until: None,
        requires_certification: true,
    },
    decision("UY", "Decision 2012/484/EU", "all"),
];

/// EU member states, with the outermost regions that have their own ISO code
/// (French overseas departments, Saint-Martin) and Åland.
const EU: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "GF", "GP", "MQ", "RE", "YT",
    "MF", "AX",
];

/// The EEA adds Iceland, Liechtenstein and Norway to the EU.
const EEA_EXTRA: &[&str] = &["IS", "LI", "NO"];

/// ISO 3166-1 alpha-2 codes.
const ISO_3166: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES \
ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO \
IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK \
ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR \
PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK \
TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `code` is an ISO 3166-1 alpha-2 code (upper case).
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && ISO_3166.split(' ').any(|c| c == code)
}

pub fn is_eu(code: &str) -> bool {
    EU.contains(&code)
}

/// Within the EEA: no Chapter V transfer (Art. 44).
pub fn is_eea(code: &str) -> bool {
    is_eu(code) || EEA_EXTRA.contains(&code)
}

/// The adequacy decision covering `code`, if any.
pub fn adequacy(code: &str) -> Option<&'static AdequacyDecision> {
    ADEQUACY_DECISIONS.iter().find(|d| d.country == code)
}

/// Whether `country` satisfies an allowed-place entry of a residency rule:
/// a country code, `EU` or `EEA`.
pub fn residency_allows(allowed: &str, country: &str) -> bool {
    match allowed {
        "EEA" => is_eea(country),
        "EU" => is_eu(country),
        code => code == country,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_areas() {
        assert!(is_eea("FR") && is_eea("NO") && !is_eu("NO"));
        assert!(!is_eea("CH") && adequacy("CH").is_some());
        assert!(adequacy("US").is_some_and(|d| d.requires_certification));
        assert!(adequacy("IN").is_none() && is_country("IN"));
        assert!(!is_country("XX") && !is_country("fr"));
        assert!(residency_allows("EEA", "IS") && !residency_allows("FR", "BE"));
        assert_eq!(ISO_3166.split(' ').count(), 249);
    }
}
