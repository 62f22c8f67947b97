//! Property tests: each combinator against a plain model under random ready
//! times and outcomes, and against the `futures` crate's equivalent as a
//! second opinion (join_all, try_join_all, select, race/select_all,
//! race_ok/select_ok). See src/future/.
//!
//! The test future `after(k, v)` is pending for `k` polls (waking itself
//! each time) and then ready with `v`. Under a driver that re-polls only
//! woken futures, child `i` finishes on the parent's poll number `k_i + 1`,
//! which is what the models below compute with.

mod common;
use common::{LIMIT, within};
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::task::Poll;

use async_primer::future::{
    Either, FutureExt, join, join_all, poll_fn, race, race_ok, ready, select, try_join_all,
};
use futures::executor::block_on;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 })
}

/// Pending for `k` polls (waking itself), then `Ready(value)`; counts polls.
fn after<T>(
    k: usize,
    value: T,
    polls: &Rc<Cell<usize>>,
) -> impl Future<Output = T> + Unpin + use<T> {
    let mut left = k;
    let mut value = Some(value);
    let polls = polls.clone();
    poll_fn(move |cx| {
        polls.set(polls.get() + 1);
        if left == 0 {
            return Poll::Ready(value.take().expect("polled after completion"));
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

fn delays() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..6, 0..40)
}

fn outcomes() -> impl Strategy<Value = Vec<(usize, Result<u32, u32>)>> {
    let outcome = prop_oneof![3 => any::<u32>().prop_map(Ok), 1 => any::<u32>().prop_map(Err)];
    prop::collection::vec((0usize..6, outcome), 0..30)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn join_all_matches_model_and_futures(ks in delays()) {
        within(LIMIT, move || -> Result<(), TestCaseError> {
            let polls = Rc::new(Cell::new(0));
            let ours = block_on(join_all(ks.iter().enumerate().map(|(i, &k)| after(k, i, &polls))));
            // Model: every output, in input order; each child polled k+1 times.
            prop_assert_eq!(&ours, &(0..ks.len()).collect::<Vec<_>>());
            prop_assert_eq!(polls.get(), ks.iter().map(|k| k + 1).sum::<usize>());
            let theirs = block_on(futures::future::join_all(
                ks.iter().enumerate().map(|(i, &k)| after(k, i, &polls)),
            ));
            prop_assert_eq!(ours, theirs);
            Ok(())
        })?;
    }

    #[test]
    fn try_join_all_matches_model_and_futures(os in outcomes()) {
        within(LIMIT, move || -> Result<(), TestCaseError> {
            let polls = Rc::new(Cell::new(0));
            let make = |polls: &Rc<Cell<usize>>| {
                os.iter().map(|(k, r)| after(*k, *r, polls)).collect::<Vec<_>>()
            };
            let ours = block_on(try_join_all(make(&polls)));
            // Model: all Ok -> the values in order; otherwise an error from the
            // children that fail earliest (ties: any of them).
            let first_fail = os.iter().filter(|(_, r)| r.is_err()).map(|(k, _)| *k).min();
            let check = |out: &Result<Vec<u32>, u32>| -> Result<(), TestCaseError> {
                match first_fail {
                    None => prop_assert_eq!(
                        out.clone(),
                        Ok(os.iter().map(|(_, r)| r.unwrap()).collect::<Vec<_>>())
                    ),
                    Some(k) => {
                        let e = out.clone().expect_err("some child fails");
                        prop_assert!(os.iter().any(|(kk, r)| *kk == k && *r == Err(e)));
                    }
                }
                Ok(())
            };
            check(&ours)?;
            // After the first error nobody is polled again: at most the polls
            // of a run that stops at round first_fail + 1.
            if let Some(k) = first_fail {
                let bound: usize = os.iter().map(|(kk, _)| (*kk).min(k) + 1).sum();
                prop_assert!(polls.get() <= bound);
            }
            let theirs = block_on(futures::future::try_join_all(make(&polls)));
            check(&theirs)?;
            Ok(())
        })?;
    }

    #[test]
    fn select_matches_model_and_futures(ka in 0usize..8, kb in 0usize..8) {
        within(LIMIT, move || -> Result<(), TestCaseError> {
            let polls = Rc::new(Cell::new(0));
            let ours = block_on(select(after(ka, 'a', &polls), after(kb, 'b', &polls)));
            let model_left = ka <= kb; // ties go to the first argument
            let (ours_left, loser_out) = match ours {
                Either::Left((out, rest)) => { prop_assert_eq!(out, 'a'); (true, block_on(rest)) }
                Either::Right((out, rest)) => { prop_assert_eq!(out, 'b'); (false, block_on(rest)) }
            };
            prop_assert_eq!(ours_left, model_left);
            prop_assert_eq!(loser_out, if ours_left { 'b' } else { 'a' });
            let theirs = block_on(futures::future::select(after(ka, 'a', &polls), after(kb, 'b', &polls)));
            prop_assert_eq!(matches!(theirs, futures::future::Either::Left(_)), model_left);
            Ok(())
        })?;
    }

    #[test]
    fn race_matches_model_and_select_all(ks in prop::collection::vec(0usize..8, 1..20)) {
        within(LIMIT, move || -> Result<(), TestCaseError> {
            let polls = Rc::new(Cell::new(0));
            let ours = block_on(race(ks.iter().enumerate().map(|(i, &k)| after(k, i, &polls))));
            let min = *ks.iter().min().unwrap();
            let model = ks.iter().position(|&k| k == min).unwrap(); // first among ties
            prop_assert_eq!(ours, model);
            let (theirs, idx, _rest) = block_on(futures::future::select_all(
                ks.iter().enumerate().map(|(i, &k)| after(k, i, &polls)),
            ));
            prop_assert_eq!(theirs, idx);
            prop_assert_eq!(theirs, model);
            Ok(())
        })?;
    }

    #[test]
    fn race_ok_matches_model_and_select_ok(os in outcomes()) {
        within(LIMIT, move || -> Result<(), TestCaseError> {
            let polls = Rc::new(Cell::new(0));
            let make = |polls: &Rc<Cell<usize>>| {
                os.iter().map(|(k, r)| after(*k, *r, polls)).collect::<Vec<_>>()
            };
            let ours = block_on(race_ok(make(&polls)));
            // Model: the earliest Ok (first index among the same round), else
            // every error in input order.
            let first_ok = os
                .iter()
                .filter(|(_, r)| r.is_ok())
                .min_by_key(|(k, _)| *k)
                .map(|(_, r)| r.unwrap());
            match first_ok {
                Some(v) => prop_assert_eq!(&ours, &Ok(v)),
                None => prop_assert_eq!(
                    &ours,
                    &Err(os.iter().map(|(_, r)| r.unwrap_err()).collect::<Vec<_>>())
                ),
            }
            // `select_ok` panics on empty input, returns only the last error,
            // and re-polls the others within the same poll when one fails (so
            // failures shift its timing): compare the all-Ok case only.
            if !os.is_empty() && os.iter().all(|(_, r)| r.is_ok()) {
                let (theirs, _rest) = block_on(futures::future::select_ok(make(&polls))).unwrap();
                prop_assert_eq!(ours, Ok(theirs));
            }
            Ok(())
        })?;
    }

    #[test]
    fn join_and_adapters_match_plain_functions(
        ka in 0usize..6, kb in 0usize..6, a in any::<i32>(), r in any::<Result<u8, u8>>()
    ) {
        within(LIMIT, move || -> Result<(), TestCaseError> {
            let polls = Rc::new(Cell::new(0));
            let (x, y) = block_on(join(after(ka, a, &polls), after(kb, r, &polls)));
            prop_assert_eq!((x, y), (a, r));
            prop_assert_eq!(polls.get(), ka + kb + 2);
            let mapped = block_on(after(ka, a, &polls).map(|v| v.wrapping_mul(3)));
            prop_assert_eq!(mapped, a.wrapping_mul(3));
            let chained = block_on(after(ka, r, &polls).and_then(|v| ready(Ok(v / 2))));
            prop_assert_eq!(chained, r.map(|v| v / 2));
            let recovered = block_on(after(kb, r, &polls).or_else(|e| ready(Ok::<u8, u8>(e ^ 1))));
            prop_assert_eq!(recovered, r.or_else(|e| Ok::<u8, u8>(e ^ 1)));
            let errs = block_on(after(kb, r, &polls).map_err(u16::from));
            prop_assert_eq!(errs, r.map_err(u16::from));
            Ok(())
        })?;
    }
}
