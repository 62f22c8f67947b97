//! Promise rows against the runtime the promise semantics come from: Node's
//! native promises, measured in the same run (issue 10). Each round of the
//! `node` contender starts `node benches/peers/micro.js`, which times the
//! same work in-process (after a JIT warm-up) and prints ns per operation;
//! process start-up is not counted. Without `node` on PATH the Node rows
//! are skipped, and a note says so. Target: ours at most 0.5 of Node.
//!
//! ```text
//! cargo bench --bench peers -- promise_vs_node
//! ```

use std::hint::black_box;
use std::process::Command;

use async_primer::executor::Executor;
use async_primer::promise::Promise;

use super::{Bench, Contender, ours, peer, per_op};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/micro.js");

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Node contender: runs `micro.js <workload> <n>`, returns its ns/op.
fn node<'a>(workload: &'static str, n: usize) -> Contender<'a> {
    peer("node (native promises)", move || {
        let out = Command::new("node")
            .arg(SCRIPT)
            .arg(workload)
            .arg(n.to_string())
            .output()
            .expect("node ran before");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("micro.js prints ns per op")
    })
}

/// `promise_vs_node_then_chain` (ns per link of a 1,000,000-long chain) and
/// `promise_vs_node_resolve_await` (create, resolve, await; ns per promise).
pub(crate) fn workloads(b: &mut Bench) {
    let has_node = node_available();
    if !has_node {
        b.note("promise_vs_node_*: node is not on PATH, the Node rows were skipped");
    }
    let links = b.scaled(1_000_000);
    let mut contenders = vec![ours(move || {
        let ex = Executor::new();
        per_op(links, || {
            let last = ex.block_on(async {
                let (first, resolver) = Promise::<usize>::with_resolvers();
                let mut last = first;
                for _ in 0..links {
                    last = last.then(|v| v + 1);
                }
                resolver.resolve(0);
                last.await.expect("fulfilled")
            });
            assert_eq!(last, links, "the chain lost a link");
        })
    })];
    if has_node {
        contenders.push(node("chain", links));
    }
    b.run("promise_vs_node_then_chain", contenders);

    let n = b.scaled(1_000_000);
    let mut contenders = vec![ours(move || {
        let ex = Executor::new();
        per_op(n, || {
            ex.block_on(async {
                for i in 0..n {
                    let (promise, resolver) = Promise::<usize>::with_resolvers();
                    resolver.resolve(i);
                    black_box(promise.await.expect("fulfilled"));
                }
            })
        })
    })];
    if has_node {
        contenders.push(node("roundtrip", n));
    }
    b.run("promise_vs_node_resolve_await", contenders);
}
