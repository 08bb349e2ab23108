//! What the plugin reads from an event's bytes: a container's JSON (the
//! `container` events 272 and 324, and the async `container` event 402 of
//! newer libs), and a thread's container from the `cgroups` parameter of
//! the clone and execve exits. Pure functions over the raw event, so they
//! are tested without a reader.

use scapbridge_formats::cgroup;
use scapbridge_formats::schema::{self, Direction};
use scapbridge_formats::state::ContainerRecord;

/// `PPME_ASYNCEVENT_E`: libs ≥ 0.20 write container metadata as an async
/// event named `container` (plugin id, name, data).
const PPME_ASYNCEVENT_E: u16 = 402;

/// The owner id of a thread outside any container, as `container.id`
/// shows it.
pub(crate) const HOST: &str = "host";

/// One event as the plugin API hands it: its type, thread and the bytes
/// after the 26-byte header (parameter lengths, then values).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawParts<'e> {
    /// Event type (`PPME_*`).
    pub(crate) event_type: u16,
    /// Number of parameters.
    pub(crate) nparams: u32,
    /// Lengths and values.
    pub(crate) payload: &'e [u8],
}

impl<'e> RawParts<'e> {
    /// Parameter `i`, or `None` when the event has fewer or is cut short
    /// (a malformed event is no error here: the reader reports it).
    pub(crate) fn param(&self, i: usize) -> Option<&'e [u8]> {
        let large = schema::event_info(self.event_type).is_some_and(|e| e.is_large_payload());
        let width = if large { 4 } else { 2 };
        let n = usize::try_from(self.nparams).ok()?;
        if i >= n {
            return None;
        }
        let lens = self.payload.get(..n.checked_mul(width)?)?;
        let mut start = lens.len();
        for (k, l) in lens.chunks_exact(width).enumerate() {
            let len = if large {
                u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize
            } else {
                usize::from(u16::from_le_bytes([l[0], l[1]]))
            };
            if k == i {
                return self.payload.get(start..start.checked_add(len)?);
            }
            start = start.checked_add(len)?;
        }
        None
    }
}

/// The container an event describes, for the container events: 272 and
/// 324 (`{"container":{…}}` in the first parameter) and the async event
/// 402 named `container` (the same JSON in its data).
pub(crate) fn container_record(ev: &RawParts<'_>) -> Option<ContainerRecord> {
    let json = match ev.event_type {
        schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E => ev.param(0)?,
        PPME_ASYNCEVENT_E => {
            let name = ev.param(1)?;
            let name = name.strip_suffix(&[0]).unwrap_or(name);
            if name != b"container" {
                return None;
            }
            ev.param(2)?
        }
        _ => return None,
    };
    ContainerRecord::from_json(json)
}

/// Whether the event is one of the container events (whose fields are
/// those of the container it describes, not of a thread).
pub(crate) fn is_container_event(event_type: u16) -> bool {
    matches!(
        event_type,
        schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E | PPME_ASYNCEVENT_E
    )
}

/// The short container id in a scap `cgroups` list, or [`HOST`].
pub(crate) fn owner_of_scap_cgroups(cgroups: &[u8]) -> String {
    cgroup::parse_scap_cgroups(cgroups)
        .map_or_else(|| HOST.to_string(), |m| m.short_id().to_string())
}

/// The short container id in one of a thread's cgroup paths (as the
/// thread table keeps them), if it names one.
pub(crate) fn container_of_path(path: &str) -> Option<String> {
    cgroup::parse_path(path).map(|m| m.short_id().to_string())
}

/// What a clone or execve exit says of thread ownership: the owner (from
/// its `cgroups`) of the event's thread and, for a clone seen in the
/// parent, of the child too (it starts in the parent's cgroups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ownership {
    /// Short container id or [`HOST`].
    pub(crate) owner: String,
    /// The new thread's id, on the parent's side of a clone.
    pub(crate) child: Option<i64>,
}

/// The event's [`Ownership`], for exits that carry `cgroups` (clone, fork,
/// vfork, clone3, execve, execveat); `None` for every other event.
pub(crate) fn ownership(ev: &RawParts<'_>) -> Option<Ownership> {
    if Direction::of(ev.event_type) != Direction::Exit {
        return None;
    }
    let info = schema::event_info(ev.event_type)?;
    let at = info.param_index("cgroups")?;
    let owner = owner_of_scap_cgroups(ev.param(at)?);
    let forks = matches!(info.name, "clone" | "clone3" | "fork" | "vfork");
    let child = if forks {
        ev.param(0)
            .and_then(|r| <[u8; 8]>::try_from(r).ok())
            .map(i64::from_le_bytes)
            .filter(|&res| res > 0)
    } else {
        None
    };
    Some(Ownership { owner, child })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use scapbridge_formats::OwnedEvent;

    /// The plugin API's view of an encoded event: header cut off.
    fn parts(e: &OwnedEvent) -> (u16, u32, Vec<u8>) {
        let raw = e.encode();
        let nparams = u32::from_le_bytes(raw[22..26].try_into().unwrap());
        (e.event_type, nparams, raw[26..].to_vec())
    }

    const ID: &str = "5bca5afd3dc545b7787391fce58a3430a2a0623e15ec2f1af99c9b051e1046a9";

    fn json() -> String {
        format!(
            r#"{{"container":{{"id":"{}","full_id":"{ID}","name":"sb-web","image":"localhost/w:bookworm","imagerepo":"localhost/w","imagetag":"bookworm","type":11,"privileged":false,"labels":{{"io.kubernetes.pod.name":"web-7d4b9c","io.kubernetes.pod.namespace":"shop"}}}}}}"#,
            &ID[..12]
        )
    }

    #[test]
    fn container_events_272_324_and_async_402_give_the_record() {
        let mut e272 = OwnedEvent::new(1, u64::MAX, schema::PPME_CONTAINER_JSON_E);
        e272.push_str(&json());
        let mut e324 = OwnedEvent::new(1, u64::MAX, schema::PPME_CONTAINER_JSON_2_E);
        e324.push_str(&json());
        let mut e402 = OwnedEvent::new(1, u64::MAX, PPME_ASYNCEVENT_E);
        e402.push(0u32.to_le_bytes().to_vec());
        e402.push_str("container");
        e402.push(json().into_bytes());
        for e in [&e272, &e324, &e402] {
            let (t, n, p) = parts(e);
            let ev = RawParts {
                event_type: t,
                nparams: n,
                payload: &p,
            };
            assert!(is_container_event(t));
            let r = container_record(&ev).unwrap();
            assert_eq!(r.name, "sb-web", "event {t}");
            assert_eq!(r.label("io.kubernetes.pod.name"), Some("web-7d4b9c"));
        }
        // Another async event is not a container.
        let mut other = OwnedEvent::new(1, u64::MAX, PPME_ASYNCEVENT_E);
        other.push(0u32.to_le_bytes().to_vec());
        other.push_str("container_removed");
        other.push(json().into_bytes());
        let (t, n, p) = parts(&other);
        let ev = RawParts {
            event_type: t,
            nparams: n,
            payload: &p,
        };
        assert!(container_record(&ev).is_none());
    }

    #[test]
    fn cut_or_garbage_events_give_nothing_and_never_panic() {
        for payload in [
            &[][..],
            &[0xff; 3][..],
            &[5, 0, 0, 0][..],
            &[0xff, 0xff, 1][..],
        ] {
            for t in [272, 324, 402, 293, 223, 7] {
                for n in [0, 1, 3, 20, u32::MAX] {
                    let ev = RawParts {
                        event_type: t,
                        nparams: n,
                        payload,
                    };
                    let _ = container_record(&ev);
                    let _ = ownership(&ev);
                }
            }
        }
    }

    #[test]
    fn clone_and_execve_exits_name_the_owner_and_the_child() {
        let libpod = format!("cpu=/libpod_parent/libpod-{ID}\0memory=/libpod_parent/libpod-{ID}\0");
        for (name, cg, want) in [
            ("clone", libpod.as_str(), &ID[..12]),
            ("execve", libpod.as_str(), &ID[..12]),
            ("clone", "cpu=/\0memory=/user.slice\0", HOST),
        ] {
            let t = schema::ids_named(name)
                .filter(|&t| {
                    Direction::of(t) == Direction::Exit
                        && schema::event_info(t)
                            .and_then(|i| i.param_index("cgroups"))
                            .is_some()
                })
                .max()
                .unwrap();
            let info = schema::event_info(t).unwrap();
            let mut e = OwnedEvent::new(1, 42, t);
            for (i, p) in info.params.iter().enumerate() {
                match p.name {
                    "res" if i == 0 => e.push(77i64.to_le_bytes().to_vec()),
                    "cgroups" => e.push(cg.as_bytes().to_vec()),
                    _ => e.push(Vec::new()),
                };
            }
            let (t, n, p) = parts(&e);
            let ev = RawParts {
                event_type: t,
                nparams: n,
                payload: &p,
            };
            let o = ownership(&ev).unwrap();
            assert_eq!(o.owner, want, "{name}");
            assert_eq!(o.child, (name == "clone").then_some(77), "{name}");
        }
    }
}
