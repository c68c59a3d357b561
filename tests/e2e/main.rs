//! End-to-end tests: the real `weld` binary over real fixtures. One binary, one module per command.

mod bad_input;
mod compose;
mod inspect;
mod run;
mod validate;
mod wit;
