//! `scapbridge-cloudtrail`: AWS CloudTrail logs as Falco plugin events.
//!
//! * [`fields`]: the plugin's fields with the byte span of each value.
//! * [`spec`]: the open parameters (`path`, `s3://…`, `sqs://…`) and options.
//! * [`source`]: the capture source over local files, S3 and SQS.
//! * [`parse`]: one log file read as it arrives, within memory limits.
//! * [`walk`]: the regular log files of a local tree, each once.

pub mod fields;
pub mod parse;
pub mod source;
pub mod spec;
pub mod walk;

#[cfg(feature = "aws")]
pub use scapbridge_aws::AwsSettings;

use std::cell::RefCell;

use scapbridge_formats::cloudtrail::CLOUDTRAIL_PLUGIN_ID;
use scapbridge_formats::event::value_u64;
use scapbridge_formats::json::{JsonDoc, JsonIndex};
use scapbridge_formats::schema::PPME_PLUGINEVENT_E;
use scapbridge_formats::Event;

use fields::{CtField, CtValue};
use scapbridge_filter::provider::{FieldError, FieldProvider, FieldValue, PluginField};

/// The CloudTrail plugin's fields for the filter language and the rules of
/// the `aws_cloudtrail` source; registered by [`register_fields`].
#[derive(Debug)]
pub struct CloudTrailFields;

impl FieldProvider for CloudTrailFields {
    fn event_source(&self) -> &'static str {
        scapbridge_formats::cloudtrail::CLOUDTRAIL_SOURCE
    }

    fn lookup(
        &self,
        name: &str,
        arg: Option<&str>,
    ) -> Option<Result<std::sync::Arc<dyn PluginField>, FieldError>> {
        fields::lookup(name, arg)
            .map(|r| r.map(|f| std::sync::Arc::new(f) as std::sync::Arc<dyn PluginField>))
    }

    fn owns(&self, ev: &Event<'_>) -> bool {
        record(ev).is_some()
    }

    fn fields(&self) -> Vec<scapbridge_filter::eval::FieldInfo> {
        use fields::CtField;
        let source = scapbridge_formats::cloudtrail::CLOUDTRAIL_SOURCE;
        let mut v: Vec<_> = fields::FIELDS
            .iter()
            .map(|(name, f)| {
                let (ty, desc) = match f {
                    CtField::Path(p) => ("CHARBUF", format!("the record's {}", p.join("."))),
                    CtField::PathNum(p) => {
                        ("UINT64", format!("the record's {}, a number", p.join(".")))
                    }
                    CtField::ShortSrc => ("CHARBUF", "eventSource without .amazonaws.com".into()),
                    CtField::User => ("CHARBUF", "the acting user, by identity type".into()),
                    CtField::OriginalUser => ("CHARBUF", "the user behind an assumed role".into()),
                    CtField::AccountId => (
                        "CHARBUF",
                        "userIdentity.accountId, else recipientAccountId".into(),
                    ),
                    CtField::Info => ("CHARBUF", "a one-line summary of the record".into()),
                    CtField::Resources => ("CHARBUF", "each resource as JSON, comma-joined".into()),
                    CtField::S3Uri => ("CHARBUF", "s3://bucket/key of an S3 data event".into()),
                    CtField::S3Bytes => ("UINT64", "bytes transferred in plus out".into()),
                    CtField::S3Count(_) => {
                        ("UINT64", "1 for an S3 call of this kind, else 0".into())
                    }
                    CtField::Ec2Name => ("CHARBUF", "the Name tag of a launched instance".into()),
                    CtField::Ec2ImageId(_) => {
                        ("CHARBUF", "the image id of a launched instance".into())
                    }
                    CtField::JsonObj => ("CHARBUF", "the whole record as JSON".into()),
                    CtField::PluginInfo => ("CHARBUF", "the plugin's one-line event text".into()),
                    other => ("CHARBUF", format!("{other:?}")),
                };
                scapbridge_filter::eval::FieldInfo::new(name, ty, source, &desc)
            })
            .collect();
        v.push(scapbridge_filter::eval::FieldInfo::new(
            "json.value[/POINTER]",
            "CHARBUF",
            source,
            "the record's value at a JSON pointer (json.value[/userIdentity/type])",
        ));
        v
    }
}

/// Registers [`CloudTrailFields`] with the filter language (idempotent).
pub fn register_fields() {
    scapbridge_filter::provider::register(&CloudTrailFields);
}

impl PluginField for CtField {
    fn is_numeric(&self) -> bool {
        CtField::is_numeric(self)
    }

    fn extract<'a>(&self, ev: &Event<'a>, num: u64) -> Option<FieldValue<'a>> {
        let v = extract(self, ev, num)?;
        Some(FieldValue {
            text: v.text,
            num: v.num,
        })
    }
}

/// The CloudTrail record an event carries: the payload of a plugin event
/// of the CloudTrail plugin, `None` for any other event.
pub fn record<'a>(ev: &Event<'a>) -> Option<&'a [u8]> {
    if ev.event_type() != PPME_PLUGINEVENT_E {
        return None;
    }
    let id = value_u64(ev.param(0)?)?;
    (id == u64::from(CLOUDTRAIL_PLUGIN_ID))
        .then(|| ev.param(1))
        .flatten()
}

/// Identity of the event whose record index is cached: where its bytes
/// are, how long, its time and number. Rules test many fields of one event
/// in a row; the key makes a buffer reused for another event miss.
type Key = (usize, usize, u64, u64);

thread_local! {
    /// The last record's parse (`None`: not JSON), so the twenty-odd rules
    /// that look at one record parse it once.
    static LAST: RefCell<Option<(Key, Option<JsonIndex>)>> = const { RefCell::new(None) };
}

/// Runs `f` over the parsed record of `ev` (numbered `num`), parsing it
/// only if it is not the record seen last on this thread.
pub fn with_record<'a, T>(
    ev: &Event<'a>,
    num: u64,
    f: impl FnOnce(&JsonDoc<'a>) -> Option<T>,
) -> Option<T> {
    let rec = record(ev)?;
    let key = (rec.as_ptr() as usize, rec.len(), ev.ts(), num);
    LAST.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cached = match slot.take() {
            Some((k, idx)) if k == key => idx,
            _ => JsonDoc::parse(rec).ok().map(JsonDoc::into_index),
        };
        let doc = match cached.map(|i| JsonDoc::with_index(rec, i)) {
            Some(Ok(d)) => d,
            // Not JSON, or (never for a matching key) another length.
            _ => {
                *slot = Some((key, None));
                return None;
            }
        };
        let out = f(&doc);
        *slot = Some((key, Some(doc.into_index())));
        out
    })
}

/// Extracts a CloudTrail field from an event (missing on events that are
/// not CloudTrail records).
pub fn extract<'a>(f: &CtField, ev: &Event<'a>, num: u64) -> Option<CtValue<'a>> {
    with_record(ev, num, |doc| f.extract(doc.root()))
}

/// Every field of the catalogue that the record has, with its value and
/// span in the event (offsets from the event's first byte, as the plugin
/// API reports them), for `scapbridge read --fields`.
pub fn all_fields<'a>(ev: &Event<'a>, num: u64) -> Option<Vec<(&'static str, CtValue<'a>)>> {
    use scapbridge_formats::cloudtrail::PLUGIN_EVENT_PAYLOAD_OFFSET as AT;
    with_record(ev, num, |doc| {
        Some(
            fields::FIELDS
                .iter()
                .filter(|(n, _)| *n != "json.obj")
                .filter_map(|(n, f)| {
                    let mut v = f.extract(doc.root())?;
                    v.span = v.span.map(|s| s.start + AT..s.end + AT);
                    Some((*n, v))
                })
                .collect(),
        )
    })
}
