//! The guide: one chapter per concept, in the order a course would teach
//! them. Each chapter is a Markdown file in `docs/`, included here so that
//! `cargo test` compiles and runs every code block in it and docs.rs
//! renders it next to the API it explains.

/// Chapter 0: what "asynchronous" means.
pub mod ch00_asynchronous {
    #![doc = include_str!("../docs/ch00-asynchronous.md")]
}

/// Chapter 1: callbacks, error-first callbacks, callback hell, and events.
pub mod ch01_callbacks {
    #![doc = include_str!("../docs/ch01-callbacks.md")]
}

/// Chapter 2: promises.
pub mod ch02_promises {
    #![doc = include_str!("../docs/ch02-promises.md")]
}

/// Chapter 3: futures and combinators.
pub mod ch03_futures {
    #![doc = include_str!("../docs/ch03-futures.md")]
}

/// Chapter 4: the executor.
pub mod ch04_executor {
    #![doc = include_str!("../docs/ch04-executor.md")]
}

/// Chapter 5: async/await.
pub mod ch05_async_await {
    #![doc = include_str!("../docs/ch05-async-await.md")]
}

/// Chapter 6: error handling in every style.
pub mod ch06_errors {
    #![doc = include_str!("../docs/ch06-errors.md")]
}

/// Chapter 7: testing concurrent code.
pub mod ch07_testing {
    #![doc = include_str!("../docs/ch07-testing.md")]
}

/// Chapter 8: where to go next.
pub mod ch08_next_steps {
    #![doc = include_str!("../docs/ch08-next-steps.md")]
}

/// Chapter 9: cancellation and structured concurrency.
pub mod ch09_cancellation {
    #![doc = include_str!("../docs/ch09-cancellation.md")]
}

/// Chapter 10: streams, back-pressure, and a stream written by hand.
pub mod ch10_streams {
    #![doc = include_str!("../docs/ch10-streams.md")]
}

/// Chapter 11: async locks and signals.
pub mod ch11_locks {
    #![doc = include_str!("../docs/ch11-locks.md")]
}

/// Chapter 12: the event loop: tasks, microtasks and timers, puzzle by
/// puzzle beside JavaScript.
pub mod ch12_event_loop {
    #![doc = include_str!("../docs/ch12-event-loop.md")]
}
