//! S3 and SQS: listing, fetching and the SQS notification loop, over the
//! AWS SDK (the `aws` feature). A child of the source module: it works on
//! the source's batches and counters.

use std::sync::Arc;

use scapbridge_aws::Aws;
use scapbridge_engine::capture::{CaptureControl, CaptureError, EventSink, StopReason};

use super::*;
use crate::parse::LogParser;
use crate::spec::{is_log_name, key_selected};

impl CloudTrailSource {
    /// Lends the AWS client to `f` (it is taken out so `f` may borrow
    /// `self` mutably).
    pub(super) fn with_aws<T>(
        &mut self,
        f: impl FnOnce(&mut Self, &Aws) -> Result<T, CaptureError>,
    ) -> Result<T, CaptureError> {
        let aws = self
            .aws
            .take()
            .ok_or_else(|| CaptureError::Source(Box::new(CloudTrailError::NoClient)))?;
        let r = f(self, &aws);
        self.aws = Some(aws);
        r
    }

    /// Downloads `keys` of `bucket` into `batch`, each object parsed as
    /// its bytes arrive; a failed object is a counted, listed skip.
    fn fetch(
        &mut self,
        aws: &Aws,
        ctl: &CaptureControl,
        bucket: &str,
        keys: &[String],
        batch: &mut Batch,
        budget: &Arc<HeldBudget>,
    ) {
        aws.get_each(
            bucket,
            keys,
            self.opts.concurrency,
            |key| LogParser::new(format!("s3://{bucket}/{key}"), budget),
            |_, r| match r {
                Ok(p) => self.absorb(ctl, p.finish(), batch),
                Err(e) => self.bad_file(ctl, FileSkip::Unreadable, &e.to_string()),
            },
        );
    }

    pub(super) fn run_s3(
        &mut self,
        aws: &Aws,
        bucket: &str,
        prefix: &str,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError> {
        let keys: Vec<String> = aws
            .list(bucket, prefix)
            .map_err(aws_error)?
            .into_iter()
            .map(|o| o.key)
            .filter(|k| is_log_name(k))
            .filter(|k| key_selected(k, &self.opts.accounts, &self.opts.regions))
            .filter(|k| self.opts.interval.is_none_or(|i| i.admits(k)))
            .collect();
        ctl.log.log(
            Level::Info,
            &format!("s3://{bucket}/{prefix}: {} log files", keys.len()),
        );
        let mut batch = Batch::default();
        let budget = HeldBudget::new(MAX_HELD_BYTES);
        self.fetch(aws, ctl, bucket, &keys, &mut batch, &budget);
        Ok(self
            .push(batch, sink, ctl)?
            .1
            .unwrap_or(StopReason::EndOfInput))
    }

    pub(super) fn sqs_loop(
        &mut self,
        aws: &Aws,
        queue: &str,
        sink: &mut dyn EventSink,
        ctl: &CaptureControl,
    ) -> Result<StopReason, CaptureError> {
        let url = aws
            .queue_url(queue, self.opts.sqs_owner.as_deref())
            .map_err(aws_error)?;
        // Something in the stream at once, so the analyzer shows a capture
        // started even while the queue is empty.
        if let Flow::Stop(r) = sink.flush()? {
            return Ok(r);
        }
        let budget = HeldBudget::new(MAX_HELD_BYTES);
        loop {
            if let Some(r) = ctl.stop_reason() {
                return Ok(r);
            }
            // Short long-polls keep a stop request answered within a second.
            let msgs = aws
                .receive(&url, Duration::from_secs(1), 10)
                .map_err(aws_error)?;
            for m in msgs {
                self.stats.messages += 1;
                let objects = match notification_objects(&m.body) {
                    Ok(o) => o,
                    Err(why) => {
                        self.stats.other_messages += 1;
                        ctl.log
                            .log(Level::Info, &format!("SQS message skipped: {why}"));
                        Vec::new()
                    }
                };
                let mut batch = Batch::default();
                for (bucket, keys) in group_by_bucket(objects) {
                    let keys: Vec<String> = keys.into_iter().filter(|k| is_log_name(k)).collect();
                    self.fetch(aws, ctl, &bucket, &keys, &mut batch, &budget);
                }
                let (whole, stop) = self.push(batch, sink, ctl)?;
                // Deleted once all its records reached the output: a crash
                // or a stop before that leaves the notification for the
                // next run.
                if self.opts.sqs_delete && whole {
                    match aws.delete(&url, &m.receipt) {
                        Ok(()) => self.stats.deleted += 1,
                        Err(e) => ctl.log.log(Level::Warning, &format!("{e}")),
                    }
                }
                if let Some(r) = stop {
                    return Ok(r);
                }
            }
        }
    }
}

/// Objects grouped by bucket, in first-seen order.
fn group_by_bucket(objects: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (b, k) in objects {
        match out.iter_mut().find(|(x, _)| *x == b) {
            Some((_, v)) => v.push(k),
            None => out.push((b, vec![k])),
        }
    }
    out
}
