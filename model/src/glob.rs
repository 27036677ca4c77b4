//! Athenz glob matching (`StringUtils.patternFromGlob`): `*` matches any run of characters, `?`
//! exactly one, everything else itself, and the pattern must match the whole string.
//!
//! Athenz turns each glob into an anchored regex. We compile to the few shapes that cover nearly
//! every real policy (exact text, match-all, prefix) and fall back to a linear-time wildcard
//! matcher, so a decision never builds a regex and never allocates.

/// A compiled glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// No wildcard: string equality.
    Exact(String),
    /// `*`.
    All,
    /// `text*` with no other wildcard.
    Prefix(String),
    /// Anything else.
    Wild(String),
}

impl Glob {
    /// Compiles `pattern` as given (callers lowercase first when the policy is not case-sensitive).
    pub fn new(pattern: &str) -> Self {
        let wild = |c: char| c == '*' || c == '?';
        if !pattern.contains(wild) {
            return Self::Exact(pattern.to_string());
        }
        if pattern.chars().all(|c| c == '*') {
            return Self::All;
        }
        if let Some(prefix) = pattern.strip_suffix('*')
            && !prefix.contains(wild)
        {
            return Self::Prefix(prefix.to_string());
        }
        Self::Wild(pattern.to_string())
    }

    /// Whether the glob matches all of `text`.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Self::Exact(p) => p == text,
            Self::All => true,
            Self::Prefix(p) => text.starts_with(p.as_str()),
            Self::Wild(p) => wildcard_match(p.as_bytes(), text.as_bytes()),
        }
    }

    /// The exact text when the glob has no wildcard.
    pub fn exact(&self) -> Option<&str> {
        match self {
            Self::Exact(p) => Some(p),
            _ => None,
        }
    }
}

/// Greedy wildcard match with single backtrack point: O(pattern × text) worst case, no recursion.
/// Works on UTF-8 bytes; `?` consumes one whole character.
/// Full-string match of a pattern with `*` and `?` (the [`Glob::Wild`] case), for engines that
/// keep patterns in their own storage (ZPE's compiled form).
pub fn wildcard_matches(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern.as_bytes(), text.as_bytes())
}

fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'?' {
            p += 1;
            t += utf8_len(text[t]);
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            let next = st + utf8_len(text[st]);
            star = Some((sp, next));
            p = sp + 1;
            t = next;
        } else {
            return false;
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*') && t == text.len()
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
    use super::*;
    use proptest::prelude::*;

    /// The oracle: Athenz's own construction, glob to anchored regex.
    fn oracle(pattern: &str, text: &str) -> bool {
        let mut re = String::from("^");
        for c in pattern.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        regex::RegexBuilder::new(&re)
            .dot_matches_new_line(true)
            .build()
            .unwrap()
            .is_match(text)
    }

    #[test]
    fn shapes() {
        assert_eq!(Glob::new("read"), Glob::Exact("read".into()));
        assert_eq!(Glob::new("**"), Glob::All);
        assert_eq!(Glob::new("sports:*"), Glob::Prefix("sports:".into()));
        assert!(matches!(Glob::new("a*b"), Glob::Wild(_)));
    }

    #[test]
    fn examples() {
        assert!(Glob::new("sports:role.*").matches("sports:role.readers"));
        assert!(!Glob::new("sports:role.*").matches("sportsx:role.readers"));
        assert!(Glob::new("*:role.r?").matches("a:role.r1"));
        assert!(!Glob::new("*:role.r?").matches("a:role.r12"));
        assert!(Glob::new("a*b*c").matches("aXXbYYbc"));
        assert!(!Glob::new("a*b*c").matches("aXXbYYb"));
        assert!(Glob::new("a.b").matches("a.b"));
        assert!(!Glob::new("a.b").matches("axb"), "dot is literal");
        assert!(Glob::new("?").matches("é"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn agrees_with_regex_oracle(pattern in "[ab.*?:é]{0,8}", text in "[ab.:é]{0,10}") {
            prop_assert_eq!(Glob::new(&pattern).matches(&text), oracle(&pattern, &text));
        }

        #[test]
        fn agrees_on_wide_alphabet(pattern in "[a-c\\[\\]()+^$|\\\\*?]{0,6}", text in "[a-c\\[\\]()+^$|\\\\]{0,8}") {
            prop_assert_eq!(Glob::new(&pattern).matches(&text), oracle(&pattern, &text));
        }
    }
}
