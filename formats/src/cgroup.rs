//! The container id in a thread's cgroups, as libsinsp's container engines
//! and Falco's container plugin find it.
//!
//! The reference is the layout table of libsinsp's runc matcher
//! (`userspace/libsinsp/runc.cpp`, `container_engine/{docker,podman,cri}`;
//! the same table in falcosecurity/plugins `plugins/container/src/matchers/`):
//! a layout is a `(prefix, suffix)` pair, and a cgroup path matches when the
//! text between the **last** `prefix` and the **last** `suffix` is exactly 64
//! hex digits. The engines are tried in libsinsp's order, podman first:
//!
//! | runtime | layouts (prefix, suffix) |
//! |---|---|
//! | podman | `/libpod-` + `.scope`, `.scope/container`, `""` (cgroupfs: `/libpod_parent/libpod-<id>`) |
//! | docker | `/` + `""` (`/docker/<id>`), `/docker-` + `.scope` |
//! | CRI | `/crio-` + `""`, `/cri-containerd-` + `.scope`, `/crio-` + `.scope`, `:cri-containerd:` + `""` |
//!
//! `libpod-conmon-<id>` and `crio-conmon-<id>` (the runtime's monitor, on
//! the host) never match: `conmon-<id>` is not 64 hex digits. libs reports
//! the first 12 hex digits as `container.id`.
//!
//! The runtime is a guess from the layout (libs confirms it by which
//! engine's socket answers): a bare `/<64 hex>` under a `kubepods` path is
//! CRI (containerd or cri-o without systemd), elsewhere docker.

use std::fmt;

/// The container runtime, with libs' `sinsp_container_type` numbering
/// (the `type` of the container JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContainerType {
    /// `CT_DOCKER` (0).
    Docker,
    /// `CT_CRI` (6): a CRI runtime not told apart.
    Cri,
    /// `CT_CONTAINERD` (7).
    Containerd,
    /// `CT_CRIO` (8).
    CriO,
    /// `CT_PODMAN` (11).
    Podman,
}

impl ContainerType {
    /// libs' `sinsp_container_type` value.
    pub fn libs_code(self) -> u16 {
        match self {
            ContainerType::Docker => 0,
            ContainerType::Cri => 6,
            ContainerType::Containerd => 7,
            ContainerType::CriO => 8,
            ContainerType::Podman => 11,
        }
    }

    /// The name `container.type` shows (the container plugin's `to_string`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerType::Docker => "docker",
            ContainerType::Cri => "cri",
            ContainerType::Containerd => "containerd",
            ContainerType::CriO => "cri-o",
            ContainerType::Podman => "podman",
        }
    }
}

impl fmt::Display for ContainerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Length of a full container id.
pub const FULL_ID_LEN: usize = 64;
/// Length of the id libs reports as `container.id`.
pub const SHORT_ID_LEN: usize = 12;

/// A container found in a cgroup path. Borrows the path: parsing allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupMatch<'a> {
    /// The 64 hex digits as the path spells them.
    pub full_id: &'a str,
    /// The runtime the layout belongs to.
    pub runtime: ContainerType,
}

impl<'a> CgroupMatch<'a> {
    /// The first 12 hex digits: `container.id`.
    pub fn short_id(&self) -> &'a str {
        &self.full_id[..SHORT_ID_LEN]
    }
}

/// What a layout's runtime is, given the whole path.
#[derive(Clone, Copy)]
enum Kind {
    Fixed(ContainerType),
    /// `/<64 hex>`: docker, or CRI under a `kubepods` hierarchy.
    DockerOrCri,
}

/// libsinsp's layouts, in the order its engines try them.
const LAYOUTS: &[(&str, &str, Kind)] = &[
    ("/libpod-", ".scope", Kind::Fixed(ContainerType::Podman)),
    (
        "/libpod-",
        ".scope/container",
        Kind::Fixed(ContainerType::Podman),
    ),
    ("/libpod-", "", Kind::Fixed(ContainerType::Podman)),
    ("/", "", Kind::DockerOrCri),
    ("/docker-", ".scope", Kind::Fixed(ContainerType::Docker)),
    ("/crio-", "", Kind::Fixed(ContainerType::CriO)),
    (
        "/cri-containerd-",
        ".scope",
        Kind::Fixed(ContainerType::Containerd),
    ),
    ("/crio-", ".scope", Kind::Fixed(ContainerType::CriO)),
    (
        ":cri-containerd:",
        "",
        Kind::Fixed(ContainerType::Containerd),
    ),
];

fn is_hex_id(s: &[u8]) -> bool {
    s.len() == FULL_ID_LEN && s.iter().all(u8::is_ascii_hexdigit)
}

/// libsinsp's `match_one_container_id`, literally: the text between the
/// last `prefix` and the last `suffix` is a 64-hex id. [`parse_path`] gives
/// the same answers faster; the tests hold the two together.
#[cfg(test)]
fn match_layout<'a>(path: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let start = path.rfind(prefix)? + prefix.len();
    let end = path.rfind(suffix)?;
    let id = path.get(start..end)?;
    is_hex_id(id.as_bytes()).then_some(id)
}

/// The container of one cgroup path (`/libpod_parent/libpod-<id>`,
/// `/system.slice/docker-<id>.scope`, `/kubepods/burstable/pod<uid>/<id>`…),
/// or `None` for a host path.
///
/// The answer of libsinsp's `match_one_container_id` over the layouts in
/// order, found with less searching: each suffix's last place is searched
/// once, and a layout's prefix only where 64 hex digits end there.
pub fn parse_path(path: &str) -> Option<CgroupMatch<'_>> {
    // Every layout needs 64 hex digits after a '/' or ':'.
    if path.len() <= FULL_ID_LEN {
        return None;
    }
    let b = path.as_bytes();
    let hex_before = |end: usize| end >= FULL_ID_LEN && is_hex_id(&b[end - FULL_ID_LEN..end]);
    // Where the id would end for each suffix, if 64 hex digits end there.
    let at_end = hex_before(b.len()).then_some(b.len());
    let mut scope: Option<Option<usize>> = None;
    let mut scope_container: Option<Option<usize>> = None;
    for &(prefix, suffix, kind) in LAYOUTS {
        let end = match suffix {
            "" => at_end,
            ".scope" => *scope.get_or_insert_with(|| path.rfind(suffix).filter(|&e| hex_before(e))),
            _ => *scope_container
                .get_or_insert_with(|| path.rfind(suffix).filter(|&e| hex_before(e))),
        };
        let Some(end) = end else { continue };
        let start = end - FULL_ID_LEN;
        if path.rfind(prefix).map(|p| p + prefix.len()) != Some(start) {
            continue;
        }
        let runtime = match kind {
            Kind::Fixed(t) => t,
            Kind::DockerOrCri if path.contains("kubepods") => ContainerType::Cri,
            Kind::DockerOrCri => ContainerType::Docker,
        };
        return Some(CgroupMatch {
            full_id: &path[start..end],
            runtime,
        });
    }
    None
}

/// The container of a whole `/proc/PID/cgroup` text (`hier:controllers:path`
/// lines): the first line whose path matches, as libsinsp walks a thread's
/// cgroups.
pub fn parse_proc_cgroup(text: &str) -> Option<CgroupMatch<'_>> {
    text.lines().find_map(|line| {
        // The path may itself hold ':' (`…:cri-containerd:<id>`).
        let mut parts = line.splitn(3, ':');
        let _hier = parts.next()?;
        let _ctrl = parts.next()?;
        parse_path(parts.next()?)
    })
}

/// The container of a scap `cgroups` parameter (execve/clone exits, the
/// process table): NUL-separated `subsys=path` items; the first match.
/// Non-UTF-8 items are skipped.
pub fn parse_scap_cgroups(param: &[u8]) -> Option<CgroupMatch<'_>> {
    param
        .split(|&b| b == 0)
        .filter(|item| item.len() > FULL_ID_LEN)
        .find_map(|item| {
            let eq = item.iter().position(|&b| b == b'=')?;
            let path = std::str::from_utf8(&item[eq + 1..]).ok()?;
            parse_path(path)
        })
}

/// The `cgroups` list sysdig 0.29 needs to name a podman container of this
/// machine's kind, or `None` when `param` needs nothing added.
///
/// Why: sysdig 0.29's libs (2022) match podman only in its systemd layout
/// (`…/libpod-<id>.scope`); podman with cgroupfs puts a container in
/// `/libpod_parent/libpod-<id>`, which 0.29 reads as a host thread
/// (tests/containers-readers.md, "What sysdig 0.29 takes"). One more list
/// entry, `scapbridge=/libpod-<id>.scope`, after the real ones, is enough for
/// it to find the container; the real paths stay as they are, and readers
/// that know the cgroupfs layout (libs with the container plugin) match the
/// real entry first. Only the `compat` layout (the one 0.29 reads) adds it.
pub fn with_compat_entry(param: &[u8]) -> Option<Vec<u8>> {
    let m = parse_scap_cgroups(param)?;
    if m.runtime != ContainerType::Podman {
        return None;
    }
    // Already in a form 0.29 knows (systemd podman, or ours added before).
    let scope = format!("/libpod-{}.scope", m.full_id);
    if param
        .split(|&b| b == 0)
        .any(|item| item.windows(scope.len()).any(|w| w == scope.as_bytes()))
    {
        return None;
    }
    let mut out = param.to_vec();
    if !out.is_empty() && out.last() != Some(&0) {
        out.push(0);
    }
    out.extend_from_slice(b"scapbridge=");
    out.extend_from_slice(scope.as_bytes());
    out.push(0);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "5bca5afd3dc545b7787391fce58a3430a2a0623e15ec2f1af99c9b051e1046a9";
    const ID2: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

    /// (path, expected runtime) for real shapes; `None` = host.
    fn cases() -> Vec<(String, Option<ContainerType>)> {
        use ContainerType::*;
        vec![
            // podman, cgroupfs (this machine, v1 and the v2 line)
            (format!("/libpod_parent/libpod-{ID}"), Some(Podman)),
            // podman, systemd
            (format!("/machine.slice/libpod-{ID}.scope"), Some(Podman)),
            (
                format!("/machine.slice/libpod-{ID}.scope/container"),
                Some(Podman),
            ),
            (
                format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"),
                Some(Podman),
            ),
            // podman's monitor runs on the host
            (format!("/libpod_parent/libpod-conmon-{ID}"), None),
            (format!("/machine.slice/libpod-conmon-{ID}.scope"), None),
            // docker
            (format!("/docker/{ID}"), Some(Docker)),
            (format!("/system.slice/docker-{ID}.scope"), Some(Docker)),
            // containerd / CRI without systemd
            (
                format!("/kubepods/besteffort/pod3e41dc6b-08a8-44db-bc2a-3724b18ab19a/{ID}"),
                Some(Cri),
            ),
            (
                format!("/kubepods/burstable/podb8c2f9a0-1f07-4d5a-9a7e-2f3b1c0d9e11/{ID}"),
                Some(Cri),
            ),
            // containerd with systemd
            (
                format!(
                    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3e41dc6b_08a8_44db_bc2a_3724b18ab19a.slice/cri-containerd-{ID}.scope"
                ),
                Some(Containerd),
            ),
            // containerd without SystemdCgroup = true
            (
                format!("/kubepods-besteffort-pod3e41dc6b_08a8.slice:cri-containerd:{ID}"),
                Some(Containerd),
            ),
            // cri-o
            (
                format!(
                    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3e41dc6b_08a8.slice/crio-{ID}.scope"
                ),
                Some(CriO),
            ),
            (format!("/kubepods/besteffort/pod3e41/crio-{ID}"), Some(CriO)),
            (
                format!("/kubepods.slice/kubepods-besteffort.slice/crio-conmon-{ID}.scope"),
                None,
            ),
            // host paths
            ("/".into(), None),
            ("/user.slice/user-0.slice/session-3.scope".into(), None),
            ("/process_api/0123456789abcdef0123456789abcdef".into(), None),
            ("/system.slice/docker.service".into(), None),
            // too short, too long, not hex
            (format!("/docker/{}", &ID[..63]), None),
            (format!("/docker/{ID}0"), None),
            (format!("/docker/{}g", &ID[..63]), None),
        ]
    }

    #[test]
    fn compat_entry_only_for_podman_cgroupfs() {
        let cg = format!("cpu=/libpod_parent/libpod-{ID}\0memory=/libpod_parent/libpod-{ID}\0");
        let out = with_compat_entry(cg.as_bytes()).expect("an entry added");
        let want = format!("{cg}scapbridge=/libpod-{ID}.scope\0");
        assert_eq!(out, want.as_bytes());
        assert_eq!(parse_scap_cgroups(&out).map(|m| m.full_id), Some(ID));
        // Once is enough; systemd podman, docker and the host need nothing.
        assert_eq!(with_compat_entry(&out), None);
        let scope = format!("cpu=/machine.slice/libpod-{ID}.scope\0");
        assert_eq!(with_compat_entry(scope.as_bytes()), None);
        assert_eq!(
            with_compat_entry(format!("cpu=/docker/{ID}\0").as_bytes()),
            None
        );
        assert_eq!(with_compat_entry(b"cpu=/\0memory=/user.slice\0"), None);
        assert_eq!(with_compat_entry(b""), None);
    }

    #[test]
    fn real_path_shapes() {
        for (path, want) in cases() {
            let got = parse_path(&path);
            assert_eq!(got.map(|m| m.runtime), want, "{path}");
            if let Some(m) = got {
                assert_eq!(m.full_id, ID, "{path}");
                assert_eq!(m.short_id(), &ID[..12], "{path}");
            }
        }
    }

    /// parse_path answers as libsinsp's literal layout walk, on the real
    /// shapes and on odd ones (ids twice, suffixes after the id, prefixes
    /// after the suffix).
    #[test]
    fn fast_parse_equals_the_literal_layout_walk() {
        let mut paths: Vec<String> = cases().into_iter().map(|(p, _)| p).collect();
        paths.extend([
            format!("/docker-{ID}.scope/docker-x"),
            format!("/docker-{ID}.scope/x.scope"),
            format!("/libpod-{ID}.scope/container/y"),
            format!("/libpod-{ID2}/libpod-{ID}"),
            format!("/crio-{ID}.scope/crio-{ID2}"),
            format!("/a/{ID}.scope"),
            format!("/a/{ID}/b"),
            format!("/libpod-{ID}.scope/{ID2}"),
            format!(":cri-containerd:{ID}"),
            format!("{ID}{ID2}"),
        ]);
        for p in &paths {
            let literal = LAYOUTS
                .iter()
                .find_map(|&(pre, suf, _)| match_layout(p, pre, suf));
            assert_eq!(parse_path(p).map(|m| m.full_id), literal, "{p}");
        }
    }

    #[test]
    fn proc_cgroup_text_of_a_podman_container_here() {
        let text: String = [
            "9:name=systemd",
            "8:pids",
            "7:blkio",
            "4:memory",
            "1:cpu",
            "0:",
        ]
        .iter()
        .map(|h| format!("{h}:/libpod_parent/libpod-{ID}\n"))
        .collect();
        let m = parse_proc_cgroup(&text).expect("a podman container");
        assert_eq!((m.full_id, m.runtime), (ID, ContainerType::Podman));
    }

    #[test]
    fn proc_cgroup_text_of_the_host_and_mixed_lines() {
        let host =
            "9:name=systemd:/\n4:memory:/process_api/0123456789abcdef0123456789abcdef\n0::/\n";
        assert_eq!(parse_proc_cgroup(host), None);
        // The first matching line wins; colons inside the path are kept.
        let mixed = format!(
            "4:memory:/\n3:cpu:/kubepods-besteffort-pod1.slice:cri-containerd:{ID2}\n0::/docker/{ID}\n"
        );
        let m = parse_proc_cgroup(&mixed).expect("containerd");
        assert_eq!((m.full_id, m.runtime), (ID2, ContainerType::Containerd));
        assert_eq!(parse_proc_cgroup(""), None);
        assert_eq!(parse_proc_cgroup("garbage\n::\n"), None);
    }

    #[test]
    fn scap_cgroups_param() {
        let p = format!(
            "cpuset=/\0cpu=/libpod_parent/libpod-{ID}\0memory=/libpod_parent/libpod-{ID}\0"
        );
        let m = parse_scap_cgroups(p.as_bytes()).expect("podman");
        assert_eq!((m.full_id, m.runtime), (ID, ContainerType::Podman));
        // The extra entry the research suggests for sysdig 0.29.
        let p = format!("cpu=/libpod_parent/libpod-conmon-{ID}\0scapbridge=/libpod-{ID2}.scope\0");
        let m = parse_scap_cgroups(p.as_bytes()).expect("second item");
        assert_eq!(m.full_id, ID2);
        assert_eq!(parse_scap_cgroups(b"cpu=/\0memory=/user.slice\0"), None);
        assert_eq!(parse_scap_cgroups(b""), None);
        let mut bad = format!("cpu=/docker/{ID}").into_bytes();
        bad[10] = 0xff;
        assert_eq!(parse_scap_cgroups(&bad), None);
    }

    #[test]
    fn type_codes_are_libs() {
        assert_eq!(ContainerType::Docker.libs_code(), 0);
        assert_eq!(ContainerType::Podman.libs_code(), 11);
        assert_eq!(ContainerType::CriO.to_string(), "cri-o");
    }
}
