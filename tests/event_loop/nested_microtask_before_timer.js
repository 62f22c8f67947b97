// A microtask that queues a microtask: the new one runs in the same drain,
// still before the timer.
setTimeout(() => console.log('timeout'), 0);
queueMicrotask(() => {
  console.log('micro 1');
  queueMicrotask(() => {
    console.log('micro 2');
    queueMicrotask(() => console.log('micro 3'));
  });
});
console.log('sync');
