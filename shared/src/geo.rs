//! Country-name to ISO 3166-1 code resolution.
//!
//! Amazon Cognito user-activity (advanced security / threat protection) logs
//! carry the client's location as an English *country name* derived from an
//! IP geolocation database, e.g. `"United States"`, `"South Korea"` or
//! `"Türkiye"`. SIEMs and schemas such as ECS (`source.geo.country_iso_code`)
//! or OCSF (`location.country`) expect ISO 3166-1 codes instead, so this
//! module maps the free-text name to a [`Country`] carrying the alpha-2 and
//! alpha-3 codes plus a display name.
//!
//! The table follows ISO 3166-1: every one of the 249 officially assigned
//! alpha-2 codes is present, plus the user-assigned `XK` / `XKX` for Kosovo,
//! which GeoIP databases emit. The display name is the ISO 3166-1 English
//! short name. Each entry also lists the spellings used by GeoIP databases
//! (MaxMind GeoIP2/GeoLite2 English names, IP2Location, DB-IP), including
//! older spellings that may still appear in logs ("Turkey", "Swaziland",
//! "Czech Republic", "Cape Verde", "Macedonia", ...), and a few other common
//! variants (World Bank / UN style, "UK", "USA", "UAE").
//!
//! MaxMind's English names, current and from earlier GeoLite2 and GeoIP
//! Legacy editions, are kept with their codes in `tests/data/maxmind/`;
//! `tests/maxmind_country_names.rs` checks that each one resolves to
//! MaxMind's code (one documented exception: bare "Congo", which 2018–2019
//! GeoLite2 editions used for CD, resolves to CG as in ISO 3166-1).
//!
//! Matching is forgiving: case-insensitive, whitespace-collapsing,
//! accent-folding (`"Türkiye"` == `"turkiye"`), punctuation-insensitive,
//! `&` == `and`, `St`/`St.` == `Saint`, and the article "the" is ignored
//! (`"The Netherlands"`, `"Bahamas, The"`, `"Congo (the Democratic Republic
//! of the)"`). Bare ISO alpha-2 or alpha-3 codes (`"US"`, `"usa"`) are also
//! accepted. Ambiguous names (bare "Korea", "Virgin Islands", "Republic of
//! China", "Netherlands Antilles") are deliberately not mapped.

use std::collections::HashMap;
use std::sync::OnceLock;

/// An ISO 3166-1 country or territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, e.g. `"US"`.
    pub alpha2: &'static str,
    /// ISO 3166-1 alpha-3 code, e.g. `"USA"`.
    pub alpha3: &'static str,
    /// ISO 3166-1 English short name, for display.
    pub name: &'static str,
}

/// Inputs longer than this (in bytes) are rejected without normalising.
/// The longest real name is about 55 bytes.
const MAX_INPUT_BYTES: usize = 128;

/// `(alpha2, alpha3, ISO short name, aliases)`.
///
/// The ISO name and both codes are always matched; `aliases` only needs the
/// spellings that do not normalise to the same key as the name.
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

#[rustfmt::skip]
static COUNTRIES: &[Entry] = &[
    ("AD", "AND", "Andorra", &["Principality of Andorra"]),
    ("AE", "ARE", "United Arab Emirates", &["UAE", "U.A.E.", "Emirates"]),
    ("AF", "AFG", "Afghanistan", &["Islamic Republic of Afghanistan"]),
    ("AG", "ATG", "Antigua and Barbuda", &["Antigua"]),
    ("AI", "AIA", "Anguilla", &[]),
    ("AL", "ALB", "Albania", &["Republic of Albania"]),
    ("AM", "ARM", "Armenia", &["Republic of Armenia"]),
    ("AO", "AGO", "Angola", &["Republic of Angola"]),
    ("AQ", "ATA", "Antarctica", &[]),
    ("AR", "ARG", "Argentina", &["Argentine Republic"]),
    ("AS", "ASM", "American Samoa", &[]),
    ("AT", "AUT", "Austria", &["Republic of Austria"]),
    ("AU", "AUS", "Australia", &["Commonwealth of Australia"]),
    ("AW", "ABW", "Aruba", &[]),
    ("AX", "ALA", "Åland Islands", &["Åland", "Aland", "Aland Islands"]),
    ("AZ", "AZE", "Azerbaijan", &["Republic of Azerbaijan"]),
    ("BA", "BIH", "Bosnia and Herzegovina", &["Bosnia-Herzegovina", "Bosnia"]),
    ("BB", "BRB", "Barbados", &[]),
    ("BD", "BGD", "Bangladesh", &["People's Republic of Bangladesh"]),
    ("BE", "BEL", "Belgium", &["Kingdom of Belgium"]),
    ("BF", "BFA", "Burkina Faso", &[]),
    ("BG", "BGR", "Bulgaria", &["Republic of Bulgaria"]),
    ("BH", "BHR", "Bahrain", &["Kingdom of Bahrain"]),
    ("BI", "BDI", "Burundi", &["Republic of Burundi"]),
    ("BJ", "BEN", "Benin", &["Republic of Benin"]),
    ("BL", "BLM", "Saint Barthélemy", &["St Barts", "Saint Barts", "St Barth", "Saint Barth"]),
    ("BM", "BMU", "Bermuda", &[]),
    ("BN", "BRN", "Brunei Darussalam", &["Brunei"]),
    ("BO", "BOL", "Bolivia, Plurinational State of", &[
        "Bolivia",
        "Plurinational State of Bolivia",
    ]),
    ("BQ", "BES", "Bonaire, Sint Eustatius and Saba", &[
        "Caribbean Netherlands",
        "Bonaire, Saint Eustatius and Saba",
        "Bonaire",
    ]),
    ("BR", "BRA", "Brazil", &["Brasil", "Federative Republic of Brazil"]),
    ("BS", "BHS", "Bahamas", &["Commonwealth of the Bahamas"]),
    ("BT", "BTN", "Bhutan", &["Kingdom of Bhutan"]),
    ("BV", "BVT", "Bouvet Island", &["Bouvet"]),
    ("BW", "BWA", "Botswana", &["Republic of Botswana"]),
    ("BY", "BLR", "Belarus", &["Republic of Belarus"]),
    ("BZ", "BLZ", "Belize", &[]),
    ("CA", "CAN", "Canada", &[]),
    ("CC", "CCK", "Cocos (Keeling) Islands", &["Cocos Islands", "Keeling Islands"]),
    ("CD", "COD", "Congo, Democratic Republic of the", &[
        "DR Congo",
        "Congo (DRC)",
        "D.R. Congo",
        "DRC",
        "Congo DR",
        "Democratic Republic of the Congo",
        "Democratic Republic of Congo",
        "Congo (Kinshasa)",
        "Congo-Kinshasa",
        "Congo, Dem. Rep.",
    ]),
    ("CF", "CAF", "Central African Republic", &[]),
    ("CG", "COG", "Congo", &[
        "Congo Republic",
        "Republic of the Congo",
        "Congo, Republic of the",
        "Congo (Brazzaville)",
        "Congo-Brazzaville",
        "Congo, Rep.",
    ]),
    ("CH", "CHE", "Switzerland", &["Swiss Confederation"]),
    ("CI", "CIV", "Côte d'Ivoire", &["Ivory Coast", "Republic of Côte d'Ivoire"]),
    ("CK", "COK", "Cook Islands", &[]),
    ("CL", "CHL", "Chile", &["Republic of Chile"]),
    ("CM", "CMR", "Cameroon", &["Republic of Cameroon"]),
    ("CN", "CHN", "China", &[
        "People's Republic of China",
        "China, People's Republic of",
        "PRC",
        "PR China",
        "Mainland China",
    ]),
    ("CO", "COL", "Colombia", &["Republic of Colombia"]),
    ("CR", "CRI", "Costa Rica", &["Republic of Costa Rica"]),
    ("CU", "CUB", "Cuba", &["Republic of Cuba"]),
    ("CV", "CPV", "Cabo Verde", &["Cape Verde", "Republic of Cabo Verde"]),
    ("CW", "CUW", "Curaçao", &[]),
    ("CX", "CXR", "Christmas Island", &[]),
    ("CY", "CYP", "Cyprus", &["Republic of Cyprus"]),
    ("CZ", "CZE", "Czechia", &["Czech Republic"]),
    ("DE", "DEU", "Germany", &["Federal Republic of Germany"]),
    ("DJ", "DJI", "Djibouti", &["Republic of Djibouti"]),
    ("DK", "DNK", "Denmark", &["Kingdom of Denmark"]),
    ("DM", "DMA", "Dominica", &["Commonwealth of Dominica"]),
    ("DO", "DOM", "Dominican Republic", &[]),
    ("DZ", "DZA", "Algeria", &["People's Democratic Republic of Algeria"]),
    ("EC", "ECU", "Ecuador", &["Republic of Ecuador"]),
    ("EE", "EST", "Estonia", &["Republic of Estonia"]),
    ("EG", "EGY", "Egypt", &["Arab Republic of Egypt", "Egypt, Arab Rep."]),
    ("EH", "ESH", "Western Sahara", &[]),
    ("ER", "ERI", "Eritrea", &["State of Eritrea"]),
    ("ES", "ESP", "Spain", &["Kingdom of Spain"]),
    ("ET", "ETH", "Ethiopia", &["Federal Democratic Republic of Ethiopia"]),
    ("FI", "FIN", "Finland", &["Republic of Finland"]),
    ("FJ", "FJI", "Fiji", &["Republic of Fiji"]),
    ("FK", "FLK", "Falkland Islands (Malvinas)", &[
        "Falkland Islands",
        "Falklands",
        "Malvinas",
        "Islas Malvinas",
    ]),
    ("FM", "FSM", "Micronesia, Federated States of", &[
        "Micronesia",
        "Federated States of Micronesia",
        "Micronesia, Fed. Sts.",
    ]),
    ("FO", "FRO", "Faroe Islands", &["Faeroe Islands", "Faroes"]),
    ("FR", "FRA", "France", &["French Republic"]),
    ("GA", "GAB", "Gabon", &["Gabonese Republic"]),
    ("GB", "GBR", "United Kingdom of Great Britain and Northern Ireland", &[
        "United Kingdom",
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
    ]),
    ("GD", "GRD", "Grenada", &[]),
    ("GE", "GEO", "Georgia", &[]),
    ("GF", "GUF", "French Guiana", &[]),
    ("GG", "GGY", "Guernsey", &["Bailiwick of Guernsey"]),
    ("GH", "GHA", "Ghana", &["Republic of Ghana"]),
    ("GI", "GIB", "Gibraltar", &[]),
    ("GL", "GRL", "Greenland", &[]),
    ("GM", "GMB", "Gambia", &["Republic of the Gambia"]),
    ("GN", "GIN", "Guinea", &["Republic of Guinea"]),
    ("GP", "GLP", "Guadeloupe", &[]),
    ("GQ", "GNQ", "Equatorial Guinea", &["Republic of Equatorial Guinea"]),
    ("GR", "GRC", "Greece", &["Hellenic Republic"]),
    ("GS", "SGS", "South Georgia and the South Sandwich Islands", &["South Georgia"]),
    ("GT", "GTM", "Guatemala", &["Republic of Guatemala"]),
    ("GU", "GUM", "Guam", &[]),
    ("GW", "GNB", "Guinea-Bissau", &["Republic of Guinea-Bissau"]),
    ("GY", "GUY", "Guyana", &["Co-operative Republic of Guyana"]),
    ("HK", "HKG", "Hong Kong", &[
        "Hongkong",
        "Hong Kong SAR",
        "Hong Kong SAR, China",
        "Hong Kong, China",
        "Hong Kong Special Administrative Region of China",
    ]),
    ("HM", "HMD", "Heard Island and McDonald Islands", &["Heard and McDonald Islands"]),
    ("HN", "HND", "Honduras", &["Republic of Honduras"]),
    ("HR", "HRV", "Croatia", &["Republic of Croatia", "Hrvatska"]),
    ("HT", "HTI", "Haiti", &["Republic of Haiti"]),
    ("HU", "HUN", "Hungary", &[]),
    ("ID", "IDN", "Indonesia", &["Republic of Indonesia"]),
    ("IE", "IRL", "Ireland", &["Republic of Ireland"]),
    ("IL", "ISR", "Israel", &["State of Israel"]),
    ("IM", "IMN", "Isle of Man", &[]),
    ("IN", "IND", "India", &["Republic of India"]),
    ("IO", "IOT", "British Indian Ocean Territory", &["Chagos Archipelago", "Chagos Islands"]),
    ("IQ", "IRQ", "Iraq", &["Republic of Iraq"]),
    ("IR", "IRN", "Iran, Islamic Republic of", &[
        "Iran",
        "Islamic Republic of Iran",
        "Iran, Islamic Rep.",
    ]),
    ("IS", "ISL", "Iceland", &[]),
    ("IT", "ITA", "Italy", &["Italian Republic"]),
    ("JE", "JEY", "Jersey", &["Bailiwick of Jersey"]),
    ("JM", "JAM", "Jamaica", &[]),
    ("JO", "JOR", "Jordan", &["Hashemite Kingdom of Jordan"]),
    ("JP", "JPN", "Japan", &[]),
    ("KE", "KEN", "Kenya", &["Republic of Kenya"]),
    ("KG", "KGZ", "Kyrgyzstan", &["Kyrgyz Republic"]),
    ("KH", "KHM", "Cambodia", &["Kingdom of Cambodia"]),
    ("KI", "KIR", "Kiribati", &["Republic of Kiribati"]),
    ("KM", "COM", "Comoros", &["Union of the Comoros"]),
    ("KN", "KNA", "Saint Kitts and Nevis", &["Saint Christopher and Nevis"]),
    ("KP", "PRK", "Korea, Democratic People's Republic of", &[
        "North Korea",
        "Korea, North",
        "Democratic People's Republic of Korea",
        "DPRK",
        "DPR Korea",
        "Korea DPR",
        "Korea, Dem. People's Rep.",
    ]),
    ("KR", "KOR", "Korea, Republic of", &[
        "South Korea",
        "Korea, South",
        "Republic of Korea",
        "Korea, Rep.",
    ]),
    ("KW", "KWT", "Kuwait", &["State of Kuwait"]),
    ("KY", "CYM", "Cayman Islands", &[]),
    ("KZ", "KAZ", "Kazakhstan", &["Kazakstan", "Republic of Kazakhstan"]),
    ("LA", "LAO", "Lao People's Democratic Republic", &["Laos", "Lao PDR", "Lao"]),
    ("LB", "LBN", "Lebanon", &["Lebanese Republic"]),
    ("LC", "LCA", "Saint Lucia", &[]),
    ("LI", "LIE", "Liechtenstein", &["Principality of Liechtenstein"]),
    ("LK", "LKA", "Sri Lanka", &["Democratic Socialist Republic of Sri Lanka"]),
    ("LR", "LBR", "Liberia", &["Republic of Liberia"]),
    ("LS", "LSO", "Lesotho", &["Kingdom of Lesotho"]),
    ("LT", "LTU", "Lithuania", &["Republic of Lithuania"]),
    ("LU", "LUX", "Luxembourg", &["Grand Duchy of Luxembourg"]),
    ("LV", "LVA", "Latvia", &["Republic of Latvia"]),
    ("LY", "LBY", "Libya", &["State of Libya", "Libyan Arab Jamahiriya"]),
    ("MA", "MAR", "Morocco", &["Kingdom of Morocco"]),
    ("MC", "MCO", "Monaco", &["Principality of Monaco"]),
    ("MD", "MDA", "Moldova, Republic of", &["Moldova", "Republic of Moldova"]),
    ("ME", "MNE", "Montenegro", &[]),
    ("MF", "MAF", "Saint Martin (French part)", &[
        "Saint Martin",
        "Saint Martin (France)",
        "Collectivity of Saint Martin",
    ]),
    ("MG", "MDG", "Madagascar", &["Republic of Madagascar"]),
    ("MH", "MHL", "Marshall Islands", &["Republic of the Marshall Islands"]),
    ("MK", "MKD", "North Macedonia", &[
        "Macedonia",
        "Republic of North Macedonia",
        "Macedonia, the former Yugoslav Republic of",
        "Former Yugoslav Republic of Macedonia",
        "Macedonia, FYR",
        "FYROM",
    ]),
    ("ML", "MLI", "Mali", &["Republic of Mali"]),
    ("MM", "MMR", "Myanmar", &["Burma", "Myanmar (Burma)"]),
    ("MN", "MNG", "Mongolia", &[]),
    ("MO", "MAC", "Macao", &[
        "Macau",
        "Macao SAR",
        "Macau SAR",
        "Macao SAR, China",
        "Macau SAR China",
        "Macao, China",
        "Macao Special Administrative Region of China",
    ]),
    ("MP", "MNP", "Northern Mariana Islands", &["Commonwealth of the Northern Mariana Islands"]),
    ("MQ", "MTQ", "Martinique", &[]),
    ("MR", "MRT", "Mauritania", &["Islamic Republic of Mauritania"]),
    ("MS", "MSR", "Montserrat", &[]),
    ("MT", "MLT", "Malta", &["Republic of Malta"]),
    ("MU", "MUS", "Mauritius", &["Republic of Mauritius"]),
    ("MV", "MDV", "Maldives", &["Republic of Maldives"]),
    ("MW", "MWI", "Malawi", &["Republic of Malawi"]),
    ("MX", "MEX", "Mexico", &["United Mexican States"]),
    ("MY", "MYS", "Malaysia", &[]),
    ("MZ", "MOZ", "Mozambique", &["Republic of Mozambique"]),
    ("NA", "NAM", "Namibia", &["Republic of Namibia"]),
    ("NC", "NCL", "New Caledonia", &[]),
    ("NE", "NER", "Niger", &["Republic of the Niger"]),
    ("NF", "NFK", "Norfolk Island", &[]),
    ("NG", "NGA", "Nigeria", &["Federal Republic of Nigeria"]),
    ("NI", "NIC", "Nicaragua", &["Republic of Nicaragua"]),
    ("NL", "NLD", "Netherlands, Kingdom of the", &["Netherlands", "Kingdom of the Netherlands"]),
    ("NO", "NOR", "Norway", &["Kingdom of Norway"]),
    ("NP", "NPL", "Nepal", &[]),
    ("NR", "NRU", "Nauru", &["Republic of Nauru"]),
    ("NU", "NIU", "Niue", &[]),
    ("NZ", "NZL", "New Zealand", &[]),
    ("OM", "OMN", "Oman", &["Sultanate of Oman"]),
    ("PA", "PAN", "Panama", &["Republic of Panama"]),
    ("PE", "PER", "Peru", &["Republic of Peru"]),
    ("PF", "PYF", "French Polynesia", &[]),
    ("PG", "PNG", "Papua New Guinea", &[]),
    ("PH", "PHL", "Philippines", &["Republic of the Philippines"]),
    ("PK", "PAK", "Pakistan", &["Islamic Republic of Pakistan"]),
    ("PL", "POL", "Poland", &["Republic of Poland"]),
    ("PM", "SPM", "Saint Pierre and Miquelon", &[]),
    ("PN", "PCN", "Pitcairn", &["Pitcairn Islands", "Pitcairn, Henderson, Ducie and Oeno Islands"]),
    ("PR", "PRI", "Puerto Rico", &[]),
    ("PS", "PSE", "Palestine, State of", &[
        "Palestine",
        "State of Palestine",
        "Palestinian Territory",
        "Palestinian Territories",
        "Occupied Palestinian Territory",
        "Palestinian Territory, Occupied",
        "West Bank and Gaza",
    ]),
    ("PT", "PRT", "Portugal", &["Portuguese Republic"]),
    ("PW", "PLW", "Palau", &["Republic of Palau"]),
    ("PY", "PRY", "Paraguay", &["Republic of Paraguay"]),
    ("QA", "QAT", "Qatar", &["State of Qatar"]),
    ("RE", "REU", "Réunion", &["La Réunion"]),
    ("RO", "ROU", "Romania", &[]),
    ("RS", "SRB", "Serbia", &["Republic of Serbia"]),
    ("RU", "RUS", "Russian Federation", &["Russia"]),
    ("RW", "RWA", "Rwanda", &["Rwandese Republic", "Republic of Rwanda"]),
    ("SA", "SAU", "Saudi Arabia", &["Kingdom of Saudi Arabia", "KSA"]),
    ("SB", "SLB", "Solomon Islands", &[]),
    ("SC", "SYC", "Seychelles", &["Republic of Seychelles"]),
    ("SD", "SDN", "Sudan", &["Republic of the Sudan"]),
    ("SE", "SWE", "Sweden", &["Kingdom of Sweden"]),
    ("SG", "SGP", "Singapore", &["Republic of Singapore"]),
    ("SH", "SHN", "Saint Helena, Ascension and Tristan da Cunha", &["Saint Helena"]),
    ("SI", "SVN", "Slovenia", &["Republic of Slovenia"]),
    ("SJ", "SJM", "Svalbard and Jan Mayen", &["Svalbard and Jan Mayen Islands", "Svalbard"]),
    ("SK", "SVK", "Slovakia", &["Slovak Republic"]),
    ("SL", "SLE", "Sierra Leone", &["Republic of Sierra Leone"]),
    ("SM", "SMR", "San Marino", &["Republic of San Marino"]),
    ("SN", "SEN", "Senegal", &["Republic of Senegal"]),
    ("SO", "SOM", "Somalia", &["Federal Republic of Somalia"]),
    ("SR", "SUR", "Suriname", &["Surinam", "Republic of Suriname"]),
    ("SS", "SSD", "South Sudan", &["Republic of South Sudan"]),
    ("ST", "STP", "Sao Tome and Principe", &[]),
    ("SV", "SLV", "El Salvador", &["Republic of El Salvador"]),
    ("SX", "SXM", "Sint Maarten (Dutch part)", &["Sint Maarten", "Saint Maarten"]),
    ("SY", "SYR", "Syrian Arab Republic", &["Syria"]),
    ("SZ", "SWZ", "Eswatini", &["Swaziland", "Kingdom of Eswatini", "Kingdom of Swaziland"]),
    ("TC", "TCA", "Turks and Caicos Islands", &["Turks and Caicos"]),
    ("TD", "TCD", "Chad", &["Republic of Chad"]),
    ("TF", "ATF", "French Southern Territories", &["French Southern and Antarctic Lands"]),
    ("TG", "TGO", "Togo", &["Togolese Republic"]),
    ("TH", "THA", "Thailand", &["Kingdom of Thailand"]),
    ("TJ", "TJK", "Tajikistan", &["Republic of Tajikistan"]),
    ("TK", "TKL", "Tokelau", &[]),
    ("TL", "TLS", "Timor-Leste", &["East Timor", "Democratic Republic of Timor-Leste"]),
    ("TM", "TKM", "Turkmenistan", &[]),
    ("TN", "TUN", "Tunisia", &["Republic of Tunisia"]),
    ("TO", "TON", "Tonga", &["Kingdom of Tonga"]),
    ("TR", "TUR", "Türkiye", &["Turkey", "Republic of Türkiye", "Republic of Turkey"]),
    ("TT", "TTO", "Trinidad and Tobago", &["Republic of Trinidad and Tobago"]),
    ("TV", "TUV", "Tuvalu", &[]),
    ("TW", "TWN", "Taiwan, Province of China", &["Taiwan", "Taiwan, China", "Chinese Taipei"]),
    ("TZ", "TZA", "Tanzania, United Republic of", &["Tanzania", "United Republic of Tanzania"]),
    ("UA", "UKR", "Ukraine", &[]),
    ("UG", "UGA", "Uganda", &["Republic of Uganda"]),
    ("UM", "UMI", "United States Minor Outlying Islands", &[
        "U.S. Outlying Islands",
        "U.S. Minor Outlying Islands",
        "United States Outlying Islands",
    ]),
    ("US", "USA", "United States of America", &["United States", "U.S.A.", "U.S."]),
    ("UY", "URY", "Uruguay", &["Oriental Republic of Uruguay"]),
    ("UZ", "UZB", "Uzbekistan", &["Republic of Uzbekistan"]),
    ("VA", "VAT", "Holy See", &[
        "Vatican City",
        "Vatican",
        "Vatican City State",
        "Holy See (Vatican City State)",
    ]),
    ("VC", "VCT", "Saint Vincent and the Grenadines", &["Saint Vincent"]),
    ("VE", "VEN", "Venezuela, Bolivarian Republic of", &[
        "Venezuela",
        "Bolivarian Republic of Venezuela",
        "Venezuela, RB",
    ]),
    ("VG", "VGB", "Virgin Islands (British)", &["British Virgin Islands", "BVI"]),
    ("VI", "VIR", "Virgin Islands (U.S.)", &[
        "U.S. Virgin Islands",
        "United States Virgin Islands",
        "USVI",
    ]),
    ("VN", "VNM", "Viet Nam", &["Vietnam", "Socialist Republic of Viet Nam"]),
    ("VU", "VUT", "Vanuatu", &["Republic of Vanuatu"]),
    ("WF", "WLF", "Wallis and Futuna", &["Wallis and Futuna Islands"]),
    ("WS", "WSM", "Samoa", &["Independent State of Samoa"]),
    ("YE", "YEM", "Yemen", &["Republic of Yemen", "Yemen, Rep."]),
    ("YT", "MYT", "Mayotte", &[]),
    ("ZA", "ZAF", "South Africa", &["Republic of South Africa"]),
    ("ZM", "ZMB", "Zambia", &["Republic of Zambia"]),
    ("ZW", "ZWE", "Zimbabwe", &["Republic of Zimbabwe"]),
    // User-assigned code, not part of ISO 3166-1 proper, but used by GeoIP
    // databases (and the European Commission) for Kosovo.
    ("XK", "XKX", "Kosovo", &["Republic of Kosovo"]),
];

/// Resolves a country name (as written by Cognito / GeoIP databases), an
/// ISO 3166-1 short name, a common alias, or a bare alpha-2 / alpha-3 code
/// to its ISO 3166-1 entry.
///
/// Returns `None` for unknown or ambiguous names and for inputs longer than
/// a sane name (more than 128 bytes). Never panics.
///
/// ```
/// # use cognito_activity::geo::lookup;
/// let tr = lookup("Türkiye").map(|c| c.alpha3);
/// assert_eq!(tr, Some("TUR"));
/// assert_eq!(lookup(" the  NETHERLANDS ").map(|c| c.alpha2), Some("NL"));
/// assert_eq!(lookup("usa").map(|c| c.alpha2), Some("US"));
/// assert_eq!(lookup("Atlantis"), None);
/// ```
#[must_use]
pub fn lookup(name: &str) -> Option<Country> {
    let index = index();
    // Fast path: the table's own spellings, exactly as written ("Japan",
    // "United States"), which is how Cognito writes them. Each was resolved
    // through [`lookup_by_normalised_key`] when the index was built, so both paths
    // agree by construction.
    if let Some(&idx) = index.exact.get(name) {
        return country(idx);
    }
    lookup_by_normalised_key(index, name)
}

fn country(idx: usize) -> Option<Country> {
    COUNTRIES
        .get(idx)
        .map(|&(alpha2, alpha3, name, _)| Country {
            alpha2,
            alpha3,
            name,
        })
}

/// [`lookup`]'s production fallback for any spelling the exact index lacks
/// (case, spacing, punctuation, aliases): normalises the input, then looks
/// it up.
fn lookup_by_normalised_key(index: &Index, name: &str) -> Option<Country> {
    let key = normalise(name)?;
    let found = if looks_like_code(name) {
        index.codes.get(key.as_str())
    } else {
        None
    };
    let &idx = found.or_else(|| index.names.get(key.as_str()))?;
    country(idx)
}

/// Lookup tables from normalised key to index into [`COUNTRIES`].
struct Index {
    /// Lowercased alpha-2 and alpha-3 codes.
    codes: HashMap<String, usize>,
    /// Normalised ISO names and aliases.
    names: HashMap<String, usize>,
    /// The table's names, aliases and codes exactly as written, to what the
    /// normalising lookup resolves them.
    exact: HashMap<&'static str, usize, Fnv>,
}

/// FNV-1a (<http://www.isthe.com/chongo/tech/comp/fnv/>) for the exact
/// table: its keys are our own constants, so there is nothing to gain from
/// SipHash's resistance to chosen keys, and it costs several times as much
/// on a short name.
#[derive(Clone, Copy, Default)]
struct Fnv;

struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Built on first use.
fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut codes = HashMap::with_capacity(COUNTRIES.len() * 2);
        let mut names = HashMap::with_capacity(COUNTRIES.len() * 4);
        for (idx, entry) in COUNTRIES.iter().enumerate() {
            // First entry wins; the tests assert there are no conflicts.
            for key in code_keys(entry) {
                codes.entry(key).or_insert(idx);
            }
            for key in name_keys(entry) {
                names.entry(key).or_insert(idx);
            }
        }
        let mut index = Index {
            codes,
            names,
            exact: HashMap::default(),
        };
        let mut exact = HashMap::with_capacity_and_hasher(COUNTRIES.len() * 4, Fnv);
        for &(alpha2, alpha3, name, aliases) in COUNTRIES {
            for spelling in [alpha2, alpha3, name].iter().chain(aliases) {
                if let Some(found) = lookup_by_normalised_key(&index, spelling) {
                    if let Some(idx) = COUNTRIES.iter().position(|e| e.0 == found.alpha2) {
                        exact.insert(*spelling, idx);
                    }
                }
            }
        }
        index.exact = exact;
        index
    })
}

/// The normalised alpha-2 and alpha-3 codes of an entry.
fn code_keys(entry: &Entry) -> impl Iterator<Item = String> {
    let &(alpha2, alpha3, _, _) = entry;
    [alpha2, alpha3].into_iter().filter_map(normalise)
}

/// The normalised ISO name and aliases of an entry.
fn name_keys(entry: &Entry) -> impl Iterator<Item = String> {
    let &(_, _, name, aliases) = entry;
    std::iter::once(name)
        .chain(aliases.iter().copied())
        .filter_map(normalise)
}

/// Whether the input is written like a bare ISO code: two or three ASCII
/// letters, optionally dotted ("US", "usa", "U.S."). Keeps inputs such as
/// "&" (which normalises to "and") from matching a code (Andorra's `AND`).
fn looks_like_code(input: &str) -> bool {
    let mut letters = 0usize;
    for b in input.trim().bytes() {
        match b {
            b'.' => {}
            b if b.is_ascii_alphabetic() && letters < 3 => letters += 1,
            _ => return false,
        }
    }
    letters >= 2
}

/// What a single (already lowercased) character becomes in a key.
enum Fold {
    /// Emit this character.
    Char(char),
    /// Emit this string (ligatures and the like).
    Str(&'static str),
    /// Emit `and` as a separate word.
    And,
    /// Word separator.
    Space,
    /// Nothing (apostrophes, dots, combining marks).
    Drop,
}

/// Characters removed without splitting words: dots ("U.S."), apostrophes
/// ("Côte d'Ivoire") and invisible format characters. Combining diacritics
/// (U+0300..U+036F, from decomposed input such as "Tu\u{308}rkiye") are
/// dropped as well.
const DROPPED: &[char] = &[
    '.', '\'', '\u{2018}', '\u{2019}', '\u{02BC}', '`', '\u{00B4}', '\u{200B}', '\u{200C}',
    '\u{200D}', '\u{2060}', '\u{FEFF}',
];

/// Punctuation treated as a word separator, like whitespace.
const SEPARATORS: &[char] = &[
    ',', '(', ')', '[', ']', '{', '}', '-', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}',
    '\u{2014}', '\u{2015}', '\u{2212}', '_', '/', '\\', ':', ';', '"', '\u{201C}', '\u{201D}', '!',
    '?', '*', '+', '|', '#',
];

fn fold(c: char) -> Fold {
    match c {
        'a'..='z' | '0'..='9' => Fold::Char(c),
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => Fold::Char('a'),
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => Fold::Char('c'),
        'ď' | 'đ' | 'ð' => Fold::Char('d'),
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => Fold::Char('e'),
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => Fold::Char('g'),
        'ĥ' | 'ħ' => Fold::Char('h'),
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => Fold::Char('i'),
        'ĵ' => Fold::Char('j'),
        'ķ' => Fold::Char('k'),
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => Fold::Char('l'),
        'ñ' | 'ń' | 'ņ' | 'ň' => Fold::Char('n'),
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => Fold::Char('o'),
        'ŕ' | 'ŗ' | 'ř' => Fold::Char('r'),
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => Fold::Char('s'),
        'ţ' | 'ť' | 'ŧ' | 'ț' => Fold::Char('t'),
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => Fold::Char('u'),
        'ŵ' => Fold::Char('w'),
        'ý' | 'ÿ' | 'ŷ' => Fold::Char('y'),
        'ź' | 'ż' | 'ž' => Fold::Char('z'),
        'æ' => Fold::Str("ae"),
        'œ' => Fold::Str("oe"),
        'ß' => Fold::Str("ss"),
        'þ' => Fold::Str("th"),
        '&' => Fold::And,
        '\u{0300}'..='\u{036F}' => Fold::Drop,
        c if DROPPED.contains(&c) => Fold::Drop,
        c if SEPARATORS.contains(&c) => Fold::Space,
        c if c.is_whitespace() => Fold::Space,
        c => Fold::Char(c),
    }
}

/// Normalises a name into a lookup key: lowercase, accents folded,
/// punctuation removed, `&` -> `and`, `st` -> `saint`, the article `the`
/// dropped, words separated by single spaces. Returns `None` for inputs that
/// are too long to be a country name. Deterministic and idempotent.
fn normalise(input: &str) -> Option<String> {
    if input.len() > MAX_INPUT_BYTES {
        return None;
    }
    let mut key = String::with_capacity(input.len() + 8);
    let mut word = String::with_capacity(24);
    for c in input.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Fold::Char(c) => word.push(c),
            Fold::Str(s) => word.push_str(s),
            Fold::And => {
                flush_word(&mut key, &mut word);
                word.push_str("and");
                flush_word(&mut key, &mut word);
            }
            Fold::Space => flush_word(&mut key, &mut word),
            Fold::Drop => {}
        }
    }
    flush_word(&mut key, &mut word);
    Some(key)
}

/// Appends the pending word to the key (space-separated), dropping the
/// article "the" and expanding the abbreviation "st" to "saint".
fn flush_word(key: &mut String, word: &mut String) {
    let w = match word.as_str() {
        "" | "the" => {
            word.clear();
            return;
        }
        "st" => "saint",
        w => w,
    };
    if !key.is_empty() {
        key.push(' ');
    }
    key.push_str(w);
    word.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// The 249 officially assigned ISO 3166-1 alpha-2/alpha-3 pairs, typed
    /// independently of the table so that typos in either show up.
    const ISO_3166_1: &str = "\
        AD AND AE ARE AF AFG AG ATG AI AIA AL ALB AM ARM AO AGO AQ ATA AR ARG \
        AS ASM AT AUT AU AUS AW ABW AX ALA AZ AZE BA BIH BB BRB BD BGD BE BEL \
        BF BFA BG BGR BH BHR BI BDI BJ BEN BL BLM BM BMU BN BRN BO BOL BQ BES \
        BR BRA BS BHS BT BTN BV BVT BW BWA BY BLR BZ BLZ CA CAN CC CCK CD COD \
        CF CAF CG COG CH CHE CI CIV CK COK CL CHL CM CMR CN CHN CO COL CR CRI \
        CU CUB CV CPV CW CUW CX CXR CY CYP CZ CZE DE DEU DJ DJI DK DNK DM DMA \
        DO DOM DZ DZA EC ECU EE EST EG EGY EH ESH ER ERI ES ESP ET ETH FI FIN \
        FJ FJI FK FLK FM FSM FO FRO FR FRA GA GAB GB GBR GD GRD GE GEO GF GUF \
        GG GGY GH GHA GI GIB GL GRL GM GMB GN GIN GP GLP GQ GNQ GR GRC GS SGS \
        GT GTM GU GUM GW GNB GY GUY HK HKG HM HMD HN HND HR HRV HT HTI HU HUN \
        ID IDN IE IRL IL ISR IM IMN IN IND IO IOT IQ IRQ IR IRN IS ISL IT ITA \
        JE JEY JM JAM JO JOR JP JPN KE KEN KG KGZ KH KHM KI KIR KM COM KN KNA \
        KP PRK KR KOR KW KWT KY CYM KZ KAZ LA LAO LB LBN LC LCA LI LIE LK LKA \
        LR LBR LS LSO LT LTU LU LUX LV LVA LY LBY MA MAR MC MCO MD MDA ME MNE \
        MF MAF MG MDG MH MHL MK MKD ML MLI MM MMR MN MNG MO MAC MP MNP MQ MTQ \
        MR MRT MS MSR MT MLT MU MUS MV MDV MW MWI MX MEX MY MYS MZ MOZ NA NAM \
        NC NCL NE NER NF NFK NG NGA NI NIC NL NLD NO NOR NP NPL NR NRU NU NIU \
        NZ NZL OM OMN PA PAN PE PER PF PYF PG PNG PH PHL PK PAK PL POL PM SPM \
        PN PCN PR PRI PS PSE PT PRT PW PLW PY PRY QA QAT RE REU RO ROU RS SRB \
        RU RUS RW RWA SA SAU SB SLB SC SYC SD SDN SE SWE SG SGP SH SHN SI SVN \
        SJ SJM SK SVK SL SLE SM SMR SN SEN SO SOM SR SUR SS SSD ST STP SV SLV \
        SX SXM SY SYR SZ SWZ TC TCA TD TCD TF ATF TG TGO TH THA TJ TJK TK TKL \
        TL TLS TM TKM TN TUN TO TON TR TUR TT TTO TV TUV TW TWN TZ TZA UA UKR \
        UG UGA UM UMI US USA UY URY UZ UZB VA VAT VC VCT VE VEN VG VGB VI VIR \
        VN VNM VU VUT WF WLF WS WSM YE YEM YT MYT ZA ZAF ZM ZMB ZW ZWE";

    fn codes(name: &str) -> Option<(&'static str, &'static str)> {
        lookup(name).map(|c| (c.alpha2, c.alpha3))
    }

    fn alpha2(name: &str) -> Option<&'static str> {
        lookup(name).map(|c| c.alpha2)
    }

    #[test]
    fn turkiye_and_turkey_both_map_to_tr_tur() {
        for name in [
            "Türkiye",
            "Turkey",
            "Turkiye",
            "TÜRKIYE",
            "Republic of Türkiye",
        ] {
            assert_eq!(codes(name), Some(("TR", "TUR")), "{name}");
        }
    }

    #[test]
    fn well_known_geoip_names_map_to_exact_alpha2_and_alpha3() {
        let cases = [
            ("United States", "US", "USA"),
            ("United States of America", "US", "USA"),
            ("USA", "US", "USA"),
            ("Japan", "JP", "JPN"),
            ("United Kingdom", "GB", "GBR"),
            ("UK", "GB", "GBR"),
            ("Great Britain", "GB", "GBR"),
            (
                "United Kingdom of Great Britain and Northern Ireland",
                "GB",
                "GBR",
            ),
            ("UAE", "AE", "ARE"),
            ("The Netherlands", "NL", "NLD"),
            ("Netherlands", "NL", "NLD"),
            ("Czechia", "CZ", "CZE"),
            ("Czech Republic", "CZ", "CZE"),
            ("Ivory Coast", "CI", "CIV"),
            ("Côte d'Ivoire", "CI", "CIV"),
            ("Congo Republic", "CG", "COG"),
            ("Republic of the Congo", "CG", "COG"),
            ("Congo", "CG", "COG"),
            ("Congo (Brazzaville)", "CG", "COG"),
            ("DR Congo", "CD", "COD"),
            ("Democratic Republic of the Congo", "CD", "COD"),
            ("Congo (Kinshasa)", "CD", "COD"),
            ("South Korea", "KR", "KOR"),
            ("Korea, Republic of", "KR", "KOR"),
            ("Republic of Korea", "KR", "KOR"),
            ("Korea, South", "KR", "KOR"),
            ("North Korea", "KP", "PRK"),
            ("Korea, North", "KP", "PRK"),
            ("Hong Kong", "HK", "HKG"),
            ("Kosovo", "XK", "XKX"),
            ("Russia", "RU", "RUS"),
            ("Russian Federation", "RU", "RUS"),
            ("Vietnam", "VN", "VNM"),
            ("Viet Nam", "VN", "VNM"),
            ("Laos", "LA", "LAO"),
            ("Lao People's Democratic Republic", "LA", "LAO"),
            ("Syria", "SY", "SYR"),
            ("Iran", "IR", "IRN"),
            ("Islamic Republic of Iran", "IR", "IRN"),
            ("Iran, Islamic Republic of", "IR", "IRN"),
            ("Bolivia", "BO", "BOL"),
            ("Bolivia (Plurinational State of)", "BO", "BOL"),
            ("Venezuela", "VE", "VEN"),
            ("Tanzania", "TZ", "TZA"),
            ("Moldova", "MD", "MDA"),
            ("Republic of Moldova", "MD", "MDA"),
            ("Macedonia", "MK", "MKD"),
            ("North Macedonia", "MK", "MKD"),
            ("Eswatini", "SZ", "SWZ"),
            ("Swaziland", "SZ", "SWZ"),
            ("Cabo Verde", "CV", "CPV"),
            ("Cape Verde", "CV", "CPV"),
            ("Myanmar", "MM", "MMR"),
            ("Burma", "MM", "MMR"),
            ("Palestine", "PS", "PSE"),
            ("Vatican City", "VA", "VAT"),
            ("Holy See", "VA", "VAT"),
            ("St Kitts and Nevis", "KN", "KNA"),
            ("Saint Lucia", "LC", "LCA"),
            ("U.S. Virgin Islands", "VI", "VIR"),
            ("British Virgin Islands", "VG", "VGB"),
            ("Micronesia", "FM", "FSM"),
            ("Federated States of Micronesia", "FM", "FSM"),
            ("Bonaire, Sint Eustatius, and Saba", "BQ", "BES"),
            ("Caribbean Netherlands", "BQ", "BES"),
            ("Curaçao", "CW", "CUW"),
            ("Åland", "AX", "ALA"),
            ("Réunion", "RE", "REU"),
            ("São Tomé and Príncipe", "ST", "STP"),
            ("Timor-Leste", "TL", "TLS"),
            ("East Timor", "TL", "TLS"),
            ("Brunei", "BN", "BRN"),
            ("Falkland Islands", "FK", "FLK"),
            ("Republic of Lithuania", "LT", "LTU"),
            ("Hashemite Kingdom of Jordan", "JO", "JOR"),
            ("Kingdom of Saudi Arabia", "SA", "SAU"),
            ("Taiwan, Province of China", "TW", "TWN"),
            ("Taiwan", "TW", "TWN"),
            ("Saint Barthélemy", "BL", "BLM"),
            ("Saint Martin", "MF", "MAF"),
            ("Sint Maarten", "SX", "SXM"),
            ("Romania", "RO", "ROU"),
            ("Serbia", "RS", "SRB"),
            ("Montenegro", "ME", "MNE"),
            ("South Sudan", "SS", "SSD"),
            ("Macau", "MO", "MAC"),
            ("Macao", "MO", "MAC"),
        ];
        for (name, a2, a3) in cases {
            assert_eq!(codes(name), Some((a2, a3)), "{name}");
        }
    }

    #[test]
    fn every_spelling_from_the_geoip_and_iso_lists_resolves() {
        let cases = [
            ("Hong Kong", "HK"),
            ("Ivory Coast", "CI"),
            ("Macedonia", "MK"),
            ("Cabo Verde", "CV"),
            ("Myanmar", "MM"),
            ("Vatican City", "VA"),
            ("Micronesia", "FM"),
            ("Kosovo", "XK"),
            ("Timor-Leste", "TL"),
            ("North Korea", "KP"),
            ("Republic of the Congo", "CG"),
            ("Democratic Republic of the Congo", "CD"),
            ("Republic of Moldova", "MD"),
            ("Korea, Republic of", "KR"),
            ("Taiwan, Province of China", "TW"),
            ("Côte d'Ivoire", "CI"),
            ("Slovak Republic", "SK"),
            ("Kyrgyz Republic", "KG"),
            ("The Bahamas", "BS"),
            ("Bahamas", "BS"),
            ("Bahamas, The", "BS"),
            ("Gambia", "GM"),
            ("The Gambia", "GM"),
            ("Reunion", "RE"),
            ("Saint Barthelemy", "BL"),
            ("Svalbard and Jan Mayen", "SJ"),
            ("Heard Island and McDonald Islands", "HM"),
            ("U.S. Outlying Islands", "UM"),
            ("United States Minor Outlying Islands", "UM"),
            ("Pitcairn Islands", "PN"),
            ("Pitcairn", "PN"),
            ("Wallis and Futuna", "WF"),
            ("Saint Pierre and Miquelon", "PM"),
            ("St Vincent and Grenadines", "VC"),
            ("Saint Vincent and the Grenadines", "VC"),
            ("Antigua and Barbuda", "AG"),
            ("Trinidad and Tobago", "TT"),
            ("Bosnia and Herzegovina", "BA"),
            ("Guinea-Bissau", "GW"),
            ("Guinea", "GN"),
            ("Equatorial Guinea", "GQ"),
            ("Papua New Guinea", "PG"),
            ("Turks and Caicos Islands", "TC"),
            ("Vatican", "VA"),
            ("Palestinian Territory", "PS"),
            ("Occupied Palestinian Territory", "PS"),
            ("State of Palestine", "PS"),
            ("Palestine, State of", "PS"),
            ("Cocos [Keeling] Islands", "CC"),
            ("Cocos (Keeling) Islands", "CC"),
            ("South Georgia and the South Sandwich Islands", "GS"),
            ("French Southern Territories", "TF"),
            ("British Indian Ocean Territory", "IO"),
            ("Saint Helena", "SH"),
            ("Saint Helena, Ascension and Tristan da Cunha", "SH"),
            ("Virgin Islands (U.S.)", "VI"),
            ("Virgin Islands, U.S.", "VI"),
            ("Virgin Islands (British)", "VG"),
            ("Virgin Islands, British", "VG"),
            ("Korea (Republic of)", "KR"),
            ("Korea (Democratic People's Republic of)", "KP"),
            ("Congo (Democratic Republic of the)", "CD"),
            ("Congo, The Democratic Republic of the", "CD"),
            ("Micronesia (Federated States of)", "FM"),
            ("Netherlands (Kingdom of the)", "NL"),
            ("Saint Martin (French part)", "MF"),
            ("Sint Maarten (Dutch part)", "SX"),
            ("Falkland Islands (Malvinas)", "FK"),
            ("Macedonia, the former Yugoslav Republic of", "MK"),
            ("Tanzania, United Republic of", "TZ"),
            ("Venezuela, Bolivarian Republic of", "VE"),
            ("Venezuela (Bolivarian Republic of)", "VE"),
            ("Iran (Islamic Republic of)", "IR"),
            ("Moldova (Republic of)", "MD"),
            ("Bolivia, Plurinational State of", "BO"),
            ("Holy See (Vatican City State)", "VA"),
            ("Cote D'Ivoire", "CI"),
            ("Aland Islands", "AX"),
            ("Åland Islands", "AX"),
            ("Curacao", "CW"),
            ("Sao Tome and Principe", "ST"),
            ("Brunei Darussalam", "BN"),
            ("Syrian Arab Republic", "SY"),
            ("Lao PDR", "LA"),
            ("Hong Kong SAR, China", "HK"),
            ("Macao SAR, China", "MO"),
            ("Korea, Dem. People's Rep.", "KP"),
            ("Congo, Dem. Rep.", "CD"),
            ("Congo, Rep.", "CG"),
            ("Egypt, Arab Rep.", "EG"),
            ("Yemen, Rep.", "YE"),
            ("Micronesia, Fed. Sts.", "FM"),
            ("Venezuela, RB", "VE"),
            ("West Bank and Gaza", "PS"),
            ("St. Lucia", "LC"),
            ("St. Kitts and Nevis", "KN"),
            ("St. Vincent and the Grenadines", "VC"),
            ("St. Martin (French part)", "MF"),
            ("Saint Kitts and Nevis", "KN"),
            ("Niger", "NE"),
            ("Nigeria", "NG"),
            ("Dominica", "DM"),
            ("Dominican Republic", "DO"),
            ("Samoa", "WS"),
            ("American Samoa", "AS"),
            ("Sudan", "SD"),
            ("Guernsey", "GG"),
            ("Jersey", "JE"),
            ("Isle of Man", "IM"),
            ("Western Sahara", "EH"),
            ("Antarctica", "AQ"),
            ("Bouvet Island", "BV"),
            ("Mayotte", "YT"),
            ("Tokelau", "TK"),
            ("Christmas Island", "CX"),
            ("Norfolk Island", "NF"),
            ("Niue", "NU"),
            ("Georgia", "GE"),
        ];
        for (name, a2) in cases {
            assert_eq!(alpha2(name), Some(a2), "{name}");
        }
    }

    #[test]
    fn matching_ignores_case_whitespace_accents_and_punctuation() {
        let cases = [
            ("  united   STATES ", "US"),
            ("\tUnited\u{a0}States\n", "US"),
            ("u.s.a.", "US"),
            ("TURKIYE", "TR"),
            ("Tu\u{308}rkiye", "TR"),
            ("TÜRKİYE", "TR"),
            ("türki̇ye", "TR"),
            ("Cote d’Ivoire", "CI"),
            ("COTE D'IVOIRE", "CI"),
            ("cote divoire", "CI"),
            ("Saint Kitts & Nevis", "KN"),
            ("St Kitts & Nevis", "KN"),
            ("Trinidad & Tobago", "TT"),
            ("Trinidad&Tobago", "TT"),
            ("Bosnia-Herzegovina", "BA"),
            ("Guinea Bissau", "GW"),
            ("guinea–bissau", "GW"),
            ("Timor Leste", "TL"),
            ("ÅLAND", "AX"),
            ("aland", "AX"),
            ("SÃO TOMÉ AND PRÍNCIPE", "ST"),
            ("CURAÇAO", "CW"),
            ("REUNION", "RE"),
            ("the netherlands", "NL"),
            ("THE   Netherlands", "NL"),
            ("Lao Peoples Democratic Republic", "LA"),
            ("Korea (South)", "KR"),
            ("\u{feff}Japan", "JP"),
        ];
        for (name, a2) in cases {
            assert_eq!(alpha2(name), Some(a2), "{name:?}");
        }
    }

    #[test]
    fn bare_iso_codes_are_accepted_in_any_case() {
        let cases = [
            ("US", "US"),
            ("us", "US"),
            ("USA", "US"),
            ("jp", "JP"),
            ("JPN", "JP"),
            ("gbr", "GB"),
            ("GB", "GB"),
            ("XK", "XK"),
            ("xkx", "XK"),
            ("CUW", "CW"),
            ("BES", "BQ"),
            (" de ", "DE"),
            ("U.S.", "US"),
            ("and", "AD"),
            ("Lao", "LA"),
        ];
        for (code, a2) in cases {
            assert_eq!(alpha2(code), Some(a2), "{code}");
        }
    }

    #[test]
    fn display_name_is_the_iso_short_name() {
        assert_eq!(lookup("Turkey").map(|c| c.name), Some("Türkiye"));
        assert_eq!(
            lookup("USA").map(|c| c.name),
            Some("United States of America")
        );
        assert_eq!(
            lookup("South Korea").map(|c| c.name),
            Some("Korea, Republic of")
        );
        assert_eq!(lookup("Kosovo").map(|c| c.name), Some("Kosovo"));
    }

    #[test]
    fn table_has_exactly_the_249_iso_codes_plus_kosovo() {
        let alpha2: HashSet<&str> = COUNTRIES.iter().map(|e| e.0).collect();
        assert_eq!(alpha2.len(), COUNTRIES.len(), "duplicate alpha-2 code");
        assert_eq!(COUNTRIES.len(), 250);
        assert!(alpha2.contains("XK"));
        let iso: HashSet<&str> = alpha2.iter().copied().filter(|c| *c != "XK").collect();
        assert_eq!(iso.len(), 249);
    }

    #[test]
    fn table_codes_match_the_independent_iso_list() {
        let words: Vec<&str> = ISO_3166_1.split_whitespace().collect();
        assert_eq!(words.len(), 249 * 2);
        let expected: HashMap<&str, &str> = words.chunks(2).map(|p| (p[0], p[1])).collect();
        assert_eq!(expected.len(), 249);
        let actual: HashMap<&str, &str> = COUNTRIES
            .iter()
            .filter(|e| e.0 != "XK")
            .map(|e| (e.0, e.1))
            .collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn codes_are_well_formed_and_unique() {
        let mut a2 = HashSet::new();
        let mut a3 = HashSet::new();
        for &(alpha2, alpha3, name, _) in COUNTRIES {
            assert!(
                alpha2.len() == 2 && alpha2.bytes().all(|b| b.is_ascii_uppercase()),
                "{alpha2}"
            );
            assert!(
                alpha3.len() == 3 && alpha3.bytes().all(|b| b.is_ascii_uppercase()),
                "{alpha3}"
            );
            assert!(a2.insert(alpha2), "duplicate {alpha2}");
            assert!(a3.insert(alpha3), "duplicate {alpha3}");
            assert!(!name.is_empty());
        }
    }

    #[test]
    fn table_is_sorted_by_alpha2_with_kosovo_last() {
        let iso: Vec<&str> = COUNTRIES
            .iter()
            .map(|e| e.0)
            .filter(|c| *c != "XK")
            .collect();
        let mut sorted = iso.clone();
        sorted.sort_unstable();
        assert_eq!(iso, sorted);
    }

    #[test]
    fn no_two_entries_share_a_normalised_name_alias_or_code() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for entry in COUNTRIES {
            let spellings = [entry.0, entry.1, entry.2]
                .into_iter()
                .chain(entry.3.iter().copied());
            for spelling in spellings {
                let key = normalise(spelling);
                let key = key.unwrap_or_else(|| panic!("{spelling} did not normalise"));
                assert!(!key.is_empty(), "{spelling} normalises to nothing");
                if let Some(other) = seen.insert(key.clone(), entry.0) {
                    assert_eq!(other, entry.0, "{spelling:?} -> {key:?} is ambiguous");
                }
            }
        }
        // The lazily-built index agrees with the table.
        let index = index();
        let indexed: HashSet<&String> = index.codes.keys().chain(index.names.keys()).collect();
        assert_eq!(indexed.len(), seen.len());
        for (key, a2) in &seen {
            let idx = index.codes.get(key).or_else(|| index.names.get(key));
            assert_eq!(idx.map(|&i| COUNTRIES[i].0), Some(*a2), "{key}");
        }
    }

    #[test]
    fn every_name_and_alias_resolves_to_its_own_entry() {
        for &(a2, a3, name, aliases) in COUNTRIES {
            for spelling in [a2, a3, name].into_iter().chain(aliases.iter().copied()) {
                assert_eq!(codes(spelling), Some((a2, a3)), "{spelling}");
            }
        }
    }

    /// The pair inside [`lookup`]: every spelling the exact index holds
    /// answers as the normalising lookup (the production fallback) answers
    /// it, and every spelling of the table is in the exact index.
    #[test]
    fn the_exact_index_answers_as_the_normalising_lookup() {
        let index = index();
        for (&spelling, &idx) in &index.exact {
            assert_eq!(
                country(idx),
                lookup_by_normalised_key(index, spelling),
                "{spelling}"
            );
        }
        for &(a2, a3, name, aliases) in COUNTRIES {
            for spelling in [a2, a3, name].into_iter().chain(aliases.iter().copied()) {
                assert!(index.exact.contains_key(spelling), "{spelling}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn lookup_answers_as_the_normalising_lookup_for_any_text(
            name in "\\PC{0,24}|(?i)(the )?(united states|japan|korea|turkiye|us|usa|jp|gb|czechia)[ ,.]{0,2}",
        ) {
            proptest::prop_assert_eq!(lookup(&name), lookup_by_normalised_key(index(), &name), "{:?}", name);
        }
    }

    #[test]
    fn normalisation_is_deterministic_and_idempotent() {
        for entry in COUNTRIES {
            for key in code_keys(entry).chain(name_keys(entry)) {
                assert_eq!(normalise(&key).as_deref(), Some(key.as_str()));
                assert!(!key.starts_with(' ') && !key.ends_with(' ') && !key.contains("  "));
            }
        }
        assert_eq!(normalise(" The  Bahamas, The ").as_deref(), Some("bahamas"));
        assert_eq!(
            normalise("St. Kitts & Nevis").as_deref(),
            Some("saint kitts and nevis")
        );
        assert_eq!(normalise("Côte d’Ivoire").as_deref(), Some("cote divoire"));
    }

    #[test]
    fn unknown_or_ambiguous_names_give_none() {
        for name in [
            "Atlantis",
            "",
            " ",
            "Other",
            "other",
            "null",
            "NULL",
            "None",
            "unknown",
            "N/A",
            "-",
            "--",
            "the",
            "The",
            "&",
            "& & &",
            "AN D",
            "A&D",
            "EU",
            "ZZ",
            "ZZZ",
            "Korea",
            "Virgin Islands",
            "Netherlands Antilles",
            "Zaire",
            "U",
            "USAA",
            "United",
            "Saint",
        ] {
            assert_eq!(lookup(name), None, "{name:?}");
        }
    }

    #[test]
    fn odd_and_huge_inputs_never_panic() {
        let huge = "a".repeat(1 << 20);
        let huge_spaces = format!(
            "{}United States{}",
            " ".repeat(1 << 20),
            " ".repeat(1 << 20)
        );
        let combining = format!("U{}S", "\u{301}".repeat(10_000));
        let many_ands = "&".repeat(128);
        let odd: Vec<String> = vec![
            "🇺🇸".into(),
            "🏳️‍🌈 United States".into(),
            "\u{0}".into(),
            "\u{10FFFF}".into(),
            "\u{FFFD}\u{FFFD}".into(),
            "İİİİ".into(),
            "ﬀ".into(),
            "ΣΊΣΥΦΟΣ".into(),
            "日本".into(),
            "\u{301}\u{301}\u{301}".into(),
            "e\u{301}\u{302}\u{303}".into(),
            "\u{200B}".into(),
            "'''...,,,".into(),
            "the the the".into(),
            "st st st".into(),
            many_ands,
            combining,
            huge,
            huge_spaces,
            "x".repeat(MAX_INPUT_BYTES),
            "é".repeat(MAX_INPUT_BYTES / 2),
            "é".repeat(MAX_INPUT_BYTES / 2 + 1),
        ];
        for s in &odd {
            let _ = lookup(s);
        }
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let _ = lookup(&c.to_string());
            let _ = lookup(&format!("United {c} States"));
        }
        assert_eq!(lookup(&"a".repeat(1 << 20)), None);
        assert_eq!(lookup("🇺🇸"), None);
    }
}
