//! `weld completions SHELL` and `weld man`: scripts a shell loads and completes with, pages `man` renders.

use crate::util::{missing, on_path, weld, weld_bin};
use std::process::Command;

/// The subcommands every script and the manual must know.
const COMMANDS: &[&str] = &[
    "wit",
    "inspect",
    "validate",
    "compose",
    "targets",
    "run",
    "serve",
    "compile",
    "cache",
    "push",
    "pull",
    "sign",
    "verify",
    "key",
    "completions",
    "man",
];

#[test]
fn bash_loads_the_completion_script_and_completes_commands_and_subcommands() {
    let script = weld(["completions", "bash"]).ok();
    for command in COMMANDS {
        assert!(
            script.contains(command),
            "no `{command}` in the bash script"
        );
    }
    let complete = |words: &str, cword: usize| {
        let snippet = format!(
            "source <('{}' completions bash); COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _weld weld \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[@]}}\"",
            weld_bin().display()
        );
        let out = Command::new("bash")
            .args(["-c", &snippet])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(complete("weld ver", 1), "verify");
    assert!(
        complete("weld key ''", 2)
            .split(' ')
            .any(|w| w == "generate")
    );
    assert!(complete("weld push x --si", 3).contains("--sign"));
}

#[test]
fn zsh_fish_powershell_and_elvish_scripts_name_every_command() {
    for (shell, marker) in [
        ("zsh", "#compdef weld"),
        ("fish", "complete -c weld"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[weld]"),
    ] {
        let script = weld(["completions", shell]).ok();
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
    }
    assert_eq!(weld(["completions", "tcsh"]).code(), 2);
}

#[test]
fn man_prints_the_page_and_writes_one_per_command_that_man_renders() {
    let page = weld(["man"]).ok();
    assert!(
        page.contains(".TH weld 1") && page.contains("compose"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let said = weld(["man".as_ref(), "--out-dir".as_ref(), out.as_os_str()]).ok();
    assert!(said.contains("manual pages"), "{said}");
    for name in [
        "weld.1",
        "weld-compose.1",
        "weld-key-generate.1",
        "weld-cache-clean.1",
    ] {
        assert!(out.join(name).is_file(), "no {name}");
    }
    if on_path("man").is_none() {
        missing("`man` is not on the PATH (Debian package man-db)");
        return;
    }
    let rendered = Command::new("man")
        .arg("-l")
        .arg(out.join("weld-key-generate.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    assert!(
        text.contains("weld key generate") && text.contains("--no-password"),
        "{text}"
    );
}
