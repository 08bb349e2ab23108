//! Field values from an owner (a short container id or `host`) and the
//! container's record, with the answers `scapbridge read` gives
//! (`remote-agent/filter/src/eval/container.rs`): a host thread is `host`
//! for id, full id, name and type and has no other field; a container the
//! capture never described has only its id; an empty value is no value.

use scapbridge_formats::state::{
    concatenate_labels, ContainerRecord, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID,
};

use crate::events::HOST;

/// The text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    Id,
    FullId,
    Name,
    Image,
    ImageId,
    Type,
    Mounts,
    ImageRepository,
    ImageTag,
    ImageDigest,
    Ip,
    Labels,
    PodName,
    NsName,
    PodUid,
    PodSandboxId,
    PodFullSandboxId,
    PodLabels,
}

/// Length of a short id, as `k8s.pod.sandbox_id` cuts it.
const SHORT_ID_LEN: usize = 12;

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A text field's value for `owner` (short id or [`HOST`]) whose record
/// is `rec`.
pub(crate) fn text(f: Text, owner: &str, rec: Option<&ContainerRecord>) -> Option<String> {
    if owner == HOST {
        return matches!(f, Text::Id | Text::FullId | Text::Name | Text::Type)
            .then(|| HOST.to_string());
    }
    if f == Text::Id {
        return some(owner);
    }
    let c = rec?;
    match f {
        Text::Id => None,
        Text::FullId => some(&c.full_id),
        Text::Name => some(&c.name),
        Text::Image => some(&c.image),
        Text::ImageId => some(&c.image_id),
        Text::Type => some(c.type_name()),
        Text::Mounts => some(&c.mounts.join(",")),
        Text::ImageRepository => some(&c.image_repo),
        Text::ImageTag => some(&c.image_tag),
        Text::ImageDigest => some(&c.image_digest),
        Text::Ip => some(&c.ip),
        Text::Labels => some(&concatenate_labels(&c.labels, true)),
        Text::PodName => c.label(LABEL_POD_NAME).and_then(some),
        Text::NsName => c.label(LABEL_POD_NAMESPACE).and_then(some),
        Text::PodUid => c.label(LABEL_POD_UID).and_then(some),
        Text::PodSandboxId => some(
            c.pod_sandbox_id
                .get(..SHORT_ID_LEN)
                .unwrap_or(&c.pod_sandbox_id),
        ),
        Text::PodFullSandboxId => some(&c.pod_sandbox_id),
        Text::PodLabels => some(&concatenate_labels(&c.pod_sandbox_labels, false)),
    }
}

/// `container.label[KEY]` (`pod` false) or `k8s.pod.label[KEY]` (`pod`
/// true).
pub(crate) fn label(
    owner: &str,
    rec: Option<&ContainerRecord>,
    key: &str,
    pod: bool,
) -> Option<String> {
    if owner == HOST {
        return None;
    }
    let c = rec?;
    let map = if pod {
        &c.pod_sandbox_labels
    } else {
        &c.labels
    };
    map.get(key).cloned()
}

/// `container.privileged`, when the record says.
pub(crate) fn privileged(owner: &str, rec: Option<&ContainerRecord>) -> Option<bool> {
    if owner == HOST {
        return None;
    }
    rec?.privileged
}

/// `container.start_ts` in ns since the epoch: the start of the thread's
/// pid namespace's init (as the container plugin takes it) when the
/// reader's thread table has it, else the record's creation time.
pub(crate) fn start_ts(
    owner: &str,
    rec: Option<&ContainerRecord>,
    pidns_init_start_ts: u64,
) -> Option<u64> {
    if owner == HOST {
        return None;
    }
    if pidns_init_start_ts > 0 {
        return Some(pidns_init_start_ts);
    }
    let created = u64::try_from(rec?.created_time).ok().filter(|&t| t > 0)?;
    created.checked_mul(1_000_000_000)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn record() -> ContainerRecord {
        let mut c = ContainerRecord {
            id: "5bca5afd3dc5".into(),
            full_id: "5bca5afd3dc545b7787391fce58a3430a2a0623e15ec2f1af99c9b051e1046a9".into(),
            name: "sb-web".into(),
            image: "localhost/w:bookworm".into(),
            image_repo: "localhost/w".into(),
            image_tag: "bookworm".into(),
            ctype: 11,
            privileged: Some(false),
            created_time: 1_700_000_000,
            ..Default::default()
        };
        for (k, v) in [
            (LABEL_POD_NAME, "web-7d4b9c"),
            (LABEL_POD_NAMESPACE, "shop"),
            (LABEL_POD_UID, "0b1d"),
            ("app", "web"),
            ("tier", ""),
        ] {
            c.labels.insert(k.into(), v.into());
        }
        c.pod_sandbox_labels.insert("app".into(), "web".into());
        c
    }

    #[test]
    fn host_threads_are_host_for_id_name_and_type_only() {
        for f in [Text::Id, Text::FullId, Text::Name, Text::Type] {
            assert_eq!(text(f, HOST, None).as_deref(), Some(HOST));
        }
        for f in [Text::Image, Text::PodName, Text::NsName, Text::Labels] {
            assert_eq!(text(f, HOST, None), None);
        }
        assert_eq!(privileged(HOST, None), None);
        assert_eq!(label(HOST, None, "app", false), None);
    }

    #[test]
    fn a_described_container_gives_its_fields_and_its_pod() {
        let c = record();
        let r = Some(&c);
        let id = "5bca5afd3dc5";
        assert_eq!(text(Text::Id, id, r).as_deref(), Some(id));
        assert_eq!(text(Text::Name, id, r).as_deref(), Some("sb-web"));
        assert_eq!(
            text(Text::ImageRepository, id, r).as_deref(),
            Some("localhost/w")
        );
        assert_eq!(text(Text::ImageTag, id, r).as_deref(), Some("bookworm"));
        assert_eq!(text(Text::Type, id, r).as_deref(), Some("podman"));
        assert_eq!(text(Text::PodName, id, r).as_deref(), Some("web-7d4b9c"));
        assert_eq!(text(Text::NsName, id, r).as_deref(), Some("shop"));
        assert_eq!(text(Text::PodUid, id, r).as_deref(), Some("0b1d"));
        assert_eq!(text(Text::Labels, id, r).as_deref(), Some("app:web, tier"));
        assert_eq!(text(Text::PodLabels, id, r).as_deref(), Some("app:web"));
        assert_eq!(
            text(Text::Image, id, r).as_deref(),
            Some("localhost/w:bookworm")
        );
        assert_eq!(text(Text::Ip, id, r), None);
        assert_eq!(label(id, r, "app", true).as_deref(), Some("web"));
        assert_eq!(
            label(id, r, LABEL_POD_NAME, false).as_deref(),
            Some("web-7d4b9c")
        );
        assert_eq!(privileged(id, r), Some(false));
        assert_eq!(start_ts(id, r, 0), Some(1_700_000_000_000_000_000));
        assert_eq!(start_ts(id, r, 5), Some(5));
    }

    #[test]
    fn an_undescribed_container_has_its_id_only() {
        assert_eq!(text(Text::Id, "abc", None).as_deref(), Some("abc"));
        assert_eq!(text(Text::Name, "abc", None), None);
        assert_eq!(start_ts("abc", None, 0), None);
    }
}
