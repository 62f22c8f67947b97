//! What a small program needs: `use async_primer::prelude::*;`.
//!
//! Each layer adds its most used names here, one line per layer.

// callback layer

// executor and time layers

// future layer

// channel layer

// promise layer
