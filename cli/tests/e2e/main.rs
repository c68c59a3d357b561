//! End-to-end tests: the real `weld` binary (the one cargo built for these tests) over real fixtures and real
//! servers. One test binary, one module per command or concern.

mod bad_input;
mod cli_output;
mod completions;
mod compose;
mod disk;
mod hostile;
mod inspect;
mod interop;
mod interop_p3;
mod json;
mod layout;
mod lock;
mod registry;
mod run;
mod serve;
mod signing;
mod targets;
mod tiers;
mod util;
mod validate;
mod virt;
mod wasi_p3;
mod wit;
