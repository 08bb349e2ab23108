//! The GUIs themselves, under Xvfb: Wireshark 4.0 (Debian 12, the host) and
//! Stratoshark 0.9.9 (the Debian sid root) list our interfaces on their
//! welcome page and open an interface's options dialog, built from our
//! `--extcap-config`; Stratoshark also captures a command live through
//! `scapbridge-syscalls` and shows its events. The screenshots of
//! `docs/screenshots/` are taken here,
//! so every run re-makes them from what the GUIs show now.
//!
//! One Xvfb per test, on the host; Stratoshark in the sid root reaches it
//! through the display's abstract socket (the chroot shares the network
//! namespace), so the root needs no X tool of its own. Screenshots are read
//! from Xvfb's own framebuffer file (`-fbdir`, XWD format) and written as
//! PNG here: no screenshot or image tool is needed. `xwininfo` finds the
//! windows by title, `xdotool` moves the pointer and clicks.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Our interfaces, as `-D` and the welcome page list them.
const OURS: [&str; 4] = [
    "scapbridge-cloudtrail",
    "scapbridge-replay",
    "scapbridge-ssh",
    "scapbridge-syscalls",
];

/// The interface whose options dialog the screenshots show: the one most
/// users start with.
const DIALOG_IFACE: &str = "scapbridge-syscalls";

/// The X tools this file runs on the host (Debian 12: xvfb, x11-utils,
/// xdotool; `install/install.sh --deps` installs them).
const X_TOOLS: [&str; 3] = ["Xvfb", "xwininfo", "xdotool"];

/// Whether `name` is an executable file on `PATH` (Xvfb has no `--version`
/// that exits 0, so [`have`] does not fit).
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(d.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Whether every tool is there; otherwise one reason for the skip (a
/// failure under CI=true, see [`skip`]).
fn tools_present(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    missing.is_empty() || skip(&format!("GUI test needs {} on PATH", missing.join(", ")))
}

/// A process group started for a test, ended (TERM, then KILL) when dropped,
/// so no GUI, extcap or Xvfb outlives its test, even when the test panics.
/// The commands also run under `timeout`, a backstop should the test
/// process itself be killed before its drops run.
struct Group {
    child: Child,
    what: &'static str,
}

impl Group {
    fn spawn(what: &'static str, c: &mut Command, log: &Path) -> Group {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(log).unwrap();
        let child = c
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {what}: {e}"));
        Group { child, what }
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_some()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let kill = |sig: &str| {
            let _ = Command::new("kill")
                .args([format!("-{sig}"), "--".into(), group.clone()])
                .stderr(Stdio::null())
                .status();
        };
        kill("TERM");
        // The GUIs end in well under a second on TERM; KILL after 5 s.
        let gone = wait_for(Duration::from_secs(5), || {
            self.child.try_wait().ok().flatten()
        });
        if gone.is_none() {
            eprintln!("{} did not end on TERM: KILL", self.what);
            kill("KILL");
            let _ = self.child.wait();
        } else {
            // The group's other members (extcaps the GUI started) too.
            kill("KILL");
        }
    }
}

/// An Xvfb server on a display of its own, its framebuffer in a file.
struct Xvfb {
    display: String,
    fb: PathBuf,
    _server: Group,
}

/// How long the whole test may take at most: the backstop of every
/// `timeout` below.
const BACKSTOP: &str = "300";

impl Xvfb {
    /// Starts Xvfb on the first free display from :91 (a display in use
    /// makes Xvfb exit at once; then the next is tried).
    fn start(dir: &Path) -> Xvfb {
        for n in 91..140 {
            let display = format!(":{n}");
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let fbdir = dir.join(format!("fb{n}"));
            std::fs::create_dir_all(&fbdir).unwrap();
            // -nocursor: no pointer in the screenshots.
            let mut server = Group::spawn(
                "Xvfb",
                Command::new("timeout")
                    .args([BACKSTOP, "Xvfb", &display, "-screen", "0", "1280x800x24"])
                    .args(["-nolisten", "tcp", "-nocursor", "-fbdir"])
                    .arg(&fbdir),
                &dir.join(format!("xvfb{n}.log")),
            );
            // Ours once its framebuffer file exists (Xvfb takes the
            // display's lock before it makes its screens, so a server that
            // lost the display to another makes none) and it answers.
            let fb = fbdir.join("Xvfb_screen0");
            let up = wait_for(Duration::from_secs(15), || {
                if server.exited() {
                    return Some(false);
                }
                (fb.exists() && xwininfo(&display, &["-root"]).is_some()).then_some(true)
            });
            match up {
                Some(true) if !server.exited() => {
                    return Xvfb {
                        display,
                        fb,
                        _server: server,
                    };
                }
                Some(_) => continue,
                None => panic!(
                    "Xvfb {display} did not accept clients in 15 s: {}",
                    std::fs::read_to_string(dir.join(format!("xvfb{n}.log"))).unwrap_or_default()
                ),
            }
        }
        panic!("no free X display in :91..:139");
    }

    /// The top-level windows with a title.
    fn windows(&self) -> Vec<Window> {
        xwininfo(&self.display, &["-root", "-children"])
            .map(|out| out.lines().filter_map(Window::parse).collect())
            .unwrap_or_default()
    }

    /// Waits (bounded) for a window whose title contains `part`: None when
    /// none came, or the GUI ended.
    fn try_window(&self, part: &str, limit: Duration, gui: &mut Group) -> Option<Window> {
        // Some(None): the GUI ended, no use waiting longer.
        let w = wait_for(limit, || {
            // A slow poll: each spawns xwininfo, and the GUI needs the CPU.
            std::thread::sleep(Duration::from_millis(200));
            if gui.exited() {
                return Some(None);
            }
            self.windows()
                .into_iter()
                .find(|w| w.title.contains(part))
                .map(Some)
        });
        w.flatten()
    }

    /// [`Xvfb::try_window`], failing the test with what was there instead.
    fn wait_window(&self, part: &str, limit: Duration, gui: &mut Group, log: &Path) -> Window {
        self.try_window(part, limit, gui).unwrap_or_else(|| {
            panic!(
                "no window titled …{part}… within {limit:?}; windows: {:?}\nGUI log:\n{}",
                self.windows(),
                std::fs::read_to_string(log).unwrap_or_default()
            )
        })
    }

    fn xdotool(&self, args: &[&str]) {
        let st = Command::new("timeout")
            .args(["10", "xdotool"])
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool");
        assert!(st.success(), "xdotool {args:?}");
    }

    /// Moves the pointer off every window (the bottom-right corner), so no
    /// row is drawn hovered.
    fn park_pointer(&self) {
        self.xdotool(&["mousemove", "1279", "799"]);
    }

    /// The screen now, from Xvfb's framebuffer file.
    fn screen(&self) -> Image {
        Image::from_xwd(&std::fs::read(&self.fb).expect("Xvfb's framebuffer file"))
    }

    /// `area` of the screen once it has stopped changing (two frames 400 ms
    /// apart alike), or the last frame after `limit`: the GUIs draw their
    /// lists and dialogs in steps after the window appears.
    fn settled(&self, area: &Window, limit: Duration) -> Image {
        let deadline = Instant::now() + limit;
        let mut last = self.screen().crop(area);
        loop {
            std::thread::sleep(Duration::from_millis(400));
            let now = self.screen().crop(area);
            if now == last || Instant::now() >= deadline {
                return now;
            }
            last = now;
        }
    }
}

/// `xwininfo -display D ARGS`, bounded; its output if it succeeded.
fn xwininfo(display: &str, args: &[&str]) -> Option<String> {
    let o = Command::new("timeout")
        .args(["5", "xwininfo", "-display", display])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// A top-level window as `xwininfo -root -children` lists it.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    title: String,
    x: usize,
    y: usize,
    w: usize,
    h: usize,
}

impl Window {
    /// `0x200006 "Title": ("res" "Class")  1000x760+0+0  +0+0`: the title,
    /// and the size with the absolute position (the last field).
    fn parse(line: &str) -> Option<Window> {
        let line = line.trim();
        let open = line.find(" \"")?;
        let close = line.rfind("\": (")?;
        let title = line.get(open + 2..close)?.to_string();
        let mut fields = line.split_whitespace().rev();
        let (abs, size) = (fields.next()?, fields.next()?);
        let (w, h) = size.split('+').next()?.split_once('x')?;
        let mut xy = abs.trim_start_matches('+').split('+');
        Some(Window {
            title,
            w: w.parse().ok()?,
            h: h.parse().ok()?,
            x: xy.next()?.parse().ok()?,
            y: xy.next()?.parse().ok()?,
        })
    }
}

/// An RGB picture.
#[derive(Debug, PartialEq)]
struct Image {
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

impl Image {
    /// Reads an XWD dump (X11/XWDFile.h: a big-endian header of 25 words,
    /// the window name, the colour map, then the pixels) of a TrueColor
    /// 24/32-bit screen, as Xvfb's `-fbdir` keeps it.
    fn from_xwd(b: &[u8]) -> Image {
        let word = |i: usize| u32::from_be_bytes(b[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let (header, w, h) = (word(0), word(4), word(5));
        let (lsb_first, bpp, stride) = (word(7) == 0, word(11), word(12));
        let masks = [word(14) as u32, word(15) as u32, word(16) as u32];
        let ncolors = word(19);
        assert_eq!(bpp, 32, "Xvfb framebuffer of {bpp} bits per pixel");
        let start = header + ncolors * 12;
        assert!(b.len() >= start + stride * h, "short framebuffer file");
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            let row = &b[start + y * stride..];
            for x in 0..w {
                let p: [u8; 4] = row[x * 4..x * 4 + 4].try_into().unwrap();
                let v = if lsb_first {
                    u32::from_le_bytes(p)
                } else {
                    u32::from_be_bytes(p)
                };
                for m in masks {
                    rgb.push(((v & m) >> m.trailing_zeros()) as u8);
                }
            }
        }
        Image { w, h, rgb }
    }

    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.w + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The part under `area`, clipped to the picture.
    fn crop(&self, area: &Window) -> Image {
        let (x1, y1) = ((area.x + area.w).min(self.w), (area.y + area.h).min(self.h));
        let (x0, y0) = (area.x.min(x1), area.y.min(y1));
        let mut rgb = Vec::with_capacity((x1 - x0) * (y1 - y0) * 3);
        for y in y0..y1 {
            rgb.extend_from_slice(&self.rgb[(y * self.w + x0) * 3..(y * self.w + x1) * 3]);
        }
        Image {
            w: x1 - x0,
            h: y1 - y0,
            rgb,
        }
    }

    fn distinct_colours(&self) -> usize {
        let mut seen: std::collections::HashSet<[u8; 3]> = Default::default();
        for p in self.rgb.chunks_exact(3) {
            seen.insert([p[0], p[1], p[2]]);
        }
        seen.len()
    }

    /// The selected row of an item list: the longest horizontal run of one
    /// saturated colour at least `min_run` pixels wide (Qt's selection
    /// highlight; text, frames and backgrounds are grey or white, buttons
    /// and banners narrower). Its middle row and the run's first column.
    fn selected_row(&self, min_run: usize) -> Option<(usize, usize)> {
        let saturated = |[r, g, b]: [u8; 3]| r.max(g).max(b) - r.min(g).min(b) > 80;
        let mut rows = Vec::new();
        for y in 0..self.h {
            let mut x = 0;
            while x < self.w {
                let c = self.pixel(x, y);
                let mut end = x + 1;
                while end < self.w && self.pixel(end, y) == c {
                    end += 1;
                }
                if saturated(c) && end - x >= min_run {
                    rows.push((y, x));
                    break;
                }
                x = end;
            }
        }
        let (first, x) = *rows.first()?;
        // The band's rows are consecutive; text inside it breaks the run
        // only where a glyph crosses every column, which it does not.
        let last = rows
            .iter()
            .take_while(|(y, _)| y - first < 40)
            .map(|r| r.0)
            .max()?;
        Some(((first + last) / 2, x))
    }

    /// The picture as an 8-bit RGB PNG (one IDAT, every row with the "Up"
    /// filter, which suits the flat areas of a GUI).
    fn png(&self) -> Vec<u8> {
        use std::io::Write;
        let stride = self.w * 3;
        let mut raw = Vec::with_capacity((stride + 1) * self.h);
        for y in 0..self.h {
            raw.push(2);
            let row = &self.rgb[y * stride..(y + 1) * stride];
            if y == 0 {
                raw.extend_from_slice(row);
            } else {
                let up = &self.rgb[(y - 1) * stride..y * stride];
                raw.extend(row.iter().zip(up).map(|(a, b)| a.wrapping_sub(*b)));
            }
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&raw).unwrap();
        let idat = z.finish().unwrap();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&(self.w as u32).to_be_bytes());
        ihdr.extend_from_slice(&(self.h as u32).to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&crc.sum().to_be_bytes());
        }
        out
    }

    /// Checks that the picture shows something (a blank or half-drawn
    /// window has a handful of colours; the GUIs' text is anti-aliased)
    /// and writes it to `docs/screenshots/NAME` (beside it, then renamed,
    /// so the docs never hold half a file).
    fn save(&self, name: &str) {
        let colours = self.distinct_colours();
        assert!(
            colours > 40,
            "{name}: {colours} colours in {}x{}: a blank screenshot",
            self.w,
            self.h
        );
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, self.png()).unwrap();
        std::fs::rename(&tmp, dir.join(name)).unwrap();
        eprintln!(
            "{name}: {}x{}, {colours} colours, {} bytes",
            self.w,
            self.h,
            std::fs::metadata(dir.join(name)).unwrap().len()
        );
    }
}

/// What differs between the two GUIs.
struct Gui<'a> {
    /// For messages and file names: `wireshark-4.0`, `stratoshark`.
    name: &'static str,
    /// The main window's title.
    main_title: &'static str,
    /// The options dialog's title starts with it: "APP · Interface Options: …".
    app: &'static str,
    /// Starts the GUI (with `args`) on `display`, its output to `log`.
    start: &'a dyn Fn(&str, &[&str], &Path) -> Group,
    /// `-D` in the same environment.
    list: &'a dyn Fn() -> String,
}

/// The test itself, for either GUI: `-D` lists our interfaces; the welcome
/// page lists them (started with `-i scapbridge-syscalls`, the GUI selects
/// that row once our extcap has answered); the row's options button opens
/// "Interface Options" of our interface, built from our `--extcap-config`
/// (its tabs are our option groups), which also shows that the selected
/// row was ours. Both are screenshotted, and saved only then.
fn shows_our_interfaces_and_options(gui: &Gui<'_>, dir: &Path) {
    let listed = (gui.list)();
    for iface in OURS {
        assert!(
            listed.contains(&format!(" {iface} (scapbridge: ")),
            "{} -D does not list {iface}:\n{listed}",
            gui.name
        );
    }

    let x = Xvfb::start(dir);
    let log = dir.join(format!("{}.log", gui.name));
    let mut app = (gui.start)(&x.display, &["-i", DIALOG_IFACE], &log);
    x.wait_window(gui.main_title, Duration::from_secs(60), &mut app, &log);
    x.park_pointer();
    // Our row is selected once the interface list holds it: the list is
    // filled after every extcap has answered --extcap-interfaces. The
    // window is looked up again each time: the GUI resizes it after it
    // first maps it.
    // The click is tried again (three times at most) when no dialog comes:
    // the GUI may lay the list out again after a late extcap answers (a CI
    // run saw the click land during it and no dialog in 30 s).
    let title = format!("{} · Interface Options: ", gui.app);
    let mut shown = None;
    for attempt in 0..3 {
        let found = wait_for(Duration::from_secs(60), || {
            std::thread::sleep(Duration::from_millis(300));
            let main = x
                .windows()
                .into_iter()
                .find(|w| w.title.contains(gui.main_title))?;
            let row = x.screen().crop(&main).selected_row(300)?;
            Some((main, row))
        });
        let (main, row) = found.unwrap_or_else(|| {
            panic!(
                "{}: no selected row ({DIALOG_IFACE}) on the welcome page in 60 s\nlog:\n{}",
                gui.name,
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        // Kept until the dialog shows which interface this row is:
        // Stratoshark also lists an unknown `-i` interface (a bare row
        // without the gear), so a selected row alone proves nothing.
        let welcome = x.settled(&main, Duration::from_secs(5));

        // The gear at the row's start (its centre 11 px in, in both GUIs)
        // opens the extcap's options dialog.
        let (gear_x, gear_y) = (main.x + row.1 + 11, main.y + row.0);
        x.xdotool(&[
            "mousemove",
            &gear_x.to_string(),
            &gear_y.to_string(),
            "click",
            "1",
        ]);
        x.park_pointer();
        let limit = Duration::from_secs(if attempt == 2 { 30 } else { 15 });
        let dialog = if attempt == 2 {
            Some(x.wait_window(&title, limit, &mut app, &log))
        } else {
            x.try_window(&title, limit, &mut app)
        };
        if let Some(dialog) = dialog {
            shown = Some((welcome, dialog));
            break;
        }
    }
    let Some((welcome, dialog)) = shown else {
        unreachable!("the third attempt fails the test itself")
    };
    assert!(
        dialog.title.ends_with(&format!(": {DIALOG_IFACE}")),
        "{}: the options dialog is not our interface's: {:?}",
        gui.name,
        dialog.title
    );
    let options = x.settled(&dialog, Duration::from_secs(5));
    welcome.save(&format!("{}-interfaces.png", gui.name));
    options.save(&format!("{}-options.png", gui.name));
    assert!(!app.exited(), "{} ended on its own", gui.name);
}

/// Makes `home` a Wireshark 4.0 home with our extcap in its personal folder
/// (`~/.config/wireshark/extcap`, where `install.sh` puts it for Wireshark
/// ≤ 4.0), the main window placed and sized for the screenshot, and only
/// extcap interfaces shown on the welcome page (the machine's network
/// interfaces would push ours out of view; `gui.interfaces_hidden_types`
/// hides interface types by number, 8 being extcap, kept).
fn wireshark_home(home: &Path) {
    let conf = home.join(".config/wireshark");
    std::fs::create_dir_all(conf.join("extcap")).unwrap();
    std::fs::copy(scapbridge_bin(), conf.join("extcap/scapbridge")).unwrap();
    place_main_window(&conf);
    std::fs::write(
        conf.join("preferences"),
        "gui.interfaces_hidden_types: 0,1,2,3,4,5,6,7,9\n",
    )
    .unwrap();
}

/// Places the main window at the screen's corner, large enough for the
/// whole welcome page, in the GUI's `recent_common` under `conf` (its
/// personal configuration folder).
fn place_main_window(conf: &Path) {
    std::fs::create_dir_all(conf).unwrap();
    std::fs::write(
        conf.join("recent_common"),
        "gui.geometry_main_x: 0\ngui.geometry_main_y: 0\n\
         gui.geometry_main_width: 1000\ngui.geometry_main_height: 700\n",
    )
    .unwrap();
}

fn wireshark_command(home: &Path) -> Command {
    let mut c = Command::new("timeout");
    c.args([BACKSTOP, "wireshark"])
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env("XDG_RUNTIME_DIR", home)
        .env("LC_ALL", "C.UTF-8");
    c
}

#[test]
fn wireshark_40_shows_our_interfaces_and_their_options_dialog() {
    let mut tools = vec!["wireshark"];
    tools.extend(X_TOOLS);
    if !tools_present(&tools) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    wireshark_home(&home);
    let version = Command::new("wireshark").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with("Wireshark 4.0."),
        "the screenshots are named for Wireshark 4.0: {version}"
    );
    let start = |display: &str, args: &[&str], log: &Path| {
        Group::spawn(
            "wireshark",
            wireshark_command(&home).env("DISPLAY", display).args(args),
            log,
        )
    };
    let list = || {
        let o = wireshark_command(&home)
            .env("QT_QPA_PLATFORM", "offscreen")
            .arg("-D")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    shows_our_interfaces_and_options(
        &Gui {
            name: "wireshark-4.0",
            main_title: "The Wireshark Network Analyzer",
            app: "Wireshark",
            start: &start,
            list: &list,
        },
        dir.path(),
    );
}

#[test]
fn stratoshark_shows_our_interfaces_and_their_options_dialog() {
    let Some(root) = sid_root() else { return };
    if !tools_present(&X_TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    stratoshark_home(dir.path());
    let conf = dir.path().join("home/.config/stratoshark");
    place_main_window(&conf);
    // The welcome page's sidebar of tips and sponsors turns like a
    // carousel: a screenshot would catch it mid-turn, and the docs would
    // show an advertisement. Off (a setting of `recent_common`).
    let mut recent = std::fs::read_to_string(conf.join("recent_common")).unwrap();
    recent.push_str("gui.welcome_page.sidebar.tips_visible: FALSE\n");
    std::fs::write(conf.join("recent_common"), recent).unwrap();
    let sid = |env: &[&str], args: &[&str]| {
        // Without the caller's XDG_CONFIG_HOME: the settings are in the
        // home's .config.
        // Nor cargo's LD_LIBRARY_PATH (the build's folders), which the
        // captured command would search for its libraries.
        let mut a = vec![
            "env",
            "-u",
            "XDG_CONFIG_HOME",
            "-u",
            "LD_LIBRARY_PATH",
            "HOME=/x/home",
            "XDG_RUNTIME_DIR=/x/home",
        ];
        a.extend_from_slice(env);
        a.extend_from_slice(&["timeout", BACKSTOP, "stratoshark"]);
        a.extend_from_slice(args);
        sid_command(&root, dir.path(), &a)
    };
    let start = |display: &str, args: &[&str], log: &Path| {
        let display = format!("DISPLAY={display}");
        Group::spawn(
            "stratoshark",
            &mut sid(&[&display, "QT_QPA_PLATFORM=xcb"], args),
            log,
        )
    };
    let list = || {
        let o = sid(&["QT_QPA_PLATFORM=offscreen"], &["-D"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    shows_our_interfaces_and_options(
        &Gui {
            name: "stratoshark",
            main_title: "The Stratoshark System Call and Log Analyzer",
            app: "Stratoshark",
            start: &start,
            list: &list,
        },
        dir.path(),
    );
    if probe_available() {
        shows_a_live_capture(&start, &root, dir.path());
    }
}

/// The walkthrough's last picture: Stratoshark capturing one command's
/// system calls live through `scapbridge-syscalls`, started with the
/// option the dialog's Processes tab sets (`-o extcap.…command:`), and
/// showing the command's events (`-Y`) once it has ended. The capture has
/// stopped when the main window takes the saved file's name; the file must
/// hold the command's execve, as strato reads it, before the screenshot
/// is saved.
fn shows_a_live_capture(start: &dyn Fn(&str, &[&str], &Path) -> Group, root: &Path, dir: &Path) {
    let x = Xvfb::start(dir);
    let log = dir.join("stratoshark-capture.log");
    let mut app = start(
        &x.display,
        &[
            "-i",
            DIALOG_IFACE,
            "-k",
            "-a",
            "duration:60",
            "-w",
            "/x/walkthrough.scap",
            "-o",
            "extcap.scapbridge_syscalls.command:cat /etc/os-release",
            "-Y",
            "proc.name == \"cat\"",
        ],
        &log,
    );
    let main = x.wait_window("walkthrough.scap", Duration::from_secs(90), &mut app, &log);
    x.park_pointer();
    let (rows, err) = strato_rows(root, dir, "walkthrough.scap");
    assert!(
        rows.iter()
            .any(|r| r.evt_type == "execve" && r.args.contains("exe=cat args=/etc/os-release ")),
        "no execve of cat in Stratoshark's capture ({} rows): {err}",
        rows.len()
    );
    let shot = x.settled(&main, Duration::from_secs(5));
    shot.save("stratoshark-capture.png");
    assert!(!app.exited(), "stratoshark ended on its own");
}
