//! Benchmarks of the simulated API server (filled in below).

fn main() {}
