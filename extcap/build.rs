//! Records the git commit the binary is built from, for `--version`.

include!("../remote-agent/git_commit.rs");

fn main() {
    record_git_commit("../remote-agent/git_commit.rs");
}
