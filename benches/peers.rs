//! Side-by-side benchmarks against the executors people would pick instead
//! (being written).
fn main() {}
