//! The workload of the probe tests: a known sequence of syscalls.
//!
//! `probe-child FILE PORT`: openat(FILE, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC),
//! write(fd, "scapbridge probe test\n"), close, a TCP connect to
//! 127.0.0.1:PORT, then execve("/bin/true", ["/bin/true", "probe-marker"]).
//!
//! `probe-child --io FILE`: writes of 1, 80, 81 and 200 bytes of a known
//! pattern to FILE, then one writev of 200 + 4 bytes. The lengths sit on
//! both sides of the probe's stack-buffer read (80 bytes) and the snaplen.
//! Then it creates files beside FILE whose paths are 94, 95, 96 and 200
//! bytes long, across the probe's stack buffer for strings (96 with the NUL).
use std::io::{IoSlice, Write};

/// The bytes the --io writes carry: 'A'..'Z' repeated, then 'a'..'z' from 26*k.
fn pattern(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[i % 52])
        .collect()
}

fn io(file: &str) {
    let mut f = std::fs::File::create(file).expect("create");
    for n in [1, 80, 81, 200] {
        // One write(2) each: File::write is not buffered.
        assert_eq!(f.write(&pattern(n)).expect("write"), n);
    }
    let big = pattern(200);
    let n = f
        .write_vectored(&[IoSlice::new(&big), IoSlice::new(b"tail")])
        .expect("writev");
    assert_eq!(n, 204);
    let dir = std::path::Path::new(file).parent().expect("a directory");
    for len in [94, 95, 96, 200] {
        let path = long_path(dir.to_str().expect("utf-8"), len);
        std::fs::File::create(&path).expect("create");
    }
}

/// `DIR/ppp…` of exactly `len` bytes.
fn long_path(dir: &str, len: usize) -> String {
    format!("{dir}/{}", "p".repeat(len - dir.len() - 1))
}
use std::os::unix::process::CommandExt;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let (Some("--io"), Some(file)) = (args.get(1).map(String::as_str), args.get(2)) {
        io(file);
        return;
    }
    let (Some(file), Some(port)) = (args.get(1), args.get(2).and_then(|p| p.parse::<u16>().ok()))
    else {
        eprintln!("usage: probe-child FILE PORT | probe-child --io FILE");
        std::process::exit(2);
    };
    let mut f = std::fs::File::create(file).expect("create");
    f.write_all(b"scapbridge probe test\n").expect("write");
    drop(f);
    let s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    drop(s);
    let e = std::process::Command::new("/bin/true")
        .arg("probe-marker")
        .exec();
    eprintln!("exec: {e}");
    std::process::exit(1);
}
