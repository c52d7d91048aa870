//! Fingerprints the compiler's own source (src/ and Cargo.lock) into PMOVESC_FINGERPRINT, so a
//! build manifest written by one compiler is never trusted by a different one.

use std::path::Path;

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// FNV-1a, 128 bits as two 64-bit lanes: enough to tell compiler sources apart, and no build
/// dependency needed.
fn fnv(state: &mut [u64; 2], bytes: &[u8]) {
    for &b in bytes {
        state[0] = (state[0] ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        state[1] = (state[1] ^ u64::from(b.rotate_left(3))).wrapping_mul(0x0000_0100_0000_01b3);
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    files.push("Cargo.lock".into());
    let mut state = [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64];
    fnv(&mut state, env!("CARGO_PKG_VERSION").as_bytes());
    for f in files {
        fnv(
            &mut state,
            f.to_string_lossy().replace('\\', "/").as_bytes(),
        );
        if let Ok(bytes) = std::fs::read(&f) {
            fnv(&mut state, &(bytes.len() as u64).to_le_bytes());
            fnv(&mut state, &bytes);
        }
    }
    println!(
        "cargo:rustc-env=PMOVESC_FINGERPRINT={:016x}{:016x}",
        state[0], state[1]
    );
}
