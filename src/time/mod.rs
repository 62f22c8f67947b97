//! The `time` layer (being written).
