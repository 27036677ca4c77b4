//! The engines under comparison, behind one trait so that the check and the timing loops are
//! the same code for all (monomorphized: no virtual call in the timed path).

pub mod casbin_engine;
pub mod cedar_engine;
pub mod rego_engine;
pub mod zpe_engine;

use crate::corpus::Request;

/// One policy engine, loaded with the generated set.
pub trait Engine {
    /// Decides `request`: true when access is granted. The principal's roles are found from
    /// its name inside this call, as each engine's users would do it.
    fn decide(&mut self, request: &Request) -> anyhow::Result<bool>;
}

/// Athenz glob match for the engines that need one supplied (casbin's custom function): the
/// whole of `text`, `*` any run (crossing `/`, `.`, `:`), `?` one character. Greedy with one
/// backtrack point, no allocation.
pub fn athenz_glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'?') => {
                pi += 1;
                ti += utf8_len(t[ti]);
            }
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    let next = st + utf8_len(t[st]);
                    star = Some((sp, next));
                    pi = sp + 1;
                    ti = next;
                }
                None => return false,
            },
        }
    }
    ti == t.len()
        && p.get(pi..)
            .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::athenz_glob;
    use super::casbin_engine::Casbin;
    use super::cedar_engine::{CedarFull, CedarSliced, Common};
    use super::rego_engine::Regorus;
    use super::zpe_engine::Zpe;
    use crate::corpus::{self, reference_glob};
    use crate::measure::check;
    use crate::policy::{PolicySet, Shape};

    /// Every engine decides a small generated set like the reference.
    #[test]
    fn engines_agree_on_a_small_set() -> anyhow::Result<()> {
        let shape = Shape {
            roles: 40,
            assertions: 400,
            principals: 100,
            roles_per_principal: 5,
            deny_percent: 10,
        };
        let set = PolicySet::generate(7, shape)?;
        let requests = corpus::generate(&set, 7, 1_000)?;
        let (allow, deny, none) = corpus::mix(&requests);
        assert!(allow > 0 && deny > 0 && none > 0, "{allow} {deny} {none}");
        let (mut zpe, memory) = Zpe::build(&set)?;
        assert!(memory.file_bytes > 0);
        check("zpe", &mut zpe, &requests)?;
        let common = Common::build(&set)?;
        check("cedar", &mut CedarFull::build(common.clone())?, &requests)?;
        check("sliced", &mut CedarSliced::build(common, &set)?, &requests)?;
        check("casbin", &mut Casbin::build(&set)?, &requests)?;
        check("regorus", &mut Regorus::build(&set)?, &requests)?;

        // And a wrong engine is caught, with the case in the message.
        struct AlwaysAllow;
        impl super::Engine for AlwaysAllow {
            fn decide(&mut self, _: &crate::corpus::Request) -> anyhow::Result<bool> {
                Ok(true)
            }
        }
        let err = check("always-allow", &mut AlwaysAllow, &requests).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("DISAGREEMENT: always-allow"), "{msg}");
        Ok(())
    }

    #[test]
    fn agrees_with_reference() {
        let patterns = [
            "*",
            "a*",
            "*b",
            "a?c",
            "a*b*c",
            "x.*conf*.q1",
            "",
            "?",
            "**",
            "a/*",
        ];
        let texts = [
            "",
            "a",
            "abc",
            "a/c",
            "axbyc",
            "x.y.confz.q1",
            "b",
            "a/b/c.d",
            "ab",
        ];
        for p in patterns {
            for t in texts {
                assert_eq!(athenz_glob(p, t), reference_glob(p, t), "{p:?} {t:?}");
            }
        }
    }
}
