//! The `callback` layer (being written).
