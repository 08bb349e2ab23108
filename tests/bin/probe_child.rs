//! The workload of the probe tests: a known sequence of syscalls.
//!
//! `probe-child FILE PORT`: openat(FILE, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC),
//! write(fd, "scapbridge probe test\n"), close, a TCP connect to
//! 127.0.0.1:PORT, then execve("/bin/true", ["/bin/true", "probe-marker"]).
use std::io::Write;
use std::os::unix::process::CommandExt;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(port)) = (args.get(1), args.get(2).and_then(|p| p.parse::<u16>().ok()))
    else {
        eprintln!("usage: probe-child FILE PORT");
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
