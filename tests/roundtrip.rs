//! Round trip for every fixture: read → write → read gives identical events,
//! and sysdig and tshark read the written file with the same counts and
//! rendered arguments as the original.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use std::path::Path;

use common::*;

fn convert(input: &Path, out: &Path, extra: &[&str]) {
    let o = run(scapbridge()
        .arg("convert")
        .arg(input)
        .arg("-w")
        .arg(out)
        .args(extra));
    assert!(
        o.status.success(),
        "convert {}: {}",
        input.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Files the original of which a tool cannot read (reasoned in the fixture README):
/// sysdig 0.29 fails on SHB options, tshark 4.0 on SHB version 1.1.
fn sysdig_reads_original(name: &str) -> bool {
    name != "libs_e2e_curl_google_comments"
}
fn tshark_reads_original(name: &str) -> bool {
    name != "falco_syscall"
}

#[test]
fn every_real_fixture_round_trips() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sysdig = have("sysdig");
    let tshark = have("tshark");
    for f in real_fixtures() {
        let name = stem(&f);
        let out = dir.path().join(format!("{name}.scap"));
        convert(&f, &out, &[]);
        let a = events(&f, false).unwrap();
        let b = events(&out, false).unwrap();
        assert_eq!(a.len(), b.len(), "{name}: event count");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x, y, "{name}: event {i} differs after the round trip");
        }
        if sysdig {
            let (ours, ok) = sysdig_lines(&out);
            assert!(ok, "{name}: sysdig fails on our output");
            if sysdig_reads_original(&name) {
                let (orig, _) = sysdig_lines(&f);
                assert_eq!(
                    ours, orig,
                    "{name}: sysdig renders the rewritten file differently"
                );
            } else {
                // sysdig cannot read the original; ours must print what it prints for the twin.
                let (twin, _) = sysdig_lines(&scap_dir().join("libs_e2e_curl_google.scap"));
                assert_eq!(ours, twin, "{name}");
            }
        }
        if tshark {
            let (ours, ok) = tshark_frames(&out);
            assert!(ok, "{name}: tshark fails on our output");
            assert_eq!(ours.len(), a.len(), "{name}: tshark frame count");
            if tshark_reads_original(&name) {
                let (orig, _) = tshark_frames(&f);
                assert_eq!(orig.len(), ours.len(), "{name}: tshark frames");
                // Event v1 blocks (0x204) show no parameter values in tshark 4.0;
                // our v2 blocks do, so only compare types there.
                for (i, (o, n)) in orig.iter().zip(&ours).enumerate() {
                    assert_eq!(o.0, n.0, "{name}: frame {} event type", i + 1);
                }
                if !common::uses_v1_event_blocks(&f) {
                    assert_eq!(orig, ours, "{name}: tshark Info column");
                }
            }
        }
    }
}

#[test]
fn gzip_output_round_trips() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = scap_dir().join("libs_sample.scap");
    let out = dir.path().join("s.scap.gz");
    convert(&f, &out, &["--gzip"]);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    assert!(
        events(&f, false).unwrap() == events(&out, false).unwrap(),
        "events differ"
    );
    if have("sysdig") {
        assert_eq!(sysdig_lines(&out).0.len(), 402);
    }
}

#[test]
fn synthetic_probes_round_trip() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "old_layout.scap",
        "head_layout.scap",
        "evf.scap",
        "v1_blocks.scap",
        "mid_shb.scap",
        "bigpl.scap",
        "splitpl.scap",
        "minimal_no_meta.scap",
    ] {
        let p = scap_dir().join("synthetic").join(f);
        let out = dir.path().join(f);
        convert(&p, &out, &[]);
        assert!(
            events(&p, false).unwrap() == events(&out, false).unwrap(),
            "{f}: events differ after the round trip"
        );
        if have("sysdig") {
            assert_eq!(sysdig_lines(&p).0, sysdig_lines(&out).0, "{f}");
        }
    }
}

#[test]
fn big_process_list_is_split_for_the_pipe_path() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bigpl.scap");
    convert(&scap_dir().join("synthetic/bigpl.scap"), &out, &[]);
    // Walk the blocks: none over 262144 bytes (dumpcap's pipe limit).
    let b = std::fs::read(&out).unwrap();
    let mut off = 0;
    let mut pl_blocks = 0;
    while off < b.len() {
        let t = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        let len = u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap()) as usize;
        assert!(len <= 262_144, "block of {len} bytes at {off}");
        pl_blocks += usize::from(t == 0x215);
        off += len;
    }
    assert!(pl_blocks >= 2, "the 321 KB process list was split");
    if have("tshark") {
        // The FIFO path: dumpcap's pipe reader.
        let o = std::process::Command::new("tshark")
            .args(["-n", "-i", "-"])
            .stdin(std::fs::File::open(&out).unwrap())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        let n = events(&out, false).unwrap().len();
        assert_eq!(
            text.lines().count(),
            n,
            "tshark -i - stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn pcapng_mode_carries_shb_options() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.pcapng");
    let f = scap_dir().join("falco_cat_write.scap");
    convert(
        &f,
        &out,
        &["--format", "pcapng", "--comment", "incident 42"],
    );
    // An independent pcapng reader sees a section with our options.
    let data = std::fs::read(&out).unwrap();
    let mut parser = pcap_file::pcapng::PcapNgParser::new(&data).unwrap().1;
    let _ = &mut parser;
    let (_, shb) = pcap_file::pcapng::PcapNgParser::new(&data).unwrap();
    let opts = format!("{:?}", shb.section());
    assert!(opts.contains("incident 42"), "{opts}");
    assert!(opts.contains("scapbridge"), "{opts}");
    assert_eq!(events(&f, false).unwrap(), events(&out, false).unwrap());
    if have("tshark") {
        let (frames, ok) = tshark_frames(&out);
        assert!(ok);
        assert_eq!(frames.len(), 345);
        let o = std::process::Command::new("capinfos").arg(&out).output();
        if let Ok(o) = o {
            let t = String::from_utf8_lossy(&o.stdout);
            assert!(t.contains("incident 42"), "{t}");
        }
    }
}

#[test]
fn stratoshark_profile_output_fits_and_reads() {
    if !common::have_fixtures() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["falco_cat_write", "libs_e2e_curl_google", "libs_sample"] {
        let f = scap_dir().join(format!("{name}.scap"));
        let out = dir.path().join(format!("{name}.stratoshark.scap"));
        convert(&f, &out, &["--profile", "stratoshark"]);
        let evs = events(&out, false).unwrap();
        for e in &evs {
            scapbridge_formats::Profile::Stratoshark
                .check(e.event_type, e.params.len())
                .unwrap();
        }
        // close exits now carry their fd (taken from the dropped enter).
        let close_x: Vec<_> = evs.iter().filter(|e| e.event_type == 5).collect();
        assert!(close_x.iter().all(|e| e.params.len() == 2));
        if have("tshark") {
            assert_eq!(tshark_frames(&out).0.len(), evs.len());
        }
        // and back to compat: enters are synthesised, exits cut to libs 0.21.
        let back = dir.path().join(format!("{name}.compat.scap"));
        convert(&out, &back, &["--profile", "compat"]);
        for e in events(&back, false).unwrap() {
            scapbridge_formats::Profile::Compat
                .check(e.event_type, e.params.len())
                .unwrap();
        }
        if have("sysdig") {
            assert!(
                sysdig_lines(&back).1,
                "{name}: sysdig reads the compat file"
            );
        }
    }
}

/// A live system has fields longer than libscap's reader takes (a linker's
/// 25 KB command line, deep paths); the writer clamps them so sysdig still
/// reads the file instead of refusing all of it ("invalid argslen 25505").
#[test]
fn over_long_metadata_fields_are_clamped_to_what_readers_take() {
    use scapbridge_formats::meta::{fd_type, FdData, FdInfo, ProcessInfo, UserEntry};
    use scapbridge_formats::{Item, ScapReader};

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("long.scap");
    let mut args = Vec::new();
    for i in 0..2000 {
        args.extend_from_slice(format!("-Carg{i:08}").as_bytes());
        args.push(0);
    }
    let proc = ProcessInfo {
        tid: 4242,
        pid: 4242,
        ptid: 1,
        comm: b"longargs".to_vec(),
        exe: vec![b'e'; 2000],
        exepath: [b"/".as_slice(), &[b'p'; 3000]].concat(),
        args: args.clone(),
        cwd: [b"/".as_slice(), &[b'c'; 5000]].concat(),
        env: [b"K=".as_slice(), &[b'v'; 9000], b"\0"].concat(),
        cgroups: b"cpu=/\0".repeat(1000),
        root: b"/".to_vec(),
        fdlimit: 1024,
        vtid: 4242,
        vpid: 4242,
        ..ProcessInfo::default()
    };
    let fd_name = [b"/tmp/".as_slice(), &[b'f'; 3000]].concat();
    {
        let f = std::fs::File::create(&out).unwrap();
        let mut w = scapbridge_formats::ScapWriter::new(
            f,
            scapbridge_formats::WriterOptions::new(scapbridge_formats::Profile::Compat),
        )
        .unwrap();
        w.write_users(&[UserEntry::User {
            uid: 7,
            gid: 7,
            name: vec![b'u'; 400],
            homedir: vec![b'h'; 2000],
            shell: b"/bin/sh".to_vec(),
        }])
        .unwrap();
        w.write_processes(std::slice::from_ref(&proc)).unwrap();
        w.write_fds(
            4242,
            &[FdInfo {
                fd: 3,
                ino: 1,
                fd_type: fd_type::FILE_V2,
                data: FdData::FileV2 {
                    open_flags: 1,
                    name: fd_name.clone(),
                    dev: Some(0),
                },
            }],
        )
        .unwrap();
        w.write_parts(0, 1_000, 4242, 4, &[&3i64.to_le_bytes()])
            .unwrap();
        w.write_parts(0, 2_000, 4242, 5, &[&0i64.to_le_bytes()])
            .unwrap();
        w.finish().unwrap();
    }

    // Our reader: every field within its limit, args cut after a whole item.
    let mut r = ScapReader::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut seen = None;
    while let Some(item) = r.next_item().unwrap() {
        if let Item::Processes(ps) = item {
            seen = ps.first().cloned();
        }
    }
    let p = seen.expect("the process list was written");
    assert!(
        p.args.len() <= 4096 && p.args.len() > 4000,
        "{}",
        p.args.len()
    );
    assert!(args.starts_with(&p.args) && p.args.ends_with(b"\0"));
    assert_eq!(p.exe.len(), 1023);
    assert_eq!(p.cwd.len(), 1023);
    assert!(p.env.len() <= 4096);
    assert!(p.cgroups.len() <= 4096 && p.cgroups.ends_with(b"\0"));

    if have("sysdig") {
        let (lines, ok) = sysdig_lines(&out);
        assert!(ok, "sysdig reads the clamped file: {lines:?}");
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("longargs (4242) > close fd=3(<f>/tmp/fff"),
            "{}",
            lines[0]
        );
    }
}
