//! The capture's interface list: how libsinsp fills a socket's
//! unspecified end (`0.0.0.0`, `::`) from it, and how sysdig 0.29 tells a
//! socket's local end by it.

use super::CaptureState;

impl CaptureState {
    /// Whether `ip` is an address of one of the capture's interfaces (how
    /// sysdig 0.29 tells a socket's local end).
    pub fn is_machine_address(&self, ip: std::net::IpAddr) -> bool {
        match ip {
            std::net::IpAddr::V4(a) => self.ipv4_interfaces.iter().any(|(i, _)| *i == a.octets()),
            std::net::IpAddr::V6(a) => self.ipv6_interfaces.contains(&a.octets()),
        }
    }

    /// Adds the capture's interface list (libsinsp names the local end of
    /// a socket it learns from a 0.0.0.0 tuple after them).
    pub fn add_interfaces(&mut self, list: &[crate::meta::Interface]) {
        for i in list {
            match i {
                crate::meta::Interface::V4(a) => self.ipv4_interfaces.push((a.addr, a.netmask)),
                crate::meta::Interface::V6(a) => self.ipv6_interfaces.push(a.addr),
            }
        }
    }

    /// libsinsp's `infer_ipv4_address`: the interface that is `peer`, else
    /// one on its subnet, else the first that is not loopback.
    pub(crate) fn infer_ipv4(&self, peer: [u8; 4]) -> Option<[u8; 4]> {
        let ifs = &self.ipv4_interfaces;
        let masked = |a: [u8; 4], m: [u8; 4]| u32::from_be_bytes(a) & u32::from_be_bytes(m);
        ifs.iter()
            .find(|(a, _)| *a == peer)
            .or_else(|| ifs.iter().find(|(a, m)| masked(*a, *m) == masked(peer, *m)))
            .or_else(|| ifs.iter().find(|(a, _)| *a != [127, 0, 0, 1]))
            .map(|(a, _)| *a)
    }

    /// The same for IPv6: the interface that is `peer`, else the first
    /// that is not loopback.
    pub(crate) fn infer_ipv6(&self, peer: [u8; 16]) -> Option<[u8; 16]> {
        let lo = std::net::Ipv6Addr::LOCALHOST.octets();
        let ifs = &self.ipv6_interfaces;
        ifs.iter()
            .find(|a| **a == peer)
            .or_else(|| ifs.iter().find(|a| **a != lo))
            .copied()
    }
}
