//! Tier-up: the background `weld cache fill` process that compiles a component's Cranelift code into the cache
//! while a run goes on with Winch's (`--compiler auto`). The run starts it; `weld cache fill` is what it runs.

use std::path::Path;
use weld_runtime::EngineSettings;

/// Starts `weld cache fill` for `component` in the background, detached (its own process group, no stdio), so it
/// outlives the run that starts it and a Ctrl-C of that run does not stop it. Returns its process id.
pub fn spawn_fill(component: &Path, settings: EngineSettings) -> std::io::Result<u32> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["cache", "fill"])
        .arg(std::path::absolute(component)?)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if settings.fuel {
        cmd.arg("--fuel");
    }
    if settings.interruptible {
        cmd.arg("--interruptible");
    }
    let mut child = cmd.spawn()?;
    let id = child.id();
    // Reaped by a thread, so a long-lived weld leaves no zombie behind.
    std::thread::spawn(move || child.wait());
    Ok(id)
}
