//! The `future` layer (being written).
