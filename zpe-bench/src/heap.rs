//! Live heap bytes of the process: the system allocator behind a counter, so the bench can
//! report what ZPE keeps after a load (its footprint) beside the RSS growth (which also holds
//! the load's freed transient memory that the allocator keeps for reuse).

use std::alloc::System;

#[global_allocator]
static ALLOC: cap::Cap<System> = cap::Cap::new(System, usize::MAX);

/// Bytes currently allocated.
pub fn live() -> usize {
    ALLOC.allocated()
}
