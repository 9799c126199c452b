//! Fuzzes a whole engagement file through
//! `commonthread::validate::check_engagement_text`: front matter splitting,
//! the YAML tree (src/yaml.rs), the schema-driven shape check
//! (src/structure.rs), typed deserialization and every rule. The property
//! checked is `oracles::check_engagement`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../oracles.rs"]
mod oracles;

fuzz_target!(|data: &[u8]| oracles::check_engagement(data));
