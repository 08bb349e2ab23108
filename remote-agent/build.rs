//! Records the git commit the agent is built from, for `--version`.

include!("git_commit.rs");

fn main() {
    record_git_commit("git_commit.rs");
}
