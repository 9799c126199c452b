pub mod diagnostics;
pub mod model;
pub mod rules;
pub mod schema;
pub mod structure;
pub mod suggest;
pub mod yaml;
