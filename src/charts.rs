//! Inline SVG pictures: the milestone path on a timeline, and each metric's
//! measurements against its baseline and target. Drawn here, not in the
//! templates, so the geometry is plain Rust that tests can read. Every text
//! from a record is escaped; each picture carries a text alternative.

use std::fmt::Write as _;

use crate::figures::{MetricFigures, MilestoneFigures, MilestoneStatus};
use crate::model::{Date, Engagement, Metric};

/// Escapes text for SVG/HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// "4 May 2026".
pub fn date_long(date: Date) -> String {
    format!(
        "{} {} {}",
        date.0.day(),
        MONTHS[date.0.month() as usize - 1],
        date.0.year()
    )
}

/// "4 May".
pub fn date_short(date: Date) -> String {
    format!(
        "{} {}",
        date.0.day(),
        &MONTHS[date.0.month() as usize - 1][..3]
    )
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

/// A short text for a milestone id, shortened so it fits above its dot.
fn short_label(id: &str) -> String {
    let first_line = id.lines().next().unwrap_or_default();
    if first_line.chars().count() > 6 {
        let cut: String = first_line.chars().take(5).collect();
        format!("{cut}…")
    } else {
        first_line.to_owned()
    }
}

const WIDTH: f64 = 640.0;
const PAD: f64 = 28.0;

/// Maps dates onto x positions between the padding.
struct TimeAxis {
    first: Date,
    days: f64,
}

impl TimeAxis {
    fn new(dates: impl IntoIterator<Item = Date>) -> Option<TimeAxis> {
        let mut dates = dates.into_iter();
        let first = dates.next()?;
        let (min, max) = dates.fold((first, first), |(lo, hi), d| (lo.min(d), hi.max(d)));
        Some(TimeAxis {
            first: min,
            days: (max.days_since(min) as f64).max(1.0),
        })
    }

    fn x(&self, date: Date) -> f64 {
        PAD + (WIDTH - 2.0 * PAD) * (date.days_since(self.first) as f64 / self.days)
    }
}

/// The milestone path: start, each milestone at its due date (and where it
/// was done), today, end.
pub fn timeline(e: &Engagement, milestones: &[MilestoneFigures], as_of: Date) -> Option<String> {
    if e.milestones.is_empty() {
        return None;
    }
    let mut dates: Vec<Date> = e.milestones.iter().map(|m| m.due).collect();
    dates.extend(
        e.milestones
            .iter()
            .filter_map(|m| m.done.filter(|d| *d <= as_of)),
    );
    dates.extend(e.start);
    dates.extend(e.end);
    dates.push(as_of);
    let axis = TimeAxis::new(dates)?;
    let height = 96.0;
    let y = 52.0;
    let mut svg = String::new();
    let mut description = Vec::new();
    if let Some(start) = e.start {
        description.push(format!("start {}", date_long(start)));
    }
    let _ = write!(
        svg,
        r#"<line class="tl-axis" x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#,
        PAD,
        WIDTH - PAD
    );
    for (label, date) in [("Start", e.start), ("End", e.end)] {
        if let Some(date) = date {
            let x = axis.x(date);
            let _ = write!(
                svg,
                r#"<line class="tl-edge" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><text class="tl-edge-label" x="{x:.1}" y="{:.1}" text-anchor="middle">{label} {}</text>"#,
                y - 10.0,
                y + 10.0,
                y + 28.0,
                escape(&date_short(date))
            );
        }
    }
    for (milestone, figures) in e.milestones.iter().zip(milestones) {
        let due_x = axis.x(milestone.due);
        let id = escape(&short_label(milestone.id.as_str()));
        let class = figures.status.as_str();
        match (figures.status, milestone.done.filter(|d| *d <= as_of)) {
            (MilestoneStatus::Done, Some(done)) => {
                let done_x = axis.x(done);
                if figures.days_late.unwrap_or(0) > 0 {
                    let _ = write!(
                        svg,
                        r#"<line class="tl-late" x1="{due_x:.1}" y1="{y:.1}" x2="{done_x:.1}" y2="{y:.1}"/>"#
                    );
                }
                let _ = write!(
                    svg,
                    r#"<circle class="tl-ms {class}" cx="{done_x:.1}" cy="{y:.1}" r="7"/><path class="tl-tick" d="M{:.1} {:.1} l2.5 2.5 l4.5 -5"/><text class="tl-id" x="{done_x:.1}" y="{:.1}" text-anchor="middle">{id}</text>"#,
                    done_x - 3.5,
                    y,
                    y - 14.0
                );
                let late = figures.days_late.unwrap_or(0);
                description.push(if late > 0 {
                    format!(
                        "{} done {} ({} late)",
                        milestone.id,
                        date_long(done),
                        crate::figures::days_word(late)
                    )
                } else {
                    format!("{} done {}", milestone.id, date_long(done))
                });
            }
            _ => {
                let _ = write!(
                    svg,
                    r#"<circle class="tl-ms {class}" cx="{due_x:.1}" cy="{y:.1}" r="7"/><text class="tl-id" x="{due_x:.1}" y="{:.1}" text-anchor="middle">{id}</text>"#,
                    y - 14.0
                );
                let state = match figures.status {
                    MilestoneStatus::Overdue => "overdue",
                    MilestoneStatus::DueSoon => "due soon",
                    _ => "upcoming",
                };
                description.push(format!(
                    "{} due {}, {state}",
                    milestone.id,
                    date_long(milestone.due)
                ));
            }
        }
    }
    let today = axis.x(as_of);
    let _ = write!(
        svg,
        r#"<line class="tl-today" x1="{today:.1}" y1="{:.1}" x2="{today:.1}" y2="{:.1}"/><text class="tl-today-label" x="{today:.1}" y="{:.1}" text-anchor="middle">Today</text>"#,
        y - 34.0,
        y + 18.0,
        y - 38.0 + 2.0
    );
    description.push(format!("today {}", date_long(as_of)));
    if let Some(end) = e.end {
        description.push(format!("end {}", date_long(end)));
    }
    let alt = escape(&format!("Milestone timeline: {}.", description.join("; ")));
    Some(format!(
        r#"<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{alt}" xmlns="http://www.w3.org/2000/svg"><title>{alt}</title>{svg}</svg>"#
    ))
}

/// A metric's measurements over time, with its baseline and target lines.
pub fn metric_chart(
    metric: &Metric,
    figures: &MetricFigures,
    start: Option<Date>,
    end: Option<Date>,
    as_of: Date,
    unit: &str,
) -> Option<String> {
    let points: Vec<(Date, f64)> = metric
        .measurements
        .iter()
        .filter(|m| m.date <= as_of)
        .map(|m| (m.date, m.value))
        .collect();
    if points.is_empty() {
        return None;
    }
    let mut sorted = points.clone();
    sorted.sort_by_key(|a| a.0);
    let mut dates: Vec<Date> = sorted.iter().map(|p| p.0).collect();
    dates.extend(start);
    dates.extend(end.filter(|e| start.is_none_or(|s| *e >= s)));
    let axis = TimeAxis::new(dates)?;
    let values = sorted
        .iter()
        .map(|p| p.1)
        .chain([metric.baseline, metric.target]);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (lo, hi) = (lo - span * 0.12, hi + span * 0.12);
    let height = 150.0;
    let (top, bottom) = (16.0, height - 22.0);
    let y = |v: f64| bottom - (bottom - top) * (v - lo) / (hi - lo);
    let mut svg = String::new();
    for (class, value, label) in [
        ("ch-baseline", metric.baseline, "Baseline"),
        ("ch-target", metric.target, "Target"),
    ] {
        let _ = write!(
            svg,
            r#"<line class="{class}" x1="{PAD:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><text class="ch-label" x="{:.1}" y="{:.1}" text-anchor="end">{label} {}</text>"#,
            y(value),
            WIDTH - PAD,
            y(value),
            WIDTH - PAD,
            y(value) - 4.0,
            escape(&format_number(value, unit))
        );
    }
    let path: Vec<String> = sorted
        .iter()
        .map(|(d, v)| format!("{:.1},{:.1}", axis.x(*d), y(*v)))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="ch-line" points="{}"/>"#,
        path.join(" ")
    );
    for (d, v) in &sorted {
        let _ = write!(
            svg,
            r#"<circle class="ch-point" cx="{:.1}" cy="{:.1}" r="3.5"/>"#,
            axis.x(*d),
            y(*v)
        );
    }
    let first = sorted.first().map(|p| p.0)?;
    let last = sorted.last().map(|p| p.0)?;
    let _ = write!(
        svg,
        r#"<text class="ch-axis" x="{:.1}" y="{:.1}" text-anchor="start">{}</text><text class="ch-axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        axis.x(first),
        height - 4.0,
        escape(&date_short(first)),
        axis.x(last),
        height - 4.0,
        escape(&date_short(last))
    );
    let readings: Vec<String> = sorted
        .iter()
        .map(|(d, v)| format!("{} on {}", format_number(*v, unit), date_long(*d)))
        .collect();
    let alt = escape(&format!(
        "Chart of {}: baseline {}, target {}; measured {}.",
        metric.name.as_str().lines().next().unwrap_or_default(),
        format_number(metric.baseline, unit),
        format_number(metric.target, unit),
        readings.join(", ")
    ));
    let _ = figures;
    Some(format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{alt}" xmlns="http://www.w3.org/2000/svg"><title>{alt}</title>{svg}</svg>"#
    ))
}

/// A number as people write it, with its unit: "12 days", "48,000", "7.9%".
pub fn format_number(value: f64, unit: &str) -> String {
    let rounded = crate::figures::round_to(value, 2);
    let negative = rounded < 0.0;
    let abs = rounded.abs();
    let whole = abs.trunc() as u64;
    let fraction = crate::figures::round_to(abs - abs.trunc(), 2);
    let mut digits = whole.to_string();
    if whole >= 10_000 {
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        digits = grouped;
    }
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    text.push_str(&digits);
    if fraction > 0.0 {
        let decimals = format!("{fraction:.2}");
        text.push_str(decimals.trim_start_matches('0').trim_end_matches('0'));
    }
    match unit.trim() {
        "" => text,
        "%" => format!("{text}%"),
        unit => format!("{text} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(format_number(12.0, "days"), "12 days");
        assert_eq!(format_number(7.9, "%"), "7.9%");
        assert_eq!(format_number(48000.0, ""), "48,000");
        assert_eq!(format_number(1234.5, ""), "1234.5");
        assert_eq!(format_number(-0.25, ""), "-0.25");
        assert_eq!(format_number(2.999, "x"), "3 x");
    }

    #[test]
    fn dates_in_words() {
        let date = Date::parse("2026-05-04").unwrap();
        assert_eq!(date_long(date), "4 May 2026");
        assert_eq!(date_short(date), "4 May");
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
