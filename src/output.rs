//! Writing the output folder: assembled beside OUT, swapped in only when
//! complete, and only over a folder that commonthread wrote before.

/// The file that marks a folder as commonthread's output. A folder holding
/// it is never read as records, and only such a folder is ever replaced.
pub const MARKER: &str = ".commonthread-output";
