//! Installing the tools the build needs, each only when missing or at the wrong version, from the
//! package registries only (crates.io, npm, Debian): never a binary download from elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The Trunk release that builds with this toolchain (0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";
/// npm's binaryen; Debian's older wasm-opt produces a wasm that crashes in the browser.
pub const BINARYEN_VERSION: &str = "132.0.0";
/// npm's axe-core, the accessibility checker the browser tests run in their pages.
pub const AXE_VERSION: &str = "4.14.1";

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    // Cargo sets this when it runs us (`cargo xtask`); the compile-time value is only a fallback,
    // since a build copied or moved with its `target/` would point at the old place.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// The cargo that runs us.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs `cmd`, echoing it, and fails with its exit status.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}").replace('"', "");
    println!("xtask: $ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// The first line a command prints, if it runs and succeeds.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn timed<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let start = Instant::now();
    let out = f()?;
    println!("xtask: {what} took {:.1}s", start.elapsed().as_secs_f64());
    Ok(out)
}

/// `rustup target add wasm32-unknown-unknown` unless already there.
pub fn ensure_wasm_target() -> Result<(), String> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    timed("adding the wasm32 target", || {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
    })
}

/// Trunk at the pinned version.
pub fn ensure_trunk() -> Result<(), String> {
    let want = format!("trunk {TRUNK_VERSION}");
    if output_of("trunk", &["--version"]).as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    timed("installing trunk (about 11 minutes on 2 cores)", || {
        run(cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))
    })
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(v.trim_matches('"').to_owned());
        }
    }
    Err("Cargo.lock names no wasm-bindgen".into())
}

/// wasm-bindgen-cli at Cargo.lock's version (installed without `--locked`: its own lockfile
/// wants a crate version the registry mirror here lacks).
pub fn ensure_wasm_bindgen() -> Result<(), String> {
    let version = locked_wasm_bindgen_version()?;
    let want = format!("wasm-bindgen {version}");
    if output_of("wasm-bindgen", &["--version"]).as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    timed("installing wasm-bindgen-cli (about 4 minutes)", || {
        run(cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))
    })
}

/// Where npm tools live (inside target/, so `cargo clean` resets them too).
pub fn npm_prefix() -> PathBuf {
    root().join("target").join("tools").join("npm")
}

/// wasm-opt from npm's binaryen, on a PATH that Trunk will see.
pub fn ensure_wasm_opt() -> Result<(), String> {
    let bin = npm_prefix()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt");
    let have = output_of(&bin.to_string_lossy(), &["--version"]).unwrap_or_default();
    let major = BINARYEN_VERSION.split('.').next().unwrap_or_default();
    if have.split(' ').nth(2) == Some(major) {
        return Ok(());
    }
    if output_of("npm", &["--version"]).is_none() {
        apt_install(&["npm"])?;
    }
    timed("installing binaryen from npm", || {
        run(Command::new("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &npm_prefix().to_string_lossy(),
            &format!("binaryen@{BINARYEN_VERSION}"),
        ]))
    })
}

/// axe-core from npm, for the browser tests' accessibility check (they read
/// `target/tools/npm/node_modules/axe-core/axe.min.js`).
pub fn ensure_axe() -> Result<(), String> {
    let package = npm_prefix()
        .join("node_modules")
        .join("axe-core")
        .join("package.json");
    let have = std::fs::read_to_string(&package).unwrap_or_default();
    if have.contains(&format!("\"version\": \"{AXE_VERSION}\"")) {
        return Ok(());
    }
    if output_of("npm", &["--version"]).is_none() {
        apt_install(&["npm"])?;
    }
    timed("installing axe-core from npm", || {
        run(Command::new("npm").args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &npm_prefix().to_string_lossy(),
            &format!("axe-core@{AXE_VERSION}"),
        ]))
    })
}

/// Debian's Chromium and ChromeDriver, for the browser tests.
pub fn ensure_chromium() -> Result<(), String> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

/// Everything the tests need from Debian: Chromium and ChromeDriver for the browser tests,
/// coturn (a real TURN server) for the relay tests and pebble (an ACME test CA, with its DNS
/// `pebble-challtestsrv`) for the certificate test. One `apt-get` for whatever is missing; then
/// axe-core from npm for the accessibility check.
pub fn ensure_test_packages() -> Result<(), String> {
    let wanted = [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/bin/turnserver", "coturn"),
        ("/usr/bin/pebble", "pebble"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    ensure_axe()
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    timed(
        &format!("installing {} with apt-get", packages.join(" ")),
        || {
            let sudo = output_of("id", &["-u"]).as_deref() != Some("0");
            let apt = |args: &[&str]| {
                let mut cmd = if sudo {
                    let mut c = Command::new("sudo");
                    c.arg("apt-get");
                    c
                } else {
                    Command::new("apt-get")
                };
                cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
                run(&mut cmd)
            };
            apt(&["update"])?;
            let mut args = vec!["install", "-y", "--no-install-recommends"];
            args.extend_from_slice(packages);
            apt(&args)
        },
    )
}

/// PATH with the npm tools and cargo's bin directory in front, for Trunk.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![npm_prefix().join("node_modules").join(".bin")];
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// Every tool the frontend build needs.
pub fn ensure_build_tools() -> Result<(), String> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()
}
