// Node's native promises, for the `promise_vs_node` rows of benches/peers
// (benches/peers/micro.rs runs this with `node micro.js <workload> <n>`).
// Prints nanoseconds per operation. The same work as the Rust closures:
//   chain:    build an n-long then chain on a pending promise, resolve the
//             head, await the tail (ns per link);
//   roundtrip: n times: create a promise, resolve it, await it.
'use strict';

async function chain(n) {
  const t0 = process.hrtime.bigint();
  let resolve;
  const first = new Promise((r) => { resolve = r; });
  let last = first;
  for (let i = 0; i < n; i++) last = last.then((v) => v + 1);
  resolve(0);
  const v = await last;
  const ns = Number(process.hrtime.bigint() - t0);
  if (v !== n) throw new Error('the chain lost a link');
  return ns / n;
}

async function roundtrip(n) {
  const t0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let resolve;
    const p = new Promise((r) => { resolve = r; });
    resolve(i);
    sum += await p;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (sum !== (n * (n - 1)) / 2) throw new Error('a value went missing');
  return ns / n;
}

(async () => {
  const [workload, arg] = process.argv.slice(2);
  const n = Number(arg);
  const run = workload === 'chain' ? chain : roundtrip;
  await run(Math.max(1, n / 10)); // warm up the JIT
  console.log((await run(n)).toFixed(2));
})();
