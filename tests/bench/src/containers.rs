//! `scapbridge-bench containers [CAPTURE]`: the per-event cost of the
//! container lookup path (issue 22) on a real capture of 50 podman
//! containers, beside the same capture with the containers taken out.
//!
//! The input is recorded here unless a capture is given: `podman system
//! service` on a socket of our own, 50 containers (`scb-bench-ct-N`, each a
//! `sh` loop of builtin reads and one `cat` per pass, with the CRI pod
//! labels), and a whole-machine `scapbridge capture -i scapbridge-syscalls
//! --container-socket SOCK --count 1000000`. The containers and the service
//! are removed when it ends. The recording is kept (its path is printed) so
//! a second run can skip it.
//!
//! The recording is then rewritten twice through the same code: "with"
//! unchanged, "without" with every `cgroups` (process list and events)
//! replaced by a host thread's and the `container` events left out. The two
//! files differ only in what makes a thread a container's. Three interleaved
//! rounds of each path over each file; medians:
//!
//! * state: [`CaptureState::apply`] on every block (threads take their
//!   container id from their cgroups at the snapshot, clone and execve);
//! * state + fields: the same, plus `%container.name %container.image
//!   %k8s.pod.name` rendered for every event (the thread's container id,
//!   then the container record);
//! * state + filter: the same lookups through a compiled filter on
//!   `container.name` and `k8s.pod.name` (no text, no allocation);
//! * live note: what the live capture does per event
//!   (`scapbridge_agent::containers::Containers::note`): the event type's
//!   `cgroups` slot, and for the events that have one the resolver's
//!   `lookup_cgroups` (parse + cache hit, 50 containers cached);
//! * `scapbridge read -p '%evt.num %proc.name %container.name
//!   %k8s.pod.name' FILE > /dev/null`, process against process.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use scapbridge_containers::{ContainerInfo, ContainerType, Resolver, ResolverConfig};
use scapbridge_filter::eval::OutputFormat;
use scapbridge_filter::{EvalContext, Filter};
use scapbridge_formats::state::{CaptureState, ContainerRecord};
use scapbridge_formats::{schema, Event, Item, Profile, ScapReader, ScapWriter, WriterOptions};

/// Containers started for the recording.
const CONTAINERS: usize = 50;
/// Events the recording stops at.
const EVENTS: u64 = 1_000_000;
/// Rounds of each timed path; the median counts.
const ROUNDS: usize = 3;
/// The fields rendered per event in the in-process path.
const FIELDS: &str = "%container.name %container.image %k8s.pod.name";
/// The filter of the lookup-only path: true for every container event
/// whose pod name is known, never for a host thread's.
const FILTER: &str = "container.name != host and k8s.pod.name != nosuch";
/// `read -p` format of the process path.
const READ_FORMAT: &str = "%evt.num %proc.name %container.name %k8s.pod.name";
/// Each container's loop: 200 builtin reads of a file (open, read, close
/// per pass), one fork+exec of `cat`, then a short sleep.
const LOOP: &str = "while :; do i=0; while [ $i -lt 200 ]; do read x < /etc/hostname; i=$((i+1)); done; cat /etc/hostname > /dev/null; sleep 0.3; done";

use scapbridge_tests::{podman, podman_image as image};

/// The service and containers of a recording; all removed on drop.
#[derive(Debug)]
struct Runtime {
    service: Option<Child>,
    names: Vec<String>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.names.is_empty() {
            let _ = podman()
                .args(["rm", "-f", "-t", "0"])
                .args(&self.names)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some(mut s) = self.service.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

/// Records the input: 50 containers running, a whole-machine capture of
/// 1,000,000 events with container metadata from the runtime's API.
fn record(scapbridge: &Path, tmp: &Path, out: &Path) -> Result<()> {
    let sock = tmp.join("bench-podman.sock");
    let _ = std::fs::remove_file(&sock);
    let mut rt = Runtime {
        service: None,
        names: Vec::new(),
    };
    rt.service = Some(
        podman()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", sock.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("podman system service")?,
    );
    let t0 = Instant::now();
    // Five at a time: podman run takes about a second here, mostly waiting.
    for chunk in (0..CONTAINERS).collect::<Vec<_>>().chunks(5) {
        let kids: Vec<(String, Child)> = chunk
            .iter()
            .map(|&i| {
                let name = format!("scb-bench-ct-{i}");
                let child = podman()
                    .args(["run", "-d", "--rm", "--network", "none", "--name", &name])
                    .args(["--label", &format!("io.kubernetes.pod.name=bench-pod-{i}")])
                    .args(["--label", "io.kubernetes.pod.namespace=bench"])
                    .arg(image())
                    .args(["sh", "-c", LOOP])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn();
                child.map(|c| (name, c))
            })
            .collect::<Result<_, _>>()?;
        for (name, k) in kids {
            rt.names.push(name.clone());
            let o = k.wait_with_output()?;
            ensure!(
                o.status.success(),
                "podman run {name}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
    }
    println!(
        "started {CONTAINERS} containers in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sock.exists() {
        ensure!(
            Instant::now() < deadline,
            "podman system service: no socket"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let every loop run a pass before the capture starts.
    std::thread::sleep(Duration::from_secs(2));
    let t0 = Instant::now();
    let o = Command::new(scapbridge)
        .args(["capture", "-i", "scapbridge-syscalls", "--container-socket"])
        .arg(&sock)
        .args(["--count", &EVENTS.to_string(), "--duration", "120", "-w"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    ensure!(
        o.status.success(),
        "capture failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    println!(
        "recorded in {:.1} s: {}",
        t0.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&o.stderr)
            .trim()
            .replace('\n', "; ")
    );
    Ok(())
}

/// Rewrites `input` to `out`: unchanged blocks, or with `strip` every
/// `cgroups` replaced by a host thread's and the container events left out.
fn rewrite(input: &Path, out: &Path, strip: bool) -> Result<u64> {
    let host = scapbridge_containers::bench::host_cgroups();
    let cgroups_at: Vec<Option<usize>> = (0..schema::EVENT_MAX)
        .map(|i| schema::event_info(i).and_then(|e| e.param_index("cgroups")))
        .collect();
    let mut r = ScapReader::new(File::open(input)?)?;
    let mut w = ScapWriter::new(
        BufWriter::new(File::create(out)?),
        WriterOptions::new(Profile::Keep),
    )?;
    let mut sections = 0;
    let mut events = 0;
    while let Some(item) = r.next_item()? {
        match item {
            Item::Section(_) => {
                sections += 1;
                if sections > 1 {
                    w.new_section()?;
                }
            }
            Item::MachineInfo(m) => w.write_machine_info(m)?,
            Item::Interfaces(i) => w.write_interfaces(i)?,
            Item::Users(u) => w.write_users(u)?,
            Item::Fds { tid, fds } => w.write_fds(tid, fds)?,
            Item::Processes(p) if strip => {
                let mut p = p.to_vec();
                for t in &mut p {
                    t.cgroups = host.clone();
                }
                w.write_processes(&p)?;
            }
            Item::Processes(p) => w.write_processes(p)?,
            Item::Event(e) => {
                let t = e.event_type();
                if strip
                    && matches!(
                        t,
                        schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E
                    )
                {
                    continue;
                }
                events += 1;
                match cgroups_at.get(usize::from(t)).copied().flatten() {
                    Some(i) if strip && e.param(i).is_some() => {
                        let mut o = e.to_owned_event();
                        o.params[i] = host.clone();
                        w.write_owned(&o)?;
                    }
                    _ => w.write_event(&e)?,
                }
            }
            _ => {}
        }
    }
    w.finish()?;
    Ok(events)
}

/// What one pass over a file found, so each figure is known to come from
/// the same work on both files.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    events: u64,
    in_container: u64,
    named: u64,
}

/// One timed pass over `file`: the state applied to every item, then
/// `per_event` on each event (the events counted before it).
fn pass(
    file: &Path,
    mut per_event: impl FnMut(&Event<'_>, &CaptureState, &mut Seen),
) -> Result<(f64, Seen)> {
    let t = Instant::now();
    let mut r = ScapReader::new(File::open(file)?)?;
    let mut st = CaptureState::new();
    let mut s = Seen::default();
    while let Some(item) = r.next_item()? {
        st.apply(&item);
        if let Item::Event(e) = &item {
            s.events += 1;
            per_event(e, &st, &mut s);
        }
    }
    Ok((t.elapsed().as_secs_f64(), s))
}

/// State only.
fn pass_state(file: &Path) -> Result<(f64, Seen)> {
    pass(file, |e, st, s| {
        if st
            .thread(e.tid())
            .is_some_and(|t| !t.container_id.is_empty())
        {
            s.in_container += 1;
        }
    })
}

/// State, then the container fields of every event.
fn pass_fields(file: &Path, fmt: &OutputFormat) -> Result<(f64, Seen)> {
    pass(file, |e, st, s| {
        let (_, fields) = fmt.render(
            e,
            EvalContext {
                state: st,
                num: s.events,
            },
        );
        if fields
            .first()
            .is_some_and(|(_, v)| v.as_deref().is_some_and(|v| v != "host"))
        {
            s.named += 1;
        }
    })
}

/// State, then a filter on two container fields of every event (the
/// lookups without the rendering's allocations).
fn pass_filter(file: &Path, filter: &Filter) -> Result<(f64, Seen)> {
    pass(file, |e, st, s| {
        let cx = EvalContext {
            state: st,
            num: s.events,
        };
        if filter.matches(e, cx) {
            s.named += 1;
        }
    })
}

/// The live capture's per-event note: the event type's `cgroups` slot and,
/// where there is one, `Resolver::lookup_cgroups`.
fn pass_note(
    file: &Path,
    resolver: &Resolver,
    cgroups_at: &[Option<usize>],
) -> Result<(f64, Seen)> {
    // Read into memory first: the note is timed, not the reader.
    let mut r = ScapReader::new(File::open(file)?)?;
    let mut buf = Vec::new();
    let mut at = Vec::new();
    while let Some(item) = r.next_item()? {
        if let Item::Event(e) = item {
            let start = buf.len();
            buf.extend_from_slice(e.raw());
            at.push((start..buf.len(), e.is_large()));
        }
    }
    let parsed: Vec<scapbridge_formats::Event<'_>> = at
        .iter()
        .map(|(r, large)| scapbridge_formats::Event::parse(&buf[r.clone()], *large))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("re-parse: {e:?}"))?;
    let mut s = Seen::default();
    let t = Instant::now();
    for ev in &parsed {
        s.events += 1;
        let Some(&Some(i)) = cgroups_at.get(usize::from(ev.event_type())) else {
            continue;
        };
        if let Some(c) = ev.param(i).filter(|c| !c.is_empty()) {
            s.in_container += 1;
            if let Some((_, Some(_))) = std::hint::black_box(resolver.lookup_cgroups(c)) {
                s.named += 1;
            }
        }
    }
    Ok((t.elapsed().as_secs_f64(), s))
}

fn time_read(scapbridge: &Path, file: &Path) -> Result<f64> {
    let t = Instant::now();
    let st = Command::new(scapbridge)
        .args(["read", "-p", READ_FORMAT])
        .arg(file)
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    ensure!(
        st.success(),
        "scapbridge read -p failed on {}",
        file.display()
    );
    Ok(t.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The resolver the note path asks: the capture's containers in its cache,
/// no runtime socket.
fn resolver_of(file: &Path) -> Result<(Resolver, usize)> {
    let r = Resolver::start(
        ResolverConfig::new("/nonexistent/scapbridge-bench.sock").list_at_start(false),
    )?;
    let mut rd = ScapReader::new(File::open(file)?)?;
    let mut n = 0;
    while let Some(item) = rd.next_item()? {
        if let Item::Event(e) = item {
            if matches!(
                e.event_type(),
                schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E
            ) {
                if let Some(c) = e.param(0).and_then(ContainerRecord::from_json) {
                    let mut info = ContainerInfo::new(&c.full_id, ContainerType::Podman);
                    info.name = c.name.clone();
                    info.set_image(&c.image);
                    r.insert(info);
                    n += 1;
                }
            }
        }
    }
    Ok((r, n))
}

/// The whole containers benchmark; `given` is a capture to use instead of
/// recording one.
pub(crate) fn run(scapbridge: &Path, tmp: &Path, given: Option<PathBuf>) -> Result<()> {
    let recorded = match given {
        Some(p) => p,
        None => {
            let p = tmp.join("containers-50.scap");
            record(scapbridge, tmp, &p)?;
            p
        }
    };
    let with = tmp.join("containers-with.scap");
    let without = tmp.join("containers-without.scap");
    let n_with = rewrite(&recorded, &with, false)?;
    let n_without = rewrite(&recorded, &without, true)?;
    let (resolver, cached) = resolver_of(&with)?;
    println!(
        "input: {} ({:.1} MB), {n_with} events with containers ({cached} container events), {n_without} without",
        recorded.display(),
        std::fs::metadata(&recorded)?.len() as f64 / 1e6
    );
    if cached < CONTAINERS {
        println!("note: the capture describes {cached} containers, not {CONTAINERS}");
    }
    let fmt = OutputFormat::new(FIELDS).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cgroups_at: Vec<Option<usize>> = (0..schema::EVENT_MAX)
        .map(|i| schema::event_info(i).and_then(|e| e.param_index("cgroups")))
        .collect();

    // [path][file: with, without] -> seconds per round
    let names = [
        "state (apply every block)",
        "state + container fields",
        "state + filter on 2 fields",
        "live note (cgroups lookup)",
        "scapbridge read -p (process)",
    ];
    let mut secs = vec![[Vec::new(), Vec::new()]; names.len()];
    let mut seen = [[Seen::default(); 2]; 4];
    let filter = Filter::new(FILTER).map_err(|e| anyhow::anyhow!("{e}"))?;
    for round in 0..ROUNDS {
        for (f, file) in [&with, &without].into_iter().enumerate() {
            let (s, n) = pass_state(file)?;
            secs[0][f].push(s);
            seen[0][f] = n;
            let (s, n) = pass_fields(file, &fmt)?;
            secs[1][f].push(s);
            seen[1][f] = n;
            let (s, n) = pass_filter(file, &filter)?;
            secs[2][f].push(s);
            seen[3][f] = n;
            let (s, n) = pass_note(file, &resolver, &cgroups_at)?;
            secs[3][f].push(s);
            seen[2][f] = n;
            secs[4][f].push(time_read(scapbridge, file)?);
        }
        eprint!("\rround {}/{ROUNDS}", round + 1);
    }
    eprintln!();
    let events = seen[0][0].events as f64;
    let events_without = seen[0][1].events as f64;
    println!(
        "events in a container's thread: {} of {} ({:.1} %); with a container name: {}; without containers: {} and {}",
        seen[0][0].in_container,
        seen[0][0].events,
        100.0 * seen[0][0].in_container as f64 / events.max(1.0),
        seen[1][0].named,
        seen[0][1].in_container,
        seen[1][1].named
    );
    println!(
        "filter '{FILTER}' true for {} events; without containers: {}",
        seen[3][0].named, seen[3][1].named
    );
    println!(
        "events with a cgroups parameter (noted): {} ({} hit the cache); without: {} ({} hit)",
        seen[2][0].in_container, seen[2][0].named, seen[2][1].in_container, seen[2][1].named
    );
    println!(
        "container lookup path, median of {ROUNDS} interleaved rounds, ns per event (50 containers vs none):"
    );
    println!(
        "  {:<30} {:>12} {:>12} {:>10} {:>8}",
        "path", "with", "without", "added", "ratio"
    );
    for (p, name) in names.iter().enumerate() {
        let w = median(secs[p][0].clone()) * 1e9 / events;
        let wo = median(secs[p][1].clone()) * 1e9 / events_without;
        println!(
            "  {name:<30} {w:>9.1} ns {wo:>9.1} ns {:>+7.1} ns {:>7.2}x",
            w - wo,
            w / wo
        );
    }
    let c = scapbridge_containers::bench::lookup_cost(CONTAINERS, 1_000_000)?;
    println!("  lookup_cost: {c}");
    if std::env::var_os("SCAPBRIDGE_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_file(&with);
        let _ = std::fs::remove_file(&without);
    }
    println!(
        "recording kept: {} (pass it to skip recording)",
        recorded.display()
    );
    if seen[0][0].in_container == 0 {
        bail!("no event of the capture is in a container");
    }
    Ok(())
}
