//! Exercise 7.1 (docs/ch07-testing.md): find the seed that breaks a
//! program, then fix the program so that no seed does.
//!
//! The program handed out (`empty::bank` below) deposits and withdraws in
//! two tasks and assumes the deposit, spawned first, runs first.

use async_primer::testing::{find_failing_seed, run_recorded};

/// The skeleton test from the guide, over any version of the program.
pub fn check(bank: impl AsyncFn()) {
    let seeds = if cfg!(miri) { 0..10 } else { 0..100 };
    if let Some(failure) = find_failing_seed(seeds, &bank) {
        panic!("the program still depends on the order of its tasks:\n{failure}");
    }
    assert_eq!(run_recorded(0, &bank).texts(), ["paid 50", "balance 50"]);
}

mod reference {
    use async_primer::{say, spawn};
    use std::cell::Cell;
    use std::rc::Rc;

    /// The fix: the withdrawal waits for the deposit's JoinHandle.
    pub async fn bank() {
        let balance = Rc::new(Cell::new(0));
        let b = balance.clone();
        let deposit = spawn(async move { b.set(b.get() + 100) });
        let b = balance.clone();
        let withdraw = spawn(async move {
            deposit.await.unwrap();
            match b.get() >= 50 {
                true => {
                    b.set(b.get() - 50);
                    say!("paid 50");
                }
                false => say!("declined"),
            }
        });
        withdraw.await.unwrap();
        say!("balance {}", balance.get());
    }
}

mod empty {
    use async_primer::{say, spawn};
    use std::cell::Cell;
    use std::rc::Rc;

    /// As handed out: correct only if `deposit` happens to run first.
    pub async fn bank() {
        let balance = Rc::new(Cell::new(0));
        let b = balance.clone();
        let deposit = spawn(async move { b.set(b.get() + 100) });
        let b = balance.clone();
        let withdraw = spawn(async move {
            match b.get() >= 50 {
                true => {
                    b.set(b.get() - 50);
                    say!("paid 50");
                }
                false => say!("declined"),
            }
        });
        let _ = (deposit.await, withdraw.await);
        say!("balance {}", balance.get());
    }
}

#[test]
fn fixed_bank_passes() {
    check(reference::bank);
}

#[test]
fn racy_bank_fails() {
    crate::assert_fails("7.1 fix the race", || check(empty::bank));
}
