//! scapbridge's Falco plugin named `container`, for the readers on
//! falcosecurity libs 0.23 (sysdig 0.41, Stratoshark 0.9.9 / Wireshark
//! 4.6): since libs 0.20 the `container.*` and `k8s.*` fields live in
//! falcosecurity's container plugin, which Debian does not ship, so
//! without one these readers have no such field at all.
//!
//! This plugin gives them from what a scapbridge capture carries, with no
//! runtime asked (a capture is read anywhere, long after):
//!
//! * parsing: each container event (272, 324, and the async `container`
//!   event 402 newer libs write) adds its container's record; each clone
//!   and execve exit sets its thread's (and a new child's) owner from the
//!   event's `cgroups`, and the reader's `container_id` for a thread in a
//!   container (a host thread's stays empty, so that libs 0.23 names its
//!   user from the capture's user list); a thread from the capture's
//!   process table gets it from its cgroups there;
//! * extraction: the fields, by the real plugin's names and types, with
//!   the answers `scapbridge read` gives (`host` for a host thread).
//!
//! Named `container` so that rules and filters written for the real
//! plugin resolve; the .so installs as `libcontainer.so` (sysdig 0.41
//! loads that name from its plugin folder by itself).
//!
//! No panic leaves the plugin: each entry point of ours runs under
//! `catch_unwind`, and a parse that fails leaves the reader's state as it
//! was (a plugin error would stop the reader's capture).

// falco_plugin's export macros (`plugin!`, `parse_plugin!`,
// `extract_plugin!`) write the C entry points the reader looks up
// (`#[no_mangle]` functions); the crate's own code has no unsafe block.
#![allow(unsafe_code)]

mod events;
mod threads;
mod values;

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use falco_event::types::SystemTime;
use falco_plugin::anyhow::Error;
use falco_plugin::base::Plugin;
use falco_plugin::event::events::RawEvent;
use falco_plugin::extract::{field, ExtractFieldInfo, ExtractPlugin, ExtractRequest};
use falco_plugin::parse::{EventInput, ParseInput, ParsePlugin};
use falco_plugin::tables::{export, TablesInput};
use scapbridge_formats::state::ContainerRecord;

use events::RawParts;
use threads::Threads;
use values::Text;

/// The plugin's name: the real container plugin's (`container`), which
/// rules and sysdig look for; built with the feature `stratoshark`,
/// `scapbridge_container`: Stratoshark 0.9.9's bridge registers a protocol
/// named after each plugin, and `container` is already one of its own, a
/// clash that stops Stratoshark at start ("Duplicate protocol filter_name").
pub const PLUGIN_NAME: &str = if cfg!(feature = "stratoshark") {
    "scapbridge_container"
} else {
    "container"
};

const PLUGIN_NAME_C: Result<&CStr, std::ffi::FromBytesWithNulError> =
    CStr::from_bytes_with_nul(if cfg!(feature = "stratoshark") {
        b"scapbridge_container\0"
    } else {
        b"container\0"
    });

/// A row of the `containers` table the plugin exports. libsinsp 0.23 reads
/// it for network fields (`fd.lip`…: a container's own ip is local) once
/// threads have a `container_id`; without the table it dereferences a null
/// table (strato crashed so), so the table must exist with these two
/// string fields.
#[derive(export::Entry)]
struct ContainerRow {
    /// The container's user (not in the capture: empty).
    user: export::Readonly<CString>,
    /// The container's ip, as the runtime reported it.
    ip: export::Readonly<CString>,
}

/// The plugin's state: the containers the capture described and the
/// reader's thread table.
pub struct ContainerPlugin {
    /// The exported `containers` table, by short id.
    table: Option<Box<export::Table<CString, ContainerRow>>>,
    /// `None` when the reader offers no thread table (the container
    /// events' own fields still resolve).
    threads: Option<Threads>,
    /// Why there is no thread table, for `Debug`.
    threads_error: Option<String>,
    /// Records by short id.
    containers: HashMap<String, ContainerRecord>,
    /// The record of the container event last extracted from, by event
    /// number (`None` inside: that event describes none).
    event_record: Option<(usize, Option<ContainerRecord>)>,
}

impl std::fmt::Debug for ContainerPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerPlugin")
            .field("threads", &self.threads)
            .field("threads_error", &self.threads_error)
            .field("containers", &self.containers.len())
            .finish()
    }
}

/// Runs `f`, a panic in it becoming `None`: no panic may unwind into the
/// reader.
fn guarded<T>(f: impl FnOnce() -> Option<T>) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok().flatten()
}

impl Plugin for ContainerPlugin {
    const NAME: &'static CStr = match PLUGIN_NAME_C {
        Ok(n) => n,
        Err(_) => c"container",
    };
    const PLUGIN_VERSION: &'static CStr = c"0.1.0";
    const DESCRIPTION: &'static CStr = c"scapbridge: container.* and k8s.* fields from the container events and thread cgroups of a capture (libs 0.23 readers)";
    const CONTACT: &'static CStr = c"scapbridge";
    type ConfigType = ();

    fn new(input: Option<&TablesInput<'_>>, _config: ()) -> Result<Self, Error> {
        let table = input.and_then(|i| {
            export::Table::new(c"containers")
                .and_then(|t| i.add_table(t))
                .ok()
        });
        // The threads' `container_id` only beside the `containers` table:
        // libsinsp takes the field first and the table next, and with the
        // field alone it would read a table it never got.
        let (threads, threads_error) = match (input, &table) {
            (Some(i), Some(_)) => match Threads::new(i) {
                Ok(t) => (Some(t), None),
                Err(e) => (None, Some(e.to_string())),
            },
            (Some(_), None) => (
                None,
                Some("the containers table could not be exported".into()),
            ),
            (None, _) => (None, Some("the reader offers no tables".into())),
        };
        Ok(ContainerPlugin {
            table,
            threads,
            threads_error,
            containers: HashMap::new(),
            event_record: None,
        })
    }
}

impl ContainerPlugin {
    /// Parse step: records from container events, thread owners from
    /// clone/execve exits, and from the table's cgroups for a thread not
    /// yet owned.
    fn parse(
        &mut self,
        event: &EventInput<'_, RawEvent<'_>>,
        input: &ParseInput<'_>,
    ) -> Option<()> {
        let ev = event.event().ok()?;
        let parts = RawParts {
            event_type: ev.event_type,
            nparams: ev.nparams,
            payload: ev.payload,
        };
        if let Some(r) = events::container_record(&parts) {
            self.add_row(&r);
            self.containers.insert(r.id.clone(), r);
            return Some(());
        }
        let threads = self.threads.as_ref()?;
        let (r, w) = (&input.reader, &input.writer);
        let tid = ev.metadata.tid;
        if let Some(o) = events::ownership(&parts) {
            if tid >= 0 {
                threads.set_owner(r, w, tid, &o.owner).ok()?;
            }
            if let Some(child) = o.child {
                threads.set_owner(r, w, child, &o.owner).ok()?;
            }
        } else if tid >= 0 && threads.stored_owner(r, tid).is_some_and(|o| o.is_empty()) {
            let o = threads.owner_from_cgroups(r, tid)?;
            threads.set_owner(r, w, tid, &o).ok()?;
        }
        Some(())
    }

    /// The container's row in the exported table.
    fn add_row(&mut self, r: &ContainerRecord) -> Option<()> {
        let table = self.table.as_mut()?;
        let mut row = table.create_entry().ok()?;
        *row.ip = CString::new(r.ip.as_str()).ok()?;
        table.insert(CString::new(r.id.as_str()).ok()?.as_c_str(), row);
        Some(())
    }

    /// Whose the event is: the owner (short id or `host`) and whether the
    /// record is the event's own (a container event). `None` for an event
    /// without a thread the table knows.
    fn subject(&mut self, req: &ExtractRequest<'_, '_, '_, '_, Self>) -> Option<(String, bool)> {
        let ev = req.event.event().ok()?;
        if events::is_container_event(ev.event_type) {
            let num = req.event.event_number();
            if self.event_record.as_ref().map(|(n, _)| *n) != Some(num) {
                let parts = RawParts {
                    event_type: ev.event_type,
                    nparams: ev.nparams,
                    payload: ev.payload,
                };
                self.event_record = Some((num, events::container_record(&parts)));
            }
            if let Some((_, Some(r))) = &self.event_record {
                return Some((r.id.clone(), true));
            }
        }
        let tid = ev.metadata.tid;
        if tid < 0 {
            return None;
        }
        let threads = self.threads.as_ref()?;
        let r = req.table_reader;
        match threads.stored_owner(r, tid)? {
            o if o.is_empty() => threads.owner_from_cgroups(r, tid).map(|o| (o, false)),
            o => Some((o, false)),
        }
    }

    fn record(&self, owner: &str, from_event: bool) -> Option<&ContainerRecord> {
        if from_event {
            self.event_record.as_ref()?.1.as_ref()
        } else {
            self.containers.get(owner)
        }
    }

    fn text(&mut self, req: &ExtractRequest<'_, '_, '_, '_, Self>, f: Text) -> Option<CString> {
        let (owner, from_event) = self.subject(req)?;
        let v = values::text(f, &owner, self.record(&owner, from_event))?;
        CString::new(v).ok()
    }

    fn label(
        &mut self,
        req: &ExtractRequest<'_, '_, '_, '_, Self>,
        key: &CStr,
        pod: bool,
    ) -> Option<CString> {
        let (owner, from_event) = self.subject(req)?;
        let key = key.to_str().ok()?;
        let v = values::label(&owner, self.record(&owner, from_event), key, pod)?;
        CString::new(v).ok()
    }

    fn start_ns(&mut self, req: &ExtractRequest<'_, '_, '_, '_, Self>) -> Option<u64> {
        let (owner, from_event) = self.subject(req)?;
        let pidns = match (&self.threads, req.event.event()) {
            (Some(t), Ok(ev)) if !from_event => {
                t.pidns_init_start_ts(req.table_reader, ev.metadata.tid)
            }
            _ => 0,
        };
        values::start_ts(&owner, self.record(&owner, from_event), pidns)
    }

    fn x_privileged(
        &mut self,
        req: ExtractRequest<'_, '_, '_, '_, Self>,
    ) -> Result<Option<bool>, Error> {
        Ok(guarded(|| {
            let (owner, from_event) = self.subject(&req)?;
            values::privileged(&owner, self.record(&owner, from_event))
        }))
    }

    fn x_start_ts(
        &mut self,
        req: ExtractRequest<'_, '_, '_, '_, Self>,
    ) -> Result<Option<SystemTime>, Error> {
        Ok(guarded(|| self.start_ns(&req).map(SystemTime)))
    }

    fn x_duration(
        &mut self,
        req: ExtractRequest<'_, '_, '_, '_, Self>,
    ) -> Result<Option<Duration>, Error> {
        Ok(guarded(|| {
            let ns = self.start_ns(&req)?;
            let ts = req.event.event().ok()?.metadata.ts;
            Some(Duration::from_nanos(ts.checked_sub(ns)?))
        }))
    }

    fn x_container_label(
        &mut self,
        req: ExtractRequest<'_, '_, '_, '_, Self>,
        key: &CStr,
    ) -> Result<Option<CString>, Error> {
        Ok(guarded(|| self.label(&req, key, false)))
    }

    fn x_pod_label(
        &mut self,
        req: ExtractRequest<'_, '_, '_, '_, Self>,
        key: &CStr,
    ) -> Result<Option<CString>, Error> {
        Ok(guarded(|| self.label(&req, key, true)))
    }
}

/// One extractor method per text field.
macro_rules! text_extractors {
    ($($method:ident => $variant:ident),* $(,)?) => {
        impl ContainerPlugin {
            $(
                fn $method(
                    &mut self,
                    req: ExtractRequest<'_, '_, '_, '_, Self>,
                ) -> Result<Option<CString>, Error> {
                    Ok(guarded(|| self.text(&req, Text::$variant)))
                }
            )*
        }
    };
}

text_extractors! {
    x_id => Id,
    x_full_id => FullId,
    x_name => Name,
    x_image => Image,
    x_image_id => ImageId,
    x_type => Type,
    x_mounts => Mounts,
    x_image_repository => ImageRepository,
    x_image_tag => ImageTag,
    x_image_digest => ImageDigest,
    x_ip => Ip,
    x_labels => Labels,
    x_pod_name => PodName,
    x_ns_name => NsName,
    x_pod_uid => PodUid,
    x_pod_sandbox_id => PodSandboxId,
    x_pod_full_sandbox_id => PodFullSandboxId,
    x_pod_labels => PodLabels,
}

impl ParsePlugin for ContainerPlugin {
    type Event<'a> = RawEvent<'a>;

    fn parse_event(
        &mut self,
        event: &EventInput<'_, RawEvent<'_>>,
        input: &ParseInput<'_>,
    ) -> Result<(), Error> {
        // A failed parse is no error for the reader: its state stays.
        let _ = guarded(|| self.parse(event, input));
        Ok(())
    }
}

impl ExtractPlugin for ContainerPlugin {
    type Event<'a> = RawEvent<'a>;
    type ExtractContext = ();

    // The real plugin's names, types and display names.
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("container.id", &Self::x_id)
            .with_display("Container ID")
            .with_description("The truncated container ID (first 12 characters), 'host' for a thread outside any container.")
            .add_output(),
        field("container.full_id", &Self::x_full_id)
            .with_display("Container ID")
            .with_description("The full container ID."),
        field("container.name", &Self::x_name)
            .with_display("Container Name")
            .with_description("The container name, 'host' for a thread outside any container.")
            .add_output(),
        field("container.image", &Self::x_image)
            .with_display("Image Name")
            .with_description("The container image name (e.g. falcosecurity/falco:latest for docker)."),
        field("container.image.id", &Self::x_image_id)
            .with_display("Image ID")
            .with_description("The container image id (e.g. 6f7e2741b66b)."),
        field("container.type", &Self::x_type)
            .with_display("Type")
            .with_description("The container type, e.g. docker, cri-o, containerd, podman."),
        field("container.privileged", &Self::x_privileged)
            .with_display("Privileged")
            .with_description("'true' for containers running as privileged, 'false' otherwise."),
        field("container.mounts", &Self::x_mounts)
            .with_display("Mounts")
            .with_description("A comma-separated list of mounts, each 'source:dest:mode:rdrw:propagation'."),
        field("container.image.repository", &Self::x_image_repository)
            .with_display("Repository")
            .with_description("The container image repository (e.g. falcosecurity/falco).")
            .add_output(),
        field("container.image.tag", &Self::x_image_tag)
            .with_display("Image Tag")
            .with_description("The container image tag (e.g. stable, latest).")
            .add_output(),
        field("container.image.digest", &Self::x_image_digest)
            .with_display("Registry Digest")
            .with_description("The container image registry digest."),
        field("container.start_ts", &Self::x_start_ts)
            .with_display("Container Start")
            .with_description("Container start as epoch timestamp in nanoseconds (the start of the pid namespace's init, else the runtime's creation time)."),
        field("container.duration", &Self::x_duration)
            .with_display("Container Duration")
            .with_description("Number of nanoseconds since container.start_ts."),
        field("container.ip", &Self::x_ip)
            .with_display("Container ip address")
            .with_description("The container's / pod's primary ip address as the runtime reported it."),
        field("container.label", &Self::x_container_label)
            .with_display("Container Label")
            .with_description("Container label. E.g. 'container.label[foo]'."),
        field("container.labels", &Self::x_labels)
            .with_display("Container Labels")
            .with_description("Container comma-separated key/value labels. E.g. 'foo1:bar1, foo2:bar2'."),
        field("k8s.pod.name", &Self::x_pod_name)
            .with_display("Pod Name")
            .with_description("The Kubernetes pod name, from the container's io.kubernetes.pod.name label.")
            .add_output(),
        field("k8s.ns.name", &Self::x_ns_name)
            .with_display("Namespace Name")
            .with_description("The Kubernetes namespace name, from the container's io.kubernetes.pod.namespace label.")
            .add_output(),
        field("k8s.pod.id", &Self::x_pod_uid)
            .with_display("Legacy Pod UID")
            .with_description("[LEGACY] The Kubernetes pod UID; same as k8s.pod.uid."),
        field("k8s.pod.uid", &Self::x_pod_uid)
            .with_display("Pod UID")
            .with_description("The Kubernetes pod UID, from the container's io.kubernetes.pod.uid label."),
        field("k8s.pod.sandbox_id", &Self::x_pod_sandbox_id)
            .with_display("Pod / Sandbox ID")
            .with_description("The truncated Kubernetes pod sandbox ID (first 12 characters)."),
        field("k8s.pod.full_sandbox_id", &Self::x_pod_full_sandbox_id)
            .with_display("Pod / Sandbox ID")
            .with_description("The full, non-truncated Kubernetes pod sandbox ID."),
        field("k8s.pod.label", &Self::x_pod_label)
            .with_display("Pod Label")
            .with_description("The Kubernetes pod label. E.g. 'k8s.pod.label[foo]'."),
        field("k8s.pod.labels", &Self::x_pod_labels)
            .with_display("Pod Labels")
            .with_description("The Kubernetes pod comma-separated key/value labels. E.g. 'foo1:bar1, foo2:bar2'."),
    ];
}

/// The C entry points the reader looks up, as falco_plugin's macros write
/// them (undocumented functions of theirs, hence the allow).
#[allow(missing_docs)]
mod ffi {
    use super::ContainerPlugin;
    use falco_plugin::{extract_plugin, parse_plugin, plugin};

    plugin!(ContainerPlugin);
    parse_plugin!(ContainerPlugin);
    extract_plugin!(ContainerPlugin);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_as_the_real_plugin_with_the_crate_version() {
        assert_eq!(ContainerPlugin::NAME.to_str().ok(), Some(PLUGIN_NAME));
        assert_eq!(
            ContainerPlugin::PLUGIN_VERSION.to_str().ok(),
            Some(env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn every_field_is_one_of_the_real_plugins_names_once() {
        let names: Vec<&str> = ContainerPlugin::EXTRACT_FIELDS
            .iter()
            .map(|f| f.name)
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
        for n in &names {
            assert!(n.starts_with("container.") || n.starts_with("k8s."), "{n}");
        }
    }
}
