//! The hosts file (`/etc/hosts`): the oldest name service, a text file.
//!
//! ```text
//! # address      canonical name     aliases...
//! 127.0.0.1      localhost
//! 192.0.2.10     www.example.test   www
//! ::1            localhost ip6-localhost
//! ```
//!
//! `#` starts a comment; fields are separated by spaces or tabs; names
//! match without regard to case. A line that does not make sense is
//! skipped with a warning, never fatal: one typo must not hide every other
//! name.

use std::net::IpAddr;

/// One line: an address and its names (the first is the canonical one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The address of the line.
    pub addr: IpAddr,
    /// Its names, in the order of the line: at least one.
    pub names: Vec<String>,
}

/// What `gethostbyname_ex` and `gethostbyaddr` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    /// The host's official name.
    pub canonical: String,
    /// Its other names, without repeats.
    pub aliases: Vec<String>,
    /// Its addresses, in file order, without repeats.
    pub addrs: Vec<IpAddr>,
}

/// A parsed hosts file, and what was wrong with it.
#[derive(Clone, Debug, Default)]
pub struct Hosts {
    /// The lines that make sense, in file order.
    pub entries: Vec<Entry>,
    /// One line per skipped line: `line 7: "300.1.1.1" is not an address`.
    pub warnings: Vec<String>,
}

impl Hosts {
    /// Reads a hosts file. It never fails: a line that does not make sense
    /// is skipped and noted in `warnings`, so that one typo does not hide
    /// every other name.
    pub fn parse(text: &str) -> Hosts {
        let mut hosts = Hosts::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default();
            let mut fields = line.split_ascii_whitespace();
            let Some(first) = fields.next() else {
                continue; // blank, or only a comment
            };
            let names: Vec<String> = fields.map(str::to_string).collect();
            // The strict parser: a hosts file has no business with 127.1.
            let Ok(addr) = first.parse::<IpAddr>() else {
                hosts
                    .warnings
                    .push(format!("line {}: {first:?} is not an address", number + 1));
                continue;
            };
            if names.is_empty() {
                hosts
                    .warnings
                    .push(format!("line {}: {addr} has no name", number + 1));
                continue;
            }
            hosts.entries.push(Entry { addr, names });
        }
        hosts
    }

    /// As `gethostbyname_ex` (IPv4 only, as it is): the canonical name is
    /// the first name of the first line that names `name`; the aliases are
    /// every other name of every such line; the addresses, every such
    /// line's, in file order.
    pub fn by_name(&self, name: &str) -> Option<HostInfo> {
        let lines: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.addr.is_ipv4() && e.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .collect();
        let canonical = lines.first()?.names[0].clone();
        let mut aliases: Vec<String> = Vec::new();
        let mut addrs: Vec<IpAddr> = Vec::new();
        for entry in lines {
            for n in &entry.names {
                let known = n.eq_ignore_ascii_case(&canonical)
                    || aliases.iter().any(|a| a.eq_ignore_ascii_case(n));
                if !known {
                    aliases.push(n.clone());
                }
            }
            if !addrs.contains(&entry.addr) {
                addrs.push(entry.addr);
            }
        }
        Some(HostInfo {
            canonical,
            aliases,
            addrs,
        })
    }

    /// As `gethostbyaddr`: the first line with this address (IPv4 or IPv6).
    pub fn by_addr(&self, addr: IpAddr) -> Option<HostInfo> {
        let entry = self.entries.iter().find(|e| e.addr == addr)?;
        Some(HostInfo {
            canonical: entry.names[0].clone(),
            aliases: entry.names[1..].to_vec(),
            addrs: vec![addr],
        })
    }
}

/// What `getservbyname` and `getservbyport` answer: one line of the
/// services file (`/etc/services`): `http 80/tcp www`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The official name.
    pub name: String,
    /// The port.
    pub port: u16,
    /// The protocol: `tcp` or `udp`.
    pub proto: String,
    /// Its other names.
    pub aliases: Vec<String>,
}

/// Looks a service up in the text of a services file, as
/// `getservbyname` (by name or alias) or `getservbyport` (when `key` is a
/// number) do: the first line that matches, for `proto` if one is given.
/// glibc compares service names and protocols exactly (`strcmp`), case
/// included. Lines that do not read as `NAME PORT/PROTO [ALIAS...]` are
/// skipped.
pub fn service(text: &str, key: &str, proto: Option<&str>) -> Option<Service> {
    let by_port: Option<u16> = key.parse().ok();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let (Some(name), Some(port_proto)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((port, p)) = port_proto.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        if proto.is_some_and(|want| want != p) {
            continue;
        }
        let aliases: Vec<String> = fields.map(str::to_string).collect();
        let found = match by_port {
            Some(n) => n == port,
            None => name == key || aliases.iter().any(|a| a == key),
        };
        if found {
            return Some(Service {
                name: name.to_string(),
                port,
                proto: p.to_string(),
                aliases,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# a comment line
127.0.0.1\tlocalhost
192.0.2.10   www.example.test   www    # and a comment after
300.1.1.1    broken
192.0.2.11
192.0.2.12   WWW.Example.Test   web
::1          localhost ip6-localhost
";

    #[test]
    fn a_name_on_several_lines_gathers_its_aliases_and_addresses() {
        let hosts = Hosts::parse(FILE);
        let info = hosts.by_name("www.EXAMPLE.test").unwrap();
        assert_eq!(info.canonical, "www.example.test");
        assert_eq!(info.aliases, ["www", "web"]);
        assert_eq!(
            info.addrs,
            [
                "192.0.2.10".parse::<IpAddr>().unwrap(),
                "192.0.2.12".parse().unwrap()
            ]
        );
        assert_eq!(hosts.by_name("nowhere"), None);
    }

    #[test]
    fn bad_lines_are_skipped_with_a_warning() {
        let hosts = Hosts::parse(FILE);
        assert_eq!(
            hosts.warnings,
            [
                "line 4: \"300.1.1.1\" is not an address",
                "line 5: 192.0.2.11 has no name"
            ]
        );
    }

    #[test]
    fn reverse_lookups_find_ipv4_and_ipv6_lines() {
        let hosts = Hosts::parse(FILE);
        let v6 = hosts.by_addr("::1".parse().unwrap()).unwrap();
        assert_eq!(
            (v6.canonical.as_str(), v6.aliases.as_slice()),
            ("localhost", &["ip6-localhost".to_string()][..])
        );
        assert_eq!(hosts.by_addr("192.0.2.99".parse().unwrap()), None);
        // gethostbyname_ex is IPv4 only: localhost is 127.0.0.1 there.
        assert_eq!(
            hosts.by_name("localhost").unwrap().addrs,
            ["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
    }

    /// Ports by name and by number, as getservbyname and getservbyport.
    #[test]
    fn services_are_found_by_name_alias_and_port() {
        let text = "# name port/proto aliases\nhttp 80/tcp www # web\ndomain 53/tcp\ndomain 53/udp\nbad x/tcp\n";
        let http = service(text, "www", Some("tcp")).unwrap();
        assert_eq!((http.name.as_str(), http.port), ("http", 80));
        assert_eq!(http.aliases, ["www"]);
        assert_eq!(service(text, "53", Some("udp")).unwrap().proto, "udp");
        assert_eq!(service(text, "domain", None).unwrap().proto, "tcp");
        assert_eq!(service(text, "http", Some("udp")), None);
        assert_eq!(service(text, "HTTP", None), None);
    }
}
