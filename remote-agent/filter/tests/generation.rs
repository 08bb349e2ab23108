//! How `-p` formats parse for each reader generation.
#![allow(clippy::panic)]

use scapbridge_filter::eval::{OutputFormat, OutputFormatError};
use scapbridge_formats::Generation;

/// sysdig 0.29 lacks `fd.nameraw`: it takes `fd.name` and the text `raw`,
/// and refuses a field none of whose prefixes it has.
#[test]
fn sysdig029_reads_a_field_it_lacks_as_its_longest_prefix() {
    let f = OutputFormat::new_as("%fd.nameraw x", Generation::Sysdig029).expect("parses");
    let names = f.field_names();
    assert_eq!(names, ["fd.name"], "{names:?}");
    let f = OutputFormat::new_as("%fd.nameraw x", Generation::Libs023).expect("parses");
    assert_eq!(f.field_names(), ["fd.nameraw"]);
    match OutputFormat::new_as("%thread.cap_effective", Generation::Sysdig029) {
        Err(e @ OutputFormatError::NotInGeneration { .. }) => {
            assert_eq!(
                e.to_string(),
                "sysdig 0.29 has no field 'thread.cap_effective'"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Generation::from_name("sysdig-0.29"),
        Some(Generation::Sysdig029)
    );
    assert_eq!(Generation::from_name("sysdig-0.30"), None);
}
