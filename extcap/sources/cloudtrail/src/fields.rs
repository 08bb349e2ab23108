//! The CloudTrail plugin's fields (`ct.*`, `s3.*`, `ec2.*`, `ecr.*`,
//! `iam.*`) and the `json` plugin's `json.value[…]`, extracted from a
//! record's original bytes with the span of each value.
//!
//! Spans are offsets in the record; the plugin API counts from the first
//! byte of the event, so callers add
//! [`PLUGIN_EVENT_PAYLOAD_OFFSET`](scapbridge_formats::cloudtrail::PLUGIN_EVENT_PAYLOAD_OFFSET).
//! A string's span covers its content without the quotes (what an analyst
//! wants highlighted; whether Falco's fastjson fork counts the quotes is
//! not known to us). Computed values (`ct.info`, `s3.uri`, sums, counters,
//! literal user names) have no span, as in the plugin (`{0, 0}`).

use std::borrow::Cow;
use std::ops::Range;

use scapbridge_filter::provider::FieldError;
use scapbridge_formats::json::{JsonKind, JsonValue};

/// One CloudTrail field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CtField {
    /// A value read at a path of keys.
    Path(&'static [&'static str]),
    /// A number read at a path of keys (floats accepted, as the plugin does).
    PathNum(&'static [&'static str]),
    /// `ct.shortsrc`: `eventSource` without `.amazonaws.com`.
    ShortSrc,
    /// `ct.user`: the acting user by identity type.
    User,
    /// `ct.originaluser`: the user behind an assumed role.
    OriginalUser,
    /// `ct.user.accountid`: `userIdentity.accountId`, else `recipientAccountId`.
    AccountId,
    /// `ct.info`: a one-line summary.
    Info,
    /// `ct.resources`: each resource as JSON, comma-joined.
    Resources,
    /// `s3.uri`: `s3://bucket/key`.
    S3Uri,
    /// `s3.bytes`: bytes in plus out.
    S3Bytes,
    /// `s3.cnt.get` / `.put` / `.other`.
    S3Count(S3Op),
    /// `ec2.name`: the `Name` tag of a launched instance.
    Ec2Name,
    /// `ec2.imageids[i]` (`None`: all) and `ec2.imageid` (= `[0]`).
    Ec2ImageId(Option<usize>),
    /// `json.value[pointer]`.
    JsonValue(String),
    /// `json.obj`: the whole record.
    JsonObj,
    /// `evt.plugininfo`: the plugin's one-line event text.
    PluginInfo,
}

/// The S3 operation counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Op {
    /// GetObject.
    Get,
    /// PutObject.
    Put,
    /// Any other event.
    Other,
}

/// One extracted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtValue<'a> {
    /// The value as the plugin renders it.
    pub text: Cow<'a, str>,
    /// Where it sits in the record, when it is bytes of the record.
    pub span: Option<Range<usize>>,
    /// The number, for numeric fields.
    pub num: Option<i64>,
}

impl<'a> CtValue<'a> {
    fn of(v: JsonValue<'_, 'a>) -> Option<CtValue<'a>> {
        let text = match v.kind() {
            JsonKind::Null => return None,
            JsonKind::Object | JsonKind::Array => Cow::Owned(compact(v.raw())),
            _ => v.text(),
        };
        Some(CtValue {
            text,
            span: Some(v.span()),
            num: None,
        })
    }

    fn computed(text: impl Into<Cow<'a, str>>) -> CtValue<'a> {
        CtValue {
            text: text.into(),
            span: None,
            num: None,
        }
    }

    fn number(n: i64, span: Option<Range<usize>>) -> CtValue<'a> {
        CtValue {
            text: Cow::Owned(n.to_string()),
            span,
            num: Some(n),
        }
    }
}

/// The plugin's field names and what they read, for lookup and listing.
/// Paths follow `source.go`/`extract.go` of plugin v0.17.1 (see
/// `shared/specs/falco-rules.md` §5.4).
pub const FIELDS: &[(&str, CtField)] = &[
    ("ct.id", CtField::Path(&["eventID"])),
    ("ct.error", CtField::Path(&["errorCode"])),
    ("ct.errormessage", CtField::Path(&["errorMessage"])),
    ("ct.time", CtField::Path(&["eventTime"])),
    ("ct.src", CtField::Path(&["eventSource"])),
    ("ct.shortsrc", CtField::ShortSrc),
    ("ct.name", CtField::Path(&["eventName"])),
    ("ct.user", CtField::User),
    ("ct.originaluser", CtField::OriginalUser),
    ("ct.user.accountid", CtField::AccountId),
    (
        "ct.user.identitytype",
        CtField::Path(&["userIdentity", "type"]),
    ),
    (
        "ct.user.principalid",
        CtField::Path(&["userIdentity", "principalId"]),
    ),
    ("ct.user.arn", CtField::Path(&["userIdentity", "arn"])),
    ("ct.region", CtField::Path(&["awsRegion"])),
    ("ct.srcip", CtField::Path(&["sourceIPAddress"])),
    ("ct.useragent", CtField::Path(&["userAgent"])),
    ("ct.info", CtField::Info),
    ("ct.managementevent", CtField::Path(&["managementEvent"])),
    ("ct.readonly", CtField::Path(&["readOnly"])),
    ("ct.requestid", CtField::Path(&["requestID"])),
    ("ct.eventtype", CtField::Path(&["eventType"])),
    ("ct.apiversion", CtField::Path(&["apiVersion"])),
    ("ct.resources", CtField::Resources),
    (
        "ct.recipientaccountid",
        CtField::Path(&["recipientAccountId"]),
    ),
    (
        "ct.serviceeventdetails",
        CtField::Path(&["serviceEventDetails"]),
    ),
    ("ct.sharedeventid", CtField::Path(&["sharedEventID"])),
    ("ct.vpcendpointid", CtField::Path(&["vpcEndpointId"])),
    ("ct.eventcategory", CtField::Path(&["eventCategory"])),
    ("ct.addendum.reason", CtField::Path(&["addendum", "reason"])),
    (
        "ct.addendum.updatedfields",
        CtField::Path(&["addendum", "updatedFields"]),
    ),
    (
        "ct.addendum.originalrequestid",
        CtField::Path(&["addendum", "originalRequestID"]),
    ),
    (
        "ct.addendum.originaleventid",
        CtField::Path(&["addendum", "originalEventID"]),
    ),
    (
        "ct.sessioncredentialfromconsole",
        CtField::Path(&["sessionCredentialFromConsole"]),
    ),
    (
        "ct.edgedevicedetails",
        CtField::Path(&["edgeDeviceDetails"]),
    ),
    (
        "ct.tlsdetails.tlsversion",
        CtField::Path(&["tlsDetails", "tlsVersion"]),
    ),
    (
        "ct.tlsdetails.ciphersuite",
        CtField::Path(&["tlsDetails", "cipherSuite"]),
    ),
    (
        "ct.tlsdetails.clientprovidedhostheader",
        CtField::Path(&["tlsDetails", "clientProvidedHostHeader"]),
    ),
    ("ct.request", CtField::Path(&["requestParameters"])),
    ("ct.response", CtField::Path(&["responseElements"])),
    (
        "ct.additionaleventdata",
        CtField::Path(&["additionalEventData"]),
    ),
    (
        "ct.request.availabilityzone",
        CtField::Path(&["requestParameters", "availabilityZone"]),
    ),
    (
        "ct.request.cluster",
        CtField::Path(&["requestParameters", "cluster"]),
    ),
    (
        "ct.request.functionname",
        CtField::Path(&["requestParameters", "functionName"]),
    ),
    (
        "ct.request.groupname",
        CtField::Path(&["requestParameters", "groupName"]),
    ),
    (
        "ct.request.host",
        CtField::Path(&["requestParameters", "Host"]),
    ),
    (
        "ct.request.name",
        CtField::Path(&["requestParameters", "name"]),
    ),
    (
        "ct.request.policy",
        CtField::Path(&["requestParameters", "policy"]),
    ),
    (
        "ct.request.reason",
        CtField::Path(&["requestParameters", "reason"]),
    ),
    (
        "ct.request.serialnumber",
        CtField::Path(&["requestParameters", "serialNumber"]),
    ),
    (
        "ct.request.servicename",
        CtField::Path(&["requestParameters", "serviceName"]),
    ),
    (
        "ct.request.subnetid",
        CtField::Path(&["requestParameters", "subnetId"]),
    ),
    (
        "ct.request.target",
        CtField::Path(&["requestParameters", "target"]),
    ),
    (
        "ct.request.taskdefinition",
        CtField::Path(&["requestParameters", "taskDefinition"]),
    ),
    (
        "ct.request.username",
        CtField::Path(&["requestParameters", "userName"]),
    ),
    // Declared by the plugin, which looks up `documentName` and so never
    // finds it (v0.17.1); we read the key CloudTrail writes.
    (
        "ct.request.documentname",
        CtField::Path(&["requestParameters", "name"]),
    ),
    (
        "ct.response.subnetid",
        CtField::Path(&["responseElements", "subnetId"]),
    ),
    (
        "ct.response.reservationid",
        CtField::Path(&["responseElements", "reservationId"]),
    ),
    (
        "s3.bucket",
        CtField::Path(&["requestParameters", "bucketName"]),
    ),
    ("s3.key", CtField::Path(&["requestParameters", "key"])),
    ("s3.uri", CtField::S3Uri),
    ("s3.bytes", CtField::S3Bytes),
    (
        "s3.bytes.in",
        CtField::PathNum(&["additionalEventData", "bytesTransferredIn"]),
    ),
    (
        "s3.bytes.out",
        CtField::PathNum(&["additionalEventData", "bytesTransferredOut"]),
    ),
    ("s3.cnt.get", CtField::S3Count(S3Op::Get)),
    ("s3.cnt.put", CtField::S3Count(S3Op::Put)),
    ("s3.cnt.other", CtField::S3Count(S3Op::Other)),
    ("ec2.name", CtField::Ec2Name),
    ("ec2.imageid", CtField::Ec2ImageId(Some(0))),
    (
        "ecr.repository",
        CtField::Path(&["requestParameters", "repositoryName"]),
    ),
    (
        "ecr.imagetag",
        CtField::Path(&["requestParameters", "imageTag"]),
    ),
    (
        "iam.role",
        CtField::Path(&["requestParameters", "roleName"]),
    ),
    (
        "iam.policy",
        CtField::Path(&["requestParameters", "policyName"]),
    ),
    ("json.obj", CtField::JsonObj),
    ("evt.plugininfo", CtField::PluginInfo),
];

/// Looks a field up. `None`: not a CloudTrail field; `Some(Err)`: one of
/// ours used wrongly.
pub(crate) fn lookup(name: &str, arg: Option<&str>) -> Option<Result<CtField, FieldError>> {
    match (name, arg) {
        ("json.value" | "jevt.value", Some(p)) => {
            let p = p.trim();
            Some(if p.is_empty() || p.starts_with('/') {
                Ok(CtField::JsonValue(p.to_string()))
            } else {
                Err(FieldError::BadArgument {
                    field: name.to_string(),
                    arg: p.to_string(),
                    expected: "the argument is a JSON pointer such as /userIdentity/type",
                    // A key path without its leading slash is the usual slip.
                    did_you_mean: Some(format!("/{p}")),
                })
            })
        }
        ("json.value" | "jevt.value", None) => Some(Err(FieldError::MissingArgument {
            field: name.to_string(),
            what: "a JSON pointer",
            example: format!("{name}[/userIdentity/type]"),
        })),
        ("ec2.imageids", None) => Some(Ok(CtField::Ec2ImageId(None))),
        ("ec2.imageids", Some(i)) => Some(
            i.trim()
                .parse()
                .map(|n| CtField::Ec2ImageId(Some(n)))
                .map_err(|_| FieldError::BadArgument {
                    field: name.to_string(),
                    arg: i.to_string(),
                    expected: "the argument is an index",
                    did_you_mean: None,
                }),
        ),
        ("jevt.obj", None) => Some(Ok(CtField::JsonObj)),
        _ => {
            let f = FIELDS.iter().find(|(n, _)| *n == name)?;
            Some(match arg {
                None => Ok(f.1.clone()),
                Some(_) => Err(FieldError::UnexpectedArgument {
                    field: name.to_string(),
                }),
            })
        }
    }
}

impl CtField {
    /// Whether the field is a number (compared numerically).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            CtField::S3Bytes | CtField::S3Count(_) | CtField::PathNum(_)
        )
    }

    /// Extracts the field from a record's root object.
    pub fn extract<'a>(&self, root: JsonValue<'_, 'a>) -> Option<CtValue<'a>> {
        match self {
            CtField::Path(p) => CtValue::of(root.path(p)?),
            CtField::PathNum(p) => num_value(root.path(p)?),
            CtField::ShortSrc => {
                let v = root.get("eventSource")?;
                let s = v.as_str()?;
                let short = s.strip_suffix(".amazonaws.com").unwrap_or(&s).to_string();
                Some(CtValue {
                    text: Cow::Owned(short),
                    span: Some(v.span()),
                    num: None,
                })
            }
            CtField::User => user(root),
            CtField::OriginalUser => original_user(root),
            CtField::AccountId => root
                .path(&["userIdentity", "accountId"])
                .and_then(CtValue::of)
                .or_else(|| root.get("recipientAccountId").and_then(CtValue::of)),
            CtField::Info => Some(CtValue::computed(info(root))),
            CtField::Resources => {
                let v = root.get("resources")?;
                if v.kind() != JsonKind::Array {
                    return CtValue::of(v);
                }
                let parts: Vec<String> = v.items().map(|i| compact(i.raw())).collect();
                Some(CtValue {
                    text: Cow::Owned(parts.join(",")),
                    span: Some(v.span()),
                    num: None,
                })
            }
            CtField::S3Uri => {
                let b = root.path(&["requestParameters", "bucketName"])?.as_str()?;
                let k = root.path(&["requestParameters", "key"])?.as_str()?;
                Some(CtValue::computed(format!("s3://{b}/{k}")))
            }
            CtField::S3Bytes => {
                let add = root.get("additionalEventData")?;
                let n = |k: &str| add.get(k).and_then(num_value).and_then(|v| v.num);
                let (i, o) = (n("bytesTransferredIn"), n("bytesTransferredOut"));
                if i.is_none() && o.is_none() {
                    return None;
                }
                Some(CtValue::number(i.unwrap_or(0) + o.unwrap_or(0), None))
            }
            CtField::S3Count(op) => {
                let name = root.get("eventName")?.as_str()?;
                let hit = match op {
                    S3Op::Get => name == "GetObject",
                    S3Op::Put => name == "PutObject",
                    S3Op::Other => name != "GetObject" && name != "PutObject",
                };
                Some(CtValue::number(i64::from(hit), None))
            }
            CtField::Ec2Name => {
                let items = root.path(&["requestParameters", "tagSpecificationSet", "items"])?;
                items
                    .items()
                    .filter(|i| {
                        i.get("resourceType").and_then(|t| t.as_str()).as_deref()
                            == Some("instance")
                    })
                    .filter_map(|i| i.path(&["tags"]))
                    .flat_map(|t| t.items().collect::<Vec<_>>())
                    .find(|t| t.get("key").and_then(|k| k.as_str()).as_deref() == Some("Name"))
                    .and_then(|t| t.get("value"))
                    .and_then(CtValue::of)
            }
            CtField::Ec2ImageId(i) => {
                let ids = image_ids(root);
                match i {
                    Some(n) => ids.into_iter().nth(*n).and_then(CtValue::of),
                    None if ids.is_empty() => None,
                    None => {
                        let t: Vec<String> = ids.iter().map(|v| v.text().into_owned()).collect();
                        Some(CtValue::computed(t.join(",")))
                    }
                }
            }
            CtField::JsonValue(p) => CtValue::of(root.pointer(p)?).or_else(|| {
                // json.value of a JSON null is the text "null".
                Some(CtValue::computed("null"))
            }),
            CtField::JsonObj => Some(CtValue {
                text: String::from_utf8_lossy(root.raw()),
                span: Some(root.raw_span()),
                num: None,
            }),
            CtField::PluginInfo => Some(CtValue::computed(plugin_info(root))),
        }
    }
}

fn num_value<'a>(v: JsonValue<'_, 'a>) -> Option<CtValue<'a>> {
    // The plugin accepts floats (S3 reports whole numbers as 1.0 at times).
    let t = v.text();
    let n = t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
    })?;
    Some(CtValue::number(n, Some(v.span())))
}

fn user<'a>(root: JsonValue<'_, 'a>) -> Option<CtValue<'a>> {
    let id = root.get("userIdentity")?;
    let ty = id.get("type")?.as_str()?;
    match ty.as_ref() {
        "Root" | "IAMUser" => id.get("userName").and_then(CtValue::of),
        "AWSService" => id.get("invokedBy").and_then(CtValue::of),
        "AssumedRole" => id
            .path(&["sessionContext", "sessionIssuer", "userName"])
            .and_then(CtValue::of)
            .or_else(|| Some(CtValue::computed("AssumedRole"))),
        "AWSAccount" | "FederatedUser" => Some(CtValue::computed(ty.into_owned())),
        _ => None,
    }
}

fn original_user<'a>(root: JsonValue<'_, 'a>) -> Option<CtValue<'a>> {
    let id = root.get("userIdentity")?;
    if id.get("type").and_then(|t| t.as_str()).as_deref() != Some("AssumedRole") {
        return id.get("userName").and_then(CtValue::of);
    }
    // A part of a string value: a span only when the string has no
    // escapes, so raw and decoded offsets agree.
    let part =
        |v: JsonValue<'_, 'a>, pick: &dyn Fn(&str) -> Option<usize>| -> Option<CtValue<'a>> {
            let s = v.as_str()?;
            let at = pick(&s)?;
            let plain = v.span().len() == s.len();
            Some(CtValue {
                text: Cow::Owned(s[at..].to_string()),
                span: plain.then(|| v.span().start + at..v.span().end),
                num: None,
            })
        };
    if let Some(arn) = id.get("arn") {
        if let Some(v) = part(arn, &|s| {
            let n = s.split('/').count();
            (n == 3).then(|| s.rfind('/').map_or(0, |i| i + 1))
        }) {
            return Some(v);
        }
    }
    let pid = id.get("principalId")?;
    part(pid, &|s| s.find(':').map(|i| i + 1))
}

fn image_ids<'d, 'a>(root: JsonValue<'d, 'a>) -> Vec<JsonValue<'d, 'a>> {
    let from_items: Vec<_> = root
        .path(&["responseElements", "instancesSet", "items"])
        .map(|items| items.items().filter_map(|i| i.get("imageId")).collect())
        .unwrap_or_default();
    if !from_items.is_empty() {
        return from_items;
    }
    [
        &["requestParameters", "imageId"][..],
        &[
            "requestParameters",
            "DescribeFastLaunchImagesRequest",
            "ImageId",
            "content",
        ],
        &["requestParameters", "launchSpecification", "imageId"],
    ]
    .iter()
    .find_map(|p| root.path(p))
    .into_iter()
    .collect()
}

fn text<'a>(root: JsonValue<'_, 'a>, f: &CtField) -> Option<Cow<'a, str>> {
    f.extract(root).map(|v| v.text)
}

/// `ct.info`: `<user> via <srcip> [!]<←|→> <eventName>` and what the
/// request touched (read-only events point left, writes right, `!` marks
/// an error).
fn info(root: JsonValue<'_, '_>) -> String {
    let mut s = text(root, &CtField::User)
        .map(Cow::into_owned)
        .unwrap_or_else(|| "<NA>".into());
    if let Some(ip) = root.get("sourceIPAddress").and_then(|v| v.as_str()) {
        s.push_str(" via ");
        s.push_str(&ip);
    }
    s.push(' ');
    if root
        .get("errorCode")
        .is_some_and(|v| v.kind() != JsonKind::Null)
    {
        s.push('!');
    }
    let ro = root
        .get("readOnly")
        .and_then(|v| v.as_bool().or_else(|| v.as_str().map(|t| t == "true")));
    s.push(if ro == Some(true) { '←' } else { '→' });
    s.push(' ');
    s.push_str(
        &root
            .get("eventName")
            .and_then(|v| v.as_str())
            .unwrap_or_default(),
    );
    if let Some(n) = CtField::S3Bytes.extract(root).and_then(|v| v.num) {
        s.push_str(&format!(" Size={n}"));
    }
    let req = |k: &str| {
        root.path(&["requestParameters", k])
            .and_then(|v| v.as_str())
    };
    match (req("bucketName"), req("key")) {
        (Some(b), Some(k)) => s.push_str(&format!(" URI=s3://{b}/{k}")),
        (Some(b), None) => s.push_str(&format!(" Bucket={b}")),
        (None, Some(k)) => s.push_str(&format!(" Key={k}")),
        (None, None) => {}
    }
    if let Some(h) = req("Host") {
        s.push_str(&format!(" Host={h}"));
    }
    s
}

/// `evt.plugininfo`: `<region>[ <user>] <shortsrc> <eventName> <ct.info>`.
fn plugin_info(root: JsonValue<'_, '_>) -> String {
    let get = |f: &CtField| text(root, f).map(Cow::into_owned).unwrap_or_default();
    let mut s = get(&CtField::Path(&["awsRegion"]));
    let u = get(&CtField::User);
    if !u.is_empty() {
        s.push(' ');
        s.push_str(&u);
    }
    for part in [
        get(&CtField::ShortSrc),
        get(&CtField::Path(&["eventName"])),
        info(root),
    ] {
        s.push(' ');
        s.push_str(&part);
    }
    s
}

/// JSON text without the blanks outside strings (how the plugin
/// re-serialises objects).
pub fn compact(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut in_str = false;
    let mut esc = false;
    for &b in raw {
        if in_str {
            out.push(b);
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_str = true;
            }
            out.push(b);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use scapbridge_formats::json::JsonDoc;

    const REC: &str = r#"{"eventVersion":"1.0","userIdentity":{"type":"AssumedRole","principalId":"AROA:bob","arn":"arn:aws:sts::1:assumed-role/R/bob","sessionContext":{"sessionIssuer":{"userName":"R"}}},"eventTime":"2014-03-06T21:22:54Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-2","sourceIPAddress":"10.0.0.1","readOnly":true,"requestParameters":{"bucketName":"b","key":"k 1"},"additionalEventData":{"bytesTransferredIn":0,"bytesTransferredOut":12.0},"resources":[{"ARN":"a"}, {"ARN":"b"}],"recipientAccountId":"123"}"#;

    fn get(name: &str) -> Option<(String, Option<String>)> {
        let d = JsonDoc::parse(REC.as_bytes()).unwrap();
        let f = lookup(name, None).unwrap().unwrap();
        f.extract(d.root())
            .map(|v| (v.text.into_owned(), v.span.map(|s| REC[s].to_string())))
    }

    #[test]
    fn values_and_their_bytes() {
        assert_eq!(
            get("ct.name"),
            Some(("GetObject".into(), Some("GetObject".into())))
        );
        assert_eq!(get("ct.user"), Some(("R".into(), Some("R".into()))));
        assert_eq!(
            get("ct.originaluser"),
            Some(("bob".into(), Some("bob".into())))
        );
        assert_eq!(
            get("ct.shortsrc"),
            Some(("s3".into(), Some("s3.amazonaws.com".into())))
        );
        assert_eq!(
            get("ct.user.accountid"),
            Some(("123".into(), Some("123".into())))
        );
        assert_eq!(
            get("ct.readonly"),
            Some(("true".into(), Some("true".into())))
        );
        assert_eq!(get("s3.bytes"), Some(("12".into(), None)));
        assert_eq!(get("s3.cnt.get"), Some(("1".into(), None)));
        assert_eq!(get("s3.uri"), Some(("s3://b/k 1".into(), None)));
        assert_eq!(get("ct.resources").unwrap().0, r#"{"ARN":"a"},{"ARN":"b"}"#);
        assert_eq!(
            get("ct.request").unwrap().0,
            r#"{"bucketName":"b","key":"k 1"}"#
        );
        assert_eq!(get("ct.error"), None);
        assert_eq!(
            get("ct.info").unwrap().0,
            "R via 10.0.0.1 ← GetObject Size=12 URI=s3://b/k 1"
        );
        assert_eq!(
            get("evt.plugininfo").unwrap().0,
            "us-east-2 R s3 GetObject R via 10.0.0.1 ← GetObject Size=12 URI=s3://b/k 1"
        );
        let d = JsonDoc::parse(REC.as_bytes()).unwrap();
        let jv = lookup(
            "json.value",
            Some("/userIdentity/sessionContext/sessionIssuer/userName"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(jv.extract(d.root()).unwrap().text, "R");
        assert!(lookup("json.value", Some("nope")).unwrap().is_err());
        assert!(lookup("proc.name", None).is_none());
    }

    #[test]
    fn misused_fields_are_typed_errors_naming_the_field() {
        let e = lookup("json.value", Some("userIdentity"))
            .unwrap()
            .unwrap_err();
        assert_eq!(e.field(), "json.value");
        assert_eq!(
            e.to_string(),
            "json.value[userIdentity]: the argument is a JSON pointer such as \
             /userIdentity/type (did you mean json.value[/userIdentity]?)"
        );
        let e = lookup("jevt.value", None).unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            "jevt.value needs a JSON pointer: jevt.value[/userIdentity/type]"
        );
        let e = lookup("ec2.imageids", Some("x")).unwrap().unwrap_err();
        assert_eq!(e.to_string(), "ec2.imageids[x]: the argument is an index");
        let e = lookup("ct.name", Some("1")).unwrap().unwrap_err();
        assert!(matches!(&e, FieldError::UnexpectedArgument { field } if field == "ct.name"));
        assert_eq!(e.to_string(), "field 'ct.name' takes no argument");
    }
}
