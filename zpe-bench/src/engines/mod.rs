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
/// whole of `text`, `*` any run (crossing `/`, `.`, `:`), `?` one character; the matcher ZMS
/// and ZPE use (`model::glob`).
pub fn athenz_glob(pattern: &str, text: &str) -> bool {
    model::glob::wildcard_matches(pattern, text)
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
