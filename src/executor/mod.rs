//! The `executor` layer (being written).
