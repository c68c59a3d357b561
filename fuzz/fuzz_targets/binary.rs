//! Any bytes as a file weld reads: validate, inspect, WIT.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weld_tests::robust::binary(data));
