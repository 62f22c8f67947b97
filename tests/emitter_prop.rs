//! Property test: random sequences of `on` / `once` / `prepend` /
//! `prepend_once` / `off` / `emit`, including listeners that themselves
//! call `on`, `off` and `emit` on the same emitter (nesting bounded), run
//! against `EventEmitter` and against a plain model of Node's rules. Both
//! write a log of who ran with which event, what each `emit` returned and
//! what each `off` returned; the logs must be identical.
//!
//! The model is Node's algorithm written as simply as possible: the
//! listener list is a `Vec` of indices; `emit` copies it (the snapshot),
//! and a `once` listener is a record with a `fired` flag that is set, and
//! the listener removed, just before it is called (Node's `onceWrapper`).

use async_primer::callback::{EventEmitter, ListenerId};
use proptest::prelude::*;
use std::sync::{Arc, Mutex, Weak};

/// Events nested deeper than this do not emit again.
const MAX_DEPTH: u32 = 1;

/// What a listener does when called, besides being logged.
#[derive(Debug, Clone, Copy)]
enum Action {
    Nothing,
    /// Adds a do-nothing listener (on / prepend / once).
    Add(Kind),
    /// Removes the listener created `n`-th (modulo how many exist).
    Off(usize),
    /// Emits `event + 1` if `event < MAX_DEPTH`.
    Emit,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    On,
    Once,
    Prepend,
    PrependOnce,
}

impl Kind {
    fn once(self) -> bool {
        matches!(self, Kind::Once | Kind::PrependOnce)
    }
    fn prepend(self) -> bool {
        matches!(self, Kind::Prepend | Kind::PrependOnce)
    }
}

/// A top-level step of the test.
#[derive(Debug, Clone, Copy)]
enum Step {
    Add(Kind, Action),
    Off(usize),
    Emit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Ran { listener: usize, event: u32 },
    Emitted { event: u32, ran: usize },
    Off { listener: usize, removed: bool },
}

// ---- the real emitter ---------------------------------------------------

#[derive(Clone)]
struct Real {
    emitter: Weak<EventEmitter<u32>>,
    ids: Arc<Mutex<Vec<ListenerId>>>,
    log: Arc<Mutex<Vec<Entry>>>,
}

impl Real {
    fn add(&self, kind: Kind, action: Action) {
        let emitter = self.emitter.upgrade().unwrap();
        let index = self.ids.lock().unwrap().len();
        let me = self.clone();
        let listener = move |event: &u32| {
            me.log.lock().unwrap().push(Entry::Ran {
                listener: index,
                event: *event,
            });
            me.perform(action, *event);
        };
        let id = match kind {
            Kind::On => emitter.on(listener),
            Kind::Once => emitter.once(listener),
            Kind::Prepend => emitter.prepend(listener),
            Kind::PrependOnce => emitter.prepend_once(listener),
        };
        self.ids.lock().unwrap().push(id);
    }

    fn off(&self, n: usize) {
        let target = {
            let ids = self.ids.lock().unwrap();
            if ids.is_empty() {
                return;
            }
            (n % ids.len(), ids[n % ids.len()])
        };
        let removed = self.emitter.upgrade().unwrap().off(target.1);
        self.log.lock().unwrap().push(Entry::Off {
            listener: target.0,
            removed,
        });
    }

    fn emit(&self, event: u32) {
        let ran = self.emitter.upgrade().unwrap().emit(event);
        self.log.lock().unwrap().push(Entry::Emitted { event, ran });
    }

    fn perform(&self, action: Action, event: u32) {
        match action {
            Action::Nothing => {}
            Action::Add(kind) => self.add(kind, Action::Nothing),
            Action::Off(n) => self.off(n),
            Action::Emit if event < MAX_DEPTH => self.emit(event + 1),
            Action::Emit => {}
        }
    }
}

// ---- the model ----------------------------------------------------------

struct Record {
    once: bool,
    fired: bool,
    action: Action,
}

#[derive(Default)]
struct Model {
    records: Vec<Record>,
    live: Vec<usize>,
    log: Vec<Entry>,
}

impl Model {
    fn add(&mut self, kind: Kind, action: Action) {
        let index = self.records.len();
        self.records.push(Record {
            once: kind.once(),
            fired: false,
            action,
        });
        if kind.prepend() {
            self.live.insert(0, index);
        } else {
            self.live.push(index);
        }
    }

    fn remove(&mut self, index: usize) -> bool {
        match self.live.iter().position(|&i| i == index) {
            Some(position) => {
                self.live.remove(position);
                true
            }
            None => false,
        }
    }

    fn off(&mut self, n: usize) {
        if self.records.is_empty() {
            return;
        }
        let listener = n % self.records.len();
        let removed = self.remove(listener);
        self.log.push(Entry::Off { listener, removed });
    }

    fn emit(&mut self, event: u32) {
        let snapshot = self.live.clone();
        let mut ran = 0;
        for index in snapshot {
            if self.records[index].once {
                if self.records[index].fired {
                    continue;
                }
                self.records[index].fired = true;
                self.remove(index);
            }
            ran += 1;
            self.log.push(Entry::Ran {
                listener: index,
                event,
            });
            let action = self.records[index].action;
            self.perform(action, event);
        }
        self.log.push(Entry::Emitted { event, ran });
    }

    fn perform(&mut self, action: Action, event: u32) {
        match action {
            Action::Nothing => {}
            Action::Add(kind) => self.add(kind, Action::Nothing),
            Action::Off(n) => self.off(n),
            Action::Emit if event < MAX_DEPTH => self.emit(event + 1),
            Action::Emit => {}
        }
    }
}

// ---- strategies and the property ----------------------------------------

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::On),
        Just(Kind::Once),
        Just(Kind::Prepend),
        Just(Kind::PrependOnce)
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => Just(Action::Nothing),
        1 => kind().prop_map(Action::Add),
        1 => (0..8usize).prop_map(Action::Off),
        1 => Just(Action::Emit),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (kind(), action()).prop_map(|(k, a)| Step::Add(k, a)),
        1 => (0..8usize).prop_map(Step::Off),
        2 => Just(Step::Emit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    #[test]
    fn emitter_follows_nodes_rules(
        steps in prop::collection::vec(step(), 1..if cfg!(miri) { 8 } else { 24 })
    ) {
        let emitter = Arc::new(EventEmitter::<u32>::new());
        emitter.set_max_listeners(0); // no leak warnings in this test
        let real = Real {
            emitter: Arc::downgrade(&emitter),
            ids: Arc::default(),
            log: Arc::default(),
        };
        let mut model = Model::default();
        // Always finish with an emit, so the final list order is observed.
        for step in steps.iter().copied().chain([Step::Emit]) {
            match step {
                Step::Add(kind, action) => {
                    real.add(kind, action);
                    model.add(kind, action);
                }
                Step::Off(n) => {
                    real.off(n);
                    model.off(n);
                }
                Step::Emit => {
                    real.emit(0);
                    model.emit(0);
                }
            }
            prop_assert_eq!(emitter.listener_count(), model.live.len());
        }
        let real_log = real.log.lock().unwrap().clone();
        prop_assert_eq!(real_log, model.log);
    }
}
