//! End-to-end tests: the real `weld` binary over real fixtures. One binary, one module per command.

mod bad_input;
mod compose;
mod disk;
mod hostile;
mod inspect;
mod interop;
mod registry;
mod run;
mod validate;
mod wit;
