// A rejection skips a then (one tick), a catch recovers (one tick): the
// two chains take turns.
Promise.reject(new Error('x'))
  .then(() => console.log('skipped'))
  .catch(() => console.log('catch 1'))
  .then(() => console.log('after catch'));
Promise.resolve()
  .then(() => console.log('plain 1'))
  .then(() => console.log('plain 2'))
  .then(() => console.log('plain 3'));
