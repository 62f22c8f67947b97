//! The `promise` layer (being written).
