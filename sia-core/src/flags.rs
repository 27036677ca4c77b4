//! A Go `flag`-package compatible command-line parser. Athenz's siad is a Go program
//! (`provider/aws/sia-ec2/cmd/siad/main.go`), so scripts call it as `-zts HOST -ztsport 4443`,
//! `--zts=HOST` or `-zts=HOST`; clap cannot parse single-dash long names. Semantics follow Go:
//! one or two dashes, `name=value` or `name value`, booleans only as `-b` or `-b=false`, parsing
//! stops at `--` or the first non-flag argument, `-h`/`-help` asks for the usage text, and an
//! unknown flag is an error.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
struct Spec {
    name: String,
    boolean: bool,
    default: Option<String>,
    usage: String,
}

/// The flags a program accepts.
#[derive(Debug, Clone)]
pub struct FlagSet {
    program: String,
    specs: Vec<Spec>,
}

/// The outcome of a parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse {
    /// Flags parsed.
    Flags(Flags),
    /// `-h`/`-help`/`--help` was given: print this usage text and exit 0.
    Help(String),
}

/// Parsed flag values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Flags {
    set: BTreeMap<String, String>,
    defaults: BTreeMap<String, String>,
    /// Arguments after the flags.
    pub args: Vec<String>,
}

impl Flags {
    /// The value given on the command line, else the default.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.set
            .get(name)
            .or_else(|| self.defaults.get(name))
            .map(String::as_str)
    }

    /// Whether the flag was given explicitly.
    pub fn is_set(&self, name: &str) -> bool {
        self.set.contains_key(name)
    }

    /// A boolean flag's value (false when absent).
    pub fn bool(&self, name: &str) -> bool {
        self.get(name) == Some("true")
    }
}

impl FlagSet {
    /// An empty set for `program` (used in the usage text).
    pub fn new(program: &str) -> Self {
        Self {
            program: program.to_string(),
            specs: Vec::new(),
        }
    }

    /// Adds a string flag with an optional default.
    pub fn string(mut self, name: &str, default: Option<&str>, usage: &str) -> Self {
        self.specs.push(Spec {
            name: name.to_string(),
            boolean: false,
            default: default.map(str::to_string),
            usage: usage.to_string(),
        });
        self
    }

    /// Adds a boolean flag (default false).
    pub fn boolean(mut self, name: &str, usage: &str) -> Self {
        self.specs.push(Spec {
            name: name.to_string(),
            boolean: true,
            default: None,
            usage: usage.to_string(),
        });
        self
    }

    /// The usage text, in Go's `flag.PrintDefaults` layout.
    pub fn usage(&self) -> String {
        let mut out = format!("Usage of {}:\n", self.program);
        for s in &self.specs {
            let arg = if s.boolean { "" } else { " value" };
            out.push_str(&format!("  -{}{arg}\n    \t{}", s.name, s.usage));
            if let Some(d) = &s.default {
                out.push_str(&format!(" (default {d:?})"));
            }
            out.push('\n');
        }
        out
    }

    /// Parses arguments (without the program name).
    pub fn parse<I, S>(&self, args: I) -> Result<Parse>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut flags = Flags {
            defaults: self
                .specs
                .iter()
                .filter_map(|s| s.default.clone().map(|d| (s.name.clone(), d)))
                .collect(),
            ..Flags::default()
        };
        let mut it = args.into_iter().map(Into::into);
        while let Some(arg) = it.next() {
            if arg == "--" {
                break;
            }
            let body = match arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
                Some(b) if !b.is_empty() && !b.starts_with('-') && !b.starts_with('=') => b,
                _ if arg == "-" || !arg.starts_with('-') => {
                    flags.args.push(arg);
                    break;
                }
                _ => return Err(self.error(&format!("bad flag syntax: {arg}"))),
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(spec) = self.specs.iter().find(|s| s.name == name) else {
                if name == "h" || name == "help" {
                    return Ok(Parse::Help(self.usage()));
                }
                return Err(self.error(&format!("flag provided but not defined: -{name}")));
            };
            let value = if spec.boolean {
                match inline.as_deref() {
                    None | Some("true" | "1" | "t" | "T" | "TRUE" | "True") => "true".to_string(),
                    Some("false" | "0" | "f" | "F" | "FALSE" | "False") => "false".to_string(),
                    Some(v) => {
                        return Err(self.error(&format!("invalid boolean value {v:?} for -{name}")));
                    }
                }
            } else if let Some(v) = inline {
                v
            } else {
                it.next()
                    .ok_or_else(|| self.error(&format!("flag needs an argument: -{name}")))?
            };
            flags.set.insert(name.to_string(), value);
        }
        flags.args.extend(it);
        Ok(Parse::Flags(flags))
    }

    fn error(&self, msg: &str) -> Error {
        Error::Flags(format!("{msg}\n{}", self.usage()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> FlagSet {
        FlagSet::new("siad")
            .string("zts", None, "ZTS host")
            .string("ztsport", Some("4443"), "ZTS port")
            .string("cmd", Some(""), "command")
            .boolean("nosyslog", "log to stderr")
    }

    fn flags(args: &[&str]) -> Flags {
        match set().parse(args.iter().copied()).unwrap() {
            Parse::Flags(f) => f,
            Parse::Help(h) => panic!("unexpected help {h}"),
        }
    }

    #[test]
    fn go_syntaxes_all_work() {
        for args in [
            &["-zts", "z.example.com"][..],
            &["--zts", "z.example.com"],
            &["-zts=z.example.com"],
            &["--zts=z.example.com"],
        ] {
            let f = flags(args);
            assert_eq!(f.get("zts"), Some("z.example.com"), "{args:?}");
            assert!(f.is_set("zts"));
            assert_eq!(f.get("ztsport"), Some("4443"));
            assert!(!f.is_set("ztsport"));
        }
        let f = flags(&[
            "-ztsport",
            "8443",
            "-cmd=init",
            "-nosyslog",
            "rest",
            "-zts",
            "x",
        ]);
        assert_eq!(f.get("ztsport"), Some("8443"));
        assert_eq!(f.get("cmd"), Some("init"));
        assert!(f.bool("nosyslog"));
        assert_eq!(f.get("zts"), None, "parsing stops at the first non-flag");
        assert_eq!(f.args, ["rest", "-zts", "x"]);
        let f = flags(&["-nosyslog=false", "--", "-zts"]);
        assert!(!f.bool("nosyslog"));
        assert_eq!(f.args, ["-zts"]);
        // A boolean never consumes the next argument.
        let f = flags(&["-nosyslog", "false"]);
        assert!(f.bool("nosyslog"));
        assert_eq!(f.args, ["false"]);
        assert_eq!(flags(&["-cmd="]).get("cmd"), Some(""));
    }

    #[test]
    fn errors_name_the_problem_and_show_usage() {
        let e = set().parse(["-ztz", "x"]).unwrap_err().to_string();
        assert!(e.starts_with("flag provided but not defined: -ztz"), "{e}");
        assert!(
            e.contains("Usage of siad:") && e.contains("-ztsport value"),
            "{e}"
        );
        let e = set().parse(["-zts"]).unwrap_err().to_string();
        assert!(e.starts_with("flag needs an argument: -zts"), "{e}");
        let e = set().parse(["---zts=x"]).unwrap_err().to_string();
        assert!(e.starts_with("bad flag syntax"), "{e}");
        let e = set().parse(["-nosyslog=maybe"]).unwrap_err().to_string();
        assert!(e.contains("invalid boolean"), "{e}");
    }

    #[test]
    fn help_returns_usage() {
        for h in ["-h", "-help", "--help"] {
            match set().parse([h]).unwrap() {
                Parse::Help(u) => assert!(u.contains("(default \"4443\")"), "{u}"),
                Parse::Flags(f) => panic!("{f:?}"),
            }
        }
    }
}
