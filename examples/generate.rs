//! Synthetic engagement records for benchmarks.
//!
//! ```sh
//! cargo run --release --example generate -- --count 10000 --seed 1 --out /tmp/records
//! ```
//!
//! Writes `commonthread.yaml`, one `client-NNNNN/` folder (with `client.yaml`)
//! per four engagements, and N engagement files of about 10 KB each: 6 to 8
//! milestones, 3 metrics with 8 to 12 measurements, 10 to 20 updates, wins,
//! concerns, a qualification, a review where the status calls for one,
//! `internal_notes`, `value` and a Markdown body.
//!
//! The output is a pure function of `--count`, `--seed` and `--as-of`: every
//! client draws from its own generator seeded from (seed, client number), so
//! the files are byte-identical from run to run, whatever the thread count.
//! Every generated repository passes `commonthread check --as-of AS_OF` with
//! no error; about one engagement in twenty carries one realistic warning.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use commonthread::model::Date;
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(about = "Generate synthetic commonthread engagement records")]
struct Args {
    /// Number of engagements (four per client).
    #[arg(long)]
    count: usize,
    /// Seed of the deterministic generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder; created, and must be empty when it exists.
    #[arg(long)]
    out: PathBuf,
    /// The day the records are written "as of" (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-16")]
    as_of: String,
}

const PER_CLIENT: usize = 4;

fn main() {
    let args = Args::parse();
    let Some(as_of) = Date::parse(&args.as_of) else {
        eprintln!("error: --as-of `{}` is not a date YYYY-MM-DD", args.as_of);
        std::process::exit(2);
    };
    if let Err(message) = prepare_out(&args.out) {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
    let started = Instant::now();
    let clients = args.count.div_ceil(PER_CLIENT);

    let mut root_rng = Rng::new(args.seed ^ 0x00c0_ffee);
    let practice = format!(
        "# Practice-wide settings (synthetic records, seed {}).\npractice: {}\ncadence_days: 14\ndue_soon_days: 14\ncurrency: USD\n",
        args.seed,
        plain(&format!(
            "{} {}",
            root_rng.pick(PRACTICE_FIRST),
            root_rng.pick(PRACTICE_SECOND)
        ))
    );
    let config = args.out.join("commonthread.yaml");
    write_file(&config, &practice);

    let totals: Vec<(usize, u64)> = (0..clients)
        .into_par_iter()
        .map(|c| {
            let first = c * PER_CLIENT;
            let engagements = PER_CLIENT.min(args.count - first);
            let client = generate_client(args.seed, c + 1, engagements, as_of);
            let dir = args.out.join(format!("client-{:05}", c + 1));
            let mut files = 0;
            let mut bytes = 0u64;
            for (path, text) in &client {
                let path = dir.join(path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).unwrap_or_else(|e| {
                        fail(&format!("cannot create {}: {e}", parent.display()))
                    });
                }
                write_file(&path, text);
                files += 1;
                bytes += text.len() as u64;
            }
            (files, bytes)
        })
        .collect();
    let files: usize = 1 + totals.iter().map(|t| t.0).sum::<usize>();
    let bytes: u64 = practice.len() as u64 + totals.iter().map(|t| t.1).sum::<u64>();
    println!(
        "generated {} engagements in {} clients: {} files, {} bytes ({:.1} MB, {:.0} bytes per engagement) in {} ({:.1} s)",
        args.count,
        clients,
        files,
        bytes,
        bytes as f64 / 1e6,
        if args.count > 0 {
            bytes as f64 / args.count as f64
        } else {
            0.0
        },
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
}

fn prepare_out(out: &Path) -> Result<(), String> {
    if out.exists() {
        let mut entries =
            std::fs::read_dir(out).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty; give a new or empty folder",
                out.display()
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))
}

fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}

// ---------------------------------------------------------------------------
// Deterministic generator: splitmix64.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut rng = Rng(seed);
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }

    /// `k` distinct indexes into 0..n, in random order.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + self.below((n - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all
    }
}

// ---------------------------------------------------------------------------
// YAML writing helpers.

/// A scalar as plain YAML when that reads back as the same string, else
/// double-quoted. `flow` is for values inside `{ }` or `[ ]`.
fn scalar(text: &str, flow: bool) -> String {
    let first_ok = text
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '$' || c == '(');
    let bad_inside = text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.ends_with(' ')
        || text.contains('\n')
        || (flow && text.contains([',', '[', ']', '{', '}']));
    let reserved = matches!(
        text.to_ascii_lowercase().as_str(),
        "null" | "true" | "false" | "~"
    );
    if first_ok && !bad_inside && !reserved {
        text.to_owned()
    } else {
        let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

fn plain(text: &str) -> String {
    scalar(text, false)
}

fn flow(text: &str) -> String {
    scalar(text, true)
}

/// `key: value` at `indent`, as a literal block when the text is long.
fn field(out: &mut String, indent: usize, key: &str, text: &str) {
    if text.len() > 90 || text.contains('\n') {
        block(out, indent, key, text);
    } else {
        let _ = writeln!(out, "{:indent$}{key}: {}", "", plain(text));
    }
}

/// `key: |` and the text wrapped at 74 columns, paragraphs kept.
fn block(out: &mut String, indent: usize, key: &str, text: &str) {
    let _ = writeln!(out, "{:indent$}{key}: |", "");
    let inner = indent + 2;
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for line in wrap(paragraph, 74 - inner.min(40)) {
            let _ = writeln!(out, "{:inner$}{line}", "");
        }
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn number(value: f64, decimals: u8) -> String {
    if decimals == 0 {
        format!("{}", value.round() as i64)
    } else {
        let rounded = (value * 10.0).round() / 10.0;
        if rounded.fract() == 0.0 {
            format!("{}", rounded as i64)
        } else {
            format!("{rounded:.1}")
        }
    }
}

fn round_to(value: f64, decimals: u8) -> f64 {
    let scale = if decimals == 0 { 1.0 } else { 10.0 };
    (value * scale).round() / scale
}

// ---------------------------------------------------------------------------
// Word lists.

const PRACTICE_FIRST: &[&str] = &[
    "Northwind",
    "Common Thread",
    "Keel",
    "Lantern",
    "Bellwether",
    "Fieldstone",
    "Wayfinder",
];
const PRACTICE_SECOND: &[&str] = &["Advisory", "Partners", "Consulting", "Associates"];

const OWNERS: &[&str] = &[
    "Dana Whitfield",
    "Sam Okafor",
    "Lena Brandt",
    "Marcus Hale",
    "Priya Desai",
    "Tomas Ruiz",
    "Hannah Cole",
    "Kwame Mensah",
    "Elif Kaya",
    "Jonah Pierce",
    "Rosa Delgado",
    "Wen Li",
];

const FIRST_NAMES: &[&str] = &[
    "Priya", "Gail", "Victor", "Dee", "Ines", "Harold", "Marta", "Oscar", "Nadia", "Felix", "Joan",
    "Raj", "Tessa", "Amir", "Colette", "Brendan", "Yuki", "Grace", "Malik", "Sofia", "Derek",
    "Lucia", "Ben", "Ama", "Karl", "Fiona", "Theo", "Leila", "Ruth", "Pedro", "Irene", "Caleb",
    "Nora", "Vikram", "Helen", "Omar", "Julia", "Ezra", "Mei", "Aidan",
];
const LAST_NAMES: &[&str] = &[
    "Raman",
    "Hendricks",
    "Amsel",
    "Forsberg",
    "Albrecht",
    "Nakamura",
    "Oyelaran",
    "Lindqvist",
    "Moreau",
    "Castillo",
    "Brennan",
    "Kowalski",
    "Achebe",
    "Sorensen",
    "Haddad",
    "Fitzgerald",
    "Novak",
    "Iyer",
    "Whitaker",
    "Duarte",
    "Kimura",
    "Halvorsen",
    "Mbeki",
    "Ortega",
    "Quinn",
    "Reyes",
    "Stroud",
    "Tanaka",
    "Vance",
    "Weber",
    "Yilmaz",
    "Zamora",
    "Ashby",
    "Blackwood",
];
const ROLES: &[&str] = &[
    "Owner",
    "Chief Executive Officer",
    "Chief Operating Officer",
    "VP Sales",
    "Head of Operations",
    "Finance Director",
    "Practice Manager",
    "General Manager",
    "Head of Customer Success",
    "Controller",
    "Operations Lead",
    "Chief Financial Officer",
    "Store Manager",
    "Head of People",
    "Director of Lending",
    "Compliance Officer",
];
const COMPANY_FIRST: &[&str] = &[
    "Acme",
    "Tidewater",
    "Prairie Plains",
    "Copperline",
    "Maple Street",
    "Root Cellar",
    "Tallyhouse",
    "Harborview",
    "Bluestem",
    "Granite Peak",
    "Juniper",
    "Silverleaf",
    "Ironwood",
    "Kestrel",
    "Lakeshore",
    "Meridian",
    "Northgate",
    "Oakridge",
    "Pinecrest",
    "Quarry Hill",
    "Redfern",
    "Saltmarsh",
    "Thistle",
    "Upland",
    "Valley Forge",
    "Westbrook",
    "Yellowpine",
    "Zephyr",
    "Brightwater",
    "Cobblestone",
    "Driftwood",
    "Eastfield",
];
const COMPANY_KIND: &[(&str, &str)] = &[
    ("Logistics", "Freight and logistics"),
    ("Freight", "Trucking"),
    ("Dental", "Dental practice"),
    ("Bank", "Regional banking"),
    ("Credit Union", "Credit union"),
    ("Fitness", "Gyms and fitness studios"),
    ("Food Co-op", "Grocery co-operative"),
    ("Software", "B2B software"),
    ("Clinic", "Outpatient care"),
    ("Manufacturing", "Light manufacturing"),
    ("Builders", "Construction"),
    ("Insurance", "Insurance brokerage"),
    ("Hotels", "Hospitality"),
    ("Outfitters", "Outdoor retail"),
    ("Veterinary", "Veterinary practice"),
    ("Accounting", "Accounting firm"),
    ("Print Works", "Commercial printing"),
    ("Brewing", "Craft brewing"),
];
const COMPANY_SUFFIX: &[&str] = &["", "", "", " Group", " & Sons", " Partners", " Co.", " LLC"];
const PLACES: &[&str] = &[
    "Hays", "Kearney", "Duluth", "Spokane", "Tulsa", "Albany", "Fresno", "Boise", "Eugene",
    "Macon", "Lincoln", "Reno", "Akron", "Dayton", "Mobile", "Laredo", "Provo", "Salem",
];
const CHANNELS: &[&str] = &[
    "call", "video", "email", "on-site", "video", "call", "email",
];
const WEEKDAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const CURRENCIES: &[&str] = &["USD", "USD", "USD", "USD", "EUR", "GBP", "CAD"];

/// A metric template: id, name, unit, baseline range, relative change of the
/// target (negative: lower is better), decimals.
struct MetricTpl {
    id: &'static str,
    name: &'static str,
    unit: &'static str,
    base: (f64, f64),
    change: f64,
    decimals: u8,
}

const fn m(
    id: &'static str,
    name: &'static str,
    unit: &'static str,
    base: (f64, f64),
    change: f64,
    decimals: u8,
) -> MetricTpl {
    MetricTpl {
        id,
        name,
        unit,
        base,
        change,
        decimals,
    }
}

/// A kind of engagement.
struct Topic {
    slug: &'static str,
    title: &'static str,
    /// What is being fixed, as a noun phrase ("the sales cycle").
    area: &'static str,
    /// The new thing we put in place ("approval flow").
    thing: &'static str,
    /// Who runs it on the client's side ("sales team").
    team: &'static str,
    /// Where it rolls out ("region").
    unit: &'static str,
    tags: &'static [&'static str],
    metrics: &'static [MetricTpl],
}

const TOPICS: &[Topic] = &[
    Topic {
        slug: "sales-cycle",
        title: "Sales cycle redesign",
        area: "the sales cycle",
        thing: "deal approval flow",
        team: "sales team",
        unit: "region",
        tags: &["sales", "process"],
        metrics: &[
            m(
                "days-to-close",
                "Median days to close a deal",
                "days",
                (30.0, 60.0),
                -0.65,
                0,
            ),
            m("win-rate", "Proposals won", "%", (14.0, 28.0), 0.5, 1),
            m(
                "pipeline-coverage",
                "Pipeline coverage of quota",
                "x",
                (1.4, 2.4),
                0.6,
                1,
            ),
            m(
                "proposal-turnaround",
                "Days from meeting to proposal",
                "days",
                (6.0, 14.0),
                -0.6,
                0,
            ),
        ],
    },
    Topic {
        slug: "customer-onboarding",
        title: "Customer onboarding",
        area: "customer onboarding",
        thing: "onboarding checklist",
        team: "customer success team",
        unit: "segment",
        tags: &["onboarding", "retention"],
        metrics: &[
            m(
                "days-to-first-value",
                "Median days to first value",
                "days",
                (20.0, 45.0),
                -0.6,
                0,
            ),
            m(
                "onboarding-completion",
                "Customers who finish onboarding",
                "%",
                (45.0, 65.0),
                0.35,
                1,
            ),
            m(
                "first-month-tickets",
                "Support tickets in a customer's first month",
                "tickets",
                (5.0, 12.0),
                -0.5,
                1,
            ),
            m(
                "activation-rate",
                "Accounts active after 30 days",
                "%",
                (40.0, 60.0),
                0.3,
                1,
            ),
        ],
    },
    Topic {
        slug: "churn-review",
        title: "Customer churn review",
        area: "customer retention",
        thing: "save desk",
        team: "account managers",
        unit: "plan",
        tags: &["retention", "pricing"],
        metrics: &[
            m(
                "logo-churn",
                "Monthly logo churn",
                "%",
                (2.5, 5.5),
                -0.45,
                1,
            ),
            m(
                "net-revenue-retention",
                "Net revenue retention",
                "%",
                (88.0, 97.0),
                0.12,
                1,
            ),
            m("save-rate", "Cancellations saved", "%", (5.0, 15.0), 1.0, 1),
            m(
                "annual-plan-share",
                "Customers on annual plans",
                "%",
                (10.0, 20.0),
                0.9,
                1,
            ),
        ],
    },
    Topic {
        slug: "pricing-review",
        title: "Pricing and packaging review",
        area: "pricing",
        thing: "price book",
        team: "sales managers",
        unit: "product line",
        tags: &["pricing", "margin"],
        metrics: &[
            m("gross-margin", "Gross margin", "%", (28.0, 42.0), 0.2, 1),
            m(
                "average-discount",
                "Average discount off list",
                "%",
                (12.0, 25.0),
                -0.5,
                1,
            ),
            m(
                "average-deal-size",
                "Average deal size",
                "USD",
                (8000.0, 30000.0),
                0.25,
                0,
            ),
            m(
                "price-realization",
                "Price realization",
                "%",
                (80.0, 90.0),
                0.08,
                1,
            ),
        ],
    },
    Topic {
        slug: "no-show-reduction",
        title: "No-show reduction",
        area: "appointment scheduling",
        thing: "reminder sequence",
        team: "front desk",
        unit: "location",
        tags: &["scheduling", "patients"],
        metrics: &[
            m(
                "no-show-rate",
                "Appointments missed without notice",
                "%",
                (10.0, 22.0),
                -0.55,
                1,
            ),
            m(
                "same-day-fills",
                "Cancelled slots filled the same day",
                "%",
                (15.0, 35.0),
                0.8,
                1,
            ),
            m(
                "confirmations",
                "Appointments confirmed 48 hours ahead",
                "%",
                (40.0, 60.0),
                0.45,
                1,
            ),
            m(
                "chair-utilization",
                "Chair utilization",
                "%",
                (65.0, 78.0),
                0.15,
                1,
            ),
        ],
    },
    Topic {
        slug: "claims-backlog",
        title: "Claims backlog clean-up",
        area: "insurance claims",
        thing: "claims work queue",
        team: "billing team",
        unit: "payer",
        tags: &["billing", "cash"],
        metrics: &[
            m(
                "open-claims",
                "Claims open more than 30 days",
                "claims",
                (300.0, 900.0),
                -0.7,
                0,
            ),
            m(
                "days-to-payment",
                "Median days from claim to payment",
                "days",
                (35.0, 60.0),
                -0.45,
                0,
            ),
            m(
                "denial-rate",
                "Claims denied on first submission",
                "%",
                (9.0, 18.0),
                -0.5,
                1,
            ),
            m(
                "first-pass-rate",
                "Claims paid on first pass",
                "%",
                (70.0, 85.0),
                0.12,
                1,
            ),
        ],
    },
    Topic {
        slug: "hiring-pipeline",
        title: "Hiring pipeline",
        area: "hiring",
        thing: "interview loop",
        team: "hiring managers",
        unit: "department",
        tags: &["people", "hiring"],
        metrics: &[
            m(
                "days-to-hire",
                "Median days from opening to signed offer",
                "days",
                (45.0, 80.0),
                -0.4,
                0,
            ),
            m(
                "offer-acceptance",
                "Offers accepted",
                "%",
                (55.0, 75.0),
                0.25,
                1,
            ),
            m(
                "ninety-day-retention",
                "New hires still here after 90 days",
                "%",
                (70.0, 85.0),
                0.12,
                1,
            ),
            m(
                "qualified-applicants",
                "Qualified applicants per opening",
                "applicants",
                (3.0, 8.0),
                1.0,
                1,
            ),
        ],
    },
    Topic {
        slug: "inventory-turns",
        title: "Inventory and stock-outs",
        area: "inventory",
        thing: "reorder rules",
        team: "buyers",
        unit: "warehouse",
        tags: &["inventory", "cash"],
        metrics: &[
            m(
                "inventory-turns",
                "Inventory turns per year",
                "turns",
                (3.0, 6.0),
                0.4,
                1,
            ),
            m(
                "stockout-rate",
                "Order lines short on the day",
                "%",
                (4.0, 10.0),
                -0.6,
                1,
            ),
            m(
                "days-on-hand",
                "Days of stock on hand",
                "days",
                (60.0, 110.0),
                -0.35,
                0,
            ),
            m(
                "write-offs",
                "Monthly stock written off",
                "USD",
                (6000.0, 25000.0),
                -0.5,
                0,
            ),
        ],
    },
    Topic {
        slug: "dispatch-efficiency",
        title: "Dispatch efficiency",
        area: "dispatch",
        thing: "load board",
        team: "dispatchers",
        unit: "terminal",
        tags: &["operations", "freight"],
        metrics: &[
            m(
                "on-time-delivery",
                "Loads delivered on time",
                "%",
                (78.0, 88.0),
                0.1,
                1,
            ),
            m(
                "empty-miles",
                "Miles driven empty",
                "%",
                (14.0, 24.0),
                -0.35,
                1,
            ),
            m(
                "detention-hours",
                "Detention hours per week",
                "hours",
                (120.0, 300.0),
                -0.5,
                0,
            ),
            m(
                "loads-per-driver",
                "Loads per driver per week",
                "loads",
                (3.0, 5.0),
                0.25,
                1,
            ),
        ],
    },
    Topic {
        slug: "collections",
        title: "Collections and cash flow",
        area: "collections",
        thing: "dunning sequence",
        team: "accounts receivable team",
        unit: "customer segment",
        tags: &["finance", "cash"],
        metrics: &[
            m(
                "days-sales-outstanding",
                "Days sales outstanding",
                "days",
                (48.0, 75.0),
                -0.35,
                0,
            ),
            m(
                "overdue-90",
                "Receivables over 90 days",
                "%",
                (10.0, 22.0),
                -0.55,
                1,
            ),
            m(
                "collection-rate",
                "Invoices collected within terms",
                "%",
                (55.0, 72.0),
                0.25,
                1,
            ),
            m(
                "open-disputes",
                "Open invoice disputes",
                "disputes",
                (25.0, 80.0),
                -0.6,
                0,
            ),
        ],
    },
    Topic {
        slug: "member-drive",
        title: "Member drive",
        area: "membership",
        thing: "referral programme",
        team: "membership staff",
        unit: "store",
        tags: &["growth", "members"],
        metrics: &[
            m(
                "active-members",
                "Active members",
                "members",
                (900.0, 3000.0),
                0.3,
                0,
            ),
            m(
                "renewal-rate",
                "Members who renew",
                "%",
                (60.0, 75.0),
                0.15,
                1,
            ),
            m(
                "referrals",
                "Referrals per month",
                "referrals",
                (10.0, 30.0),
                1.0,
                0,
            ),
            m(
                "visits-per-member",
                "Visits per member per month",
                "visits",
                (3.0, 6.0),
                0.3,
                1,
            ),
        ],
    },
    Topic {
        slug: "support-desk",
        title: "Support desk turnaround",
        area: "customer support",
        thing: "ticket triage",
        team: "support agents",
        unit: "queue",
        tags: &["support", "service"],
        metrics: &[
            m(
                "first-response-hours",
                "Median hours to first response",
                "hours",
                (8.0, 30.0),
                -0.7,
                1,
            ),
            m(
                "resolution-days",
                "Median days to resolve a ticket",
                "days",
                (4.0, 9.0),
                -0.5,
                1,
            ),
            m("csat", "Customer satisfaction", "%", (72.0, 84.0), 0.12, 1),
            m(
                "backlog",
                "Tickets open more than a week",
                "tickets",
                (150.0, 500.0),
                -0.7,
                0,
            ),
        ],
    },
    Topic {
        slug: "month-end-close",
        title: "Faster month-end close",
        area: "the month-end close",
        thing: "close calendar",
        team: "finance team",
        unit: "entity",
        tags: &["finance", "reporting"],
        metrics: &[
            m(
                "days-to-close-books",
                "Working days to close the books",
                "days",
                (9.0, 16.0),
                -0.45,
                0,
            ),
            m(
                "journal-corrections",
                "Journal corrections after close",
                "entries",
                (20.0, 60.0),
                -0.6,
                0,
            ),
            m(
                "late-reconciliations",
                "Reconciliations finished late",
                "%",
                (20.0, 40.0),
                -0.6,
                1,
            ),
            m(
                "report-on-time",
                "Board packs sent on time",
                "%",
                (50.0, 70.0),
                0.4,
                1,
            ),
        ],
    },
    Topic {
        slug: "website-conversion",
        title: "Website conversion",
        area: "the website funnel",
        thing: "landing pages",
        team: "marketing team",
        unit: "campaign",
        tags: &["marketing", "growth"],
        metrics: &[
            m(
                "conversion-rate",
                "Visitors who enquire",
                "%",
                (0.8, 2.2),
                0.6,
                1,
            ),
            m(
                "leads-per-week",
                "Qualified leads per week",
                "leads",
                (15.0, 60.0),
                0.5,
                0,
            ),
            m(
                "cost-per-lead",
                "Cost per qualified lead",
                "USD",
                (60.0, 180.0),
                -0.35,
                0,
            ),
            m(
                "bounce-rate",
                "Visitors who leave from the first page",
                "%",
                (55.0, 72.0),
                -0.2,
                1,
            ),
        ],
    },
    Topic {
        slug: "trial-conversion",
        title: "Trial conversion",
        area: "free trials",
        thing: "trial journey",
        team: "growth team",
        unit: "plan",
        tags: &["growth", "product"],
        metrics: &[
            m(
                "trial-to-paid",
                "Trials that convert to paid",
                "%",
                (8.0, 16.0),
                0.6,
                1,
            ),
            m(
                "time-to-activate",
                "Median hours to activation",
                "hours",
                (30.0, 90.0),
                -0.6,
                0,
            ),
            m(
                "activated-trials",
                "Trials that reach activation",
                "%",
                (30.0, 50.0),
                0.4,
                1,
            ),
            m(
                "sales-assisted",
                "Trials touched by sales",
                "%",
                (10.0, 25.0),
                1.0,
                1,
            ),
        ],
    },
    Topic {
        slug: "procurement",
        title: "Procurement clean-up",
        area: "purchasing",
        thing: "preferred supplier list",
        team: "procurement team",
        unit: "category",
        tags: &["procurement", "cost"],
        metrics: &[
            m(
                "po-cycle-days",
                "Days from request to purchase order",
                "days",
                (7.0, 15.0),
                -0.55,
                0,
            ),
            m(
                "maverick-spend",
                "Spend outside agreed suppliers",
                "%",
                (18.0, 35.0),
                -0.55,
                1,
            ),
            m(
                "supplier-lead-time",
                "Median supplier lead time",
                "days",
                (12.0, 25.0),
                -0.3,
                0,
            ),
            m(
                "savings",
                "Savings against last year's prices",
                "%",
                (0.5, 2.0),
                2.0,
                1,
            ),
        ],
    },
    Topic {
        slug: "field-service",
        title: "Field service first-time fix",
        area: "field service",
        thing: "van stock list",
        team: "technicians",
        unit: "district",
        tags: &["service", "operations"],
        metrics: &[
            m(
                "first-time-fix",
                "Jobs fixed on the first visit",
                "%",
                (62.0, 75.0),
                0.2,
                1,
            ),
            m(
                "repeat-visits",
                "Repeat visits per week",
                "visits",
                (40.0, 120.0),
                -0.5,
                0,
            ),
            m(
                "hours-to-arrival",
                "Median hours to arrival",
                "hours",
                (20.0, 48.0),
                -0.4,
                0,
            ),
            m(
                "jobs-per-tech",
                "Jobs per technician per day",
                "jobs",
                (3.0, 5.0),
                0.2,
                1,
            ),
        ],
    },
    Topic {
        slug: "quality-program",
        title: "Quality programme",
        area: "quality",
        thing: "inspection checklist",
        team: "line supervisors",
        unit: "line",
        tags: &["quality", "manufacturing"],
        metrics: &[
            m(
                "defect-rate",
                "Units with defects",
                "%",
                (2.5, 6.0),
                -0.55,
                1,
            ),
            m(
                "rework-hours",
                "Rework hours per week",
                "hours",
                (80.0, 200.0),
                -0.5,
                0,
            ),
            m(
                "customer-returns",
                "Customer returns per month",
                "returns",
                (20.0, 60.0),
                -0.5,
                0,
            ),
            m(
                "audit-score",
                "Internal audit score",
                "points",
                (60.0, 75.0),
                0.2,
                0,
            ),
        ],
    },
    Topic {
        slug: "loan-turnaround",
        title: "Small-business loan turnaround",
        area: "small-business lending",
        thing: "short credit memo",
        team: "loan officers",
        unit: "branch",
        tags: &["lending", "process"],
        metrics: &[
            m(
                "days-to-decision",
                "Median days from application to decision",
                "days",
                (18.0, 30.0),
                -0.65,
                0,
            ),
            m(
                "pull-through",
                "Approved loans that close",
                "%",
                (55.0, 68.0),
                0.2,
                1,
            ),
            m(
                "applications-per-week",
                "Complete applications per week",
                "applications",
                (8.0, 20.0),
                0.5,
                0,
            ),
            m(
                "memo-pages",
                "Pages in a credit memo",
                "pages",
                (10.0, 16.0),
                -0.65,
                0,
            ),
        ],
    },
    Topic {
        slug: "shift-scheduling",
        title: "Shift scheduling",
        area: "staff scheduling",
        thing: "shift planner",
        team: "shift leads",
        unit: "site",
        tags: &["people", "operations"],
        metrics: &[
            m(
                "overtime-hours",
                "Overtime hours per week",
                "hours",
                (150.0, 400.0),
                -0.45,
                0,
            ),
            m(
                "shift-fill-rate",
                "Shifts filled a week ahead",
                "%",
                (70.0, 85.0),
                0.12,
                1,
            ),
            m(
                "schedule-changes",
                "Late schedule changes per week",
                "changes",
                (20.0, 60.0),
                -0.6,
                0,
            ),
            m(
                "staff-turnover",
                "Annual staff turnover",
                "%",
                (35.0, 60.0),
                -0.3,
                1,
            ),
        ],
    },
    Topic {
        slug: "second-location",
        title: "Second location opening",
        area: "the new location",
        thing: "opening plan",
        team: "store managers",
        unit: "department",
        tags: &["growth", "expansion"],
        metrics: &[
            m(
                "weekly-sales",
                "Weekly sales at the new location",
                "USD",
                (12000.0, 30000.0),
                0.6,
                0,
            ),
            m("basket-size", "Average basket", "USD", (25.0, 60.0), 0.2, 1),
            m(
                "foot-traffic",
                "Visitors per week",
                "visitors",
                (800.0, 2500.0),
                0.5,
                0,
            ),
            m(
                "staff-trained",
                "Staff trained before opening",
                "%",
                (2.0, 10.0),
                8.0,
                0,
            ),
        ],
    },
];

// ---------------------------------------------------------------------------
// Sentence templates. Slots: {client} {contact} {contact2} {owner} {area}
// {thing} {team} {unit} {place} {n} {m} {weekday} {metric}.

const STORIES: &[&str] = &[
    "{contact} says {client} is poised to move to the next level, and that {area} is what holds it back.",
    "{client} grew fast for three years. {contact} believes {area} has not kept up and is costing them customers.",
    "After a rough year, {contact} wants {area} fixed before the busy season. The board is asking for numbers.",
    "{contact} heard {owner} speak at a regional conference and called two months later about {area}.",
    "A competitor opened nearby and {client} is losing ground. {contact} thinks {area} is the first place to look.",
    "{contact} inherited {area} from a predecessor who left in a hurry. Nobody owns the numbers today.",
    "The {team} say they are stretched thin. {contact} wants to know whether {area} is the cause or a symptom.",
    "{client} tried to fix {area} twice with software alone. Both attempts were abandoned within months.",
];
const CLAIMS: &[&str] = &[
    "Revenue grew {n}% in two years",
    "The {team} spend a third of their week on rework",
    "Customers complain about {area} more than anything else",
    "The problem is mostly in the {place} {unit}",
    "The current {thing} was rolled out everywhere last year",
    "Competitors do this in half the time",
    "{area} costs about {m} thousand a month",
    "Staff turnover is below the industry average",
    "The owners will fund a second phase if this works",
    "Nothing has changed in {area} for five years",
    "The {team} want the change",
    "Their data is complete from {n} months back",
];
const EVIDENCE: &[&str] = &[
    "Reviewed the last two years of books with the controller",
    "Pulled {n} months of timestamps from their system",
    "Interviewed {n} people from the {team}",
    "Read {n} customer complaints from the last quarter",
    "Sat with the {team} in {place} for two days",
    "Compared against a trade association survey of {m} firms",
    "Their own monthly report, cross-checked against raw exports",
    "Walked the process end to end with {contact}",
];
const RED_FLAGS: &[&str] = &[
    "Growth came from one large account",
    "The {team} were not at the first meeting",
    "{contact} wants results before the busy season, which leaves little time",
    "No internal owner for {area} after we leave",
    "The last consultancy was let go halfway through",
    "Budget depends on a grant that is not yet confirmed",
    "Two of the three founders disagree on the goal",
    "The data needed for the baseline lives in spreadsheets on personal laptops",
    "Key staff are on leave during the first month",
];
const RESOLUTIONS: &[&str] = &[
    "Reframed the goal around {area} as a whole, not one account.",
    "{contact2} joined from the second meeting and signs off every change.",
    "Agreed a smaller first phase with a clear end date.",
    "Named {contact2} as owner from day one; we coach, they run it.",
    "Asked for references and spoke to the previous firm; the reasons were scope, not people.",
    "Priced the first phase so it stands alone if the grant falls through.",
    "Held a joint session with all three founders and wrote the goal down together.",
    "First milestone is moving the data into one shared place.",
];
const LOG: &[&str] = &[
    "Kickoff with {contact}; agreed the metrics and the update cadence.",
    "Interviewed {n} people across the {team}.",
    "Shared the first map of {area}; {contact} recognised every step.",
    "Walked {contact} and {contact2} through the baseline figures.",
    "Weekly call; the {thing} draft is with the {team} for comment.",
    "Piloted the {thing} in {place}; early numbers look encouraging.",
    "{contact2} raised a question about timing; answered on the call.",
    "Sent the monthly scorecard; two metrics on track, one behind.",
    "Trained the {team} in {place} in two groups.",
    "Reviewed the dashboard with {contact}; agreed to drop one report.",
    "On site in {place} for a day with the {team}.",
    "The {team} ran the {thing} without us for a full week.",
    "Short update by email: figures for the last fortnight attached.",
    "Agreed the next milestone's outcome in writing with {contact}.",
    "Checked in on the {unit} that started late; back on plan.",
    "{contact} presented the progress to the board; questions answered.",
    "Fixed a gap in the {thing} found by the {team} in {place}.",
    "Quarterly review with {contact} and {contact2}; no change to the targets.",
    "Rolled the {thing} out to {n} more {unit}s.",
    "Handed the weekly report to {contact2}, who owns it from now on.",
];
const WIN_TITLES: &[&str] = &[
    "Best {metric_lc} on record",
    "First full week at target in {place}",
    "The {team} hit the {metric_lc} target a month early",
    "Company record: {metric_lc} beat the target",
    "Every {unit} on the new {thing}",
    "{contact} reported the improvement to the board",
    "The {place} {unit} passed its first audit without findings",
    "A customer wrote to thank the {team} by name",
];
const CELEBRATIONS: &[&str] = &[
    "Lunch for the {team} in {place}, with {contact} there to thank them.",
    "{contact} announced it at the all-staff meeting; we sent a framed chart of the change.",
    "Cake on {weekday} for the whole {unit}.",
    "Handwritten cards from {owner} to each member of the {team}.",
    "Put the chart on the wall in {place} and rang the bell.",
    "Coffee and pastries for the {team}, and a shout-out in the newsletter.",
    "{contact} took the {team} out for dinner; we paid for dessert.",
    "A short video of the {team} telling the story, shown at the quarterly meeting.",
];
const CONCERNS: &[&str] = &[
    "Weekly reports arrive late.",
    "The {team} feel the {thing} adds paperwork.",
    "Will the gains last after you leave?",
    "The {place} {unit} was left out of the pilot.",
    "The dashboard numbers do not match the finance report.",
    "Too many meetings for the {team} this month.",
    "The new {thing} must not break our compliance checks.",
    "We are paying for milestones that slipped.",
    "{contact2} was not told about the change in {place}.",
];
const RESPONSES: &[&str] = &[
    "Moved reporting to {weekday} mornings and added a one-line summary at the top.",
    "Cut the {thing} to one page and removed two fields the {team} never used.",
    "The {team} run it alone for the last month of the engagement, and {contact2} owns the weekly check.",
    "Added {place} to the second wave, two weeks earlier than planned.",
    "Traced the gap to a date filter; both reports now use the same definition.",
    "Dropped the {weekday} meeting and moved updates to a shared note.",
    "Walked compliance through every step; nothing is skipped, only reordered.",
    "Agreed to credit the late milestone against the next invoice.",
    "Apologised to {contact2} and added them to every update from now on.",
];
const REVIEW_WRONG: &[&str] = &[
    "One milestone was late because we did not plan around holidays in the {team}.",
    "The {place} {unit} started a month late and never fully caught up.",
    "We underestimated how long the data clean-up would take.",
    "The dashboard took three attempts before the {team} used it.",
    "We talked to {contact} often but to the {team} too rarely at the start.",
    "{metric} stalled for six weeks in the middle and we noticed late.",
];
const REVIEW_RIGHT: &[&str] = &[
    "The {team} own the {thing} and improve it without us.",
    "{metric} moved further than anyone expected at kickoff.",
    "Every milestone said what the client would have, so nobody was surprised.",
    "Concerns were answered within a week, every time.",
    "{contact} now runs the weekly review without a script.",
    "The {place} pilot gave everyone a working example before the roll-out.",
];
const REVIEW_NEW: &[&str] = &[
    "Faster work upstream now queues at the next step.",
    "The {team} need more time for coaching, which nobody budgeted.",
    "The new {thing} needs an owner when {contact2} is away.",
    "Customers now expect the faster service everywhere, not only in {place}.",
    "Reporting shows problems that used to stay hidden, and people need time to adjust.",
];
const REVIEW_AFTER: &[&str] = &[
    "{contact2} owns the weekly report and the {thing}; it is reviewed each January.",
    "The playbook lives in their shared drive, and the {team} have used it twice without us.",
    "If nobody runs the weekly check, the numbers drift back within a quarter.",
    "The {team} train new starters on the {thing} in their first week.",
];
const NEXT_OFFERS: &[&str] = &[
    "Roll the {thing} out to the remaining {unit}s",
    "A short review of {area} in six months",
    "Coaching for the {team} leads",
    "Pricing and packaging review",
    "Customer onboarding programme",
];
const REFUND_REASONS: &[&str] = &[
    "{metric} reached less than half of its target; we agreed to refund the last milestone.",
    "The engagement stopped before milestone C, so the remaining fees were not earned.",
    "We missed the agreed end date by a month through our own planning.",
];
const NO_REFUND_REASONS: &[&str] = &[
    "The main metric was achieved; {contact} agreed no refund was owed.",
    "Every milestone was delivered as agreed.",
];
const INTERNAL: &[&str] = &[
    "{contact} pays on time but reads every invoice line; keep descriptions plain.",
    "Good reference client once the work is done. Ask {contact} in the final review.",
    "Margin is thin on this one; do not add scope without a change note.",
    "{contact2} is sceptical of consultants and warms up slowly. Lead with data.",
    "Possible follow-on in {area} next year; mention it only if they raise it.",
    "Travel to {place} is expensive; keep on-site days to one a month.",
    "{owner} covers; backup is whoever is free in the {place} week.",
];
const BODY_NOW: &[&str] = &[
    "The {thing} is in use in {place}, and the {team} report fewer hand-offs than before.",
    "{metric} is moving the right way. The next few weeks decide whether it holds when we step back.",
    "The baseline is agreed and signed. Everyone knows what the numbers are and where they come from.",
    "{contact} reviews the scorecard every {weekday}. The {team} have started to ask for it themselves.",
    "Two {unit}s are ahead of plan and one is behind; we spend next week with the one behind.",
];
const RISKS: &[&str] = &[
    "The {team} slip back to the old way when the busy season starts.",
    "Figures for {place} arrive late, so the scorecard lags a week behind.",
    "{contact2} changes role and nobody owns the {thing}.",
    "A new system goes in next spring and could undo the work on {area}.",
    "Budget for the next phase is decided before the results are in.",
    "The {team} see the {thing} as our project rather than theirs.",
    "A quick win hides a slower trend in {metric_lc}.",
];
const BODY_NOTES: &[&str] = &[
    "Keep the updates short: {contact} reads them on the phone between meetings.",
    "The {team} prefer a call to an email; log the call afterwards.",
    "{contact2} signs off every change that touches {area}. Plan for it; do not work around it.",
    "The {place} {unit} is the best place to pilot anything new.",
];

/// Everything a template may name.
struct Slots<'a> {
    client: &'a str,
    contact: &'a str,
    contact2: &'a str,
    owner: &'a str,
    topic: &'a Topic,
    place: &'a str,
    metric: &'a str,
}

fn fill(rng: &mut Rng, template: &str, s: &Slots<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let slot = &rest[open + 1..close];
        match slot {
            "client" => out.push_str(s.client),
            "contact" => out.push_str(s.contact),
            "contact2" => out.push_str(s.contact2),
            "owner" => out.push_str(s.owner),
            "area" => out.push_str(s.topic.area),
            "thing" => out.push_str(s.topic.thing),
            "team" => out.push_str(s.topic.team),
            "unit" => out.push_str(s.topic.unit),
            "place" => out.push_str(s.place),
            "metric" => out.push_str(s.metric),
            "metric_lc" => out.push_str(&s.metric.to_lowercase()),
            "n" => {
                let _ = write!(out, "{}", rng.range(3, 40));
            }
            "m" => {
                let _ = write!(out, "{}", rng.range(5, 120));
            }
            "weekday" => out.push_str(rng.word(WEEKDAYS)),
            other => out.push_str(other),
        }
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    // A sentence that starts with a slot ("{area} costs ...") starts with a capital.
    let mut chars = out.chars();
    match chars.next() {
        Some(c) if c.is_lowercase() => c.to_uppercase().chain(chars).collect(),
        _ => out,
    }
}

/// Two or three distinct sentences from `list`, as one paragraph.
/// One template picked from `list`, filled.
fn phrase(rng: &mut Rng, list: &[&str], s: &Slots<'_>) -> String {
    let template = *rng.pick(list);
    fill(rng, template, s)
}

fn sentences(rng: &mut Rng, list: &[&str], s: &Slots<'_>, count: usize) -> String {
    rng.sample(list.len(), count)
        .into_iter()
        .map(|i| fill(rng, list[i], s))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// Clients and engagements.

struct Person {
    name: String,
    role: &'static str,
    email: String,
}

fn person(rng: &mut Rng, domain: &str, first: &str, role: &'static str) -> Person {
    let last = *rng.pick(LAST_NAMES);
    Person {
        name: format!("{first} {last}"),
        role,
        email: format!(
            "{}.{}@{domain}.example",
            first.to_lowercase(),
            last.to_lowercase()
        ),
    }
}

/// One client folder: (relative path, text) for client.yaml and each engagement.
fn generate_client(seed: u64, number: usize, count: usize, as_of: Date) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (number as u64));
    let (kind, industry) = *rng.pick(COMPANY_KIND);
    let name = format!(
        "{} {kind}{}",
        rng.pick(COMPANY_FIRST),
        rng.pick(COMPANY_SUFFIX)
    );
    let domain: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let contact_count = rng.range(2, 4) as usize;
    let firsts = rng.sample(FIRST_NAMES.len(), contact_count);
    let roles = rng.sample(ROLES.len(), contact_count);
    let contacts: Vec<Person> = firsts
        .into_iter()
        .zip(roles)
        .map(|(f, r)| person(&mut rng, &domain, FIRST_NAMES[f], ROLES[r]))
        .collect();
    let place = *rng.pick(PLACES);
    let owner = *rng.pick(OWNERS);

    let topics = rng.sample(TOPICS.len(), count);
    let mut files = Vec::with_capacity(count + 1);
    let mut earliest = as_of;
    for topic in topics {
        let e = Engagement::generate(
            &mut rng,
            as_of,
            &Context {
                client: &name,
                contacts: &contacts,
                owner,
                place,
                topic: &TOPICS[topic],
            },
        );
        earliest = earliest.min(e.first_date);
        files.push((e.path, e.text));
    }

    let since = earliest.plus_days(-rng.range(0, 400));
    let mut y = String::with_capacity(1024);
    let _ = writeln!(y, "name: {}", plain(&name));
    let _ = writeln!(y, "since: {since}");
    let _ = writeln!(y, "industry: {}", plain(industry));
    y.push_str("contacts:\n");
    for c in &contacts {
        let _ = writeln!(y, "  - name: {}", plain(&c.name));
        let _ = writeln!(y, "    role: {}", plain(c.role));
        let _ = writeln!(y, "    email: {}", plain(&c.email));
    }
    let slots = Slots {
        client: &name,
        contact: &contacts[0].name,
        contact2: &contacts[1].name,
        owner,
        topic: &TOPICS[0],
        place,
        metric: "",
    };
    let notes = format!(
        "{} Based in {place}, with about {} staff.\n\n{}",
        {
            let lead = rng_story_lead(&mut rng);
            fill(&mut rng, lead, &slots)
        },
        rng.range(12, 400),
        fill(&mut rng, BODY_NOTES[2], &slots)
    );
    block(&mut y, 0, "notes", &notes);
    files.insert(0, ("client.yaml".to_owned(), y));
    files
}

fn rng_story_lead(rng: &mut Rng) -> &'static str {
    rng.word(&[
        "Family-owned, third generation.",
        "Founder-led, and {contact} still signs every cheque.",
        "Private-equity backed since two years ago.",
        "Employee-owned since a buy-out.",
        "Member-owned co-operative.",
    ])
}

struct Context<'a> {
    client: &'a str,
    contacts: &'a [Person],
    owner: &'a str,
    place: &'a str,
    topic: &'a Topic,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Prospect,
    Active,
    Paused,
    Completed,
    Ended,
    Declined,
}

impl Status {
    fn is_open(self) -> bool {
        matches!(self, Status::Prospect | Status::Active | Status::Paused)
    }

    fn word(self) -> &'static str {
        match self {
            Status::Prospect => "prospect",
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Completed => "completed",
            Status::Ended => "ended",
            Status::Declined => "declined",
        }
    }
}

/// Dates that drive an engagement.
struct Plan {
    status: Status,
    start: Option<Date>,
    end: Option<Date>,
    decided: Date,
    /// Planned work runs from here to `work_to` (milestone dues).
    work_from: Date,
    work_to: Date,
    /// The last day work happened: milestones due by then are done.
    cutoff: Date,
    /// Updates and measurements fall in this window.
    activity: (Date, Date),
    review: Option<Date>,
    /// How far along the metrics are at `cutoff` (progress, 1 = target).
    progress: f64,
}

fn plan(rng: &mut Rng, as_of: Date) -> Plan {
    let roll = rng.unit();
    let status = match roll {
        r if r < 0.40 => Status::Active,
        r if r < 0.72 => Status::Completed,
        r if r < 0.80 => Status::Prospect,
        r if r < 0.86 => Status::Paused,
        r if r < 0.93 => Status::Ended,
        _ => Status::Declined,
    };
    let d = |n: i64| as_of.plus_days(n);
    match status {
        Status::Active => {
            let start = d(-rng.range(120, 330));
            let end = d(rng.range(30, 240));
            let expected = as_of.days_since(start) as f64 / end.days_since(start) as f64;
            Plan {
                status,
                start: Some(start),
                end: Some(end),
                decided: start.plus_days(-rng.range(3, 30)),
                work_from: start,
                work_to: end,
                cutoff: as_of,
                activity: (start, as_of),
                review: rng
                    .chance(0.15)
                    .then(|| start.plus_days(rng.range(60, as_of.days_since(start)))),
                progress: (expected + rng.between(-0.12, 0.2)).max(0.05),
            }
        }
        Status::Paused => {
            let start = d(-rng.range(150, 400));
            let paused = d(-rng.range(20, 90));
            let end = d(rng.range(40, 200));
            Plan {
                status,
                start: Some(start),
                end: Some(end),
                decided: start.plus_days(-rng.range(3, 30)),
                work_from: start,
                work_to: end,
                cutoff: paused,
                activity: (start, paused),
                review: None,
                progress: rng.between(0.2, 0.6),
            }
        }
        Status::Completed => {
            let end = d(-rng.range(10, 500));
            let start = end.plus_days(-rng.range(90, 300));
            let review = end.plus_days(rng.range(0, 9));
            Plan {
                status,
                start: Some(start),
                end: Some(end),
                decided: start.plus_days(-rng.range(3, 30)),
                work_from: start,
                work_to: end,
                cutoff: end,
                activity: (start, end),
                review: Some(review),
                progress: rng.between(0.8, 1.2),
            }
        }
        Status::Ended => {
            let start = d(-rng.range(150, 600));
            let end = start.plus_days(rng.range(150, 300));
            let span = end.days_since(start);
            let stopped = start
                .plus_days((span as f64 * rng.between(0.35, 0.8)) as i64)
                .min(d(-10));
            Plan {
                status,
                start: Some(start),
                end: Some(end),
                decided: start.plus_days(-rng.range(3, 30)),
                work_from: start,
                work_to: end,
                cutoff: stopped,
                activity: (start, stopped),
                review: Some(stopped.plus_days(rng.range(1, 9))),
                progress: rng.between(0.05, 0.5),
            }
        }
        Status::Prospect => {
            let decided = d(-rng.range(0, 25));
            let from = d(rng.range(14, 60));
            Plan {
                status,
                start: None,
                end: None,
                decided,
                work_from: from,
                work_to: from.plus_days(rng.range(120, 260)),
                cutoff: d(-1000),
                activity: (d(-rng.range(90, 160)), d(-rng.range(0, 10))),
                review: None,
                progress: 0.0,
            }
        }
        Status::Declined => {
            let decided = d(-rng.range(20, 400));
            let from = decided.plus_days(rng.range(14, 40));
            Plan {
                status,
                start: None,
                end: None,
                decided,
                work_from: from,
                work_to: from.plus_days(rng.range(120, 260)),
                cutoff: d(-2000),
                activity: (decided.plus_days(-rng.range(90, 160)), decided),
                review: None,
                progress: 0.0,
            }
        }
    }
}

/// `n` sorted dates spread over `from..=to` with jitter; the last is `to`
/// when `last_is_to`.
fn spread(rng: &mut Rng, from: Date, to: Date, n: usize, last_is_to: bool) -> Vec<Date> {
    let span = to.days_since(from).max(0) as f64;
    let mut dates: Vec<Date> = (0..n)
        .map(|i| {
            let centre = span * (i as f64 + 0.5) / n as f64;
            let jitter = rng.between(-0.4, 0.4) * span / n as f64;
            let offset = (centre + jitter).round().clamp(0.0, span) as i64;
            from.plus_days(offset)
        })
        .collect();
    if last_is_to && let Some(last) = dates.last_mut() {
        *last = to;
    }
    dates.sort();
    dates
}

struct Milestone {
    id: char,
    title: String,
    due: Date,
    done: Option<Date>,
    outcome: String,
    result: Option<String>,
}

const EARLY: &[(&str, &str)] = &[
    (
        "Map {area} as it runs today",
        "Every step and wait in {area}, drawn with the {team}, so everyone sees where time goes.",
    ),
    (
        "Agree the baseline figures",
        "Signed-off starting numbers for every metric, from data the {team} trust.",
    ),
    (
        "Interview the {team}",
        "What the {team} say gets in the way, in their own words, summarised on one page.",
    ),
];
const MIDDLE: &[(&str, &str)] = &[
    (
        "Pilot the new {thing} in {place}",
        "The {thing} working in one {unit}, with a week of figures to judge it by.",
    ),
    (
        "Train the {team}",
        "Everyone in the {team} has used the {thing} on real work, with a guide to hand.",
    ),
    (
        "Weekly scorecard live",
        "A one-page weekly scorecard that {contact} reads in two minutes.",
    ),
    (
        "Quick fixes in place",
        "The three fixes that need no budget are done and measured.",
    ),
    (
        "Clean up the data behind {area}",
        "One trusted source for the figures, replacing the spreadsheets.",
    ),
    (
        "Second wave of the roll-out",
        "Half of the {unit}s on the {thing}, with their own figures.",
    ),
];
const LATE: &[(&str, &str)] = &[
    (
        "Roll out to every {unit}",
        "Every {unit} runs the {thing}, and the figures show it.",
    ),
    (
        "Write the playbook",
        "A short playbook the {team} use to train new starters without us.",
    ),
    (
        "The {team} run it without us",
        "A month at target with no help from us, so the gains are theirs.",
    ),
];
const RESULTS: &[&str] = &[
    "Done as planned.",
    "Took a week longer than planned; the {team} asked for a second session.",
    "Finished early; {place} was ready before we were.",
    "Done. The {team} found two steps nobody had written down.",
    "Done, with one {unit} following a week later.",
];

impl Plan {
    fn milestones(&self, rng: &mut Rng, s: &Slots<'_>, as_of: Date) -> Vec<Milestone> {
        let n = rng.range(6, 8) as usize;
        let early = rng.sample(EARLY.len(), 2);
        let late_count = if n >= 8 { 3 } else { 2 };
        let middle = rng.sample(MIDDLE.len(), n - 2 - late_count);
        let late: Vec<usize> = if late_count == 3 {
            vec![0, 1, 2]
        } else {
            let mut l = rng.sample(LATE.len(), 2);
            l.sort();
            l
        };
        let templates: Vec<(&str, &str)> = early
            .iter()
            .map(|&i| EARLY[i])
            .chain(middle.iter().map(|&i| MIDDLE[i]))
            .chain(late.iter().map(|&i| LATE[i]))
            .collect();
        let mut dues = spread(rng, self.work_from.plus_days(14), self.work_to, n, true);
        // A paused engagement's undone milestones were moved past the pause.
        if self.status == Status::Paused {
            let end = self.work_to;
            for due in &mut dues {
                if *due > self.cutoff && *due < as_of {
                    let room = end.days_since(as_of).max(0);
                    *due = as_of.plus_days(rng.range(room.min(7), room.min(45)));
                }
            }
            dues.sort();
        }
        templates
            .into_iter()
            .zip(dues)
            .enumerate()
            .map(|(i, ((title, outcome), due))| {
                let done = (due <= self.cutoff).then(|| {
                    let lo = self.start.unwrap_or(due);
                    let hi = self.cutoff.min(as_of);
                    due.plus_days(rng.range(-6, 7)).clamp(lo, hi)
                });
                let result = (done.is_some() && rng.chance(0.75)).then(|| phrase(rng, RESULTS, s));
                Milestone {
                    id: char::from(b'A' + i as u8),
                    title: fill(rng, title, s),
                    due,
                    done,
                    outcome: fill(rng, outcome, s),
                    result,
                }
            })
            .collect()
    }
}

struct Metric {
    tpl: &'static MetricTpl,
    baseline: f64,
    target: f64,
    weight: Option<u8>,
    measurements: Vec<(Date, f64, Option<String>)>,
}

const MEASUREMENT_NOTES: &[&str] = &[
    "After the {place} pilot",
    "Holiday week",
    "First month with the new {thing}",
    "From their monthly report",
    "Includes the late {unit}",
    "Recounted with {contact}",
];

impl Plan {
    fn metrics(&self, rng: &mut Rng, s: &Slots<'_>, as_of: Date) -> Vec<Metric> {
        let picks = rng.sample(s.topic.metrics.len(), 3);
        picks
            .into_iter()
            .map(|i| {
                let tpl = &s.topic.metrics[i];
                let baseline = round_to(rng.between(tpl.base.0, tpl.base.1), tpl.decimals);
                let mut target = round_to(
                    baseline * (1.0 + tpl.change * rng.between(0.7, 1.3)),
                    tpl.decimals,
                );
                if tpl.unit == "%" {
                    target = target.clamp(0.0, 99.0);
                }
                if target == baseline {
                    let step = if tpl.decimals == 0 { 1.0 } else { 0.5 };
                    target = baseline + step * tpl.change.signum();
                }
                let count = rng.range(8, 12) as usize;
                let (from, to) = match self.status {
                    // Due-diligence figures from the client's own reports.
                    Status::Prospect | Status::Declined => {
                        (self.activity.0.plus_days(-200), self.activity.1.min(as_of))
                    }
                    Status::Active => (
                        self.activity.0.plus_days(rng.range(3, 14)),
                        as_of.plus_days(-rng.range(1, 25)),
                    ),
                    _ => (self.activity.0.plus_days(rng.range(3, 14)), self.activity.1),
                };
                let dates = spread(rng, from, to, count, true);
                let span = to.days_since(from).max(1) as f64;
                let shape = rng.between(0.6, 1.6);
                let final_progress = self.progress * rng.between(0.75, 1.15);
                let measurements = dates
                    .into_iter()
                    .map(|date| {
                        let t = (date.days_since(from) as f64 / span).clamp(0.0, 1.0);
                        let p = final_progress * t.powf(shape) + rng.between(-0.06, 0.06);
                        let mut value = baseline + p * (target - baseline);
                        if tpl.unit == "%" {
                            value = value.clamp(0.0, 100.0);
                        }
                        let value = round_to(value.max(0.0), tpl.decimals);
                        let note = rng.chance(0.2).then(|| phrase(rng, MEASUREMENT_NOTES, s));
                        (date, value, note)
                    })
                    .collect();
                Metric {
                    tpl,
                    baseline,
                    target,
                    weight: rng.chance(0.3).then(|| rng.range(2, 3) as u8),
                    measurements,
                }
            })
            .collect()
    }
}

struct Engagement {
    path: String,
    text: String,
    first_date: Date,
}

/// One realistic imperfection (a warning), for about one engagement in ten.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    UnverifiedClaim,
    OverdueMilestone,
    UnansweredConcern,
}

impl Engagement {
    fn generate(rng: &mut Rng, as_of: Date, ctx: &Context<'_>) -> Engagement {
        let p = plan(rng, as_of);
        let flaw = if rng.chance(0.10) {
            match p.status {
                Status::Active => *rng.pick(&[
                    Flaw::UnverifiedClaim,
                    Flaw::OverdueMilestone,
                    Flaw::UnansweredConcern,
                ]),
                Status::Prospect | Status::Paused => Flaw::UnansweredConcern,
                _ => Flaw::None,
            }
        } else {
            Flaw::None
        };
        let contact_i = rng.below(ctx.contacts.len() as u64) as usize;
        let contact2_i = (contact_i + 1 + rng.below(ctx.contacts.len() as u64 - 1) as usize)
            % ctx.contacts.len();
        let contact = ctx.contacts[contact_i].name.as_str();
        let contact2 = ctx.contacts[contact2_i].name.as_str();
        let mut s = Slots {
            client: ctx.client,
            contact,
            contact2,
            owner: ctx.owner,
            topic: ctx.topic,
            place: ctx.place,
            metric: "",
        };
        let metrics = p.metrics(rng, &s, as_of);
        s.metric = metrics[0].tpl.name;
        let mut milestones = p.milestones(rng, &s, as_of);
        if flaw == Flaw::OverdueMilestone
            && let Some(last_done) = milestones.iter().rposition(|m| m.done.is_some())
        {
            let m = &mut milestones[last_done];
            m.done = None;
            m.result = None;
            m.due = m.due.max(as_of.plus_days(-rng.range(1, 10)));
        }

        let year = p.start.unwrap_or(p.decided).0.year();
        let slug = format!("{year}-{}", ctx.topic.slug);
        let archived = matches!(p.status, Status::Completed | Status::Ended)
            && p.end.is_some_and(|e| e.0.year() < as_of.0.year());
        let path = if archived {
            format!("archive/{slug}.md")
        } else {
            format!("{slug}.md")
        };

        let mut y = String::with_capacity(12 * 1024);
        y.push_str("---\n");
        let title = if rng.chance(0.3) {
            format!("{} in {}", ctx.topic.title, ctx.place)
        } else {
            ctx.topic.title.to_owned()
        };
        field(&mut y, 0, "title", &title);
        let _ = writeln!(y, "status: {}", p.status.word());
        field(&mut y, 0, "owner", ctx.owner);
        if let Some(start) = p.start {
            let _ = writeln!(y, "start: {start}");
        }
        if let Some(end) = p.end {
            let _ = writeln!(y, "end: {end}");
        }
        let _ = writeln!(
            y,
            "value: {{ amount: {}, currency: {} }}",
            rng.range(24, 360) * 500,
            rng.pick(CURRENCIES)
        );
        let _ = writeln!(y, "tags: [{}]", ctx.topic.tags.join(", "));
        y.push('\n');

        // Qualification.
        y.push_str("qualification:\n");
        field(&mut y, 2, "story", &sentences(rng, STORIES, &s, 3));
        y.push_str("  claims:\n");
        let claim_count = rng.range(2, 4) as usize;
        let unverified_claim =
            (flaw == Flaw::UnverifiedClaim).then(|| rng.below(claim_count as u64) as usize);
        for (k, i) in rng
            .sample(CLAIMS.len(), claim_count)
            .into_iter()
            .enumerate()
        {
            let status = match p.status {
                Status::Active if unverified_claim == Some(k) => "unverified",
                Status::Active => "verified",
                Status::Declined => *rng.pick(&["contradicted", "unverified", "verified"]),
                Status::Prospect => *rng.pick(&["verified", "verified", "unverified"]),
                _ => *rng.pick(&[
                    "verified",
                    "verified",
                    "verified",
                    "verified",
                    "unverified",
                    "contradicted",
                ]),
            };
            let _ = writeln!(y, "    - claim: {}", plain(&fill(rng, CLAIMS[i], &s)));
            if status != "unverified" || rng.chance(0.3) {
                let evidence = if status == "unverified" {
                    format!("Asked {} for the figures; not received yet", contact)
                } else {
                    phrase(rng, EVIDENCE, &s)
                };
                let _ = writeln!(y, "      evidence: {}", plain(&evidence));
            }
            let _ = writeln!(y, "      status: {status}");
        }
        y.push_str("  red_flags:\n");
        let flag_count = rng.range(1, 3) as usize;
        for i in rng.sample(RED_FLAGS.len(), flag_count) {
            let _ = writeln!(y, "    - flag: {}", plain(&fill(rng, RED_FLAGS[i], &s)));
            let resolved = p.status == Status::Active || rng.chance(0.8);
            if resolved {
                let _ = writeln!(
                    y,
                    "      resolution: {}",
                    plain(&phrase(rng, RESOLUTIONS, &s))
                );
            }
        }
        let decision = match p.status {
            Status::Declined => "decline",
            _ if rng.chance(0.2) => "reframe",
            _ => "accept",
        };
        let _ = writeln!(y, "  decision: {decision}");
        let _ = writeln!(y, "  decided: {}", p.decided);
        y.push('\n');

        let m0 = &metrics[0];
        let unit = |m: &Metric| match m.tpl.unit {
            "%" => "%".to_owned(),
            "USD" => " USD".to_owned(),
            u => format!(" {u}"),
        };
        field(
            &mut y,
            0,
            "current_state",
            &format!(
                "{} is at {}{} today. {}.",
                m0.tpl.name,
                number(m0.baseline, m0.tpl.decimals),
                unit(m0),
                phrase(rng, CLAIMS, &s)
            ),
        );
        field(
            &mut y,
            0,
            "desired_outcome",
            &format!(
                "{} at {}{}, and the {} running {} without outside help.",
                m0.tpl.name,
                number(m0.target, m0.tpl.decimals),
                unit(m0),
                ctx.topic.team,
                ctx.topic.area
            ),
        );
        y.push('\n');

        // Success.
        let agreed = match p.status {
            Status::Prospect => p.decided.plus_days(rng.range(0, 5)).min(as_of),
            Status::Declined => p.decided.plus_days(-rng.range(1, 20)),
            _ => p.start.unwrap_or(p.decided).plus_days(rng.range(0, 10)),
        };
        y.push_str("success:\n");
        let _ = writeln!(y, "  agreed: {agreed}");
        let _ = writeln!(y, "  agreed_by: [{}, {}]", flow(ctx.owner), flow(contact));
        y.push_str("  metrics:\n");
        for metric in &metrics {
            let _ = writeln!(y, "    - id: {}", metric.tpl.id);
            let _ = writeln!(y, "      name: {}", plain(metric.tpl.name));
            let _ = writeln!(y, "      unit: {}", plain(metric.tpl.unit));
            let _ = writeln!(
                y,
                "      baseline: {}",
                number(metric.baseline, metric.tpl.decimals)
            );
            let _ = writeln!(
                y,
                "      target: {}",
                number(metric.target, metric.tpl.decimals)
            );
            if let Some(w) = metric.weight {
                let _ = writeln!(y, "      weight: {w}");
            }
            y.push_str("      measurements:\n");
            for (date, value, note) in &metric.measurements {
                let _ = write!(
                    y,
                    "        - {{ date: {date}, value: {}",
                    number(*value, metric.tpl.decimals)
                );
                if let Some(note) = note {
                    let _ = write!(y, ", note: {}", flow(note));
                }
                y.push_str(" }\n");
            }
        }
        y.push('\n');

        // Milestones.
        y.push_str("milestones:\n");
        for m in &milestones {
            let _ = writeln!(y, "  - id: {}", m.id);
            let _ = writeln!(y, "    title: {}", plain(&m.title));
            let _ = writeln!(y, "    due: {}", m.due);
            if let Some(done) = m.done {
                let _ = writeln!(y, "    done: {done}");
            }
            field(&mut y, 4, "outcome", &m.outcome);
            if let Some(result) = &m.result {
                field(&mut y, 4, "result", result);
            }
        }
        y.push('\n');

        // Updates.
        let cadence = *rng.pick(&[14u32, 14, 14, 7, 7, 21]);
        let log_count = rng.range(10, 20) as usize;
        let last_log = if p.status == Status::Active {
            as_of.plus_days(-rng.range(0, i64::from(cadence.min(10)) - 1))
        } else {
            p.activity.1.min(as_of)
        };
        let log_dates = spread(rng, p.activity.0, last_log, log_count, true);
        y.push_str("updates:\n");
        let _ = writeln!(y, "  cadence_days: {cadence}");
        y.push_str("  log:\n");
        // The first entry is the kickoff; the rest come in random order.
        let summaries = rng.sample(LOG.len() - 1, log_count - 1);
        for (k, date) in log_dates.iter().enumerate() {
            let template = if k == 0 {
                LOG[0]
            } else {
                LOG[1 + summaries[k - 1]]
            };
            let summary = fill(rng, template, &s);
            let _ = writeln!(y, "    - date: {date}");
            let _ = writeln!(y, "      summary: {}", plain(&summary));
            let _ = writeln!(y, "      channel: {}", rng.pick(CHANNELS));
            if rng.chance(0.4) {
                // The milestone being worked on at the time.
                let current = milestones
                    .iter()
                    .find(|m| m.due >= *date)
                    .or(milestones.last())
                    .map(|m| m.id)
                    .unwrap_or('A');
                let _ = writeln!(y, "      milestone: {current}");
            }
        }
        y.push('\n');

        // Wins.
        let worked = matches!(
            p.status,
            Status::Active | Status::Paused | Status::Completed | Status::Ended
        );
        if worked {
            let (from, to) = (p.activity.0.plus_days(30), p.activity.1.min(as_of));
            let count = match p.status {
                Status::Completed => rng.range(2, 4),
                Status::Ended => rng.range(0, 1),
                _ => rng.range(1, 3),
            } as usize;
            if count > 0 {
                y.push_str("wins:\n");
                for (k, date) in spread(rng, from.min(to), to, count, false)
                    .into_iter()
                    .enumerate()
                {
                    let metric = &metrics[k % metrics.len()];
                    let ws = Slots {
                        metric: metric.tpl.name,
                        ..s
                    };
                    let _ = writeln!(y, "  - date: {date}");
                    let _ = writeln!(y, "    title: {}", plain(&phrase(rng, WIN_TITLES, &ws)));
                    if rng.chance(0.6) {
                        let _ = writeln!(y, "    metric: {}", metric.tpl.id);
                    }
                    field(&mut y, 4, "celebrated", &phrase(rng, CELEBRATIONS, &ws));
                }
                y.push('\n');
            }
        }

        // Concerns.
        let concern_count = match p.status {
            Status::Prospect | Status::Declined => rng.range(1, 2),
            _ => rng.range(1, 3),
        } as usize;
        let (from, to) = (p.activity.0, p.activity.1.min(as_of));
        let dates = spread(rng, from, to, concern_count, false);
        y.push_str("concerns:\n");
        for (k, i) in rng
            .sample(CONCERNS.len(), concern_count)
            .into_iter()
            .enumerate()
        {
            let date = dates[k];
            let _ = writeln!(y, "  - date: {date}");
            let _ = writeln!(y, "    concern: {}", plain(&fill(rng, CONCERNS[i], &s)));
            let _ = writeln!(
                y,
                "    raised_by: {}",
                plain(if rng.chance(0.5) { contact } else { contact2 })
            );
            let unanswered = flaw == Flaw::UnansweredConcern && k == concern_count - 1;
            if !unanswered {
                field(&mut y, 4, "response", &fill(rng, RESPONSES[i], &s));
                if rng.chance(0.8) {
                    let resolved = date.plus_days(rng.range(1, 21)).min(to).max(date);
                    let _ = writeln!(y, "    resolved: {resolved}");
                }
            }
        }
        y.push('\n');

        // Review.
        if let Some(date) = p.review {
            let date = date.min(as_of);
            y.push_str("review:\n");
            let _ = writeln!(y, "  date: {date}");
            field(
                &mut y,
                2,
                "went_wrong",
                &sentences(rng, REVIEW_WRONG, &s, 2),
            );
            field(
                &mut y,
                2,
                "went_right",
                &sentences(rng, REVIEW_RIGHT, &s, 2),
            );
            field(
                &mut y,
                2,
                "new_problems",
                &sentences(rng, REVIEW_NEW, &s, 2),
            );
            field(
                &mut y,
                2,
                "after_the_book",
                &sentences(rng, REVIEW_AFTER, &s, 2),
            );
            let (decision, refund) = match p.status {
                Status::Active => ("continue", "none"),
                Status::Ended => (
                    "end",
                    *rng.pick(&["none", "none", "partial", "partial", "full"]),
                ),
                _ => (
                    *rng.pick(&["next", "next", "end", "continue"]),
                    if rng.chance(0.08) { "partial" } else { "none" },
                ),
            };
            if decision != "end" {
                field(&mut y, 2, "next_offer", &phrase(rng, NEXT_OFFERS, &s));
            }
            let _ = writeln!(y, "  decision: {decision}");
            let _ = writeln!(y, "  refund: {refund}");
            if refund != "none" {
                field(&mut y, 2, "refund_reason", &phrase(rng, REFUND_REASONS, &s));
            } else if rng.chance(0.4) {
                field(
                    &mut y,
                    2,
                    "refund_reason",
                    &phrase(rng, NO_REFUND_REASONS, &s),
                );
            }
            if rng.chance(0.5) {
                let _ = writeln!(y, "  referrals: {}", rng.range(0, 3));
            }
            y.push('\n');
        }

        field(
            &mut y,
            0,
            "internal_notes",
            &sentences(rng, INTERNAL, &s, 3),
        );
        y.push_str("---\n");

        // Markdown body.
        y.push_str("## Where this stands\n\n");
        let now = sentences(rng, BODY_NOW, &s, 3);
        for line in wrap(&now, 76) {
            y.push_str(&line);
            y.push('\n');
        }
        y.push_str("\n## What we agreed\n\n");
        for metric in &metrics {
            let _ = writeln!(
                y,
                "- **{}:** from {} to {}{}.",
                metric.tpl.name,
                number(metric.baseline, metric.tpl.decimals),
                number(metric.target, metric.tpl.decimals),
                unit(metric)
            );
        }
        let open: Vec<&Milestone> = milestones.iter().filter(|m| m.done.is_none()).collect();
        if open.is_empty()
            || !matches!(p.status, Status::Active | Status::Paused | Status::Prospect)
        {
            y.push_str("\n## What stays with you\n\n");
            for m in milestones.iter().filter(|m| m.done.is_some()).take(4) {
                let _ = writeln!(y, "- {}", m.outcome);
            }
            if milestones.iter().all(|m| m.done.is_none()) {
                let _ = writeln!(
                    y,
                    "- The baseline figures and the map of {}.",
                    ctx.topic.area
                );
            }
        } else {
            y.push_str("\n## Next\n\n");
            for m in open.iter().take(3) {
                let _ = writeln!(y, "- **{}, due {}:** {}", m.id, m.due, m.title);
            }
        }
        if p.status.is_open() {
            y.push_str("\n## Risks we watch\n\n");
        } else {
            y.push_str("\n## Lessons\n\n");
        }
        for i in rng.sample(RISKS.len(), 3) {
            let _ = writeln!(y, "- {}", fill(rng, RISKS[i], &s));
        }
        y.push_str("\n## Who is involved\n\n");
        let _ = writeln!(y, "- {}, for us", ctx.owner);
        for person in ctx.contacts {
            let _ = writeln!(y, "- {}, {}", person.name, person.role);
        }
        y.push_str("\n## Notes\n\n");
        let notes = sentences(rng, BODY_NOTES, &s, 2);
        for line in wrap(&notes, 76) {
            y.push_str(&line);
            y.push('\n');
        }

        let first_date = p.activity.0.min(p.decided).min(agreed);
        Engagement {
            path,
            text: y,
            first_date,
        }
    }
}
