//! What a small program needs: `use async_primer::prelude::*;`.
//!
//! Each layer adds its most used names here, one line per layer.

// callback layer
pub use crate::callback::{EventEmitter, Outcome, callbackify, completion, promisify};

// executor and time layers
pub use crate::executor::{
    Executor, JoinError, JoinHandle, block_on, spawn, spawn_blocking, yield_now,
};
pub use crate::time::{interval, now, sleep, sleep_until, timeout};

// future layer
pub use crate::future::{Either, FutureExt, join, join_all, race, select, try_join_all};

// stream layer
pub use crate::stream::{Stream, StreamExt};

// channel layer
pub use crate::channel::{mpsc, oneshot};

// promise layer
pub use crate::promise::{Promise, PromiseError, Resolver};

// cancel layer
pub use crate::cancel::{CancellationToken, JoinSet};
