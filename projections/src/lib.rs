//! Pure projections.
