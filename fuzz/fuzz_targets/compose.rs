//! Two inputs, split where the first byte says, as a root and a plug for the compose engine.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((&at, rest)) = data.split_first() {
        let (root, plug) = rest.split_at(at as usize * rest.len() / 255);
        weld_tests::robust::compose(root, plug);
    }
});
