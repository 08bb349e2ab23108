//! Helpers of the extcap tests (extcap_*.rs): the protocol's sentence
//! grammar and queries, `scapbridge capture` runs with a deadline, FIFOs
//! and signals.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::scapbridge;
use scapbridge_formats::{Item, ScapReader};

/// One sentence as Wireshark's extcap parser reads it (`extcap_parser.c`):
/// a keyword, whitespace, then `{key=value}` fields where a value runs to the
/// first `}` that is followed by `{`, the end of the line or whitespace.
#[derive(Debug)]
pub struct Sentence {
    pub keyword: String,
    pub fields: BTreeMap<String, String>,
}

/// Parses one line of a query answer, or says what breaks the grammar.
pub fn parse_sentence(line: &str) -> Result<Sentence, String> {
    let (kw, rest) = line
        .split_once(' ')
        .ok_or_else(|| format!("no fields: {line:?}"))?;
    if !["extcap", "interface", "dlt", "arg", "value", "control"].contains(&kw) {
        return Err(format!("unknown keyword {kw:?}"));
    }
    let mut fields = BTreeMap::new();
    let mut s = rest;
    while !s.is_empty() {
        let body = s
            .strip_prefix('{')
            .ok_or_else(|| format!("expected '{{' at {s:?} in {line:?}"))?;
        let eq = body.find('=').ok_or_else(|| format!("no '=' in {s:?}"))?;
        let key = &body[..eq];
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        {
            return Err(format!("bad key {key:?} in {line:?}"));
        }
        let after = &body[eq + 1..];
        // The value ends at the first '}' followed by '{' or the end.
        let mut end = None;
        for (i, c) in after.char_indices() {
            if c == '}' && (after[i + 1..].is_empty() || after[i + 1..].starts_with('{')) {
                end = Some(i);
                break;
            }
        }
        let end = end.ok_or_else(|| format!("unterminated value in {line:?}"))?;
        let value = &after[..end];
        if value.contains("}{") {
            return Err(format!("value contains '}}{{': {value:?}"));
        }
        if fields.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("duplicate key {key} in {line:?}"));
        }
        s = &after[end + 1..];
    }
    Ok(Sentence {
        keyword: kw.to_string(),
        fields,
    })
}

/// Runs a query call; checks exit 0 and an empty stderr; parses every line.
pub fn query(args: &[&str]) -> Vec<Sentence> {
    let o = scapbridge().args(args).output().unwrap();
    assert!(o.status.success(), "{args:?} exited {:?}", o.status);
    assert!(
        o.stderr.is_empty(),
        "{args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).expect("UTF-8 output");
    out.lines()
        .map(|l| parse_sentence(l).unwrap_or_else(|e| panic!("{args:?}: {e}")))
        .collect()
}

/// The field `k` of a sentence; panics, naming the sentence, if it has none.
pub fn f<'a>(s: &'a Sentence, k: &str) -> &'a str {
    s.fields
        .get(k)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{} sentence without {k}: {:?}", s.keyword, s.fields))
}

/// The `value` of every `interface` sentence of `--extcap-interfaces`.
pub fn interface_names() -> Vec<String> {
    query(&["--extcap-interfaces", "--extcap-version=4.0"])
        .iter()
        .filter(|s| s.keyword == "interface")
        .map(|s| f(s, "value").to_string())
        .collect()
}

/// Waits for a child with a deadline (a hung tshark fails the test instead of
/// hanging CI), draining its pipes meanwhile; returns its output.
pub fn wait_with_deadline(mut child: Child, limit: Duration) -> Output {
    fn pump<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    }
    let out = pump(child.stdout.take());
    let err = pump(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "did not finish within {limit:?}; stderr: {}",
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Asserts two sequences are equal, showing only the first difference.
pub fn assert_same<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
    if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
        panic!(
            "{what}: first difference at index {i}:\n  {:?}\n  {:?}",
            a[i], b[i]
        );
    }
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
}

/// How many events a capture holds; panics unless it reads to its end
/// (a capture stopped by a signal or a closed FIFO ends on a whole block).
pub fn whole_capture_events(path: &Path) -> usize {
    let mut r = ScapReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut n = 0;
    while let Some(i) = r
        .next_item()
        .unwrap_or_else(|e| panic!("{}: not whole: {e}", path.display()))
    {
        if matches!(i, Item::Event(_)) {
            n += 1;
        }
    }
    n
}

/// `scapbridge capture ARGS…`, run to its end within 60 s.
pub fn capture(args: &[&str]) -> Output {
    let mut c = scapbridge();
    c.arg("capture").args(args);
    wait_with_deadline(
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(60),
    )
}

/// `scapbridge capture -i scapbridge-replay --file FILE` then `rest`.
pub fn replay(file: &str, rest: &[&str]) -> Output {
    let mut args = vec!["-i", "scapbridge-replay", "--file", file];
    args.extend_from_slice(rest);
    capture(&args)
}

/// Wireshark's extcap call that replays `file` into `fifo` (`--capture
/// --extcap-interface scapbridge-replay --fifo FIFO --file FILE`), for the
/// caller to add the rest.
pub fn extcap_replay(fifo: &Path, file: &Path) -> Command {
    let mut c = Command::new(super::scapbridge_bin());
    c.args([
        "--capture",
        "--extcap-interface",
        "scapbridge-replay",
        "--fifo",
    ])
    .arg(fifo)
    .arg("--file")
    .arg(file);
    c
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// Sends `SIG` to the child; asserts it was delivered.
pub fn kill(child: &Child, sig: &str) {
    assert!(super::signal(sig, child.id()));
}
