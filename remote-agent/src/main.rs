//! `scapbridge-agent`: the thin edge over the agent's argument parser and
//! scapbridge's capture engine.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("scapbridge-agent: error: the agent runs on Linux hosts only (it captures with an eBPF probe)");
    std::process::ExitCode::from(1)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::process::ExitCode;

    use scapbridge_agent::syscalls::SyscallSource;
    use scapbridge_engine::capture::{
        AlertOutput, CaptureControl, Level, Logger, Output, Pipeline, RuleWatch, ScapSink, Source,
    };
    use scapbridge_engine::control::Toolbar;
    use scapbridge_engine::trigger::{TriggerConfig, TriggerWindow};
    use scapbridge_formats::{Container, Profile};

    fn fail(msg: &dyn std::fmt::Display, code: u8) -> ExitCode {
        eprintln!(
            "scapbridge-agent: error: {}",
            msg.to_string().replace('\n', " ")
        );
        ExitCode::from(code)
    }

    pub(crate) fn main() -> ExitCode {
        let mut raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
        // The files of -w, --rules, --alerts and --save-dir may be any OS
        // string: each is kept aside under its text, which takes its place
        // on the command line; any other argument must be UTF-8.
        let mut os_paths: std::collections::HashMap<String, std::path::PathBuf> =
            std::collections::HashMap::new();
        for i in 1..raw.len() {
            let flag = raw[i - 1].to_str();
            let path_flag = matches!(
                flag,
                Some("-w" | "--write" | "--rules" | "--alerts" | "--save-dir")
            );
            if raw[i].to_str().is_none() && path_flag {
                let text = raw[i].to_string_lossy().into_owned();
                let path = std::path::PathBuf::from(raw[i].clone());
                if os_paths.get(&text).is_some_and(|p| *p != path) {
                    return fail(
                        &format!("two file names read alike as text ('{text}'): rename one"),
                        2,
                    );
                }
                os_paths.insert(text.clone(), path);
                raw[i] = text.into();
            }
        }
        let path_of = |text: &str| -> std::path::PathBuf {
            os_paths.get(text).cloned().unwrap_or_else(|| text.into())
        };
        let args = match scapbridge_engine::utf8_args(&raw) {
            Ok(a) => a,
            Err(e) => return fail(&e, 2),
        };
        let a = match scapbridge_agent::parse(&args) {
            Ok(a) => a,
            Err(e) => return fail(&e, 2),
        };
        if a.help {
            print!("{}", scapbridge_agent::USAGE);
            return ExitCode::SUCCESS;
        }
        if a.version {
            print!(
                "{}",
                scapbridge_engine::version_text(
                    "scapbridge-agent",
                    env!("CARGO_PKG_VERSION"),
                    env!("SCAPBRIDGE_GIT_COMMIT"),
                )
            );
            return ExitCode::SUCCESS;
        }
        let Some(target) = a.write.clone() else {
            return fail(&"no output: give -w - (standard output) or -w FILE", 2);
        };
        // SIGHUP too: the SSH session going away hangs the agent up.
        let signal = scapbridge_engine::capture::stop_flag(&[
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGHUP,
        ]);
        let filter = match scapbridge_engine::capture::check_filter(a.filter.as_deref()) {
            Ok(f) => f,
            Err(e) => return fail(&e, 2),
        };
        // sshdig (Stratoshark's extcap) runs us as `sysdig`, and
        // scapbridge-ssh passes the layout its host reads: libs 0.23's
        // unless told otherwise.
        let profile = match a.option("profile") {
            None => Profile::Stratoshark,
            Some(name) => match Profile::from_name(name) {
                Some(p) => p,
                None => {
                    return fail(
                        &format!(
                            "--profile: '{name}' is not a layout (stratoshark, compat or keep)"
                        ),
                        2,
                    )
                }
            },
        };
        let trigger = match TriggerConfig::from_options(|n| match n {
            "trigger" => Some(a.trigger.to_string()),
            n => a.option(n).map(str::to_string),
        }) {
            Ok(t) => t.map(|mut t| {
                t.save_dir = t.save_dir.map(|d| path_of(&d.to_string_lossy()));
                t
            }),
            Err(e) => return fail(&e, 2),
        };
        if trigger.is_some() && a.rules.is_empty() && !a.rules_stdin {
            return fail(&"--trigger needs rules to fire (--rules FILE)", 2);
        }
        let rules = if a.rules.is_empty() && !a.rules_stdin {
            None
        } else {
            let json = a.option("alerts-format") == Some("json");
            let out = match a.option("alerts") {
                Some(path) => AlertOutput::append_to(&path_of(path), json),
                None => Ok(AlertOutput::stderr(json)),
            };
            let files: Vec<std::path::PathBuf> = a.rules.iter().map(|r| path_of(r)).collect();
            let selection = match scapbridge_rules::Selection::from_flags(
                &a.disable_rules,
                &a.disable_tags,
                &a.run_tags,
            ) {
                Ok(s) => s,
                Err(e) => return fail(&e, 2),
            };
            let loaded = if a.rules_stdin {
                let sent = match scapbridge_engine::upload::decode(&mut std::io::stdin().lock()) {
                    Ok(f) => f,
                    Err(e) => return fail(&e, 2),
                };
                out.and_then(|out| RuleWatch::load_texts(&sent, &selection, out))
            } else {
                out.and_then(|out| RuleWatch::load(&files, &selection, out))
            };
            match loaded {
                Ok(r) => Some(r),
                Err(e) => return fail(&e, 2),
            }
        };
        // Window files are written in the stream's layout.
        let trigger = match trigger
            .map(|cfg| {
                TriggerWindow::new(TriggerConfig {
                    layout: profile,
                    ..cfg
                })
            })
            .transpose()
        {
            Ok(t) => t,
            Err(e) => return fail(&e, 1),
        };
        let snaplen = a.snaplen.map(|s| s.to_string());
        let mut source = match SyscallSource::open(
            snaplen.as_deref(),
            None,
            None,
            None,
            None,
            &[],
            target == "-",
        ) {
            Ok(s) => {
                let containers = a.containers.join(",");
                let pods = a.pods.join(",");
                match s
                    .container_socket(a.container_socket.as_deref())
                    .container_scope(Some(&containers), Some(&pods))
                {
                    Ok(s) => s,
                    Err(e) => return fail(&e, 1),
                }
            }
            Err(e) => return fail(&e, 1),
        };
        let output = match Output::open(path_of(&target)) {
            Ok(o) => o,
            Err(e) => return fail(&e, 1),
        };
        let shown = if target == "-" {
            "<stdout>"
        } else {
            target.as_str()
        };
        let sink_reader_watch = output.watch_reader();
        let sink = match ScapSink::for_output(output, shown, profile, Container::Scap) {
            Ok(s) => s,
            Err(e) => return fail(&e, 1),
        };
        let toolbar = Toolbar::open(None, None);
        let log = match Logger::new(Level::Warning, None, toolbar.clone()) {
            Ok(l) => l,
            Err(e) => return fail(&e, 1),
        };
        // The SSH channel going away closes our stdout; noticed at once,
        // even when nothing is being written (trigger mode between alerts).
        let ctl =
            CaptureControl::new(signal, None, toolbar, log).with_reader_watch(sink_reader_watch);
        let mut pipeline = Pipeline::new(sink, a.numevents, None)
            .with_filter(filter)
            .with_rules(rules)
            .with_trigger(trigger);
        let result = source.run(&mut pipeline, &ctl);
        let alerts = pipeline.rules().map_or(0, RuleWatch::alerts);
        if let Some((t, notices)) = pipeline.end_trigger() {
            for n in notices {
                eprintln!("scapbridge-agent: warning: {n}");
            }
            eprintln!(
                "scapbridge-agent: trigger: {} windows, {} events in them, {} left out, ring peak {} bytes, {} evicted for memory, {} window files",
                t.windows, t.in_windows, t.outside, t.peak_buffer, t.evicted_for_memory, t.saved
            );
        }
        if let Some(st) = source
            .stats()
            .filter(|_| !a.containers.is_empty() || !a.pods.is_empty())
        {
            eprintln!(
                "scapbridge-agent: scope: {} events kept out in the kernel, {} seen",
                st.scoped_out, st.events
            );
        }
        let finished = pipeline.finish();
        if let Err(e) = result {
            return fail(&e, 1);
        }
        if let Err(e) = finished {
            return fail(&e, 1);
        }
        if alerts > 0 {
            return ExitCode::from(3);
        }
        ExitCode::SUCCESS
    }
}
