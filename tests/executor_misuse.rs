//! Misuse gets a clear panic at the caller's line (issue 3, diagnostics:
//! misuse). One test function, because it swaps the process-wide panic hook
//! to record where each panic was reported.

mod common;
use async_primer::executor::Executor;
use async_primer::time::{interval, sleep, timeout};
use common::{LIMIT, within};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `f`, expecting a panic; returns (message, file it was reported in).
fn panic_of(f: impl FnOnce()) -> (String, String) {
    let seen: Arc<Mutex<Option<(String, String)>>> = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = match info.payload().downcast_ref::<String>() {
            Some(m) => m.clone(),
            None => info
                .payload()
                .downcast_ref::<&str>()
                .map(|m| m.to_string())
                .unwrap_or_default(),
        };
        let file = info
            .location()
            .map_or(String::new(), |l| l.file().to_string());
        s.lock().unwrap().get_or_insert((msg, file));
    }));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    assert!(result.is_err(), "expected a panic");
    seen.lock().unwrap().take().expect("the hook saw the panic")
}

#[test]
fn misuse_panics_clearly_at_the_callers_line() {
    within(LIMIT, || {
        // block_on inside block_on: reported on the inner call's line.
        let (msg, file) = panic_of(|| {
            async_primer::block_on(async {
                async_primer::block_on(async {});
            })
        });
        assert!(
            msg.contains("block_on called while an executor is already running"),
            "{msg}"
        );
        assert!(
            file.ends_with("executor_misuse.rs"),
            "reported in {file}, not at the caller"
        );

        // Executor::block_on inside a task
        let ex = Executor::new();
        let (msg, _) = panic_of(|| {
            ex.block_on(async {
                Executor::new().block_on(async {});
            })
        });
        assert!(msg.contains("already running"), "{msg}");

        // spawn with no executor
        let (msg, file) = panic_of(|| drop(async_primer::spawn(async {})));
        assert!(
            msg.contains("spawn called with no executor running"),
            "{msg}"
        );
        assert!(
            file.ends_with("executor_misuse.rs"),
            "reported in {file}, not at the caller"
        );

        // spawn_blocking with no executor
        let (msg, file) = panic_of(|| drop(async_primer::spawn_blocking(|| 1)));
        assert!(
            msg.contains("spawn_blocking called with no executor"),
            "{msg}"
        );
        assert!(
            file.ends_with("executor_misuse.rs"),
            "reported in {file}, not at the caller"
        );

        // sleep, timeout, interval with no executor
        let (msg, file) = panic_of(|| drop(sleep(Duration::from_secs(1))));
        assert!(
            msg.contains("sleep() called with no executor running"),
            "{msg}"
        );
        assert!(
            file.ends_with("executor_misuse.rs"),
            "reported in {file}, not at the caller"
        );
        let (msg, file) = panic_of(|| drop(timeout(Duration::from_secs(1), async {})));
        assert!(msg.contains("no executor running"), "{msg}");
        assert!(
            file.ends_with("executor_misuse.rs"),
            "reported in {file}, not at the caller"
        );
        let (msg, _) = panic_of(|| {
            let _ = interval(Duration::from_secs(1));
        });
        assert!(msg.contains("interval() called with no executor"), "{msg}");

        // yield_now polled with no executor of this crate: it works anyway,
        // waking itself through the waker it is given.
        let waker = std::sync::Arc::new(CountWake(std::sync::atomic::AtomicUsize::new(0)));
        let fut = async_primer::yield_now();
        let mut fut = std::pin::pin!(fut);
        let w = std::task::Waker::from(waker.clone());
        let mut cx = std::task::Context::from_waker(&w);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(waker.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(fut.as_mut().poll(&mut cx).is_ready());

        // JoinHandle polled after it completed
        let ex = Executor::new();
        let (msg, _) = panic_of(|| {
            ex.block_on(async {
                let mut h = async_primer::spawn(async { 1 });
                assert_eq!((&mut h).await.unwrap(), 1);
                let _ = (&mut h).await;
            })
        });
        assert!(
            msg.contains("JoinHandle polled after it already returned"),
            "{msg}"
        );

        // interval with a zero period
        let (msg, _) = panic_of(|| {
            async_primer::block_on(async {
                let _ = interval(Duration::ZERO);
            })
        });
        assert!(msg.contains("period greater than zero"), "{msg}");

        // The executors are still usable after all that.
        assert_eq!(ex.block_on(async { 2 }), 2);
        assert!(!async_primer::executor::is_running());
    })
}

struct CountWake(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
