// Promise.all settles one tick after its last input's reaction; finally
// adopts an inner promise, so what follows it waits three ticks more.
Promise.all([Promise.resolve(1), Promise.resolve(2)])
  .then((v) => console.log('all ' + v.join(',')));
Promise.resolve('f')
  .finally(() => console.log('finally'))
  .then((v) => console.log('after finally ' + v));
Promise.resolve()
  .then(() => console.log('p1'))
  .then(() => console.log('p2'))
  .then(() => console.log('p3'))
  .then(() => console.log('p4'))
  .then(() => console.log('p5'));
