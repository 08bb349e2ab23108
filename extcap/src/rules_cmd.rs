//! `scapbridge rules check` and `rules list`, and how `read` and both of
//! them load and choose rules (files, Falco's config, -D/-T/-t, -o).

use std::io::Write;

/// The rules `read` and `rules check` run, and how they choose among them.
pub(crate) struct RulesOpts {
    /// `--rules` files; empty: the config's `rules_files`.
    pub(crate) files: Vec<std::path::PathBuf>,
    /// `-D`/`-T`/`-t`.
    pub(crate) selection: scapbridge::rules::Selection,
    /// `--config falco.yaml`.
    pub(crate) config: Option<std::path::PathBuf>,
    /// `-o KEY=VALUE`, applied after the file.
    pub(crate) options: Vec<String>,
}

/// Rules loaded and chosen as `opts` says: the config's priority and
/// `rules:` section, then the flags, then its `append_output`; with the
/// config, its warnings and the rules left out. Diagnostics on error.
pub(crate) fn load_rules(
    opts: &RulesOpts,
) -> Result<
    (
        scapbridge::rules::RuleSet,
        Option<scapbridge::rules::config::FalcoConfig>,
        Vec<scapbridge::rules::Rule>,
    ),
    scapbridge::rules::RulesError,
> {
    use scapbridge::rules::config::FalcoConfig;
    let mut config = opts.config.as_deref().map(FalcoConfig::load).transpose()?;
    let command_line = std::path::Path::new("<command line>");
    if !opts.options.is_empty() {
        let c = config.get_or_insert_with(FalcoConfig::default);
        let at = scapbridge::rules::yaml::Pos { line: 1, col: 1 };
        let mut errors = Vec::new();
        for o in &opts.options {
            match c.set(o) {
                Ok(None) => {}
                Ok(Some(w)) => c.warnings.push(scapbridge::rules::Diagnostic::warning(
                    command_line,
                    at,
                    w.to_string(),
                )),
                Err(e) => errors.push(scapbridge::rules::Diagnostic::error(
                    command_line,
                    at,
                    e.to_string(),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(scapbridge::rules::RulesError::new(errors));
        }
    }
    let files = match &config {
        Some(c) if opts.files.is_empty() => c.rules_files.clone(),
        _ => opts.files.clone(),
    };
    if files.is_empty() && config.is_some() {
        return Err(scapbridge::rules::RulesError::new(vec![
            scapbridge::rules::Diagnostic::error(
                opts.config.as_deref().unwrap_or(command_line),
                scapbridge::rules::yaml::Pos { line: 1, col: 1 },
                "no rules: the configuration has no rules_files and no --rules was given".into(),
            ),
        ]));
    }
    let mut rs = scapbridge::rules::RuleSet::load(&files)?;
    let off = match &config {
        Some(c) => c.apply(&mut rs, &opts.selection),
        None => rs.select(&opts.selection),
    };
    Ok((rs, config, off))
}

/// `scapbridge rules check`: every diagnostic on its own line; with a
/// selection, which rules it enables and which it disables.
pub(crate) fn rules_check(opts: &RulesOpts) -> std::process::ExitCode {
    match load_rules(opts) {
        Ok((rs, config, off)) => {
            let config_warnings = config.as_ref().map_or(&[][..], |c| &c.warnings[..]);
            for w in config_warnings.iter().chain(&rs.warnings) {
                eprintln!("{w}");
            }
            let loaded = rs.rules.len() + off.len();
            let compiled = rs
                .rules
                .iter()
                .chain(&off)
                .filter(|r| r.filter.is_some())
                .count();
            println!(
                "ok: {} rules ({compiled} syscall conditions compiled, {} for other sources), {} macros, {} lists, {} warnings",
                loaded,
                loaded - compiled,
                rs.macros,
                rs.lists,
                rs.warnings.len() + config_warnings.len()
            );
            if !opts.selection.is_empty() || config.is_some() {
                let names = |v: &mut dyn Iterator<Item = &str>| v.collect::<Vec<_>>().join(", ");
                let mut how: Vec<String> = opts.selection.flags().to_vec();
                if let Some(c) = &opts.config {
                    how.insert(0, format!("--config {}", c.display()));
                }
                how.extend(opts.options.iter().map(|o| format!("-o {o}")));
                println!(
                    "selection {}: {} of {loaded} rules enabled: {}",
                    how.join(" "),
                    rs.rules.len(),
                    names(&mut rs.rules.iter().map(|r| r.name.as_str()))
                );
                println!(
                    "disabled: {}",
                    names(&mut off.iter().map(|r| r.name.as_str()))
                );
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{d}");
            }
            std::process::ExitCode::from(1)
        }
    }
}

/// How `rules list` prints.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListStyle {
    /// One JSON object per rule.
    pub(crate) json: bool,
    /// Each rule's condition with its macros and lists expanded.
    pub(crate) expanded: bool,
}

/// `scapbridge rules list` (Falco's `-L`): every rule loaded, enabled
/// first, with its priority, source and tags; with `expanded`, its
/// condition as it is evaluated (macros and lists expanded, exceptions
/// applied); as JSON lines with `json`.
pub(crate) fn rules_list(opts: &RulesOpts, style: ListStyle) -> std::process::ExitCode {
    let (rs, config, off) = match load_rules(opts) {
        Ok(x) => x,
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{d}");
            }
            return std::process::ExitCode::from(1);
        }
    };
    let config_warnings = config.as_ref().map_or(&[][..], |c| &c.warnings[..]);
    for w in config_warnings.iter().chain(&rs.warnings) {
        eprintln!("{w}");
    }
    let mut out = std::io::stdout().lock();
    let rows = rs
        .rules
        .iter()
        .map(|r| (r, true))
        .chain(off.iter().map(|r| (r, false)));
    for (r, enabled) in rows {
        let line = if style.json {
            let mut o = serde_json::json!({
                "name": r.name,
                "enabled": enabled,
                "priority": r.priority.as_str(),
                "source": r.source,
                "tags": r.tags,
                "desc": r.desc,
                "condition": r.condition,
                "file": r.file.display().to_string(),
                "line": r.pos.line,
            });
            if style.expanded {
                o["expanded"] = serde_json::json!(r.expanded);
            }
            o.to_string()
        } else {
            let mut l = format!(
                "{}{}  [{}] {} tags: {}",
                if enabled { "" } else { "(disabled) " },
                r.name,
                r.priority.as_str(),
                r.source,
                if r.tags.is_empty() {
                    "-".to_string()
                } else {
                    r.tags.join(",")
                }
            );
            if style.expanded {
                l.push_str("\n    ");
                l.push_str(r.expanded.as_deref().unwrap_or("(not compiled)"));
            }
            l
        };
        if writeln!(out, "{line}").is_err() {
            // The reader went away (`| head`): a normal end.
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}
