//! What a small program needs: `use async_primer::prelude::*;`.
//!
//! Each layer adds its most used names here, one line per layer.

// callback layer
pub use crate::callback::{EventEmitter, Outcome, callbackify, completion, promisify};

// executor and time layers

// future layer

// channel layer

// promise layer
