//! `~/.ssh/config`, the part a capture needs: `Host` blocks (with `*`, `?`
//! and `!` patterns), `Match all`, `Include`, and the keywords HostName,
//! Port, User, IdentityFile, ProxyCommand, ProxyJump and
//! UserKnownHostsFile, with OpenSSH's rule that the first value obtained
//! wins (IdentityFile accumulates). Other keywords are valid OpenSSH and
//! ignored; `Match` blocks with other criteria never apply (we cannot
//! evaluate `exec` and the like), which errs on the side of the options
//! given explicitly.

use std::path::{Path, PathBuf};

/// What the config says for one host. Values are as written, except that
/// `~` and the `%` tokens are expanded by [`HostConfig::expand`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostConfig {
    /// `HostName`.
    pub host_name: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `User`.
    pub user: Option<String>,
    /// Every `IdentityFile`, in order.
    pub identity_files: Vec<String>,
    /// `ProxyCommand` (`none` clears it).
    pub proxy_command: Option<String>,
    /// `ProxyJump` (`none` clears it).
    pub proxy_jump: Option<String>,
    /// `UserKnownHostsFile` (the first file).
    pub known_hosts: Option<String>,
}

/// A line of the config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} line {line}: {fault}")]
#[non_exhaustive]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub fault: ConfigFault,
}

/// What is wrong with a line of `~/.ssh/config`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFault {
    /// A file larger than we read (an Include of a device or a huge file).
    #[error("larger than {MAX_FILE_BYTES} bytes; not read")]
    TooLarge,
    /// A `"` never closed.
    #[error("unterminated quote")]
    UnterminatedQuote,
    /// `Include` within includes, deeper than OpenSSH's bound.
    #[error("Include nested more than 16 deep")]
    IncludeTooDeep,
    /// A keyword without its value.
    #[error("{keyword} needs a value")]
    NoValue {
        /// The keyword, lower-cased.
        keyword: String,
    },
    /// A `Port` that is not a TCP port.
    #[error("Port '{value}' is not a port from 1 to 65535")]
    BadPort {
        /// The value given.
        value: String,
    },
}

/// Every problem found, reported at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// `~/.ssh/config` of the user (`$HOME`).
pub fn default_path() -> Option<PathBuf> {
    home().map(|h| h.join(".ssh/config"))
}

/// The home directory (`$HOME`; none when unset or empty), where `~`
/// points.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The settings for `host` in the file at `path`; a missing file is an
/// empty config.
pub fn lookup(path: &Path, host: &str) -> Result<HostConfig, ConfigErrors> {
    let mut out = HostConfig::default();
    let mut errors = Vec::new();
    read_file(path, host, &mut out, &mut errors, 0);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// The settings for `host` in config text already in memory; `name` stands
/// for the file in error messages. `Include` lines still read the files
/// they name, as in [`lookup`].
pub fn lookup_text(text: &str, name: &str, host: &str) -> Result<HostConfig, ConfigErrors> {
    let mut out = HostConfig::default();
    let mut errors = Vec::new();
    read_text(text, name, host, &mut out, &mut errors, 0);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ConfigErrors(errors))
    }
}

/// The largest config file read. Real ones are a few KiB; the limit is
/// there because `Include` names any path, and `/dev/zero` or a FIFO
/// would otherwise be read without end or block the capture.
const MAX_FILE_BYTES: u64 = 1 << 20;

fn read_file(
    path: &Path,
    host: &str,
    out: &mut HostConfig,
    errors: &mut Vec<ConfigError>,
    depth: usize,
) {
    use std::io::Read;
    // Only regular files: a directory matched by an Include glob, a device
    // or a FIFO is skipped like a missing file (opening a FIFO would block).
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return;
    }
    let mut text = String::new();
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_string(&mut text));
    if read.is_err() {
        return;
    }
    let name = path.display().to_string();
    if text.len() as u64 > MAX_FILE_BYTES {
        errors.push(ConfigError {
            path: name,
            line: 0,
            fault: ConfigFault::TooLarge,
        });
        return;
    }
    read_text(&text, &name, host, out, errors, depth);
}

fn read_text(
    text: &str,
    name: &str,
    host: &str,
    out: &mut HostConfig,
    errors: &mut Vec<ConfigError>,
    depth: usize,
) {
    // Outside any block, lines apply to every host.
    let mut applies = true;
    for (i, raw) in text.lines().enumerate() {
        let err = |fault: ConfigFault| ConfigError {
            path: name.to_string(),
            line: i + 1,
            fault,
        };
        let (keyword, args) = match split_line(raw) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(m) => {
                errors.push(err(m));
                continue;
            }
        };
        match keyword.as_str() {
            "host" => applies = host_matches(&args, host),
            "match" => applies = args.len() == 1 && args[0].eq_ignore_ascii_case("all"),
            _ if !applies => {}
            "include" => {
                if depth >= 16 {
                    errors.push(err(ConfigFault::IncludeTooDeep));
                    continue;
                }
                for pattern in &args {
                    for file in include_files(pattern) {
                        read_file(&file, host, out, errors, depth + 1);
                    }
                }
            }
            _ => {
                let Some(value) = args.first().cloned() else {
                    errors.push(err(ConfigFault::NoValue { keyword }));
                    continue;
                };
                apply(out, &keyword, value, &args, &err, errors);
            }
        }
    }
}

fn apply(
    out: &mut HostConfig,
    keyword: &str,
    value: String,
    args: &[String],
    err: &dyn Fn(ConfigFault) -> ConfigError,
    errors: &mut Vec<ConfigError>,
) {
    // `none` is a value too: it wins like any other, meaning "no proxy".
    let first = |slot: &mut Option<String>, v: String| {
        if slot.is_none() {
            *slot = Some(v);
        }
    };
    match keyword {
        "hostname" => first(&mut out.host_name, value),
        "user" => first(&mut out.user, value),
        "port" => match value.parse::<u16>() {
            Ok(p) if p > 0 => {
                if out.port.is_none() {
                    out.port = Some(p);
                }
            }
            _ => errors.push(err(ConfigFault::BadPort { value })),
        },
        "identityfile" => out.identity_files.push(value),
        // ProxyCommand takes the rest of the line, spaces included.
        "proxycommand" => first(&mut out.proxy_command, args.join(" ")),
        "proxyjump" => first(&mut out.proxy_jump, value),
        "userknownhostsfile" => first(&mut out.known_hosts, value),
        _ => {}
    }
}

/// Splits a line into its lower-cased keyword and arguments (`Key value`,
/// `Key=value`, double quotes group); `None` for blank and comment lines.
fn split_line(raw: &str) -> Result<Option<(String, Vec<String>)>, ConfigFault> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let keyword = line[..end].to_ascii_lowercase();
    let mut rest = line[end..].trim_start();
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start();
    }
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut has_token = false;
    for c in rest.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                has_token = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if has_token {
                    args.push(std::mem::take(&mut cur));
                    has_token = false;
                }
            }
            c => {
                cur.push(c);
                has_token = true;
            }
        }
    }
    if in_quotes {
        return Err(ConfigFault::UnterminatedQuote);
    }
    if has_token {
        args.push(cur);
    }
    Ok(Some((keyword, args)))
}

/// OpenSSH's pattern lists: a host matches when some pattern matches and no
/// negated (`!`) one does.
fn host_matches(patterns: &[String], host: &str) -> bool {
    let mut hit = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg, host) {
                return false;
            }
        } else if glob(p, host) {
            hit = true;
        }
    }
    hit
}

/// `*` and `?` globbing, case-insensitive as OpenSSH matches host names.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    crate::known_hosts::glob(&pattern.to_lowercase(), &text.to_lowercase())
}

/// The files an `Include` names: `~` expanded, relative paths under
/// `~/.ssh`, `*`/`?` in the file name matched against the directory.
fn include_files(pattern: &str) -> Vec<PathBuf> {
    let expanded = expand_tilde(pattern);
    let path = if Path::new(&expanded).is_absolute() {
        PathBuf::from(expanded)
    } else {
        match home() {
            Some(h) => h.join(".ssh").join(expanded),
            None => return Vec::new(),
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return vec![path];
    }
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| glob(&name, &n.to_string_lossy()))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// `~/x` → `$HOME/x`.
pub fn expand_tilde(s: &str) -> String {
    match (s.strip_prefix("~/"), home()) {
        (Some(rest), Some(h)) => h.join(rest).display().to_string(),
        _ => s.to_string(),
    }
}

/// OpenSSH's `%` tokens in IdentityFile and UserKnownHostsFile: `%h` host
/// name, `%p` port, `%r` remote user, `%n` the host as given, `%d` home,
/// `%%`. Unknown tokens stay as written. The values go in as they are: the
/// result is a path, never a shell command (see [`expand_command_tokens`]).
pub fn expand_tokens(s: &str, host: &str, port: u16, user: &str, original: &str) -> String {
    expand_with(s, host, port, user, original, |v| v.to_string())
}

/// The same tokens for ProxyCommand, which runs through `sh -c`: every
/// expanded value that holds anything but `[A-Za-z0-9._:@+=,/-]` goes in
/// single-quoted, so a name can never add shell syntax (CVE-2023-51385's
/// class). Plain host names, users and ports stay unquoted, so a
/// ProxyCommand written as `nc "%h" %p` keeps working. Callers also refuse
/// such names up front ([`check_host_name`], [`check_user_name`]), as
/// OpenSSH 9.6 does; the quoting is the second wall.
pub fn expand_command_tokens(s: &str, host: &str, port: u16, user: &str, original: &str) -> String {
    expand_with(s, host, port, user, original, shell_word)
}

fn expand_with(
    s: &str,
    host: &str,
    port: u16,
    user: &str,
    original: &str,
    value: impl Fn(&str) -> String,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(&value(host)),
            Some('p') => out.push_str(&port.to_string()),
            Some('r') => out.push_str(&value(user)),
            Some('n') => out.push_str(&value(original)),
            Some('d') => out.push_str(&value(
                &home().map(|h| h.display().to_string()).unwrap_or_default(),
            )),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// `v` as one `sh` word: as it is when every byte is harmless, otherwise
/// single-quoted with each `'` written as `'\''`.
pub fn shell_word(v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@+=,/-".contains(&b));
    if plain {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// Why a host name given on the command line is refused, or `None`.
/// OpenSSH 9.6's `valid_hostname`: no leading `-` (it would read as an
/// option), no shell metacharacters, spaces or control characters (they
/// would reach ProxyCommand's shell through `%h`/`%n`).
pub fn check_host_name(s: &str) -> Option<&'static str> {
    if s.starts_with('-') {
        return Some("a host name cannot start with '-'");
    }
    if s.chars().any(|c| "'`\"$\\;&<>|(){}".contains(c)) {
        return Some("a host name cannot hold any of ' ` \" $ \\ ; & < > | ( ) { }");
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("a host name cannot hold spaces or control characters");
    }
    None
}

/// Why a user name given on the command line is refused, or `None`.
/// OpenSSH 9.6's `valid_ruser`: no leading `-`, no control characters, no
/// shell metacharacters except `$` and `\` (Windows domain users), no
/// `-` after a space and no `\` at the end.
pub fn check_user_name(s: &str) -> Option<&'static str> {
    if s.starts_with('-') {
        return Some("a user name cannot start with '-'");
    }
    if s.chars().any(char::is_control) {
        return Some("a user name cannot hold control characters");
    }
    if s.chars().any(|c| "'`\";&<>|(){}".contains(c)) {
        return Some("a user name cannot hold any of ' ` \" ; & < > | ( ) { }");
    }
    if s.contains(" -") || s.contains("\t-") || s.ends_with('\\') {
        return Some("a user name cannot hold '-' after a space or end with '\\'");
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn via_file(text: &str, host: &str) -> Result<HostConfig, ConfigErrors> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        std::fs::write(&p, text).unwrap();
        lookup(&p, host)
    }

    #[test]
    fn first_value_wins_and_patterns_select_blocks() {
        let text = "\
# comment
Host box *.lab !bad.lab
  HostName 10.0.0.5
  Port=2222
  User ops
  IdentityFile ~/.ssh/lab
  ProxyCommand ssh -W %h:%p jump
Host *
  User nobody
  Port 22
  IdentityFile ~/.ssh/other
  ProxyJump none
";
        let c = via_file(text, "web.lab").unwrap();
        assert_eq!(c.host_name.as_deref(), Some("10.0.0.5"));
        assert_eq!(c.port, Some(2222));
        assert_eq!(c.user.as_deref(), Some("ops"));
        assert_eq!(c.identity_files, ["~/.ssh/lab", "~/.ssh/other"]);
        assert_eq!(c.proxy_command.as_deref(), Some("ssh -W %h:%p jump"));
        assert_eq!(c.proxy_jump.as_deref(), Some("none"));
        let c = via_file(text, "bad.lab").unwrap();
        assert_eq!((c.user.as_deref(), c.port), (Some("nobody"), Some(22)));
        assert_eq!(c.host_name, None);
    }

    #[test]
    fn every_bad_line_is_reported_at_once() {
        let e = via_file("Port 0\nHost x\nUser \"open\nPort abc\n", "x").unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
        assert_eq!(e.0[0].line, 1);
        assert!(e.to_string().contains("line 3: unterminated quote"), "{e}");
    }

    #[test]
    fn tokens_and_globs() {
        assert_eq!(
            expand_tokens("nc %h %p # %r %n %% %x", "h", 22, "u", "alias"),
            "nc h 22 # u alias % %x"
        );
        // In a command every value that is not plainly harmless is one word.
        assert_eq!(
            expand_command_tokens("nc %h %p %r %n", "h;touch /tmp/x;", 22, "r$(id)", "a b"),
            "nc 'h;touch /tmp/x;' 22 'r$(id)' 'a b'"
        );
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(
            expand_command_tokens("nc \"%h\" %p", "10.0.0.1", 22, "u", "n"),
            "nc \"10.0.0.1\" 22"
        );
        assert!(glob("127.0.0.?", "127.0.0.1"));
        assert!(glob("*.EXAMPLE.com", "a.example.com"));
        assert!(!glob("a*b", "ac"));
    }

    #[test]
    fn names_are_checked_as_openssh_9_6_does() {
        for bad in [
            "-oProxyCommand=x",
            "h;touch",
            "h$(id)",
            "h`id`",
            "a b",
            "h\n",
            "h|x",
            "h&",
        ] {
            assert!(check_host_name(bad).is_some(), "{bad}");
        }
        for good in ["127.0.0.1", "::1", "host.example.com", "my_host", "h%x"] {
            assert_eq!(check_host_name(good), None, "{good}");
        }
        for bad in ["-l", "root(x)", "r;id", "r`id`", "a -b", "x\\"] {
            assert!(check_user_name(bad).is_some(), "{bad}");
        }
        for good in ["root", "DOMAIN\\user", "user$", "first last"] {
            assert_eq!(check_user_name(good), None, "{good}");
        }
    }

    #[test]
    fn text_and_file_lookups_agree() {
        let text = "Host b*\n  Port 2200\n  User \"open\nHost *\n  HostName h\n";
        let from_text = lookup_text(text, "cfg", "box").unwrap_err();
        let from_file = via_file(text, "box").unwrap_err();
        assert_eq!(from_text.0.len(), 1);
        assert_eq!(from_text.0[0].line, from_file.0[0].line);
        assert_eq!(from_text.0[0].path, "cfg");
        let c = lookup_text("Host b*\n  Port 2200\n", "cfg", "box").unwrap();
        assert_eq!(c.port, Some(2200));
    }

    /// `Include /dev/zero` read zeros until memory ran out, and an included
    /// FIFO blocked the lookup for good; both are skipped now, and a file
    /// over the limit is refused, by name.
    #[test]
    #[cfg(unix)]
    fn includes_of_endless_files_fifos_and_huge_files_end() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let text = format!("Include /dev/zero {}\nPort 2200\n", fifo.display());
        let c = lookup_text(&text, "cfg", "x").unwrap();
        assert_eq!(c.port, Some(2200));

        let big = dir.path().join("big");
        let mut body = "Port 2300\n".to_string();
        body.push_str(&"# padding\n".repeat((MAX_FILE_BYTES / 10 + 1) as usize));
        std::fs::write(&big, body).unwrap();
        let e = lookup_text(&format!("Include {}\n", big.display()), "cfg", "x").unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
    }
}
