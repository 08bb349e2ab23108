//! scapbridge's `container` plugin (`extcap/reader-plugin`) where the libs
//! 0.23 readers of the sid root load it, as `install/install.sh` installs
//! it: sysdig 0.41 loads `libcontainer.so` from its plugin folder by
//! itself; Stratoshark loads every plugin in `<plugins>/falco`, and there
//! it must be the build named `scapbridge_container` (its bridge has a
//! protocol named `container` already). Built in the tests' profile and
//! copied only when it changed, so the readers always run the plugin of
//! this tree.

use std::path::Path;

/// sysdig 0.41's copy, in the sid root.
pub const SYSDIG_PLUGIN: &str = "usr/share/sysdig/plugins/libcontainer.so";
/// Stratoshark's copy (Wireshark 4.6's global plugin folder + `falco`).
pub const STRATOSHARK_PLUGIN: &str =
    "usr/lib/x86_64-linux-gnu/wireshark/plugins/falco/libscapbridge_container.so";

/// Builds both variants of the plugin and installs each in `root` (once
/// per test process).
pub fn install_in_sid(root: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = super::target_dir();
        for (feature, dest) in [
            (None, SYSDIG_PLUGIN),
            (Some("stratoshark"), STRATOSHARK_PLUGIN),
        ] {
            let mut args = vec!["-p", "scapbridge-container-plugin"];
            if let Some(f) = feature {
                args.extend(["--features", f]);
            }
            super::cargo_build(&args, "the container plugin");
            // Both builds write the same file: copy each right after its build.
            let built = std::fs::read(dir.join("libscapbridge_container_plugin.so")).unwrap();
            let dest = root.join(dest);
            if std::fs::read(&dest).ok().as_deref() == Some(&built[..]) {
                continue;
            }
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            // Beside it and renamed: a reader running meanwhile keeps the old file.
            let tmp = dest.with_extension(format!("tmp.{}", std::process::id()));
            std::fs::write(&tmp, &built).unwrap();
            std::fs::rename(&tmp, &dest).unwrap();
        }
    });
}
