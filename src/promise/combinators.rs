//! `all`, `all_settled`, `any`, `race`: one promise from many (the table
//! is in the module docs of `promise`). Each is built from reactions
//! ([`Promise::react`]) that share a small state on the calling thread:
//! the results so far, how many are missing, and the resolver, taken by
//! whoever settles the combined promise. So each takes JavaScript's ticks:
//! it settles in the tick its deciding input's reaction runs.
//!
//! Why `race` of nothing rejects: JavaScript's `Promise.race([])` stays
//! pending forever, a silent hang this crate promises never to have.

use std::fmt::Debug;
use std::panic::Location;

use super::reaction::Local;
use super::{AggregateError, Promise, PromiseError, Resolver};

struct Gather<V, R> {
    slots: Vec<Option<V>>,
    missing: usize,
    resolver: Option<R>,
}

impl<V, R> Gather<V, R> {
    fn new(n: usize, resolver: R) -> Local<Self> {
        let slots = std::iter::repeat_with(|| None).take(n).collect();
        Local::new(std::cell::RefCell::new(Gather {
            slots,
            missing: n,
            resolver: Some(resolver),
        }))
    }

    /// Stores the `i`th result; returns them all once none is missing.
    fn put(&mut self, i: usize, v: V) -> Option<(Vec<V>, R)> {
        self.slots[i] = Some(v);
        self.missing -= 1;
        if self.missing > 0 {
            return None;
        }
        let all = self
            .slots
            .drain(..)
            .map(|v| v.expect("every slot filled"))
            .collect();
        self.resolver.take().map(|r| (all, r))
    }
}

impl<T, E> Promise<T, E>
where
    T: Clone + 'static,
    E: Clone + From<PromiseError> + Debug + 'static,
{
    /// Fulfils with every value, in input order, once all fulfilled;
    /// rejects with the first rejection (`Promise.all`).
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// async_primer::block_on(async {
    ///     let empty: Vec<Promise<u8>> = vec![];
    ///     assert_eq!(Promise::all(empty).await, Ok(vec![]));
    /// });
    /// ```
    #[track_caller]
    pub fn all(promises: impl IntoIterator<Item = Promise<T, E>>) -> Promise<Vec<T>, E> {
        let promises: Vec<_> = promises.into_iter().collect();
        let (all, resolver) = Promise::pending_at(Location::caller());
        if promises.is_empty() {
            resolver.resolve(Vec::new());
            return all;
        }
        let gather = Gather::new(promises.len(), resolver);
        for (i, p) in promises.iter().enumerate() {
            let gather = gather.clone();
            p.react("Promise::all", move |outcome| {
                let mut g = gather.borrow_mut();
                match outcome {
                    // A value: store it; the last one fulfils.
                    Ok(v) => {
                        if let Some((values, r)) = g.put(i, v) {
                            r.resolve(values)
                        }
                    }
                    // The first error rejects; later ones find no resolver.
                    Err(e) => {
                        if let Some(r) = g.resolver.take() {
                            r.reject(e)
                        }
                    }
                }
            });
        }
        all
    }

    /// Fulfils, once every input settled, with each outcome in input order;
    /// never rejects because an input did (`Promise.allSettled`).
    ///
    /// ```
    /// # use async_primer::promise::{Promise, PromiseError};
    /// async_primer::block_on(async {
    ///     let outcomes = Promise::all_settled([
    ///         Promise::<u8>::resolved(1),
    ///         Promise::rejected(PromiseError::from("no")),
    ///     ]);
    ///     assert_eq!(outcomes.await, Ok(vec![Ok(1), Err(PromiseError::from("no"))]));
    /// });
    /// ```
    #[track_caller]
    pub fn all_settled(
        promises: impl IntoIterator<Item = Promise<T, E>>,
    ) -> Promise<Vec<Result<T, E>>, E> {
        let promises: Vec<_> = promises.into_iter().collect();
        let (all, resolver) = Promise::pending_at(Location::caller());
        if promises.is_empty() {
            resolver.resolve(Vec::new());
            return all;
        }
        let gather = Gather::new(promises.len(), resolver);
        for (i, p) in promises.iter().enumerate() {
            let gather = gather.clone();
            p.react("Promise::all_settled", move |outcome| {
                let settled = gather.borrow_mut().put(i, outcome);
                if let Some((outcomes, r)) = settled {
                    r.resolve(outcomes)
                }
            });
        }
        all
    }

    /// Fulfils with the first value; if every input rejects, rejects with
    /// all their errors in input order (`Promise.any`).
    ///
    /// ```
    /// # use async_primer::promise::{AggregateError, Promise, PromiseError};
    /// async_primer::block_on(async {
    ///     let none: Vec<Promise<u8>> = vec![];
    ///     assert_eq!(Promise::any(none).await, Err(AggregateError { errors: vec![] }));
    /// });
    /// ```
    #[track_caller]
    pub fn any(promises: impl IntoIterator<Item = Promise<T, E>>) -> Promise<T, AggregateError<E>> {
        let promises: Vec<_> = promises.into_iter().collect();
        let (any, resolver): (_, Resolver<T, AggregateError<E>>) =
            Promise::pending_at(Location::caller());
        if promises.is_empty() {
            resolver.reject(AggregateError { errors: Vec::new() });
            return any;
        }
        let gather = Gather::new(promises.len(), resolver);
        for (i, p) in promises.iter().enumerate() {
            let gather = gather.clone();
            p.react("Promise::any", move |outcome| {
                let mut g = gather.borrow_mut();
                match outcome {
                    // The first value wins.
                    Ok(v) => {
                        if let Some(r) = g.resolver.take() {
                            r.resolve(v)
                        }
                    }
                    // An error: store it; the last one rejects with all.
                    Err(e) => {
                        if let Some((errors, r)) = g.put(i, e) {
                            r.reject(AggregateError { errors })
                        }
                    }
                }
            });
        }
        any
    }

    /// Settles like the first input to settle (`Promise.race`). Of no
    /// inputs, rejects with [`PromiseError::EmptyRace`] (not a hang).
    ///
    /// ```
    /// # use async_primer::promise::Promise;
    /// async_primer::block_on(async {
    ///     let (slow, _keep) = Promise::<u8>::with_resolvers();
    ///     assert_eq!(Promise::race([slow, Promise::resolved(2)]).await, Ok(2));
    /// });
    /// ```
    #[track_caller]
    pub fn race(promises: impl IntoIterator<Item = Promise<T, E>>) -> Promise<T, E> {
        let promises: Vec<_> = promises.into_iter().collect();
        let (race, resolver) = Promise::pending_at(Location::caller());
        if promises.is_empty() {
            resolver.reject(E::from(PromiseError::EmptyRace));
            return race;
        }
        let winner: Local<Option<Resolver<T, E>>> =
            Local::new(std::cell::RefCell::new(Some(resolver)));
        for p in &promises {
            let winner = winner.clone();
            p.react("Promise::race", move |outcome| {
                let r = winner.borrow_mut().take();
                if let Some(r) = r {
                    r.settle(outcome)
                }
            });
        }
        race
    }
}
