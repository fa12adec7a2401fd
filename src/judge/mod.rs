//! Judging: pure functions from definitions and progress to lights and gaps.
//!
//! Nothing here knows about SQLite, files or terminals; every rule is unit-tested with
//! plain values.

pub mod deadline;
pub mod rollup;
pub mod target;
pub mod task;
pub mod trend;
