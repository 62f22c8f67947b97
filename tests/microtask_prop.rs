//! Property test: microtasks run in FIFO order under every seed.
//!
//! A random program: a few tasks, each polled a few times; every poll
//! queues a random forest of microtasks, some with `queue_microtask`, some
//! as promise reactions (`Promise::resolved(()).then(..)`, which queues one
//! reaction at once), and each microtask, when it runs, queues its
//! children the same way. Whatever the seed (which shuffles the tasks),
//!
//! * the microtasks queued by one poll all run right after that poll,
//!   before any other task is polled;
//! * they run in breadth-first order of the forest, which is exactly FIFO:
//!   a microtask's children join the back of the queue.

mod common;
use common::{LIMIT, within};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use async_primer::executor::Executor;
use async_primer::promise::Promise;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Node {
    via_promise: bool,
    children: Vec<Node>,
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = any::<bool>().prop_map(|via_promise| Node {
        via_promise,
        children: vec![],
    });
    leaf.prop_recursive(3, 16, 3, |inner| {
        (any::<bool>(), prop::collection::vec(inner, 0..3)).prop_map(|(via_promise, children)| {
            Node {
                via_promise,
                children,
            }
        })
    })
}

/// tasks[t][s]: the forest task `t` queues on its poll `s`.
fn program() -> impl Strategy<Value = Vec<Vec<Vec<Node>>>> {
    let (tasks, polls) = if cfg!(miri) { (2, 2) } else { (4, 4) };
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(node(), 0..3), 1..=polls),
        1..=tasks,
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Poll(usize, usize),
    Micro(u32),
}

type Log = Rc<RefCell<Vec<Event>>>;

/// Numbers the nodes of `forest` in breadth-first order, starting at `next`;
/// returns the numbered forest (id, node) as a tree of ids.
#[derive(Debug, Clone)]
struct Numbered {
    id: u32,
    via_promise: bool,
    children: Vec<Numbered>,
}

fn number(forest: &[Node], next: &mut u32) -> (Vec<Numbered>, Vec<u32>) {
    // Breadth-first: the ids in FIFO order are then 0, 1, 2, ...
    let mut order = Vec::new();
    let mut queue: VecDeque<(&Node, Vec<usize>)> = VecDeque::new();
    for (i, n) in forest.iter().enumerate() {
        queue.push_back((n, vec![i]));
    }
    let mut ids = Vec::new();
    while let Some((n, path)) = queue.pop_front() {
        ids.push((path.clone(), *next));
        order.push(*next);
        *next += 1;
        for (i, c) in n.children.iter().enumerate() {
            let mut p = path.clone();
            p.push(i);
            queue.push_back((c, p));
        }
    }
    fn build(nodes: &[Node], prefix: &[usize], ids: &[(Vec<usize>, u32)]) -> Vec<Numbered> {
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut path = prefix.to_vec();
                path.push(i);
                let id = ids.iter().find(|(p, _)| *p == path).unwrap().1;
                Numbered {
                    id,
                    via_promise: n.via_promise,
                    children: build(&n.children, &path, ids),
                }
            })
            .collect()
    }
    (build(forest, &[], &ids), order)
}

fn queue(node: Numbered, log: Log) {
    let run = move || {
        log.borrow_mut().push(Event::Micro(node.id));
        for child in node.children {
            queue(child, log.clone());
        }
    };
    if node.via_promise {
        let _ = Promise::<()>::resolved(()).then(move |()| run());
    } else {
        async_primer::queue_microtask(run);
    }
}

/// [`run_unbounded`] under `within` (tests/common): a lost wake-up fails
/// the case instead of hanging the binary.
fn run(program: &[Vec<Vec<Node>>], seed: Option<u64>) -> Result<(), TestCaseError> {
    let program = program.to_vec();
    within(LIMIT, move || run_unbounded(&program, seed))
}

fn run_unbounded(program: &[Vec<Vec<Node>>], seed: Option<u64>) -> Result<(), TestCaseError> {
    let mut next = 0;
    let mut expected = Vec::new();
    let mut numbered = Vec::new();
    for (t, polls) in program.iter().enumerate() {
        let mut task = Vec::new();
        for (s, forest) in polls.iter().enumerate() {
            let (forest, order) = number(forest, &mut next);
            expected.push(((t, s), order));
            task.push(forest);
        }
        numbered.push(task);
    }
    let log: Log = Rc::default();
    let mut builder = Executor::builder();
    if let Some(seed) = seed {
        builder = builder.seed(seed);
    }
    let l = log.clone();
    builder.build().block_on(async move {
        let handles: Vec<_> = numbered
            .into_iter()
            .enumerate()
            .map(|(t, polls)| {
                let log = l.clone();
                async_primer::spawn(async move {
                    for (s, forest) in polls.into_iter().enumerate() {
                        log.borrow_mut().push(Event::Poll(t, s));
                        for n in forest {
                            queue(n, log.clone());
                        }
                        async_primer::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    // Cut the log at each poll; each piece is that poll's FIFO order.
    let log = log.borrow();
    let mut pieces = Vec::new();
    for event in log.iter() {
        match event {
            Event::Poll(t, s) => pieces.push(((*t, *s), Vec::new())),
            Event::Micro(id) => pieces
                .last_mut()
                .expect("a microtask before any poll")
                .1
                .push(*id),
        }
    }
    pieces.sort_by_key(|(k, _)| *k);
    prop_assert_eq!(pieces, expected, "seed {:?}", seed);
    Ok(())
}

proptest! {
    #[test]
    fn microtasks_run_fifo_right_after_their_poll_under_every_seed(
        program in program(),
        seed in any::<u64>(),
    ) {
        run(&program, None)?;
        run(&program, Some(seed))?;
    }
}
