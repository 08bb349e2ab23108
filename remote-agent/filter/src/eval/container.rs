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

impl CField {
    /// The field a name means, if it is one of these.
    /// Every name [`CField::named`] takes; a test keeps them equal.
    pub(super) const NAMES: &[&'static str] = &[
        "container.id",
        "container.full_id",
        "container.name",
        "container.image",
        "container.image.repository",
        "container.image.tag",
        "container.image.id",
        "container.image.digest",
        "container.type",
        "container.privileged",
        "container.mounts",
        "container.ip",
        "container.start_ts",
        "container.duration",
        "k8s.ns.name",
        "k8s.pod.name",
        "k8s.pod.uid",
        "k8s.pod.id",
        "k8s.pod.labels",
        "k8s.pod.label",
    ];

    pub(super) fn named(name: &str, arg: Option<&str>) -> Option<Result<CField, String>> {
        use CField::*;
        let f = match name {
            "container.id" => Id,
            "container.full_id" => FullId,
            "container.name" => Name,
            "container.image" => Image,
            "container.image.repository" => ImageRepository,
            "container.image.tag" => ImageTag,
            "container.image.id" => ImageId,
            "container.image.digest" => ImageDigest,
            "container.type" => Type,
            "container.privileged" => Privileged,
            "container.mounts" => Mounts,
            "container.ip" => Ip,
            "container.start_ts" => StartTs,
            "container.duration" => Duration,
            "k8s.ns.name" => NsName,
            "k8s.pod.name" => PodName,
            "k8s.pod.uid" | "k8s.pod.id" => PodUid,
            "k8s.pod.labels" => PodLabels,
            "k8s.pod.label" => {
                return Some(match arg {
                    Some(k) if !k.is_empty() => Ok(PodLabel(k.to_string())),
                    _ => Err("k8s.pod.label needs a label name: k8s.pod.label[KEY]".into()),
                })
            }
            _ => return None,
        };
        Some(match arg {
            Some(_) => Err(format!("field '{name}' takes no argument")),
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
        Some(t) => t.container_id.as_str(),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod names_tests {
    /// `NAMES` is every name the match takes.
    #[test]
    fn names_are_the_names_matched() {
        let src = include_str!("container.rs");
        let start = src.find("pub(super) fn named(name: &str").unwrap();
        let end = start + src[start..].find("_ => return None").unwrap();
        let mut rest = &src[start..end];
        let mut matched = Vec::new();
        while let Some(i) = rest.find('"') {
            let open = &rest[i + 1..];
            let Some(j) = open.find('"') else { break };
            let lit = &open[..j];
            let tail = open[j + 1..].trim_start();
            let is_name = lit.contains('.')
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
            if is_name
                && (tail.starts_with("=>") || tail.starts_with('|'))
                && !matched.contains(&lit)
            {
                matched.push(lit);
            }
            rest = &open[j + 1..];
        }
        let mut names = super::CField::NAMES.to_vec();
        names.sort_unstable();
        matched.sort_unstable();
        assert!(names.len() > 15);
        assert_eq!(names, matched);
    }
}
