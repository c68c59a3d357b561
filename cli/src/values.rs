//! clap's value parsers for weld's flags: sizes, durations, directory grants, environment variables. The syntax is
//! the CLI's; the libraries take the values (bytes, `Duration`s, `DirGrant`s).

use std::time::Duration;
use weld_runtime::DirGrant;

/// `--max-memory`: a byte count with an optional unit: `B`, `K`/`KB`/`KiB`, `M`/`MB`/`MiB`, `G`/`GB`/`GiB`
/// (all binary: 1K = 1024 bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (such as 64MiB or 1G)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "`{unit}` is not a size unit (use B, KiB, MiB or GiB)"
            ));
        }
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A duration such as `500ms`, `2s` or `1m30s`, longer than zero (`--timeout`, `--drain-timeout`,
/// `weld cache clean --older-than`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("it must be longer than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!("`{text}`: {e} (use e.g. 500ms, 2s or 1m30s)")),
    }
}

/// `--dir HOST[::GUEST][:ro]`: a host directory, where the guest sees it (the same path by default), and whether
/// it is read-only. `::ro` names a guest path `ro`; only a trailing `:ro` after the host or guest means read-only.
pub fn dir_grant(spec: &str) -> Result<DirGrant, String> {
    let (spec, read_only) = match spec.strip_suffix(":ro") {
        Some(rest) if !rest.ends_with(':') => (rest, true),
        _ => (spec, false),
    };
    let (host, guest) = match spec.split_once("::") {
        Some((host, guest)) => (host, guest),
        None => (spec, spec),
    };
    if host.is_empty() || guest.is_empty() {
        return Err(format!("`{spec}`: expected HOST[::GUEST][:ro]"));
    }
    Ok(DirGrant {
        host: host.into(),
        guest: guest.into(),
        read_only,
    })
}

/// `--env NAME=VALUE`, or `--env NAME` for the host's value.
pub fn parse_env(spec: &str) -> Result<(String, String), String> {
    match spec.split_once('=') {
        Some(("", _)) => Err(format!("`{spec}`: the variable has no name")),
        Some((name, value)) => Ok((name.into(), value.into())),
        None => match std::env::var(spec) {
            Ok(value) => Ok((spec.into(), value)),
            Err(_) => Err(format!(
                "`{spec}` is not set on the host (give it a value: --env {spec}=VALUE)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("16m"), Ok(16 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64 KiB"), Ok(64 << 10));
        assert!(parse_size("16 parsecs").unwrap_err().contains("size unit"));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(
            parse_size("99999999999999G")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").unwrap_err().contains("500ms"));
    }

    #[test]
    fn dir_specs() {
        let d = |s: &str| dir_grant(s).unwrap();
        assert_eq!(
            d("data"),
            DirGrant {
                host: "data".into(),
                guest: "data".into(),
                read_only: false
            }
        );
        assert_eq!(
            d("data::/srv"),
            DirGrant {
                host: "data".into(),
                guest: "/srv".into(),
                read_only: false
            }
        );
        assert_eq!(
            d("data::/srv:ro"),
            DirGrant {
                host: "data".into(),
                guest: "/srv".into(),
                read_only: true
            }
        );
        assert_eq!(
            d("data:ro"),
            DirGrant {
                host: "data".into(),
                guest: "data".into(),
                read_only: true
            }
        );
        // `::ro` names the guest path `ro`, it does not mean read-only.
        assert_eq!(
            d("data::ro"),
            DirGrant {
                host: "data".into(),
                guest: "ro".into(),
                read_only: false
            }
        );
        assert!(dir_grant("::/srv").is_err());
    }

    #[test]
    fn env_specs() {
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert_eq!(parse_env("A=").unwrap(), ("A".into(), String::new()));
        assert!(parse_env("=x").is_err());
        assert!(
            parse_env("WELD_SURELY_UNSET_VARIABLE")
                .unwrap_err()
                .contains("not set on the host")
        );
    }
}
