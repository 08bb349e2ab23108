//! Which loaded rules run, as Falco selects them: `-D SUBSTRING` disables
//! the rules whose name contains it, `-T TAG` the rules with that tag, and
//! `-t TAG` runs only the rules with one of the given tags (Falco turns it
//! into "disable every rule, then enable the rules with the tag"). Each is
//! repeatable; they apply in Falco's order (`-D`, then `-T`, then `-t`),
//! and `-t` cannot be mixed with `-D`/`-T`. A `falco.yaml` `rules:` section
//! is `enable`/`disable` steps too, which the flags follow (Falco appends
//! them to it): a rule's state is that of the last step that names it.
//!
//! Selection applies to the rules a rules file enables; a rule the file
//! disables (`enabled: false`) is not loaded, so no step turns it on.

use std::fmt;

use super::{Rule, RuleSet};

/// What a selection step names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Matcher {
    /// Rules whose name contains the text (`-D`).
    NameContains(String),
    /// Rules whose name matches a glob (`*`, `?`, `[…]`: the `rule:` of a
    /// `falco.yaml` `rules:` entry).
    NameGlob(String),
    /// Rules with this tag (`-T`, `-t`, `tag:`).
    Tag(String),
    /// Every rule.
    All,
}

impl Matcher {
    fn matches(&self, name: &str, tags: &[String]) -> bool {
        match self {
            Matcher::NameContains(s) => name.contains(s.as_str()),
            Matcher::NameGlob(p) => glob(p, name),
            Matcher::Tag(t) => tags.iter().any(|x| x == t),
            Matcher::All => true,
        }
    }
}

/// Falco matches `rule:` patterns with fnmatch-style globs (`*`, `?`,
/// `[…]`), as the filter language's `glob` operator does.
fn glob(pattern: &str, text: &str) -> bool {
    scapbridge_filter::eval::glob(pattern.as_bytes(), text.as_bytes())
}

/// One step: enable or disable what `what` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Enable (true) or disable.
    pub enable: bool,
    /// The rules it applies to.
    pub what: Matcher,
}

/// Selection steps, applied in order to every loaded rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    steps: Vec<Step>,
    /// The flags as given, for messages (`-D x -t y`).
    flags: Vec<String>,
}

/// A selection Falco refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectionError {
    /// `-t` given with `-D` or `-T`.
    DisableAndRun,
    /// A flag with an empty value (`-T ''`), which would name no rule.
    Empty {
        /// The flag (`-D`, `-T`, `-t`).
        flag: &'static str,
    },
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Falco's words (its legacy test looks for them).
            SelectionError::DisableAndRun => {
                f.write_str("You can not specify both disabled (-D/-T) and enabled (-t) rules")
            }
            SelectionError::Empty { flag } => write!(f, "{flag} needs a non-empty value"),
        }
    }
}

impl std::error::Error for SelectionError {}

impl Selection {
    /// Falco's `-D` (name substrings), `-T` (tags to disable) and `-t`
    /// (tags to run), each as repeated.
    pub fn from_flags(
        disable_names: &[String],
        disable_tags: &[String],
        run_tags: &[String],
    ) -> Result<Selection, SelectionError> {
        let disabling = !disable_names.is_empty() || !disable_tags.is_empty();
        if disabling && !run_tags.is_empty() {
            return Err(SelectionError::DisableAndRun);
        }
        let mut s = Selection::default();
        for (flag, values) in [
            ("-D", disable_names),
            ("-T", disable_tags),
            ("-t", run_tags),
        ] {
            if values.iter().any(String::is_empty) {
                return Err(SelectionError::Empty { flag });
            }
            for v in values {
                s.flags.push(format!("{flag} {v}"));
            }
        }
        for d in disable_names {
            s.push(false, Matcher::NameContains(d.clone()));
        }
        for t in disable_tags {
            s.push(false, Matcher::Tag(t.clone()));
        }
        if !run_tags.is_empty() {
            s.push(false, Matcher::All);
            for t in run_tags {
                s.push(true, Matcher::Tag(t.clone()));
            }
        }
        Ok(s)
    }

    /// Adds a step after those already there.
    pub fn push(&mut self, enable: bool, what: Matcher) {
        self.steps.push(Step { enable, what });
    }

    /// Whether no step is given (every loaded rule runs).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The flags as given (`-D x`, `-t y`), for messages.
    pub fn flags(&self) -> &[String] {
        &self.flags
    }

    /// Whether a rule named `name` with `tags`, enabled by its file, runs.
    pub fn enables(&self, name: &str, tags: &[String]) -> bool {
        self.steps
            .iter()
            .rev()
            .find(|s| s.what.matches(name, tags))
            .is_none_or(|s| s.enable)
    }
}

impl RuleSet {
    /// Keeps the rules `selection` enables, in their order; returns the
    /// others, in their order.
    pub fn select(&mut self, selection: &Selection) -> Vec<Rule> {
        if selection.is_empty() {
            return Vec::new();
        }
        let (keep, off): (Vec<Rule>, Vec<Rule>) = std::mem::take(&mut self.rules)
            .into_iter()
            .partition(|r| selection.enables(&r.name, &r.tags));
        self.rules = keep;
        off
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn falco_order_and_conflict() {
        let tags_ab = s(&["a", "b"]);
        let sel = Selection::from_flags(&s(&["open_"]), &s(&["b"]), &[]).unwrap();
        assert!(!sel.enables("open_1", &[]), "-D substring");
        assert!(!sel.enables("x", &tags_ab), "-T any tag");
        assert!(sel.enables("x", &s(&["c"])));
        let run = Selection::from_flags(&[], &[], &s(&["b", "c"])).unwrap();
        assert!(run.enables("x", &tags_ab));
        assert!(!run.enables("x", &s(&["a"])));
        assert!(!run.enables("x", &[]), "-t: untagged rules off");
        assert_eq!(
            Selection::from_flags(&s(&["open.*"]), &[], &s(&["a"])),
            Err(SelectionError::DisableAndRun)
        );
        assert_eq!(
            Selection::from_flags(&[], &s(&["a"]), &s(&["a"]))
                .unwrap_err()
                .to_string(),
            "You can not specify both disabled (-D/-T) and enabled (-t) rules"
        );
        assert!(Selection::from_flags(&[], &[], &[]).unwrap().is_empty());
    }

    #[test]
    fn later_steps_win_and_globs() {
        let mut sel = Selection::default();
        sel.push(false, Matcher::All);
        sel.push(true, Matcher::NameGlob("Read sensitive*".into()));
        sel.push(false, Matcher::NameGlob("*trusted after*".into()));
        assert!(sel.enables("Read sensitive file untrusted", &[]));
        assert!(!sel.enables("Read sensitive file trusted after startup", &[]));
        assert!(!sel.enables("Other", &[]));
        assert!(glob("a*b*c", "a-b-b-c") && !glob("a*b", "a-b-c") && glob("*", ""));
        assert!(glob("abc", "abc") && !glob("abc", "abcd") && glob("a**", "a"));
    }

    #[test]
    fn select_keeps_order() {
        let y = "- rule: one\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  tags: [a]\n- rule: two\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n- rule: three\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  tags: [a, b]\n";
        let mut rs = RuleSet::load_str("s.yaml", y).unwrap();
        let off = rs.select(&Selection::from_flags(&[], &[], &s(&["a"])).unwrap());
        let names: Vec<&str> = rs.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["one", "three"]);
        assert_eq!(off.len(), 1);
        assert_eq!(off[0].name, "two");
    }
}
