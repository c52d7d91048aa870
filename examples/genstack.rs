//! Writes a generated benchmark stack: `cargo run --release --example genstack -- N DIR`.

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(n), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: genstack N DIR");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let dir = std::path::PathBuf::from(dir);
    for (name, text) in pmovesc::stackgen::generate(n) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
}
