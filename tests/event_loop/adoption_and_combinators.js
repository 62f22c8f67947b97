// Our own: resolving with a promise, race, any and allSettled against a
// plain chain, and timers in deadline order around them.
setTimeout(() => console.log('timer 10'), 10);
setTimeout(() => console.log('timer 5'), 5);
let resolveOuter;
const outer = new Promise((resolve) => { resolveOuter = resolve; });
outer.then((v) => console.log('outer ' + v));
resolveOuter(Promise.resolve('inner'));
Promise.race([Promise.resolve('race')]).then((v) => console.log(v));
Promise.any([Promise.reject(new Error('no')), Promise.resolve('any')])
  .then((v) => console.log(v));
Promise.allSettled([Promise.resolve(1), Promise.reject(new Error('e'))])
  .then((r) => console.log('allSettled ' + r.length));
Promise.resolve()
  .then(() => console.log('t1'))
  .then(() => console.log('t2'))
  .then(() => console.log('t3'))
  .then(() => console.log('t4'));
console.log('sync');
