//! The capture's interface list: how libsinsp fills a socket's
//! unspecified end (`0.0.0.0`, `::`) from it, and how sysdig 0.29 tells a
//! socket's local end by it (and libs 0.23 a host thread's).

use super::CaptureState;

impl CaptureState {
    /// Whether `ip` is an address of one of the capture's interfaces (how
    /// sysdig 0.29 tells a socket's local end): an IPv4 address exactly,
    /// an IPv6 one by its first 64 bits (libsinsp's `ipv6addr::in_subnet`,
    /// in both generations).
    pub fn is_machine_address(&self, ip: std::net::IpAddr) -> bool {
        match ip {
            std::net::IpAddr::V4(a) => self.ipv4_interfaces.iter().any(|(i, _)| *i == a.octets()),
            std::net::IpAddr::V6(a) => {
                let net = |b: &[u8; 16]| <[u8; 8]>::try_from(&b[..8]).ok();
                self.ipv6_interfaces
                    .iter()
                    .any(|i| net(i) == net(&a.octets()))
            }
        }
    }

    /// Whether `ip` is local to a thread of `container_id` (empty: the
    /// host), as libs 0.23 tells a socket's local end: on the host, an
    /// address of the machine's; in a container, its IPv4 address, or any
    /// container's when its own is unknown, and never an IPv6 address
    /// (libsinsp's `is_ipv4addr_in_local_machine` and the IPv6 one).
    pub fn is_local_address(&self, container_id: &str, ip: std::net::IpAddr) -> bool {
        if container_id.is_empty() {
            return self.is_machine_address(ip);
        }
        let std::net::IpAddr::V4(a) = ip else {
            return false;
        };
        match self.container(container_id).filter(|c| !c.ip.is_empty()) {
            Some(_) => self.container_ipv4.get(container_id) == Some(&a),
            None => self.container_ipv4.values().any(|ip| *ip == a),
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
