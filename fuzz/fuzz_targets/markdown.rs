//! Fuzzes the Markdown renderer, `commonthread::markdown::to_html` and
//! `inline_html`: whatever the input, the HTML must be inert. The property
//! checked (a tag scanner over the output) is `oracles::markdown`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../oracles.rs"]
mod oracles;

fuzz_target!(|data: &[u8]| oracles::markdown(data));
