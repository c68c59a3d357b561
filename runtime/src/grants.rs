//! What a guest may touch: directories, environment variables, the network and outgoing HTTP. Nothing is
//! granted by default; each grant is parsed from its flag here and turned into the WASI context.

use crate::error::RunError;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

/// Everything granted to one run.
#[derive(Clone, Debug, Default)]
pub struct Grants {
    /// Preopened directories.
    pub dirs: Vec<DirGrant>,
    /// Environment variables, in order (a later one with the same name wins).
    pub env: Vec<(String, String)>,
    /// Pass the whole host environment (before `env`).
    pub inherit_env: bool,
    /// Sockets and name lookups, when granted.
    pub net: Option<AddressRanges>,
    /// Outgoing HTTP requests, when granted.
    pub http: Option<HttpHosts>,
}

/// A grant that opens nothing for a component: it imports no interface of the WASI family the grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnusedGrant {
    /// Directories, for a component that imports no `wasi:filesystem` interface.
    Dirs,
    /// Environment variables, for a component that imports no `wasi:cli/environment`.
    Env,
    /// The network, for a component that imports no `wasi:sockets` interface.
    Net,
    /// Outgoing HTTP, for a component that imports no HTTP client interface (`wasi:http/outgoing-handler` in
    /// 0.2, `wasi:http/handler` or `wasi:http/client` in 0.3).
    Http,
}

impl UnusedGrant {
    /// The WASI interfaces that would use the grant, for messages: `wasi:filesystem/*`, `wasi:cli/environment`,
    /// `wasi:sockets/*`, or the HTTP client interfaces.
    pub fn family(self) -> &'static str {
        match self {
            UnusedGrant::Dirs => "wasi:filesystem/*",
            UnusedGrant::Env => "wasi:cli/environment",
            UnusedGrant::Net => "wasi:sockets/*",
            UnusedGrant::Http => "wasi:http/outgoing-handler, wasi:http/handler, wasi:http/client",
        }
    }

    /// Whether the import `name` uses this grant.
    fn used_by(self, name: &str) -> bool {
        let interface = name.split('@').next().unwrap_or(name);
        match self {
            UnusedGrant::Dirs => interface.starts_with("wasi:filesystem/"),
            UnusedGrant::Env => interface == "wasi:cli/environment",
            UnusedGrant::Net => interface.starts_with("wasi:sockets/"),
            UnusedGrant::Http => matches!(
                interface,
                "wasi:http/outgoing-handler" | "wasi:http/handler" | "wasi:http/client"
            ),
        }
    }
}

/// `--dir HOST[::GUEST][:ro]`: a host directory the guest sees at GUEST (by default the same path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest finds it.
    pub guest: String,
    /// Whether the guest may only read.
    pub read_only: bool,
}

impl Grants {
    /// The grants a component importing `imports` (their names) cannot use, in the order dirs, env, net, http:
    /// each is given, and the component imports no interface of its family. What it warns of: a `--dir` for a
    /// component that reads no files is a mistake or a stale script (the grant itself stays harmless).
    pub fn unused_by<'a>(
        &self,
        imports: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Vec<UnusedGrant> {
        [
            (!self.dirs.is_empty(), UnusedGrant::Dirs),
            (!self.env.is_empty() || self.inherit_env, UnusedGrant::Env),
            (self.net.is_some(), UnusedGrant::Net),
            (self.http.is_some(), UnusedGrant::Http),
        ]
        .into_iter()
        .filter(|&(given, grant)| {
            given && !imports.clone().into_iter().any(|name| grant.used_by(name))
        })
        .map(|(_, grant)| grant)
        .collect()
    }
}

/// The addresses `--allow-net` opens: all of them, or only these ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressRanges(Vec<IpNet>);

impl AddressRanges {
    /// Whether the guest may use `addr`.
    pub fn allows(&self, addr: IpAddr) -> bool {
        self.0.is_empty() || self.0.iter().any(|net| net.contains(&addr))
    }

    /// Whether the guest may use `addr` for `use_`: peers (connect, send, accept, receive) and explicit local
    /// binds must be in the ranges; binding the unspecified address, which the system does implicitly for
    /// every outgoing connection, is always allowed.
    fn allows_use(&self, addr: IpAddr, use_: SocketAddrUse) -> bool {
        let bind = matches!(
            use_,
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind | SocketAddrUse::TcpListen
        );
        (bind && addr.is_unspecified()) || self.allows(addr)
    }
}

impl std::fmt::Display for AddressRanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("any address");
        }
        let ranges: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&ranges.join(", "))
    }
}

impl FromStr for AddressRanges {
    type Err = String;

    /// A comma-separated list of CIDR ranges or addresses (`127.0.0.0/8,::1`); empty for every address.
    fn from_str(list: &str) -> Result<Self, String> {
        let ranges = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                let s = s.trim();
                IpNet::from_str(s)
                    .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
                    .map_err(|_| {
                        format!("`{s}` is not an address or a CIDR range (such as 10.0.0.0/8)")
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(AddressRanges(ranges))
    }
}

/// The hosts `--allow-http` opens: all of them, or only these (`host` or `host:port`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpHosts(Vec<(String, Option<u16>)>);

impl HttpHosts {
    /// Whether a request to `authority` (`host[:port]`) may go out; `default_port` applies when it names none.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.0.is_empty()
            || self
                .0
                .iter()
                .any(|(h, p)| h.eq_ignore_ascii_case(host) && p.is_none_or(|p| p == port))
    }
}

impl std::fmt::Display for HttpHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("any host");
        }
        let hosts: Vec<String> = self
            .0
            .iter()
            .map(|(host, port)| match port {
                Some(port) => format!("{host}:{port}"),
                None => host.clone(),
            })
            .collect();
        f.write_str(&hosts.join(", "))
    }
}

impl FromStr for HttpHosts {
    type Err = String;

    /// A comma-separated list of `host` or `host:port`; empty for every host.
    fn from_str(list: &str) -> Result<Self, String> {
        let hosts = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') || host.starts_with('[') => port
                    .parse()
                    .map(|port| (host.trim_matches(['[', ']']).to_owned(), Some(port)))
                    .map_err(|_| format!("`{s}`: `{port}` is not a port number")),
                _ => Ok((s.trim_matches(['[', ']']).to_owned(), None)),
            })
            .collect::<Result<_, _>>()?;
        Ok(HttpHosts(hosts))
    }
}

/// Where the guest's stdin, stdout and stderr go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stdio {
    /// weld's own.
    #[default]
    Inherit,
    /// Nowhere: stdin is empty, output is dropped (for embedding and benchmarks).
    Null,
}

/// The WASI context for one run: stdio as asked, `args` as the arguments (argv[0] first), clocks and random
/// provided, and only what `grants` opens.
pub fn wasi_ctx(grants: &Grants, args: &[String], stdio: Stdio) -> Result<WasiCtx, RunError> {
    let mut builder = wasi_builder(grants, args)?;
    if stdio == Stdio::Inherit {
        builder
            .inherit_stdin()
            .stdout(crate::stdio::GuestStdout)
            .inherit_stderr();
    }
    builder.allow_blocking_current_thread(true);
    Ok(builder.build())
}

/// A WASI context builder with `args` (argv\[0\] first), clocks and random, and only what `grants` opens; stdio
/// is the caller's to set (empty and discarded unless it does).
pub(crate) fn wasi_builder(grants: &Grants, args: &[String]) -> Result<WasiCtxBuilder, RunError> {
    let mut builder = WasiCtxBuilder::new();
    builder.args(args);
    if grants.inherit_env {
        builder.inherit_env();
    }
    builder.envs(&grants.env);
    for dir in &grants.dirs {
        let perms = if dir.read_only {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        builder
            .preopened_dir(&dir.host, &dir.guest, perms)
            .map_err(|e| RunError::Grant {
                host: dir.host.clone(),
                source: e.into(),
            })?;
    }
    if let Some(ranges) = &grants.net {
        let ranges = Arc::new(ranges.clone());
        builder
            .allow_tcp(true)
            .allow_udp(true)
            .allow_ip_name_lookup(true)
            .socket_addr_check(move |addr: SocketAddr, use_| {
                let allowed = ranges.allows_use(addr.ip(), use_);
                Box::pin(async move { allowed })
            });
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_the_component_cannot_use_is_named_and_one_it_can_is_not() {
        let grants = Grants {
            dirs: vec![DirGrant {
                host: ".".into(),
                guest: ".".into(),
                read_only: false,
            }],
            env: vec![("A".into(), "1".into())],
            inherit_env: false,
            net: None,
            http: Some(HttpHosts(Vec::new())),
        };
        let command = [
            "wasi:cli/environment@0.2.3",
            "wasi:filesystem/preopens@0.2.3",
        ];
        assert_eq!(grants.unused_by(command), [UnusedGrant::Http]);
        assert_eq!(
            grants.unused_by(["weld:x/y@1.0.0"]),
            [UnusedGrant::Dirs, UnusedGrant::Env, UnusedGrant::Http]
        );
        let p3 = [
            "wasi:http/handler@0.3.0",
            "wasi:cli/environment@0.3.0",
            "wasi:filesystem/types@0.3.0",
        ];
        assert!(grants.unused_by(p3).is_empty());
        assert!(Grants::default().unused_by(["weld:x/y"]).is_empty());
    }

    #[test]
    fn address_ranges() {
        let any = AddressRanges::from_str("").unwrap();
        assert!(any.allows("10.1.2.3".parse().unwrap()));
        let some = AddressRanges::from_str("127.0.0.0/8, ::1").unwrap();
        assert!(some.allows("127.0.0.1".parse().unwrap()));
        assert!(some.allows("::1".parse().unwrap()));
        assert!(!some.allows("10.0.0.1".parse().unwrap()));
        assert!(
            AddressRanges::from_str("localhost")
                .unwrap_err()
                .contains("CIDR")
        );
    }

    #[test]
    fn http_hosts() {
        let any = HttpHosts::from_str("").unwrap();
        assert!(any.allows("example.com", 443));
        let some = HttpHosts::from_str("Example.com,127.0.0.1:8080,[::1]:81").unwrap();
        assert!(some.allows("example.com", 80));
        assert!(some.allows("127.0.0.1", 8080));
        assert!(!some.allows("127.0.0.1", 8081));
        assert!(some.allows("::1", 81));
        assert!(!some.allows("evil.com", 80));
        assert!(HttpHosts::from_str("a:b").unwrap_err().contains("port"));
    }
}
