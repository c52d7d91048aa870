//! The healthcheck tools, by the name the stand-in is called as: `curl`, `wget`, `python3 -c`,
//! `node -e`, `sh -c`/`bash -c` for the URL forms pmovesc writes and the common hand-written
//! ones; anything else is accepted and reported as not exercised.

use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use crate::http;

const TIMEOUT: Duration = Duration::from_secs(5);

pub fn run(name: &str, args: &[String]) -> ExitCode {
    match name {
        "curl" => curl(args),
        "wget" => wget(args),
        "python3" | "python" => python(name, args),
        "node" => node(args),
        "sh" | "bash" => shell(name, args),
        _ => not_exercised(name, args),
    }
}

/// A probe the stand-in cannot check: it succeeds, and says so in the health log.
fn not_exercised(name: &str, args: &[String]) -> ExitCode {
    println!("standin: not exercised: {name} {}", args.join(" "));
    ExitCode::SUCCESS
}

/// GETs `url`; `fail_status` is the exit code for an HTTP error status (curl -f: 22, wget: 8),
/// `None` when any response counts as success (curl without -f).
fn fetch(tool: &str, url: &str, fail_status: Option<u8>, connect_fail: u8) -> ExitCode {
    let Some(parsed) = http::parse_url(url) else {
        return not_exercised(tool, &[url.to_string()]);
    };
    match http::get(&parsed, TIMEOUT) {
        Ok(status) => {
            println!("standin: {tool} GET {url} -> {status}");
            match fail_status {
                Some(code) if status >= 400 => ExitCode::from(code),
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            println!("standin: {tool} GET {url} failed: {e}");
            ExitCode::from(connect_fail)
        }
    }
}

fn curl(args: &[String]) -> ExitCode {
    let mut fail = false;
    let mut url = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" | "--output" | "-m" | "--max-time" | "--connect-timeout" | "-H" | "-A" => {
                it.next();
            }
            "--fail" => fail = true,
            s if s.starts_with("--") => {}
            s if s.starts_with('-') => fail |= s.contains('f'),
            s => url = Some(s.to_string()),
        }
    }
    match url {
        Some(u) => fetch("curl", &u, fail.then_some(22), 7),
        None => not_exercised("curl", args),
    }
}

fn wget(args: &[String]) -> ExitCode {
    let mut url = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-O" | "-T" | "--timeout" | "-U" => {
                it.next();
            }
            s if s.starts_with('-') => {
                // A short-flag group ending in O takes the next word (`-qO -`), unless it is
                // glued (`-qO-`).
                if !s.starts_with("--") && s.ends_with('O') {
                    it.next();
                }
            }
            s => url = Some(s.to_string()),
        }
    }
    match url {
        Some(u) => fetch("wget", &u, Some(8), 4),
        None => not_exercised("wget", args),
    }
}

/// The first quoted string after `call(` in `code`, e.g. the URL of `urlopen('...')`.
fn quoted_arg(code: &str, call: &str) -> Option<String> {
    let at = code.find(call)? + call.len();
    let rest = code[at..].trim_start();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &rest[1..];
    Some(body[..body.find(quote)?].to_string())
}

fn python(name: &str, args: &[String]) -> ExitCode {
    if let [flag, code, ..] = args
        && flag == "-c"
        && let Some(url) = quoted_arg(code, "urlopen(")
    {
        // urlopen raises on an HTTP error status: python exits 1.
        return fetch(name, &url, Some(1), 1);
    }
    not_exercised(name, args)
}

fn node(args: &[String]) -> ExitCode {
    if let [flag, code, ..] = args
        && flag == "-e"
        && let Some(url) = quoted_arg(code, "fetch(")
    {
        // The forms in use exit 1 unless `r.ok` (a 2xx status).
        return fetch("node", &url, Some(1), 1);
    }
    not_exercised("node", args)
}

/// `sh -c SCRIPT`: runs the first simple command of the script when it is one of the tools
/// above, or bash's `:> /dev/tcp/HOST/PORT` connect; anything else is not exercised.
fn shell(name: &str, args: &[String]) -> ExitCode {
    let [flag, script, ..] = args else {
        return not_exercised(name, args);
    };
    if flag != "-c" {
        return not_exercised(name, args);
    }
    if let Some(target) = script
        .split_whitespace()
        .find_map(|w| w.trim_matches(['\'', '"']).strip_prefix("/dev/tcp/"))
    {
        return tcp_connect(target);
    }
    let words = first_command(script);
    match words.split_first() {
        Some((tool, rest))
            if ["curl", "wget", "python3", "python", "node"].contains(&tool.as_str()) =>
        {
            run(tool, rest)
        }
        Some((tool, rest))
            if (tool == "bash" || tool == "sh") && rest.first().is_some_and(|f| f == "-c") =>
        {
            shell(tool, rest)
        }
        _ => not_exercised(name, args),
    }
}

fn tcp_connect(target: &str) -> ExitCode {
    let Some((host, port)) = target.split_once('/') else {
        return not_exercised("bash", &[target.to_string()]);
    };
    let addr = port.parse::<u16>().ok().and_then(|p| {
        (host, crate::http::mapped_port(host, p))
            .to_socket_addrs()
            .ok()?
            .next()
    });
    let Some(addr) = addr else {
        println!("standin: bash /dev/tcp/{target}: cannot resolve");
        return ExitCode::from(1);
    };
    match TcpStream::connect_timeout(&addr, TIMEOUT) {
        Ok(_) => {
            println!("standin: bash /dev/tcp/{target} connected");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("standin: bash /dev/tcp/{target} failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// The words of a script's first simple command: split on blanks with quotes removed, up to the
/// first operator or redirection.
fn first_command(script: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in script.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                ' ' | '\t' | '\n' => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                ';' | '|' | '&' | '>' | '<' => {
                    // `2>&1`: the digits are the redirection's file descriptor, not a word.
                    if (c == '>' || c == '<') && word.chars().all(|d| d.is_ascii_digit()) {
                        in_word = false;
                    }
                    break;
                }
                c => {
                    word.push(c);
                    in_word = true;
                }
            },
        }
    }
    if in_word {
        words.push(word);
    }
    words
}
