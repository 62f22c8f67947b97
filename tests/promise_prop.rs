//! proptest: `Promise::all`, `all_settled`, `any` and `race` against a
//! plain model, with random outcomes, a random settle order, and some
//! inputs already settled before the combinator is called.
//!
//! The model: the inputs "settle" in a sequence (the already settled ones
//! first, in input order, then the others in the drawn order, one at a
//! time with the executor running in between). Then
//! * `all`: the first rejection in that sequence, else every value in
//!   input order;
//! * `all_settled`: every outcome, in input order;
//! * `any`: the first fulfilment in the sequence, else every error in
//!   input order;
//! * `race`: the first outcome in the sequence (`EmptyRace` if none).

use async_primer::promise::{AggregateError, Promise, PromiseError};
use proptest::prelude::*;

type Outcome = Result<u8, PromiseError>;

#[derive(Debug, Clone)]
struct Case {
    outcomes: Vec<Outcome>,
    pre_settled: Vec<bool>,
    /// A permutation of the inputs that are not pre-settled, by index.
    order: Vec<usize>,
}

fn case() -> impl Strategy<Value = Case> {
    let outcome = prop_oneof![
        any::<u8>().prop_map(Ok),
        (0u8..4).prop_map(|e| Err(PromiseError::from(format!("e{e}")))),
    ];
    prop::collection::vec((outcome, any::<bool>()), 0..7).prop_flat_map(|inputs| {
        let (outcomes, pre_settled): (Vec<_>, Vec<_>) = inputs.into_iter().unzip();
        let later: Vec<usize> = (0..outcomes.len()).filter(|&i| !pre_settled[i]).collect();
        Just(later).prop_shuffle().prop_map(move |order| Case {
            outcomes: outcomes.clone(),
            pre_settled: pre_settled.clone(),
            order,
        })
    })
}

impl Case {
    /// The order the inputs settle in, as the model sees it.
    fn sequence(&self) -> Vec<usize> {
        let pre = (0..self.outcomes.len()).filter(|&i| self.pre_settled[i]);
        pre.chain(self.order.iter().copied()).collect()
    }

    /// Builds the inputs, calls `combine` on them, settles the rest in
    /// order, and returns what the combined promise settled with.
    fn run<T: Clone + 'static>(
        &self,
        combine: impl FnOnce(Vec<Promise<u8>>) -> Promise<T, PromiseError>,
    ) -> Result<T, PromiseError> {
        async_primer::block_on(async {
            let mut resolvers = Vec::new();
            let inputs: Vec<Promise<u8>> = self
                .outcomes
                .iter()
                .zip(&self.pre_settled)
                .map(|(outcome, &pre)| {
                    let (p, r) = Promise::with_resolvers();
                    if pre {
                        r.settle(outcome.clone());
                        resolvers.push(None);
                    } else {
                        resolvers.push(Some(r));
                    }
                    p
                })
                .collect();
            let combined = combine(inputs);
            // Enough turns for every queued reaction task to be polled,
            // whatever the executor's queue discipline.
            let turns = 2 * self.outcomes.len() + 4;
            for _ in 0..turns {
                async_primer::yield_now().await; // pre-settled reactions run
            }
            for &i in &self.order {
                let r: async_primer::promise::Resolver<u8> = resolvers[i].take().unwrap();
                r.settle(self.outcomes[i].clone());
                for _ in 0..turns {
                    async_primer::yield_now().await; // its reaction runs
                }
            }
            combined.await
        })
    }
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 })
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn all_matches_the_model(case in case()) {
        let got = case.run(Promise::all);
        let first_err = case.sequence().into_iter().find_map(|i| case.outcomes[i].clone().err());
        let expected = match first_err {
            Some(e) => Err(e),
            None => Ok(case.outcomes.iter().map(|o| *o.as_ref().unwrap()).collect::<Vec<_>>()),
        };
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn all_settled_matches_the_model(case in case()) {
        let got = case.run(Promise::all_settled);
        prop_assert_eq!(got, Ok(case.outcomes.clone()));
    }

    #[test]
    fn any_matches_the_model(case in case()) {
        let got = case.run(|inputs| Promise::any(inputs).catch(|agg: AggregateError<PromiseError>| {
            // Flatten the aggregate into one comparable error for the model.
            let names: Vec<String> = agg.errors.iter().map(|e| e.to_string()).collect();
            Err(PromiseError::from(names.join("|")))
        }));
        let first_ok = case.sequence().into_iter().find_map(|i| case.outcomes[i].clone().ok());
        let expected = match first_ok {
            Some(v) => Ok(v),
            None => {
                let names: Vec<String> =
                    case.outcomes.iter().map(|o| o.clone().unwrap_err().to_string()).collect();
                Err(PromiseError::from(names.join("|")))
            }
        };
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn race_matches_the_model(case in case()) {
        let got = case.run(Promise::race);
        let expected = match case.sequence().first() {
            Some(&i) => case.outcomes[i].clone(),
            None => Err(PromiseError::EmptyRace),
        };
        prop_assert_eq!(got, expected);
    }
}
