//! The record types: what an engagement's front matter, a `client.yaml` and
//! `commonthread.yaml` may hold, exactly as FORMAT.md describes them.
//!
//! These types are the one source of truth for the format. Their JSON Schema
//! (see `schema.rs`) drives the structural check that reports every unknown
//! field, missing field and wrong value with its position, and is what
//! `commonthread schema` prints for editors. Once a file passes that check it
//! is deserialized into these types with serde_yaml.

use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

/// A calendar date written `YYYY-MM-DD`. Impossible dates (2026-02-30) and
/// any other spelling are rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

impl Date {
    /// Parses exactly `YYYY-MM-DD` with a real day of a real month.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return None;
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().ok();
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        jiff::civil::Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?)
            .ok()
            .map(Date)
    }

    pub fn from_ymd(year: i16, month: i8, day: i8) -> Option<Date> {
        jiff::civil::Date::new(year, month, day).ok().map(Date)
    }

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_since(self, earlier: Date) -> i64 {
        let span = earlier
            .0
            .until((jiff::Unit::Day, self.0))
            .expect("a day count between two civil dates always fits");
        i64::from(span.get_days())
    }

    /// `days` later (earlier when negative); the same day when that would
    /// leave the calendar (years 1 to 9999 here, as in `--as-of`).
    pub fn plus_days(self, days: i64) -> Date {
        jiff::Span::new()
            .try_days(days)
            .and_then(|span| self.0.checked_add(span))
            .map_or(self, Date)
    }
}

/// "4 May 2026".
pub fn date_long(date: Date) -> String {
    date_in_words(date, MONTHS[date.0.month() as usize - 1], true)
}

/// "4 May": for labels where the year is obvious.
pub fn date_short(date: Date) -> String {
    date_in_words(date, &MONTHS[date.0.month() as usize - 1][..3], false)
}

/// "4 May 2026", with the month shortened: for tables.
pub fn date_medium(date: Date) -> String {
    date_in_words(date, &MONTHS[date.0.month() as usize - 1][..3], true)
}

/// The day, the month as given and perhaps the year, built in one buffer:
/// a page prints dozens of dates, and `format!` for each was a measurable
/// share of a build.
fn date_in_words(date: Date, month: &str, with_year: bool) -> String {
    fn push_number(out: &mut String, number: i64) {
        if number < 0 {
            out.push('-');
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = number.unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &digit in &digits[at..] {
            out.push(char::from(digit));
        }
    }
    let mut out = String::with_capacity(month.len() + 9);
    push_number(&mut out, i64::from(date.0.day()));
    out.push(' ');
    out.push_str(month);
    if with_year {
        out.push(' ');
        push_number(&mut out, i64::from(date.0.year()));
    }
    out
}

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a date written YYYY-MM-DD"))
        })
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": "A date written YYYY-MM-DD."
        })
    }
}

/// A slug (`days-to-close`), as the schema states it; the structural check
/// knows a slug field by it.
pub const SLUG_PATTERN: &str = r"^[a-z0-9][a-z0-9-]*$";

/// Free text, read as Markdown. A bare number or boolean (`title: 2026`) is
/// taken as the text it spells, as a person writing YAML would expect.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl serde::de::Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

impl JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

/// Where an engagement stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Prospect,
    Active,
    Paused,
    Completed,
    Ended,
    Declined,
}

impl Status {
    /// Every status, in FORMAT.md's order.
    pub const ALL: [Status; 6] = [
        Status::Prospect,
        Status::Active,
        Status::Paused,
        Status::Completed,
        Status::Ended,
        Status::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Prospect => "prospect",
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Completed => "completed",
            Status::Ended => "ended",
            Status::Declined => "declined",
        }
    }

    /// Prospect, active and paused engagements are still open and have a health.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Prospect | Status::Active | Status::Paused)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatus {
    Verified,
    Unverified,
    Contradicted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Accept,
    Reframe,
    Decline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewDecision {
    Continue,
    Next,
    End,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Refund {
    #[default]
    None,
    Partial,
    Full,
}

/// Front matter of one engagement file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "commonthread engagement")]
pub struct Engagement {
    /// The engagement's name as the client knows it.
    pub title: Text,
    /// prospect | active | paused | completed | ended | declined
    pub status: Status,
    /// Who answers for the engagement on our side.
    pub owner: Text,
    /// First day of the work; required unless the status is prospect or declined.
    pub start: Option<Date>,
    /// The agreed end date.
    pub end: Option<Date>,
    /// What the engagement is worth (internal).
    pub value: Option<Money>,
    #[serde(default)]
    pub tags: Vec<Text>,
    /// Due diligence before taking the work (internal).
    pub qualification: Option<Qualification>,
    /// Where the client started.
    pub current_state: Option<Text>,
    /// Where the client wants to be.
    pub desired_outcome: Option<Text>,
    /// Success agreed as numbers.
    pub success: Option<Success>,
    /// The path A, B, C, D: what the client has once each step is done.
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// The promised cadence and the log of updates sent.
    pub updates: Option<Updates>,
    /// The client's wins, each celebrated.
    #[serde(default)]
    pub wins: Vec<Win>,
    /// Concerns the client raised and how we answered them.
    #[serde(default)]
    pub concerns: Vec<Concern>,
    /// "Is this the end?" review (internal).
    pub review: Option<Review>,
    /// Notes for the practice's eyes only (internal).
    pub internal_notes: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: f64,
    pub currency: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Qualification {
    /// The client's story as they tell it.
    pub story: Option<Text>,
    #[serde(default)]
    pub claims: Vec<Claim>,
    #[serde(default)]
    pub red_flags: Vec<RedFlag>,
    /// accept | reframe | decline
    pub decision: Option<Decision>,
    pub decided: Option<Date>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub claim: Text,
    pub evidence: Option<Text>,
    /// verified | unverified | contradicted
    pub status: ClaimStatus,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedFlag {
    pub flag: Text,
    pub resolution: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Success {
    /// The day both sides agreed what success is.
    pub agreed: Option<Date>,
    #[serde(default)]
    pub agreed_by: Vec<Text>,
    #[serde(default)]
    pub metrics: Vec<Metric>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// A slug, unique in the engagement.
    #[schemars(regex(pattern = SLUG_PATTERN))]
    pub id: Text,
    pub name: Text,
    pub unit: Option<Text>,
    pub baseline: f64,
    /// Must differ from the baseline.
    pub target: f64,
    /// Optional, default 1, must be > 0.
    #[schemars(extend("exclusiveMinimum" = 0))]
    pub weight: Option<f64>,
    #[serde(default)]
    pub measurements: Vec<Measurement>,
    /// Agreed changes of the baseline or target, each with the values it
    /// replaced (what `check --since` needs to accept a moved goalpost).
    #[serde(default)]
    pub rebaselined: Vec<Rebaseline>,
}

/// A baseline or target changed with the client's agreement.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rebaseline {
    /// The day it was agreed.
    pub date: Date,
    /// Why the goalpost moved.
    pub reason: Text,
    /// Who agreed to it, on both sides.
    pub agreed_by: Vec<Text>,
    /// The baseline before this change (when the baseline changed).
    pub old_baseline: Option<f64>,
    /// The target before this change (when the target changed).
    pub old_target: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    pub date: Date,
    pub value: f64,
    pub note: Option<Text>,
    /// This measurement corrects the one of that date (measurements are
    /// append-only: a wrong value is corrected, never rewritten).
    pub corrects: Option<Date>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Unique in the engagement (A, B, C, ...).
    pub id: Text,
    pub title: Text,
    pub due: Date,
    /// Absent: not done yet.
    pub done: Option<Date>,
    /// What the client has once this is done.
    pub outcome: Option<Text>,
    /// What really happened.
    pub result: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Updates {
    /// Promised days between updates; default from commonthread.yaml, else 14.
    #[schemars(range(min = 1))]
    pub cadence_days: Option<u32>,
    #[serde(default)]
    pub log: Vec<LogEntry>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    pub date: Date,
    pub summary: Text,
    pub channel: Option<Text>,
    /// A milestone id of this engagement.
    pub milestone: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Win {
    pub date: Date,
    pub title: Text,
    /// A metric id of this engagement.
    pub metric: Option<Text>,
    /// How we celebrated it.
    pub celebrated: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Concern {
    pub date: Date,
    pub concern: Text,
    pub raised_by: Option<Text>,
    /// How we answered it.
    pub response: Option<Text>,
    pub resolved: Option<Date>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub date: Date,
    pub went_wrong: Option<Text>,
    pub went_right: Option<Text>,
    /// What new problems the solution creates.
    pub new_problems: Option<Text>,
    /// What happens when they put the book down.
    pub after_the_book: Option<Text>,
    /// What comes next, if anything.
    pub next_offer: Option<Text>,
    /// continue | next | end
    pub decision: ReviewDecision,
    /// none | partial | full (default none)
    #[serde(default)]
    pub refund: Refund,
    /// Required when the refund is partial or full.
    pub refund_reason: Option<Text>,
    /// Clients they sent our way.
    pub referrals: Option<u32>,
}

/// A client folder's `client.yaml`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "commonthread client")]
pub struct Client {
    pub name: Text,
    /// Client since.
    pub since: Option<Date>,
    pub industry: Option<Text>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Markdown notes (internal).
    pub notes: Option<Text>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: Text,
    pub role: Option<Text>,
    pub email: Option<Text>,
}

/// Practice-wide settings in `commonthread.yaml`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "commonthread settings")]
pub struct Config {
    /// Shown in every report header.
    pub practice: Option<Text>,
    /// Default update cadence in days (14 when absent).
    #[schemars(range(min = 1))]
    pub cadence_days: Option<u32>,
    /// A milestone due within this many days is "due soon" (14 when absent).
    pub due_soon_days: Option<u32>,
    /// Default currency for `value`.
    pub currency: Option<Text>,
    /// Per-rule level for warning rules: error | warning | off.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    /// A folder of templates that override the built-in ones file by file.
    pub templates: Option<Text>,
}

/// The level a warning rule is reported at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Error,
    Warning,
    Off,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_words_read_as_formatted_text_would() {
        let months = MONTHS.map(|m| &m[..3]);
        let mut date = Date(jiff::civil::date(1899, 12, 25));
        let mut seen = 0;
        while date.0.year() < 2101 {
            let (day, month, year) = (date.0.day(), date.0.month() as usize - 1, date.0.year());
            assert_eq!(date_long(date), format!("{day} {} {year}", MONTHS[month]));
            assert_eq!(date_short(date), format!("{day} {}", months[month]));
            assert_eq!(date_medium(date), format!("{day} {} {year}", months[month]));
            date = date.plus_days(1);
            seen += 1;
        }
        assert!(seen > 73_000, "{seen}");
        assert_eq!(date_long(Date(jiff::civil::date(-12, 3, 4))), "4 March -12");
        assert_eq!(
            date_medium(Date(jiff::civil::date(9999, 12, 31))),
            "31 Dec 9999"
        );
    }
}
