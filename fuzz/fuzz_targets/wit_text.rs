//! Any text as a `.wit` file.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        weld_tests::robust::wit_text(text);
    }
});
