//! Callbacks: the oldest way to say "do this when that is done".
//!
//! A callback is a function you hand to an operation so that the operation
//! can call it when it finishes, instead of making you wait for it. This
//! style is called *continuation-passing*: the rest of your program (the
//! continuation) is passed along as an argument. Nothing blocks, so one
//! thread can start many operations; the price is that the order of your
//! code no longer matches the order things happen in, and every step must
//! handle its own errors (see "callback hell" in the guide).
//!
//! This layer has these pieces:
//!
//! | piece | what it is |
//! |---|---|
//! | [`completion`] | a one-shot meeting point of a value and a callback: whichever arrives second runs the callback |
//! | [`Callback`], [`promisify`], [`callbackify`] | error-first callbacks, and bridges to and from futures |
//! | [`EventEmitter`] | event-driven code with Node's rules: many listeners, many events |
//! | [`LocalEventEmitter`] | the same rules on one thread: listeners may hold `Rc<RefCell<..>>` state |
//! | [`EventEmitter::next`] | awaiting the next event: the bridge from events to futures |
//!
//! ```
//! use async_primer::callback::{completion, Outcome};
//! use std::sync::mpsc;
//!
//! // "Tell me when the download is done", in continuation-passing style.
//! fn download(url: &str, then: impl FnOnce(Outcome<usize>) + Send + 'static) {
//!     let (completer, completion) = completion();
//!     completion.on_complete(then);
//!     let len = url.len() * 100;
//!     std::thread::spawn(move || {
//!         let _ = completer.complete(len); // the callback runs on this thread
//!     });
//! }
//!
//! let (tx, rx) = mpsc::channel();
//! download("https://example.org", move |outcome| tx.send(outcome).unwrap());
//! // ...the main thread is free to do other work here...
//! assert_eq!(rx.recv().unwrap(), Outcome::Value(1900));
//! ```
//!
//! This layer stands directly on the crate's internal `sync` module (std or
//! loom types): no executor, no promises. Its futures run on any executor;
//! the examples use `futures::executor::block_on`. Guide: [`crate::guide::ch01_callbacks`]. The loom models for
//! every shared state here are in `tests/loom_callback.rs`.

mod completion;
mod emitter;
mod error_first;
mod listeners;
mod local_emitter;
mod next;

pub use completion::{Completer, Completion, Outcome, completion};
pub use emitter::EventEmitter;
pub use error_first::{Callback, Promisified, callbackify, promisify};
pub use listeners::ListenerId;
pub use local_emitter::{LocalEventEmitter, LocalNext};
pub use next::Next;
