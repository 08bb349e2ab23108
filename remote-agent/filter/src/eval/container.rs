//! `container.*` and `k8s.*`: the event's thread's container, from its
//! cgroups (the thread table keeps the id) and the capture's `container`
//! events (the state keeps the records), as libsinsp and the container
//! plugin resolve them.

use super::*;
use scapbridge_formats::state::{
    ContainerRecord, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID,
};

/// A container or Kubernetes field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CField {
    Id,
    FullId,
    Name,
    Image,
    ImageRepository,
    ImageTag,
    ImageId,
    ImageDigest,
    Type,
    Privileged,
    Mounts,
    Ip,
    StartTs,
    Duration,
    NsName,
    PodName,
    PodUid,
    PodLabels,
    PodLabel(String),
}

/// The container and Kubernetes fields without an argument: name, field,
/// type and what it reads. Lookup and listing both read it.
#[allow(clippy::type_complexity)]
const TABLE: &[(&str, CField, &str, &str)] = &[
    (
        "container.id",
        CField::Id,
        "CHARBUF",
        "the container's id (12 characters), or host",
    ),
    (
        "container.full_id",
        CField::FullId,
        "CHARBUF",
        "the container's full id, or host",
    ),
    (
        "container.name",
        CField::Name,
        "CHARBUF",
        "the container's name, or host",
    ),
    (
        "container.image",
        CField::Image,
        "CHARBUF",
        "the image the container was started from (repository:tag)",
    ),
    (
        "container.image.repository",
        CField::ImageRepository,
        "CHARBUF",
        "the image's repository",
    ),
    (
        "container.image.tag",
        CField::ImageTag,
        "CHARBUF",
        "the image's tag",
    ),
    (
        "container.image.id",
        CField::ImageId,
        "CHARBUF",
        "the image's id",
    ),
    (
        "container.image.digest",
        CField::ImageDigest,
        "CHARBUF",
        "the image's digest",
    ),
    (
        "container.type",
        CField::Type,
        "CHARBUF",
        "docker, podman, cri, containerd, cri-o, or host",
    ),
    (
        "container.privileged",
        CField::Privileged,
        "BOOL",
        "the container runs privileged",
    ),
    (
        "container.mounts",
        CField::Mounts,
        "CHARBUF",
        "the container's mounts",
    ),
    (
        "container.ip",
        CField::Ip,
        "CHARBUF",
        "the container's address",
    ),
    (
        "container.start_ts",
        CField::StartTs,
        "ABSTIME",
        "when the container started, ns since the epoch",
    ),
    (
        "container.duration",
        CField::Duration,
        "RELTIME",
        "ns since the container started",
    ),
    (
        "k8s.ns.name",
        CField::NsName,
        "CHARBUF",
        "the pod's namespace (its io.kubernetes.pod.namespace label)",
    ),
    ("k8s.pod.name", CField::PodName, "CHARBUF", "the pod's name"),
    (
        "k8s.pod.uid",
        CField::PodUid,
        "CHARBUF",
        "the pod's uid (also k8s.pod.id)",
    ),
    (
        "k8s.pod.labels",
        CField::PodLabels,
        "CHARBUF",
        "the pod's labels, key:value, comma-separated",
    ),
];

/// Every name [`CField::named`] takes.
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .map(|t| t.0)
        .chain(["k8s.pod.id", "k8s.pod.label"])
}

/// The container and Kubernetes fields for listings: name, type, what it reads.
pub(super) fn docs() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    TABLE
        .iter()
        .map(|t| (t.0, t.2, t.3))
        .chain(std::iter::once((
            "k8s.pod.label[KEY]",
            "CHARBUF",
            "one label of the pod",
        )))
}

impl CField {
    /// The field a name means, if it is one of these.
    pub(super) fn named(name: &str, arg: Option<&str>) -> Option<Result<CField, FieldError>> {
        let f = match name {
            "k8s.pod.label" => {
                return Some(match arg {
                    Some(k) if !k.is_empty() => Ok(CField::PodLabel(k.to_string())),
                    _ => Err(FieldError::MissingArgument {
                        field: name.to_string(),
                        what: "a label name",
                        example: "k8s.pod.label[KEY]".to_string(),
                    }),
                })
            }
            // libsinsp's older name of the pod uid.
            "k8s.pod.id" => CField::PodUid,
            _ => TABLE.iter().find(|t| t.0 == name)?.1.clone(),
        };
        Some(match arg {
            Some(_) => Err(FieldError::UnexpectedArgument {
                field: name.to_string(),
            }),
            None => Ok(f),
        })
    }

    pub(super) fn kind(&self) -> Kind {
        match self {
            CField::StartTs | CField::Duration => Kind::Num,
            CField::Privileged => Kind::Bool,
            _ => Kind::Str,
        }
    }
}

fn text<'a>(s: &'a str) -> Option<Value<'a>> {
    (!s.is_empty()).then_some(Value::Str(Cow::Borrowed(s)))
}

/// The field's value for `ev`'s thread: `host` for the id, full id, name
/// and type of a host thread and nothing for its other fields (libsinsp's
/// answers); nothing when the container has no record in the capture.
pub(super) fn extract<'a>(f: &CField, ev: &Event<'a>, cx: &EvalContext<'a>) -> Option<Value<'a>> {
    let id = match cx.state.thread(ev.tid()) {
        Some(t) => &*t.container_id,
        None if ev.tid() == u64::MAX => return None,
        None => "",
    };
    if id.is_empty() {
        return match f {
            CField::Id | CField::FullId | CField::Name | CField::Type => {
                Some(Value::Str(Cow::Borrowed("host")))
            }
            _ => None,
        };
    }
    if *f == CField::Id {
        return Some(Value::Str(Cow::Borrowed(id)));
    }
    let c: &'a ContainerRecord = cx.state.container(id)?;
    match f {
        CField::Id => None,
        CField::FullId => text(&c.full_id),
        CField::Name => text(&c.name),
        CField::Image => text(&c.image),
        CField::ImageRepository => text(&c.image_repo),
        CField::ImageTag => text(&c.image_tag),
        CField::ImageId => text(&c.image_id),
        CField::ImageDigest => text(&c.image_digest),
        CField::Type => Some(Value::Str(Cow::Borrowed(c.type_name()))),
        CField::Privileged => c.privileged.map(Value::Bool),
        CField::Mounts => {
            (!c.mounts.is_empty()).then(|| Value::Str(Cow::Owned(c.mounts.join(","))))
        }
        CField::Ip => text(&c.ip),
        CField::StartTs => {
            (c.created_time > 0).then(|| Value::Num(c.created_time.saturating_mul(1_000_000_000)))
        }
        CField::Duration => (c.created_time > 0).then(|| {
            Value::Num(
                (ev.ts() as i64).saturating_sub(c.created_time.saturating_mul(1_000_000_000)),
            )
        }),
        CField::NsName => c.label(LABEL_POD_NAMESPACE).and_then(text),
        CField::PodName => c.label(LABEL_POD_NAME).and_then(text),
        CField::PodUid => c.label(LABEL_POD_UID).and_then(text),
        CField::PodLabels => {
            let l = &c.pod_sandbox_labels;
            (!l.is_empty()).then(|| {
                let items: Vec<String> = l.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                Value::Str(Cow::Owned(items.join(", ")))
            })
        }
        CField::PodLabel(k) => c
            .pod_sandbox_labels
            .get(k)
            .map(|v| Value::Str(Cow::Borrowed(v.as_str()))),
    }
}
