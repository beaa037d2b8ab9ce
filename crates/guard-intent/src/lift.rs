//! lift (in progress)
