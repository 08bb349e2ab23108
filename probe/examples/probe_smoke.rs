//! Loads the probe system-wide for a moment and prints what it saw.
fn main() {
    let opts = scapbridge_probe::ProbeOptions::default();
    let mut p = match scapbridge_probe::Probe::load(&opts) {
        Ok(p) => p,
        Err(e) => {
            if let scapbridge_probe::ProbeError::Verifier { log, .. } = &e {
                let lines: Vec<&str> = log.lines().collect();
                for l in &lines[lines.len().saturating_sub(40)..] {
                    eprintln!("{l}");
                }
            }
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut n = 0;
    let mut types = std::collections::BTreeMap::new();
    p.drain(usize::MAX, |_, r| {
        for ev in scapbridge_probe::record::events(r) {
            n += 1;
            *types
                .entry(u16::from_ne_bytes([ev[20], ev[21]]))
                .or_insert(0) += 1;
        }
    });
    println!("{n} events {types:?} {:?}", p.stats());
}
