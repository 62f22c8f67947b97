//! The `channel` layer (being written).
