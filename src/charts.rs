//! Inline SVG pictures: the milestone path on a timeline, and each metric's
//! measurements against its baseline and target. Drawn here, not in the
//! templates, so the geometry is plain Rust that tests can read. Every text
//! from a record is escaped; each picture carries a text alternative.

use std::fmt::Write as _;

use crate::figures::{MetricFigures, MilestoneFigures, MilestoneStatus, days_word};
use crate::model::{Date, Engagement, Metric};

/// Escapes text for SVG/HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    // Most texts have nothing to escape or drop: a byte scan says so (0xC2
    // starts the C1 controls, among other characters).
    let plain = !text
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0..0x20 | 0x7F | 0xC2));
    if plain {
        return text.to_owned();
    }
    escape_each_char(text)
}

/// `escape` one character at a time, for a text that has something to
/// escape or drop.
fn escape_each_char(text: &str) -> String {
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

pub use crate::model::{MONTHS, date_long, date_short};

/// A short text for a milestone id, shortened so it fits beside its date.
fn short_label(id: &str) -> String {
    let first_line = id.lines().next().unwrap_or_default();
    let starts = cluster_starts(first_line);
    if starts.len() > 6 {
        format!("{}…", &first_line[..starts[5]])
    } else {
        first_line.to_owned()
    }
}

/// Where each character a reader sees starts in `text`, by byte: a
/// combining accent, a variation selector, a skin tone, what follows a
/// zero-width joiner and the second letter of a flag belong to the one
/// before, so a cut never splits them. (A close approximation of Unicode's
/// grapheme clusters, enough for milestone ids.)
fn cluster_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut joined = false;
    let mut lone_flag_letter = false;
    for (at, c) in text.char_indices() {
        let flag_letter = ('\u{1f1e6}'..='\u{1f1ff}').contains(&c);
        let extends = joined
            || matches!(c,
                '\u{300}'..='\u{36f}'
                | '\u{1ab0}'..='\u{1aff}'
                | '\u{1dc0}'..='\u{1dff}'
                | '\u{20d0}'..='\u{20ff}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{fe20}'..='\u{fe2f}'
                | '\u{200d}'
                | '\u{1f3fb}'..='\u{1f3ff}'
                | '\u{e0020}'..='\u{e007f}')
            || (flag_letter && lone_flag_letter);
        if !extends || starts.is_empty() {
            starts.push(at);
        }
        joined = c == '\u{200d}';
        lone_flag_letter = flag_letter && !(extends && lone_flag_letter);
    }
    starts
}

// ---------------------------------------------------------------------------
// Layout: text widths, marks spread apart, labels stacked in lanes.

/// About how wide `text` is drawn at `size` px in the report's sans-serif
/// font. SVG text cannot be measured without a browser, so this errs on the
/// wide side: labels laid out with it never touch.
fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let ems: f64 = text.chars().map(char_width).sum();
    ems * size * if bold { 1.08 } else { 1.0 }
}

/// A character's advance in ems, by rough class (Arial-like metrics).
fn char_width(c: char) -> f64 {
    match c {
        ' ' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' | 'i' | 'j' | 'l' => 0.3,
        'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '-' | '·' | '/' => 0.38,
        'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.9,
        'A'..='Z' => 0.72,
        '→' | '…' | '—' => 1.0,
        c if c.is_ascii() => 0.58,
        // Accented Latin, Greek, Cyrillic; CJK and the like are full width.
        c if (c as u32) < 0x2E80 => 0.72,
        _ => 1.0,
    }
}

/// Positions for marks wanted at `wanted` (ascending), moved as little as
/// needed so that neighbours are at least `gap` apart and all lie within
/// `lo..=hi`. Marks that crowd each other move apart around the middle of
/// where they wanted to be; marks with room stay where they are.
fn spread(wanted: &[f64], gap: f64, lo: f64, hi: f64) -> Vec<f64> {
    let n = wanted.len();
    if n == 0 {
        return Vec::new();
    }
    if gap * (n - 1) as f64 > hi - lo {
        // Not enough room for the gap: share the room evenly.
        let step = if n > 1 {
            (hi - lo) / (n - 1) as f64
        } else {
            0.0
        };
        return (0..n).map(|i| lo + step * i as f64).collect();
    }
    // Runs of marks that touch, each run placed where its marks want it on
    // average (pool adjacent violators), kept inside the bounds.
    struct Run {
        first: usize,
        count: usize,
        /// Sum over the run's marks of (wanted position - offset in the run).
        sum: f64,
    }
    let left =
        |run: &Run| (run.sum / run.count as f64).clamp(lo, hi - gap * (run.count - 1) as f64);
    let mut runs: Vec<Run> = Vec::with_capacity(n);
    for (i, &x) in wanted.iter().enumerate() {
        runs.push(Run {
            first: i,
            count: 1,
            sum: x,
        });
        while runs.len() > 1 {
            let (a, b) = (&runs[runs.len() - 2], &runs[runs.len() - 1]);
            if left(a) + gap * a.count as f64 <= left(b) + 1e-9 {
                break;
            }
            let b = runs.pop().expect("two runs");
            let a = runs.last_mut().expect("two runs");
            a.sum += b.sum - (a.count * b.count) as f64 * gap;
            a.count += b.count;
        }
    }
    let mut out = vec![0.0; n];
    for run in &runs {
        let start = left(run);
        for k in 0..run.count {
            out[run.first + k] = start + gap * k as f64;
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Side {
    Above,
    Below,
}

/// A row of labels: level 1 is nearest the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Lane {
    side: Side,
    level: usize,
}

/// Where a label went: its lane and its horizontal extent.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Slot {
    lane: Lane,
    left: f64,
    width: f64,
}

impl Slot {
    fn centre(&self) -> f64 {
        self.left + self.width / 2.0
    }
}

/// Labels stacked in lanes above and below a line. Each label takes the
/// first lane, in its order of preference, where it overlaps no label placed
/// before it, sliding sideways to stay within `lo..=hi`. Labels placed first
/// keep the best lanes.
struct Lanes {
    lo: f64,
    hi: f64,
    gap: f64,
    /// The labels placed, by side and level (from 1): a label is tested
    /// only against its own lane's.
    placed: [Vec<Vec<Slot>>; 2],
    /// The highest level used above and below.
    top: [usize; 2],
}

impl Lanes {
    fn new(lo: f64, hi: f64, gap: f64) -> Lanes {
        Lanes {
            lo,
            hi,
            gap,
            placed: [Vec::new(), Vec::new()],
            top: [0; 2],
        }
    }

    fn in_lane(&self, lane: Lane) -> &[Slot] {
        self.placed[lane.side as usize]
            .get(lane.level - 1)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether a label spanning `left..left + width` is clear of every
    /// label already in `lane`.
    fn fits(&self, lane: Lane, left: f64, width: f64) -> bool {
        self.in_lane(lane)
            .iter()
            .all(|p| p.left + p.width + self.gap <= left || left + width + self.gap <= p.left)
    }

    /// The free position in `lane` nearest to `left`, at most `nudge` away
    /// and inside the bounds. The best spot is either `left` itself or flush
    /// against a label already there, so only those are tried; on a tie the
    /// later position wins, which keeps labels in date order.
    fn nearest_free(&self, lane: Lane, left: f64, width: f64, nudge: f64) -> Option<f64> {
        let mut candidates = vec![left];
        for p in self.in_lane(lane) {
            candidates.push(p.left + p.width + self.gap);
            candidates.push(p.left - self.gap - width);
        }
        let max_left = (self.hi - width).max(self.lo);
        candidates.retain(|c| {
            (c - left).abs() <= nudge + 1e-9 && *c >= self.lo - 1e-9 && *c <= max_left + 1e-9
        });
        candidates.sort_by(|a, b| {
            (a - left)
                .abs()
                .total_cmp(&(b - left).abs())
                .then(b.total_cmp(a))
        });
        candidates.into_iter().find(|c| self.fits(lane, *c, width))
    }

    /// Where a label centred on `centre` starts once kept inside the bounds.
    fn clamped_left(&self, centre: f64, width: f64) -> f64 {
        if width >= self.hi - self.lo {
            self.lo
        } else {
            (centre - width / 2.0).clamp(self.lo, self.hi - width)
        }
    }

    /// Places a label in `lane` if it fits there, moved at most `nudge`.
    fn try_place(&mut self, lane: Lane, centre: f64, width: f64, nudge: f64) -> Option<Slot> {
        let left = self.nearest_free(lane, self.clamped_left(centre, width), width, nudge)?;
        let slot = Slot { lane, left, width };
        let levels = &mut self.placed[lane.side as usize];
        if levels.len() < lane.level {
            levels.resize_with(lane.level, Vec::new);
        }
        levels[lane.level - 1].push(slot);
        let top = &mut self.top[lane.side as usize];
        *top = (*top).max(lane.level);
        Some(slot)
    }

    /// Places a label centred on `centre`, moved sideways at most `nudge`.
    /// `sides` is tried in order at level 1, then at level 2, and so on up
    /// to `MAX_LEVELS`, so crowded labels alternate above and below before
    /// stacking further out. `None` when every lane is taken there.
    fn place(&mut self, centre: f64, width: f64, sides: &[Side], nudge: f64) -> Option<Slot> {
        (1..=MAX_LEVELS).find_map(|level| {
            sides
                .iter()
                .find_map(|&side| self.try_place(Lane { side, level }, centre, width, nudge))
        })
    }

    /// How many levels are used on one side.
    fn levels(&self, side: Side) -> usize {
        self.top[side as usize]
    }
}

/// The two renderings of each picture: wide for screens and paper, narrow for
/// phones, where the wide one would shrink its text below reading size. The
/// stylesheet shows one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fit {
    Wide,
    Narrow,
}

impl Fit {
    const BOTH: [Fit; 2] = [Fit::Wide, Fit::Narrow];

    fn width(self) -> f64 {
        match self {
            Fit::Wide => 720.0,
            Fit::Narrow => 330.0,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Fit::Wide => "svg-wide",
            Fit::Narrow => "svg-narrow",
        }
    }
}

/// Maps dates onto x positions between `x0` and `x1`.
struct TimeAxis {
    first: Date,
    last: Date,
    days: f64,
    x0: f64,
    x1: f64,
}

impl TimeAxis {
    fn new(dates: impl IntoIterator<Item = Date>, x0: f64, x1: f64) -> Option<TimeAxis> {
        let mut dates = dates.into_iter();
        let first = dates.next()?;
        let (min, max) = dates.fold((first, first), |(lo, hi), d| (lo.min(d), hi.max(d)));
        Some(TimeAxis {
            first: min,
            last: max,
            days: (max.days_since(min) as f64).max(1.0),
            x0,
            x1,
        })
    }

    fn x(&self, date: Date) -> f64 {
        self.x0 + (self.x1 - self.x0) * (date.days_since(self.first) as f64 / self.days)
    }

    fn contains(&self, date: Date) -> bool {
        self.first <= date && date <= self.last
    }
}

/// A coordinate written to one decimal place, exactly as `{:.1}` writes it
/// except that `-0.0` comes out as `0.0`. It exists because float formatting
/// was about 8% of `build`'s CPU time; this uses integer formatting only.
#[derive(Clone, Copy, Debug)]
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        // Below 1e14, `x * 10.0` stays far under 2^53, where every tenth is exact.
        if !x.is_finite() || x.abs() >= 1e14 {
            return write!(f, "{x:.1}");
        }
        let scaled = x * 10.0;
        let mut tenths = scaled.round();
        // `round` goes half away from zero, but `{:.1}` rounds the exact
        // binary value, ties to even. The product is only off when it lands
        // on a tie, so there the exact error of the product decides.
        if (scaled - scaled.trunc()).abs() == 0.5 {
            let error = x.mul_add(10.0, -scaled);
            tenths = if error > 0.0 {
                scaled.ceil()
            } else if error < 0.0 {
                scaled.floor()
            } else {
                scaled.round_ties_even()
            };
        }
        // Digits right to left into a buffer, then one write: about twice as
        // fast as `write!` with the integer parts.
        let tenths = tenths as i64;
        let mut buf = [0u8; 24];
        let mut at = buf.len();
        let mut push = |byte: u8| {
            at -= 1;
            buf[at] = byte;
        };
        let (mut whole, tenth) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
        push(b'0' + tenth as u8);
        push(b'.');
        loop {
            push(b'0' + (whole % 10) as u8);
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        if tenths < 0 {
            push(b'-');
        }
        f.write_str(std::str::from_utf8(&buf[at..]).unwrap_or_default())
    }
}

/// Wraps one rendering in its `<svg>` with the text alternative.
fn svg_element(kind: &str, fit: Fit, height: f64, alt: &str, body: &str) -> String {
    format!(
        r#"<svg class="{kind} {}" viewBox="0 0 {:.0} {height:.0}" role="img" aria-label="{alt}" xmlns="http://www.w3.org/2000/svg"><title>{alt}</title>{body}</svg>"#,
        fit.class(),
        fit.width(),
    )
}

// ---------------------------------------------------------------------------
// Milestone timeline

/// Height of one lane of timeline labels (two lines of text).
const LANE_H: f64 = 30.0;
/// Baselines of a label's first and second line below its lane's top.
const LINE_1: f64 = 11.0;
const LINE_2: f64 = 24.0;
/// Radius of a milestone mark, and the least distance between two marks.
const MARK_R: f64 = 7.0;
const MARK_GAP: f64 = 15.0;
/// How far a step's label may slide sideways before it moves to another lane.
const NUDGE: f64 = 24.0;
/// The most lanes of labels on one side of the line. Past that a timeline
/// would be a wall of text (and placing thousands of labels in ever more
/// lanes took quadratic time): a step whose label finds no room keeps its
/// mark, and the chart's description and the list of steps name it.
const MAX_LEVELS: usize = 8;
const ID_SIZE: f64 = 12.0;
const TEXT_SIZE: f64 = 11.0;

/// One text placed on the timeline.
#[derive(Debug)]
struct TimelineLabel {
    slot: Slot,
    /// Bold lead word ("A", "Today", "Start"), then the rest of the line.
    lead: String,
    rest: String,
    /// A second line ("3 days late") and its class.
    note: Option<(String, &'static str)>,
    class: &'static str,
    /// The mark the label belongs to, for a leader line when it sits away.
    mark_x: Option<f64>,
}

/// One milestone mark.
#[derive(Debug)]
struct TimelineMark {
    x: f64,
    /// The due date's position, when the mark sits elsewhere because the
    /// step was done late or is overdue.
    due_x: f64,
    class: &'static str,
    done: bool,
    late: bool,
    overdue: bool,
}

/// Everything the timeline draws, positioned.
#[derive(Debug)]
struct TimelineLayout {
    width: f64,
    pad: f64,
    height: f64,
    axis_y: f64,
    edges: Vec<f64>,
    today_x: Option<f64>,
    marks: Vec<TimelineMark>,
    labels: Vec<TimelineLabel>,
}

impl TimelineLayout {
    /// The top of a lane, in SVG coordinates.
    fn lane_top(&self, lane: Lane) -> f64 {
        match lane.side {
            Side::Above => self.axis_y - 12.0 - lane.level as f64 * LANE_H,
            Side::Below => self.axis_y + 12.0 + (lane.level - 1) as f64 * LANE_H,
        }
    }
}

/// The second line under a milestone's label, if it needs one.
fn milestone_note(figures: &MilestoneFigures, open: bool) -> Option<(String, &'static str)> {
    match figures.status {
        MilestoneStatus::Done => match figures.days_late.unwrap_or(0) {
            0 => None,
            late => Some((format!("{} late", days_word(late)), "tl-note-late")),
        },
        MilestoneStatus::Overdue if open => Some((
            format!("{} overdue", days_word(figures.days_overdue.unwrap_or(0))),
            "tl-note-overdue",
        )),
        MilestoneStatus::Overdue => Some(("not done".to_owned(), "tl-note-overdue")),
        MilestoneStatus::DueSoon => Some(match figures.days_left.unwrap_or(0) {
            0 => ("due today".to_owned(), "tl-note-soon"),
            left => (format!("due in {}", days_word(left)), "tl-note-soon"),
        }),
        MilestoneStatus::Upcoming => None,
    }
}

fn timeline_layout(
    e: &Engagement,
    milestones: &[MilestoneFigures],
    as_of: Date,
    fit: Fit,
) -> Option<TimelineLayout> {
    if e.milestones.is_empty() {
        return None;
    }
    let width = fit.width();
    let pad = match fit {
        Fit::Wide => 20.0,
        Fit::Narrow => 12.0,
    };
    let open = e.status.is_open();
    let done_on = |m: &crate::model::Milestone| m.done.filter(|d| *d <= as_of);
    let mut dates: Vec<Date> = e.milestones.iter().map(|m| m.due).collect();
    dates.extend(e.milestones.iter().filter_map(done_on));
    dates.extend(e.start);
    dates.extend(e.end);
    // A closed engagement's line ends with the engagement; an open one runs
    // to today so the reader sees where it stands.
    if open {
        dates.push(as_of);
    }
    let axis = TimeAxis::new(dates, pad, width - pad)?;
    let today_x = axis.contains(as_of).then(|| axis.x(as_of));

    // Marks: where each step was done, else where it is due; spread apart
    // so that steps a few days apart stay distinct.
    let pairs: Vec<_> = e.milestones.iter().zip(milestones).collect();
    let wanted: Vec<f64> = pairs
        .iter()
        .map(|(m, f)| match (f.status, done_on(m)) {
            (MilestoneStatus::Done, Some(done)) => axis.x(done),
            _ => axis.x(m.due),
        })
        .collect();
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by(|a, b| wanted[*a].total_cmp(&wanted[*b]).then(a.cmp(b)));
    let sorted: Vec<f64> = order.iter().map(|i| wanted[*i]).collect();
    let spread_x = spread(&sorted, MARK_GAP, pad, width - pad);
    let mut mark_x = vec![0.0; pairs.len()];
    for (i, x) in order.iter().zip(spread_x) {
        mark_x[*i] = x;
    }

    let mut lanes = Lanes::new(2.0, width - 2.0, 6.0);
    let mut labels = Vec::new();
    // Today first, right under its line, so that the line crosses no other
    // label; then start and end, flush with their ticks; then the steps in
    // date order, above the line where there is room, else below.
    if let Some(x) = today_x {
        let rest = format!(" {}", date_short(as_of));
        let w = text_width("Today", TEXT_SIZE, true) + text_width(&rest, TEXT_SIZE, false);
        // Placed first: the first lane is free.
        if let Some(slot) = lanes.place(x, w, &[Side::Below], 0.0) {
            labels.push(TimelineLabel {
                slot,
                lead: "Today".to_owned(),
                rest,
                note: None,
                class: "tl-today-label",
                mark_x: Some(x),
            });
        }
    }
    let mut edges = Vec::new();
    for (lead, date, flush_left) in [("Start", e.start, true), ("End", e.end, false)] {
        let Some(date) = date else { continue };
        let x = axis.x(date);
        edges.push(x);
        // Flush with the tick, and in words where there is room; where
        // there is not, the bare word (the dates are in the page's header
        // line), and only then a lane further down.
        let flush = |w: f64| {
            if flush_left {
                x - 2.0 + w / 2.0
            } else {
                x + 2.0 - w / 2.0
            }
        };
        let below = Lane {
            side: Side::Below,
            level: 1,
        };
        let full = format!(" {} {}", date_short(date), date.0.year());
        let full_w = text_width(lead, TEXT_SIZE, true) + text_width(&full, TEXT_SIZE, false);
        let bare_w = text_width(lead, TEXT_SIZE, true);
        let placed = match lanes.try_place(below, flush(full_w), full_w, 0.0) {
            Some(slot) => Some((slot, full)),
            None => match lanes.try_place(below, flush(bare_w), bare_w, 0.0) {
                Some(slot) => Some((slot, String::new())),
                None => lanes
                    .place(flush(full_w), full_w, &[Side::Below], 0.0)
                    .map(|slot| (slot, full)),
            },
        };
        // Placed before any step: some lane below is free.
        let Some((slot, rest)) = placed else { continue };
        labels.push(TimelineLabel {
            slot,
            lead: lead.to_owned(),
            rest,
            note: None,
            class: "tl-edge-label",
            mark_x: None,
        });
    }
    let mut marks = Vec::new();
    for &i in &order {
        let (m, f) = pairs[i];
        let shown = match (f.status, done_on(m)) {
            (MilestoneStatus::Done, Some(done)) => done,
            _ => m.due,
        };
        let lead = short_label(m.id.as_str());
        let rest = format!(" {}", date_short(shown));
        let note = milestone_note(f, open);
        let line = text_width(&lead, ID_SIZE, true) + text_width(&rest, TEXT_SIZE, false);
        let w = note.as_ref().map_or(line, |(text, _)| {
            line.max(text_width(text, TEXT_SIZE, false))
        });
        let x = mark_x[i];
        if let Some(slot) = lanes.place(x, w, &[Side::Above, Side::Below], NUDGE) {
            labels.push(TimelineLabel {
                slot,
                lead,
                rest,
                note,
                class: "tl-label",
                mark_x: Some(x),
            });
        }
        marks.push(TimelineMark {
            x,
            due_x: axis.x(m.due),
            class: f.status.as_str(),
            done: f.status == MilestoneStatus::Done,
            late: f.days_late.unwrap_or(0) > 0,
            overdue: f.status == MilestoneStatus::Overdue && open,
        });
    }

    let above = lanes.levels(Side::Above) as f64;
    let below = lanes.levels(Side::Below) as f64;
    let axis_y = 4.0 + (above * LANE_H + 12.0).max(MARK_R + 8.0);
    let height = axis_y + (below * LANE_H + 12.0).max(MARK_R + 8.0) + 2.0;
    Some(TimelineLayout {
        width,
        pad,
        height,
        axis_y,
        edges,
        today_x,
        marks,
        labels,
    })
}

fn draw_timeline(layout: &TimelineLayout, alt: &str, fit: Fit) -> String {
    let y = layout.axis_y;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<line class="tl-axis" x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
        Tenths(layout.pad),
        Tenths(layout.width - layout.pad),
        y = Tenths(y),
    );
    for x in &layout.edges {
        let _ = write!(
            svg,
            r#"<line class="tl-edge" x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
            Tenths(y - 9.0),
            Tenths(y + 9.0),
            x = Tenths(*x),
        );
    }
    // Lateness under the marks: done late runs from the due date to the day
    // it was done; overdue runs from the due date to today.
    for mark in &layout.marks {
        let until = if mark.late {
            Some((mark.x, "tl-late"))
        } else if mark.overdue {
            layout.today_x.map(|t| (t, "tl-overdue"))
        } else {
            None
        };
        if let Some((to, class)) = until {
            let _ = write!(
                svg,
                r#"<line class="{class}" x1="{}" y1="{y}" x2="{to}" y2="{y}"/><line class="tl-due" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
                Tenths(mark.due_x),
                Tenths(mark.due_x),
                Tenths(y - 6.0),
                Tenths(mark.due_x),
                Tenths(y + 6.0),
                y = Tenths(y),
                to = Tenths(to),
            );
        }
    }
    let today_label = layout.labels.iter().find(|l| l.class == "tl-today-label");
    if let (Some(x), Some(label)) = (layout.today_x, today_label) {
        let _ = write!(
            svg,
            r#"<line class="tl-today" x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
            Tenths(y - MARK_R - 3.0),
            Tenths(layout.lane_top(label.slot.lane) + 1.0),
            x = Tenths(x),
        );
    }
    // Leader lines for labels that sit away from their mark.
    for label in &layout.labels {
        let Some(mark_x) = label.mark_x else { continue };
        let centre = label.slot.centre();
        if label.class == "tl-today-label"
            || (label.slot.lane.level == 1 && (centre - mark_x).abs() <= 8.0)
        {
            continue;
        }
        let top = layout.lane_top(label.slot.lane);
        let (from, to) = match label.slot.lane.side {
            Side::Above => (y - MARK_R - 2.0, top + LINE_2 + 4.0),
            Side::Below => (y + MARK_R + 2.0, top + 1.0),
        };
        let _ = write!(
            svg,
            r#"<line class="tl-leader" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
            Tenths(mark_x),
            Tenths(from),
            Tenths(centre),
            Tenths(to),
        );
    }
    for mark in &layout.marks {
        let _ = write!(
            svg,
            r#"<circle class="tl-ms {}" cx="{}" cy="{}" r="{}"/>"#,
            mark.class,
            Tenths(mark.x),
            Tenths(y),
            Tenths(MARK_R),
        );
        if mark.done {
            let _ = write!(
                svg,
                r#"<path class="tl-tick" d="M{} {} l2.5 2.5 l4.5 -5"/>"#,
                Tenths(mark.x - 3.5),
                Tenths(y),
            );
        }
    }
    for label in &layout.labels {
        let top = layout.lane_top(label.slot.lane);
        // The lead line hugs the axis, so that ids in a lane line up; a
        // note goes on the far side of it.
        let (first, second) = match label.slot.lane.side {
            Side::Above => (top + LINE_2, top + LINE_1),
            Side::Below => (top + LINE_1, top + LINE_2),
        };
        let x = Tenths(label.slot.centre());
        let (first, second) = (Tenths(first), Tenths(second));
        let _ = write!(
            svg,
            r#"<text class="{}" x="{x}" y="{first}" text-anchor="middle"><tspan class="tl-lead">{}</tspan>{}</text>"#,
            label.class,
            escape(&label.lead),
            escape(&label.rest)
        );
        if let Some((note, class)) = &label.note {
            let _ = write!(
                svg,
                r#"<text class="tl-note {class}" x="{x}" y="{second}" text-anchor="middle">{}</text>"#,
                escape(note)
            );
        }
    }
    svg_element("timeline", fit, layout.height, alt, &svg)
}

/// The timeline in words, for screen readers and as the picture's title.
fn timeline_description(e: &Engagement, milestones: &[MilestoneFigures], as_of: Date) -> String {
    let mut description = Vec::new();
    if let Some(start) = e.start {
        description.push(format!("start {}", date_long(start)));
    }
    let open = e.status.is_open();
    for (milestone, figures) in e.milestones.iter().zip(milestones) {
        let done = milestone.done.filter(|d| *d <= as_of);
        description.push(match (figures.status, done) {
            (MilestoneStatus::Done, Some(done)) => match figures.days_late.unwrap_or(0) {
                0 => format!("{} done {}", milestone.id, date_long(done)),
                late => format!(
                    "{} done {} ({} late)",
                    milestone.id,
                    date_long(done),
                    days_word(late)
                ),
            },
            _ => {
                let state = match milestone_note(figures, open) {
                    Some((note, _)) => note,
                    None => "upcoming".to_owned(),
                };
                format!("{} due {}, {state}", milestone.id, date_long(milestone.due))
            }
        });
    }
    description.push(format!("today {}", date_long(as_of)));
    if let Some(end) = e.end {
        description.push(format!("end {}", date_long(end)));
    }
    format!("Milestone timeline: {}.", description.join("; "))
}

/// The milestone path: start, each milestone where it was done (or is due),
/// lateness, today, end; drawn twice, wide and narrow.
pub fn timeline(e: &Engagement, milestones: &[MilestoneFigures], as_of: Date) -> Option<String> {
    let alt = escape(&timeline_description(e, milestones, as_of));
    let mut out = String::new();
    for fit in Fit::BOTH {
        let layout = timeline_layout(e, milestones, as_of, fit)?;
        out.push_str(&draw_timeline(&layout, &alt, fit));
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Metric chart

/// A label on the time axis, and the tick it belongs to.
#[derive(Debug, PartialEq)]
struct Tick {
    x: f64,
    label_x: f64,
    label: String,
}

/// Ticks on the first of the month, every `step` months for the smallest step
/// whose labels do not collide ("Jun", with the year on the first label and
/// on each January). An axis that spans no month boundary gets its first
/// and last dates instead.
fn month_ticks(axis: &TimeAxis, lo: f64, hi: f64) -> Vec<Tick> {
    let index = |d: Date| i32::from(d.0.year()) * 12 + i32::from(d.0.month()) - 1;
    let month_start = |i: i32| Date::from_ymd((i / 12) as i16, (i % 12 + 1) as i8, 1);
    let first = if axis.first.0.day() == 1 {
        index(axis.first)
    } else {
        index(axis.first) + 1
    };
    let months: Vec<(i32, Date)> = (first..=index(axis.last))
        .filter_map(|i| month_start(i).map(|d| (i, d)))
        .collect();
    let size = TEXT_SIZE;
    let build = |ticks: Vec<(Date, String)>| -> Option<Vec<Tick>> {
        let mut out: Vec<Tick> = Vec::new();
        for (date, label) in ticks {
            let x = axis.x(date);
            let w = text_width(&label, size, false);
            let label_x = x.clamp(lo + w / 2.0, (hi - w / 2.0).max(lo + w / 2.0));
            if let Some(prev) = out.last() {
                let prev_w = text_width(&prev.label, size, false);
                if prev.label_x + prev_w / 2.0 + 10.0 > label_x - w / 2.0 {
                    return None;
                }
            }
            out.push(Tick { x, label_x, label });
        }
        Some(out)
    };
    if months.len() < 2 {
        let mut ends = vec![(axis.first, date_short(axis.first))];
        if axis.last != axis.first {
            ends.push((axis.last, date_short(axis.last)));
        }
        return build(ends.clone())
            .or_else(|| build(ends.into_iter().take(1).collect()))
            .unwrap_or_default();
    }
    for step in [1, 2, 3, 4, 6, 12] {
        let chosen: Vec<(i32, Date)> = months
            .iter()
            .copied()
            .filter(|(i, _)| i.rem_euclid(step) == 0)
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let labelled = chosen
            .iter()
            .enumerate()
            .map(|(k, (_, d))| {
                let month = &MONTHS[d.0.month() as usize - 1][..3];
                let label = if k == 0 || d.0.month() == 1 {
                    format!("{month} {}", d.0.year())
                } else {
                    month.to_owned()
                };
                (*d, label)
            })
            .collect();
        if let Some(ticks) = build(labelled) {
            return ticks;
        }
    }
    let (_, d) = months[0];
    build(vec![(
        d,
        format!("{} {}", &MONTHS[d.0.month() as usize - 1][..3], d.0.year()),
    )])
    .unwrap_or_default()
}

/// A box of text, for keeping chart labels apart.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    /// The box of a one-line text drawn at (x, baseline y) with an anchor.
    fn of_text(x: f64, y: f64, width: f64, size: f64, anchor: &str) -> Rect {
        let x0 = match anchor {
            "start" => x,
            "end" => x - width,
            _ => x - width / 2.0,
        };
        Rect {
            x0,
            y0: y - size,
            x1: x0 + width,
            y1: y + size * 0.25,
        }
    }

    fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    fn inside(&self, area: &Rect) -> bool {
        self.x0 >= area.x0 && self.x1 <= area.x1 && self.y0 >= area.y0 && self.y1 <= area.y1
    }

    /// Whether the segment from `a` to `b` passes through the box
    /// (Liang-Barsky clipping).
    fn crossed_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.0 - self.x0),
            (dx, self.x1 - a.0),
            (-dy, a.1 - self.y0),
            (dy, self.y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
                if t0 > t1 {
                    return false;
                }
            }
        }
        true
    }
}

/// Where to write a baseline or target line's label: at the right end on
/// the side away from the band between the two lines, else at the left
/// end, else on the band's side; the first clear of the measurements'
/// line and points and of `taken` (the last resort is the first).
fn line_label_spot(
    ys: [f64; 2],
    (left, right): (f64, f64),
    width: f64,
    drawn: &[(f64, f64)],
    taken: &[Rect],
) -> (f64, f64, &'static str) {
    let candidates = [
        (right, ys[0], "end"),
        (left, ys[0], "start"),
        (right, ys[1], "end"),
        (left, ys[1], "start"),
    ];
    let clear = |rect: &Rect| {
        !taken.iter().any(|t| t.overlaps(rect))
            && !drawn.iter().any(|&(x, y)| {
                rect.overlaps(&Rect {
                    x0: x - 5.0,
                    y0: y - 5.0,
                    x1: x + 5.0,
                    y1: y + 5.0,
                })
            })
            && !drawn
                .windows(2)
                .any(|pair| rect.crossed_by(pair[0], pair[1]))
    };
    candidates
        .iter()
        .copied()
        .find(|&(x, y, anchor)| clear(&Rect::of_text(x, y, width, TEXT_SIZE, anchor)))
        .unwrap_or(candidates[0])
}

/// Where to write the latest value beside its point: right of it, above,
/// below or left, the first that stays in the plot and clear of `taken`,
/// and of `lines` (the baseline and target) too where one is.
fn value_label_spot(
    (px, py): (f64, f64),
    (width, size): (f64, f64),
    area: &Rect,
    taken: &[Rect],
    lines: &[Rect],
) -> (f64, f64, &'static str) {
    let candidates = [
        (px + 8.0, py + size * 0.35, "start"),
        (px, py - 9.0, "middle"),
        (px, py + size + 7.0, "middle"),
        (px - 8.0, py + size * 0.35, "end"),
    ];
    let fits = |avoid: &[&[Rect]]| {
        candidates.iter().copied().find(|(x, y, anchor)| {
            let rect = Rect::of_text(*x, *y, width, size, anchor);
            rect.inside(area)
                && !avoid
                    .iter()
                    .any(|rects| rects.iter().any(|t| t.overlaps(&rect)))
        })
    };
    // A value written across a line is hard to read, but one that has to
    // cross it still beats one over another label.
    fits(&[taken, lines])
        .or_else(|| fits(&[taken]))
        .unwrap_or(candidates[3])
}

#[allow(clippy::too_many_arguments)]
fn draw_metric_chart(
    metric: &Metric,
    points: &[(Date, f64)],
    start: Option<Date>,
    end: Option<Date>,
    as_of: Date,
    unit: &str,
    alt: &str,
    fit: Fit,
) -> Option<String> {
    let width = fit.width();
    let height = match fit {
        Fit::Wide => 180.0,
        Fit::Narrow => 170.0,
    };
    let (left, right) = (6.0, width - 6.0);
    let (top, bottom) = (24.0, height - 24.0);
    let mut dates: Vec<Date> = points.iter().map(|p| p.0).collect();
    dates.extend(start);
    dates.extend(end.filter(|e| start.is_none_or(|s| *e >= s)));
    // With no end date, the axis runs to today.
    if end.is_none() {
        dates.push(as_of);
    }
    let axis = TimeAxis::new(dates, left + 8.0, right - 8.0)?;
    let values = points
        .iter()
        .map(|p| p.1)
        .chain([metric.baseline, metric.target]);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    // Room above the highest value and below the lowest for the labels of
    // the baseline and target lines, which sit outside the band between them.
    let inner = 22.0;
    let span = bottom - top - 2.0 * inner;
    let y = |v: f64| {
        let (along, whole) = (v - lo, hi - lo);
        if along.is_finite() && whole.is_finite() {
            (bottom - inner) - span * along / whole
        } else {
            // Values near f64's limits: their differences overflow.
            (bottom - inner) - span * crate::figures::position(v, lo, hi)
        }
    };
    let mut svg = String::with_capacity(4096);
    let mut taken = Vec::new();

    let _ = write!(
        svg,
        r#"<line class="ch-xaxis" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
        Tenths(left),
        Tenths(bottom),
        Tenths(right),
        Tenths(bottom),
    );
    for tick in month_ticks(&axis, left, right) {
        let _ = write!(
            svg,
            r#"<line class="ch-tick" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="ch-axis" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            Tenths(tick.x),
            Tenths(bottom),
            Tenths(tick.x),
            Tenths(bottom + 4.0),
            Tenths(tick.label_x),
            Tenths(bottom + 16.0),
            escape(&tick.label)
        );
    }
    let higher = metric.target.max(metric.baseline);
    // What a line's label must not cover: the measurements' points and the
    // line through them, and today's line.
    let drawn: Vec<(f64, f64)> = points.iter().map(|(d, v)| (axis.x(*d), y(*v))).collect();
    let today_x = axis.contains(as_of).then(|| axis.x(as_of));
    if let Some(x) = today_x {
        taken.push(Rect {
            x0: x - 1.0,
            y0: top - 4.0,
            x1: x + 1.0,
            y1: bottom,
        });
    }
    // The baseline and target lines, for the latest value's label to avoid.
    let mut lines = Vec::with_capacity(2);
    for (class, value, word) in [
        ("ch-baseline", metric.baseline, "Baseline"),
        ("ch-target", metric.target, "Target"),
    ] {
        let line_y = y(value);
        lines.push(Rect {
            x0: left,
            y0: line_y - 1.0,
            x1: right,
            y1: line_y + 1.0,
        });
        let label = format!("{word} {}", format_number(value, unit));
        let (above, below) = (line_y - 5.0, line_y + TEXT_SIZE + 3.0);
        let outside_first = if value >= higher {
            [above, below]
        } else {
            [below, above]
        };
        let label_width = text_width(&label, TEXT_SIZE, false);
        let (label_x, label_y, anchor) =
            line_label_spot(outside_first, (left, right), label_width, &drawn, &taken);
        taken.push(Rect::of_text(
            label_x,
            label_y,
            label_width,
            TEXT_SIZE,
            anchor,
        ));
        let _ = write!(
            svg,
            r#"<line class="{class}" x1="{left}" y1="{line_y}" x2="{right}" y2="{line_y}"/><text class="ch-label {class}-label" x="{label_x}" y="{label_y}" text-anchor="{anchor}">{}</text>"#,
            escape(&label),
            left = Tenths(left),
            right = Tenths(right),
            line_y = Tenths(line_y),
            label_x = Tenths(label_x),
            label_y = Tenths(label_y),
        );
    }
    if let Some(x) = today_x {
        let w = text_width("Today", TEXT_SIZE, true);
        let label_x = x.clamp(left + w / 2.0, right - w / 2.0);
        taken.push(Rect::of_text(label_x, top - 8.0, w, TEXT_SIZE, "middle"));
        let _ = write!(
            svg,
            r#"<line class="ch-today" x1="{x}" y1="{}" x2="{x}" y2="{}"/><text class="ch-today-label" x="{}" y="{}" text-anchor="middle">Today</text>"#,
            Tenths(top - 4.0),
            Tenths(bottom),
            Tenths(label_x),
            Tenths(top - 8.0),
            x = Tenths(x),
        );
    }
    if points.len() > 1 {
        svg.push_str(r#"<polyline class="ch-line" points=""#);
        for (i, (d, v)) in points.iter().enumerate() {
            if i > 0 {
                svg.push(' ');
            }
            let _ = write!(svg, "{},{}", Tenths(axis.x(*d)), Tenths(y(*v)));
        }
        svg.push_str(r#""/>"#);
    }
    for (d, v) in points {
        let _ = write!(
            svg,
            r#"<circle class="ch-point" cx="{}" cy="{}" r="3.5"/>"#,
            Tenths(axis.x(*d)),
            Tenths(y(*v))
        );
    }
    let &(last_date, last_value) = points.last()?;
    let text = format_number(last_value, unit);
    let w = text_width(&text, TEXT_SIZE, true);
    let area = Rect {
        x0: left,
        y0: 0.0,
        x1: right,
        y1: bottom,
    };
    let (px, py) = (axis.x(last_date), y(last_value));
    let (x, ty, anchor) = value_label_spot((px, py), (w, TEXT_SIZE), &area, &taken, &lines);
    let _ = write!(
        svg,
        r#"<text class="ch-value" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
        Tenths(x),
        Tenths(ty),
        escape(&text)
    );
    Some(svg_element("chart", fit, height, alt, &svg))
}

/// A metric's measurements over time, with its baseline and target lines,
/// today, and the latest value; drawn twice, wide and narrow.
pub fn metric_chart(
    metric: &Metric,
    figures: &MetricFigures,
    start: Option<Date>,
    end: Option<Date>,
    as_of: Date,
    unit: &str,
) -> Option<String> {
    let mut points: Vec<(Date, f64)> = crate::figures::readings(metric, as_of)
        .into_iter()
        .map(|m| (m.date, m.value))
        .collect();
    if points.is_empty() {
        return None;
    }
    points.sort_by_key(|a| a.0);
    let readings: Vec<String> = points
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
    let mut out = String::new();
    for fit in Fit::BOTH {
        out.push_str(&draw_metric_chart(
            metric, &points, start, end, as_of, unit, &alt, fit,
        )?);
    }
    Some(out)
}

/// A number as people write it, with its unit: "12 days", "48,000", "7.9%".
pub fn format_number(value: f64, unit: &str) -> String {
    if value.abs() >= 1e18 {
        // Past u64's digits; such a figure is read as a magnitude anyway.
        return with_unit(format!("{value:e}"), unit);
    }
    if value != 0.0 && value.abs() < 1.0 {
        return with_unit(small_number(value), unit.trim());
    }
    let rounded = crate::figures::round_to(value, 2);
    let negative = rounded < 0.0;
    let abs = rounded.abs();
    let whole = abs.trunc() as u64;
    let fraction = crate::figures::round_to(abs - abs.trunc(), 2);
    let digits = whole_digits(whole);
    let unit = unit.trim();
    let mut text = String::with_capacity(digits.len() + unit.len() + 5);
    if negative {
        text.push('-');
    }
    text.push_str(&digits);
    if fraction > 0.0 {
        push_hundredths(&mut text, fraction);
    }
    with_unit(text, unit)
}

/// A number between -1 and 1 (not 0) to three significant digits: two
/// decimals would show a rate of 0.0025 as "0", and 0.0449 and 0.0412 alike
/// as "0.04". Past nine decimals it is 0.
fn small_number(value: f64) -> String {
    let leading_zeros = (-value.abs().log10()).floor().max(0.0) as usize;
    let decimals = (leading_zeros + 3).min(9);
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').trim_end_matches('.').len());
    }
    if text == "-0" { "0".to_owned() } else { text }
}

fn with_unit(mut text: String, unit: &str) -> String {
    match unit.trim() {
        "" => {}
        "%" => text.push('%'),
        unit => {
            text.push(' ');
            text.push_str(unit);
        }
    }
    text
}

/// A fraction that is a whole number of hundredths, as `.5` or `.05`: the
/// digits of `{:.2}` without its leading `0` and trailing zeros, from
/// integers (float formatting was most of `format_number`'s time).
fn push_hundredths(text: &mut String, fraction: f64) {
    match (fraction * 100.0).round() as u32 {
        hundredths @ 1..=99 => {
            text.push('.');
            text.push(char::from(b'0' + (hundredths / 10) as u8));
            if hundredths % 10 != 0 {
                text.push(char::from(b'0' + (hundredths % 10) as u8));
            }
        }
        _ => {
            let decimals = format!("{fraction:.2}");
            text.push_str(decimals.trim_start_matches('0').trim_end_matches('0'));
        }
    }
}

/// A whole number's digits, grouped by thousands ("2,410"), as the
/// records' own text writes them.
fn whole_digits(whole: u64) -> String {
    let digits = whole.to_string();
    if whole < 1_000 {
        return digits;
    }
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_write_like_one_decimal_formatting() {
        let values = [
            0.0,
            0.04,
            0.05,
            0.06,
            1.04,
            1.06,
            12.5,
            -3.26,
            999.94,
            999.96,
            1e6 + 0.05,
            123.45,
            -0.06,
            -0.05,
            6.0,
            640.0,
            17.349999,
            123_456_789.123,
            99_999_999_999_999.95,
            -99_999_999_999_999.95,
        ];
        for x in values {
            assert_eq!(Tenths(x).to_string(), format!("{x:.1}"), "{x:?}");
        }
        // Near ties, where `x * 10.0` rounds onto .5 but x is just below or above it.
        for x in [0.15, 0.35, 0.45, 0.55, 1.15, 2.675, -0.15, -0.35] {
            assert_eq!(Tenths(x).to_string(), format!("{x:.1}"), "{x:?}");
        }
        // Exact binary ties round to even, as `{:.1}` does (not half away from zero).
        for (x, want) in [
            (0.25, "0.2"),
            (0.75, "0.8"),
            (12.25, "12.2"),
            (-1.25, "-1.2"),
        ] {
            assert_eq!(Tenths(x).to_string(), want);
            assert_eq!(format!("{x:.1}"), want);
        }
    }

    proptest::proptest! {
        #[test]
        fn hundredths_are_written_as_float_formatting_would(
            value in proptest::prop_oneof![
                0.0..1.0f64,
                proptest::strategy::Strategy::prop_map(0u32..100, |n| f64::from(n) / 100.0),
            ]
        ) {
            let fraction = crate::figures::round_to(value, 2);
            let mut text = String::new();
            push_hundredths(&mut text, fraction);
            let decimals = format!("{fraction:.2}");
            let before = if fraction > 0.0 {
                decimals.trim_start_matches('0').trim_end_matches('0')
            } else {
                ""
            };
            proptest::prop_assert_eq!(if fraction > 0.0 { text.as_str() } else { "" }, before);
        }

        #[test]
        fn text_is_escaped_as_before_its_fast_path(
            text in "[a-z &<>\"'\u{0}-\u{1f}\u{7f}\u{80}-\u{a0}é©…]{0,16}"
        ) {
            proptest::prop_assert_eq!(escape(&text), escape_each_char(&text));
        }
    }

    #[test]
    fn numbers_at_the_edges_are_written_as_people_write_them() {
        for (value, want) in [
            (0.0, "0%"),
            (-0.0, "0%"),
            // Between -1 and 1, three significant digits: a rate of
            // 0.0025 is not 0, and 0.0449 is not 0.0412.
            (0.004, "0.004%"),
            (-0.004, "-0.004%"),
            (0.0025, "0.0025%"),
            (0.0449, "0.0449%"),
            (0.015, "0.015%"),
            (0.995, "0.995%"),
            (0.12345, "0.123%"),
            (0.9996, "1%"),
            (1e-12, "0%"),
            (-1e-12, "0%"),
            (1.005, "1%"),
            (2.675, "2.68%"),
            (9_999.995, "10,000%"),
            (12_345.5, "12,345.5%"),
            (-0.5, "-0.5%"),
            (-1_234_567.25, "-1,234,567.25%"),
            (1e13 + 0.25, "10,000,000,000,000.25%"),
        ] {
            assert_eq!(format_number(value, "%"), want, "{value:?}");
        }
        // Whatever the value, no panic and a number-like text.
        for value in [9e15, 1e20, f64::MAX, f64::NAN, f64::INFINITY] {
            assert!(!format_number(value, "").is_empty(), "{value:?}");
        }
        // Past u64's digits, a magnitude rather than a wrong count.
        assert_eq!(format_number(1.7e308, " kg"), "1.7e308 kg");
        assert_eq!(format_number(-2e19, ""), "-2e19");
        assert_eq!(format_number(9e17, ""), "900,000,000,000,000,000");
        assert_eq!(format_number(7.9, "%"), "7.9%");
        assert_eq!(format_number(48_000.0, ""), "48,000");
        assert_eq!(format_number(12.05, " days"), "12.05 days");
    }

    #[test]
    fn short_labels_never_cut_inside_a_character() {
        assert_eq!(short_label("A"), "A");
        assert_eq!(short_label("Launch-2"), "Launc…");
        // Six accented letters written with combining accents stay whole.
        let accented = "e\u{301}".repeat(6);
        assert_eq!(short_label(&accented), accented);
        assert_eq!(
            short_label(&"e\u{301}".repeat(7)),
            format!("{}…", "e\u{301}".repeat(5))
        );
        // Flags are two letters each.
        let flags = "🇺🇸🇬🇧🇫🇷🇩🇪🇯🇵🇮🇹🇪🇸";
        assert_eq!(short_label(flags), "🇺🇸🇬🇧🇫🇷🇩🇪🇯🇵…");
        // A family joined by zero-width joiners is one.
        let family = "👩\u{200d}👩\u{200d}👧";
        assert_eq!(cluster_starts(family).len(), 1);
    }

    #[test]
    fn tenths_never_write_negative_zero() {
        assert_eq!(Tenths(-0.04).to_string(), "0.0");
        assert_eq!(Tenths(-0.0).to_string(), "0.0");
        assert_eq!(Tenths(-0.05).to_string(), "-0.1");
    }

    #[test]
    fn tenths_fall_back_for_huge_and_non_finite_values() {
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e14,
            937_480_952_821_003.5,
            -2.5e15,
            1e300,
        ] {
            assert_eq!(Tenths(x).to_string(), format!("{x:.1}"), "{x:?}");
        }
        assert_eq!(Tenths(f64::NAN).to_string(), "NaN");
        assert_eq!(Tenths(f64::INFINITY).to_string(), "inf");
    }

    #[test]
    fn numbers_read_like_people_write_them() {
        assert_eq!(format_number(12.0, "days"), "12 days");
        assert_eq!(format_number(7.9, "%"), "7.9%");
        assert_eq!(format_number(48000.0, ""), "48,000");
        assert_eq!(format_number(1234.5, ""), "1,234.5");
        assert_eq!(format_number(999.0, ""), "999");
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

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn engagement(yaml: &str) -> Engagement {
        let parsed = crate::yaml::parse(yaml, 0);
        serde_yaml::from_value(parsed.root.unwrap().to_value()).unwrap()
    }

    fn milestone_figures(e: &Engagement, as_of: Date) -> Vec<MilestoneFigures> {
        e.milestones
            .iter()
            .map(|m| crate::figures::milestone(m, as_of, 14))
            .collect()
    }

    /// Eleven steps, most of them within days of each other and of today,
    /// one with markup in its id.
    const CROWDED: &str = "title: Crowded\nstatus: active\nowner: O\nstart: 2026-06-01\nend: 2026-12-31\nmilestones:\n  - { id: A, title: a, due: 2026-06-01, done: 2026-06-01 }\n  - { id: B, title: b, due: 2026-06-02, done: 2026-06-20 }\n  - { id: C, title: c, due: 2026-06-03, done: 2026-06-03 }\n  - { id: \"<x>&\", title: d, due: 2026-06-04 }\n  - { id: VeryLongMilestoneId, title: e, due: 2026-11-14 }\n  - { id: F, title: f, due: 2026-11-15 }\n  - { id: G, title: g, due: 2026-11-16 }\n  - { id: H, title: h, due: 2026-11-17 }\n  - { id: I, title: i, due: 2026-11-18 }\n  - { id: J, title: j, due: 2026-12-30 }\n  - { id: K, title: k, due: 2026-12-31 }\n";

    fn assert_apart(xs: &[f64], gap: f64, lo: f64, hi: f64) {
        for pair in xs.windows(2) {
            assert!(pair[1] - pair[0] >= gap - 1e-6, "{xs:?}");
        }
        assert!(
            xs.iter().all(|x| *x >= lo - 1e-6 && *x <= hi + 1e-6),
            "{xs:?}"
        );
    }

    #[test]
    fn spread_leaves_marks_with_room_alone() {
        let xs = [10.0, 40.0, 200.0];
        assert_eq!(spread(&xs, 15.0, 0.0, 300.0), xs.to_vec());
    }

    #[test]
    fn spread_moves_a_crowd_apart_around_its_middle() {
        assert_eq!(
            spread(&[100.0, 100.0, 100.0], 10.0, 0.0, 300.0),
            vec![90.0, 100.0, 110.0]
        );
        let xs = spread(&[10.0, 10.0, 11.0, 50.0, 300.0, 300.0], 15.0, 0.0, 320.0);
        assert_apart(&xs, 15.0, 0.0, 320.0);
        assert_eq!(xs[3], 50.0, "a mark with room stays put: {xs:?}");
    }

    #[test]
    fn spread_keeps_marks_inside_the_edges() {
        assert_eq!(
            spread(&[0.0, 0.0, 0.0], 10.0, 0.0, 100.0),
            vec![0.0, 10.0, 20.0]
        );
        assert_eq!(spread(&[100.0, 100.0], 10.0, 0.0, 100.0), vec![90.0, 100.0]);
        // Too many for the gap: the room is shared evenly.
        assert_eq!(
            spread(&[5.0; 5], 10.0, 0.0, 20.0),
            vec![0.0, 5.0, 10.0, 15.0, 20.0]
        );
    }

    fn assert_no_overlap(slots: &[Slot], lo: f64, hi: f64) {
        for (i, a) in slots.iter().enumerate() {
            assert!(
                a.left >= lo - 1e-6 && a.left + a.width <= hi + 1e-6,
                "{a:?}"
            );
            for b in &slots[i + 1..] {
                if a.lane == b.lane {
                    assert!(
                        a.left + a.width <= b.left || b.left + b.width <= a.left,
                        "{a:?} overlaps {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn lanes_never_overlap_and_stay_in_bounds() {
        let mut lanes = Lanes::new(0.0, 300.0, 6.0);
        let slots: Vec<Slot> = (0..30)
            .map(|i| {
                let centre = f64::from((i * 37) % 320) - 10.0;
                let width = 20.0 + f64::from((i * 13) % 50);
                lanes
                    .place(centre, width, &[Side::Above, Side::Below], 24.0)
                    .expect("room within the lanes")
            })
            .collect();
        assert_no_overlap(&slots, 0.0, 300.0);
    }

    #[test]
    fn a_label_slides_aside_before_it_changes_lane() {
        let mut lanes = Lanes::new(0.0, 300.0, 6.0);
        let first = lanes.place(100.0, 40.0, &[Side::Above, Side::Below], 24.0);
        let second = lanes.place(130.0, 40.0, &[Side::Above, Side::Below], 24.0);
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(second.lane, first.lane);
        assert_eq!(second.left, first.left + first.width + 6.0);
    }

    #[test]
    fn crowded_labels_alternate_above_and_below_then_stack() {
        let mut lanes = Lanes::new(0.0, 300.0, 6.0);
        let lanes_taken: Vec<Lane> = (0..4)
            .map(|_| {
                lanes
                    .place(150.0, 60.0, &[Side::Above, Side::Below], 10.0)
                    .unwrap()
                    .lane
            })
            .collect();
        assert_eq!(
            lanes_taken,
            vec![
                Lane {
                    side: Side::Above,
                    level: 1
                },
                Lane {
                    side: Side::Below,
                    level: 1
                },
                Lane {
                    side: Side::Above,
                    level: 2
                },
                Lane {
                    side: Side::Below,
                    level: 2
                },
            ]
        );
        assert_eq!(lanes.levels(Side::Above), 2);
    }

    #[test]
    fn timeline_labels_never_overlap_however_crowded() {
        let e = engagement(CROWDED);
        let as_of = d("2026-11-16");
        let figures = milestone_figures(&e, as_of);
        for fit in Fit::BOTH {
            let layout = timeline_layout(&e, &figures, as_of, fit).unwrap();
            let slots: Vec<Slot> = layout.labels.iter().map(|l| l.slot).collect();
            assert_no_overlap(&slots, 0.0, fit.width());
            assert_eq!(
                slots.len(),
                e.milestones.len() + 3,
                "every step, today, start, end"
            );
            // Today's label sits right under its line, which crosses nothing.
            let today = layout
                .labels
                .iter()
                .find(|l| l.class == "tl-today-label")
                .unwrap();
            assert_eq!(
                today.slot.lane,
                Lane {
                    side: Side::Below,
                    level: 1
                }
            );
            // Marks a day apart are drawn apart.
            let mut xs: Vec<f64> = layout.marks.iter().map(|m| m.x).collect();
            xs.sort_by(f64::total_cmp);
            assert_apart(&xs, MARK_GAP, 0.0, fit.width());
            // Every lane used fits inside the picture.
            for slot in &slots {
                let top = layout.lane_top(slot.lane);
                assert!(top >= 0.0 && top + LANE_H <= layout.height, "{slot:?}");
            }
        }
    }

    #[test]
    fn a_timeline_of_thousands_of_steps_keeps_its_lanes_bounded() {
        let mut yaml = String::from(
            "title: T\nstatus: active\nowner: O\nstart: 2026-01-01\nend: 2026-12-31\nmilestones:\n",
        );
        for i in 0..3_000 {
            let due = jiff::civil::date(2026, 1, 1) + jiff::Span::new().days(i % 300);
            yaml.push_str(&format!(
                "  - id: M{i}\n    title: Step\n    due: {due}\n    outcome: O\n"
            ));
        }
        let e = engagement(&yaml);
        let as_of = d("2026-11-16");
        let figures = milestone_figures(&e, as_of);
        for fit in Fit::BOTH {
            let layout = timeline_layout(&e, &figures, as_of, fit).unwrap();
            let slots: Vec<Slot> = layout.labels.iter().map(|l| l.slot).collect();
            assert_no_overlap(&slots, 0.0, fit.width());
            assert_eq!(layout.marks.len(), 3_000, "every step keeps its mark");
            assert!(slots.iter().all(|s| s.lane.level <= MAX_LEVELS));
            // As many labels as the lanes hold, no more: far fewer than steps.
            assert!(
                slots.len() > 2 * MAX_LEVELS && slots.len() < 500,
                "{}",
                slots.len()
            );
            assert!(layout.height <= 2.0 * MAX_LEVELS as f64 * LANE_H + 50.0);
        }
        // The description still names every step.
        let svg = timeline(&e, &figures, as_of).unwrap();
        assert!(svg.contains("M2999 due"));
    }

    #[test]
    fn timeline_shows_lateness_and_today() {
        let e = engagement(CROWDED);
        let as_of = d("2026-11-16");
        let svg = timeline(&e, &milestone_figures(&e, as_of), as_of).unwrap();
        assert!(svg.contains("18 days late"), "{svg}");
        assert!(svg.contains("2 days overdue"), "{svg}");
        assert!(svg.contains("due today"), "{svg}");
        assert!(svg.contains(r#"class="tl-today""#), "{svg}");
        assert!(svg.contains(r#"class="tl-late""#), "{svg}");
        assert!(svg.contains(r#"class="tl-overdue""#), "{svg}");
    }

    #[test]
    fn a_closed_engagement_ends_its_line_at_its_end() {
        let yaml = CROWDED.replace("status: active", "status: ended");
        let e = engagement(&yaml);
        let as_of = d("2027-06-01");
        let figures = milestone_figures(&e, as_of);
        let layout = timeline_layout(&e, &figures, as_of, Fit::Wide).unwrap();
        assert_eq!(layout.today_x, None);
        let svg = timeline(&e, &figures, as_of).unwrap();
        assert!(svg.contains("not done"), "{svg}");
        assert!(!svg.contains("overdue<"), "{svg}");
    }

    #[test]
    fn timeline_escapes_record_text_and_keeps_its_text_alternative() {
        let e = engagement(CROWDED);
        let as_of = d("2026-11-16");
        let svg = timeline(&e, &milestone_figures(&e, as_of), as_of).unwrap();
        assert!(!svg.contains("<x>"), "{svg}");
        assert!(svg.contains("&lt;x&gt;&amp;"), "{svg}");
        assert_eq!(svg.matches("<svg ").count(), 2);
        assert_eq!(svg.matches(r#"role="img""#).count(), 2);
        assert_eq!(svg.matches("<title>Milestone timeline: ").count(), 2);
        assert!(svg.contains(r#"class="timeline svg-wide""#));
        assert!(svg.contains(r#"class="timeline svg-narrow""#));
    }

    #[test]
    fn month_ticks_never_collide() {
        for (first, last) in [
            ("2026-01-15", "2028-12-31"),
            ("2026-06-01", "2026-12-31"),
            ("2026-03-02", "2027-03-26"),
            ("2020-01-01", "2035-01-01"),
        ] {
            for fit in Fit::BOTH {
                let (lo, hi) = (6.0, fit.width() - 6.0);
                let axis = TimeAxis::new([d(first), d(last)], lo + 8.0, hi - 8.0).unwrap();
                let ticks = month_ticks(&axis, lo, hi);
                assert!(!ticks.is_empty(), "{first} {last}");
                for pair in ticks.windows(2) {
                    let (a, b) = (&pair[0], &pair[1]);
                    let (wa, wb) = (
                        text_width(&a.label, TEXT_SIZE, false),
                        text_width(&b.label, TEXT_SIZE, false),
                    );
                    assert!(a.label_x + wa / 2.0 < b.label_x - wb / 2.0, "{ticks:?}");
                }
                for t in &ticks {
                    let w = text_width(&t.label, TEXT_SIZE, false);
                    assert!(t.label_x - w / 2.0 >= lo - 1e-6, "{t:?}");
                    assert!(t.label_x + w / 2.0 <= hi + 1e-6, "{t:?}");
                }
            }
        }
    }

    #[test]
    fn month_ticks_name_the_year_once_and_at_january() {
        let axis = TimeAxis::new([d("2026-10-10"), d("2027-03-01")], 0.0, 720.0).unwrap();
        let labels: Vec<String> = month_ticks(&axis, 0.0, 720.0)
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["Nov 2026", "Dec", "Jan 2027", "Feb", "Mar"]);
        // Within one month: the first and last dates instead.
        let axis = TimeAxis::new([d("2026-10-10"), d("2026-10-20")], 0.0, 720.0).unwrap();
        let labels: Vec<String> = month_ticks(&axis, 0.0, 720.0)
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["10 Oct", "20 Oct"]);
    }

    #[test]
    fn the_latest_value_keeps_clear_of_other_labels() {
        let area = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 300.0,
            y1: 150.0,
        };
        // Room on the right: it goes there.
        let (x, _, anchor) = value_label_spot((100.0, 80.0), (30.0, 11.0), &area, &[], &[]);
        assert_eq!((x, anchor), (108.0, "start"));
        // The right is taken by a line's label: it goes above instead.
        let taken = [Rect::of_text(300.0, 90.0, 200.0, 11.0, "end")];
        let (x, y, anchor) = value_label_spot((100.0, 80.0), (30.0, 11.0), &area, &taken, &[]);
        assert_eq!((x, anchor), (100.0, "middle"));
        assert!(y < 80.0);
        let spot = Rect::of_text(x, y, 30.0, 11.0, anchor);
        assert!(!spot.overlaps(&taken[0]));
        // At the right edge: it goes left or above, never outside.
        let (x, y, anchor) = value_label_spot((295.0, 80.0), (30.0, 11.0), &area, &[], &[]);
        assert!(Rect::of_text(x, y, 30.0, 11.0, anchor).inside(&area));
    }

    #[test]
    fn the_latest_value_keeps_off_the_target_line_when_it_can() {
        let area = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 300.0,
            y1: 150.0,
        };
        // The target line runs through where the label would go on the
        // right of a point just above it: the label goes above the point.
        let target = Rect {
            x0: 0.0,
            y0: 82.0,
            x1: 300.0,
            y1: 84.0,
        };
        let (x, y, anchor) = value_label_spot((100.0, 80.0), (30.0, 11.0), &area, &[], &[target]);
        assert!(!Rect::of_text(x, y, 30.0, 11.0, anchor).overlaps(&target));
        assert_eq!(anchor, "middle");
        assert!(y < 80.0);
        // With every spot crossed, it still goes right of the point.
        let everywhere = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 300.0,
            y1: 150.0,
        };
        let (x, _, anchor) =
            value_label_spot((100.0, 80.0), (30.0, 11.0), &area, &[], &[everywhere]);
        assert_eq!((x, anchor), (108.0, "start"));
    }

    #[test]
    fn metric_chart_labels_its_lines_and_today() {
        let e = engagement(
            "title: T\nstatus: active\nowner: O\nstart: 2026-06-01\nend: 2026-12-31\nsuccess:\n  metrics:\n    - id: m\n      name: <b>Sign-ups</b>\n      unit: sign-ups\n      baseline: 12000\n      target: 48000\n      measurements:\n        - { date: 2026-06-03, value: 12500 }\n        - { date: 2026-06-05, value: 13100 }\n        - { date: 2026-11-14, value: 52000 }\n",
        );
        let metric = &e.success.as_ref().unwrap().metrics[0];
        let as_of = d("2026-11-16");
        let figures = MetricFigures {
            current: Some((d("2026-11-14"), 52000.0)),
            progress: Some(1.1),
            expected: 0.8,
            status: crate::figures::MetricStatus::Achieved,
            weight: 1.0,
        };
        let svg = metric_chart(metric, &figures, e.start, e.end, as_of, "sign-ups").unwrap();
        assert!(svg.contains(">Baseline 12,000 sign-ups<"), "{svg}");
        assert!(svg.contains(">Target 48,000 sign-ups<"), "{svg}");
        assert!(svg.contains(">Today<"), "{svg}");
        assert!(svg.contains(">52,000 sign-ups<"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(
            svg.contains("Chart of &lt;b&gt;Sign-ups&lt;/b&gt;"),
            "{svg}"
        );
        assert_eq!(svg.matches(r#"role="img""#).count(), 2);
    }

    #[test]
    fn a_line_label_moves_off_the_measurements() {
        let text = |x: f64, y: f64, anchor| Rect::of_text(x, y, 60.0, TEXT_SIZE, anchor);
        // Nothing in the way: the right end, on the side away from the band.
        let spot = line_label_spot([100.0, 80.0], (6.0, 300.0), 60.0, &[], &[]);
        assert_eq!(spot, (300.0, 100.0, "end"));
        // The last point sits where that label would be: the left end.
        let drawn = [(20.0, 40.0), (280.0, 96.0)];
        let spot = line_label_spot([100.0, 80.0], (6.0, 300.0), 60.0, &drawn, &[]);
        assert_eq!(spot, (6.0, 100.0, "start"));
        // The line through the points crosses the left one too: the band's side.
        let drawn = [(10.0, 100.0), (150.0, 90.0), (280.0, 96.0)];
        let spot = line_label_spot([100.0, 80.0], (6.0, 300.0), 60.0, &drawn, &[]);
        assert_eq!(spot, (300.0, 80.0, "end"));
        assert!(text(300.0, 100.0, "end").crossed_by((200.0, 0.0), (290.0, 200.0)));
        assert!(!text(300.0, 100.0, "end").crossed_by((0.0, 0.0), (100.0, 200.0)));
    }
}
