//! wasm-smith modules and components (valid by construction) through everything weld does with a binary.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let component = data.first().is_some_and(|b| b % 2 == 1);
    if let Some(bytes) = weld_tests::robust::smith(data, component) {
        weld_tests::robust::binary(&bytes);
    }
});
