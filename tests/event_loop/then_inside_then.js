// A then registered inside a reaction, on an already settled promise, is
// queued behind the reactions already waiting.
const p = Promise.resolve();
p.then(() => {
  console.log('a');
  p.then(() => console.log('c'));
}).then(() => console.log('d'));
p.then(() => console.log('b'));
