//! Wildcard patterns (`*` any run, `?` one character) and policy variables (`${aws:username}`).
//!
//! A pattern is compiled into tokens first, so a value substituted for a policy variable, or the
//! escapes `${*}`, `${?}` and `${$}`, always matches literally: a user called `a*` cannot widen a
//! `${aws:username}` resource to every user.

/// One compiled pattern element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(char),
    /// `*`: any run of characters, empty included, `:` and `/` included.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Resolves a policy variable's key (for example `aws:username`) to its single value.
pub(crate) type VarLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Compiles `pattern`.
///
/// `wildcards`: whether `*` and `?` are wildcards (they are for actions, resources and the
/// `...Like` operators) or plain characters (the `...Equals` operators).
///
/// `vars`: `Some` when policy variables are in force (policy `Version` `2012-10-17`). A variable
/// whose key has no value and no default (`${aws:username, 'nobody'}`) makes the whole pattern
/// unusable: `None` comes back, and the caller treats it as matching nothing, as IAM does.
pub(crate) fn compile(
    pattern: &str,
    wildcards: bool,
    vars: Option<VarLookup<'_>>,
) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let (Some(lookup), true) = (vars, rest.starts_with("${")) {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" => out.push(Tok::Lit('*')),
                    "?" => out.push(Tok::Lit('?')),
                    "$" => out.push(Tok::Lit('$')),
                    _ => {
                        let value = resolve(inner, lookup)?;
                        out.extend(value.chars().map(Tok::Lit));
                    }
                }
                continue;
            }
        }
        out.push(match c {
            '*' if wildcards => Tok::Star,
            '?' if wildcards => Tok::One,
            other => Tok::Lit(other),
        });
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

/// `key` or `key, 'default'` inside `${...}`.
fn resolve(inner: &str, lookup: VarLookup<'_>) -> Option<String> {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(default);
            (key.trim(), Some(default))
        }
        None => (inner.trim(), None),
    };
    lookup(key).or_else(|| default.map(str::to_owned))
}

fn chars_eq(a: char, b: char, ignore_case: bool) -> bool {
    a == b || (ignore_case && a.to_lowercase().eq(b.to_lowercase()))
}

/// Whether `text` matches the whole of `pattern`.
pub(crate) fn matches(pattern: &[Tok], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut s) = (0usize, 0usize);
    // Where the last `*` was, and how much of the text it has swallowed so far.
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match pattern.get(p) {
            Some(Tok::Star) => {
                star = Some((p, s));
                p += 1;
                continue;
            }
            Some(Tok::One) => {
                p += 1;
                s += 1;
                continue;
            }
            Some(Tok::Lit(c)) if chars_eq(*c, text[s], ignore_case) => {
                p += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, ss)) => {
                p = sp + 1;
                s = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pattern.get(p) == Some(&Tok::Star) {
        p += 1;
    }
    p == pattern.len()
}

/// Compiles and matches in one go; an unresolvable variable matches nothing.
pub(crate) fn matches_str(
    pattern: &str,
    text: &str,
    wildcards: bool,
    ignore_case: bool,
    vars: Option<VarLookup<'_>>,
) -> bool {
    compile(pattern, wildcards, vars).is_some_and(|toks| matches(&toks, text, ignore_case))
}

/// ARN matching as IAM does it for `Resource` and the `Arn...` operators: both sides are cut into
/// the six `:`-separated parts `arn:partition:service:region:account:resource` (the last part keeps
/// any further colons) and each part is matched on its own, so a `*` never runs across a colon
/// between the first five parts. A pattern with no colon at all (`*`, say) is matched whole; one
/// with colons but fewer than six parts matches nothing.
pub(crate) fn arn_matches(pattern: &str, text: &str, vars: Option<VarLookup<'_>>) -> bool {
    let Some(toks) = compile(pattern, true, vars) else {
        return false;
    };
    let parts = split_tokens(&toks, 6);
    if parts.len() == 1 {
        return matches(&toks, text, false);
    }
    if parts.len() < 6 {
        return false;
    }
    let text_parts: Vec<&str> = text.splitn(6, ':').collect();
    if text_parts.len() < 6 {
        return false;
    }
    parts
        .iter()
        .zip(text_parts)
        .all(|(p, t)| matches(p, t, false))
}

/// Splits tokens on literal `:` into at most `n` parts.
fn split_tokens(toks: &[Tok], n: usize) -> Vec<Vec<Tok>> {
    let mut parts: Vec<Vec<Tok>> = vec![Vec::new()];
    for tok in toks {
        if *tok == Tok::Lit(':') && parts.len() < n {
            parts.push(Vec::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(*tok);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        matches_str(p, t, true, false, None)
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("*", "anything/at:all"));
        assert!(m("a*c", "abc"));
        assert!(m("a*c", "ac"));
        assert!(m("a*c", "abxbc"));
        assert!(!m("a*c", "abcd"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(!m("s3:Get*", "s3:getobject"));
        assert!(matches_str("s3:Get*", "S3:GETOBJECT", true, true, None));
        assert!(!matches_str("a*", "abc", false, false, None));
        assert!(matches_str("a*", "a*", false, false, None));
    }

    #[test]
    fn variables() {
        let lookup = |k: &str| (k == "aws:username").then(|| "alice".to_owned());
        let vars: Option<VarLookup<'_>> = Some(&lookup);
        assert!(matches_str(
            "home/${aws:username}/*",
            "home/alice/x",
            true,
            false,
            vars
        ));
        assert!(!matches_str(
            "home/${aws:username}/*",
            "home/bob/x",
            true,
            false,
            vars
        ));
        // Unknown key: matches nothing; with a default: the default.
        assert!(!matches_str("${aws:nope}", "", true, false, vars));
        assert!(matches_str("${aws:nope, 'x'}", "x", true, false, vars));
        // Escapes are literal.
        assert!(matches_str("a${*}", "a*", true, false, vars));
        assert!(!matches_str("a${*}", "ab", true, false, vars));
        assert!(matches_str("${$}{x}", "${x}", true, false, vars));
        // Without variables in force, `${...}` is plain text.
        assert!(matches_str(
            "${aws:username}",
            "${aws:username}",
            true,
            false,
            None
        ));
    }

    #[test]
    fn substituted_values_are_literal() {
        let lookup = |_: &str| Some("*".to_owned());
        let vars: Option<VarLookup<'_>> = Some(&lookup);
        assert!(!matches_str(
            "home/${aws:username}",
            "home/bob",
            true,
            false,
            vars
        ));
        assert!(matches_str(
            "home/${aws:username}",
            "home/*",
            true,
            false,
            vars
        ));
    }

    #[test]
    fn arns() {
        assert!(arn_matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a/b:c",
            None
        ));
        assert!(!arn_matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::other/a",
            None
        ));
        assert!(arn_matches(
            "arn:aws:kms:*:111122223333:key/*",
            "arn:aws:kms:us-east-1:111122223333:key/abc",
            None
        ));
        // A `*` in the region part does not run into the account part.
        assert!(!arn_matches(
            "arn:aws:kms:*:key/*",
            "arn:aws:kms:us-east-1:111122223333:key/abc",
            None
        ));
        assert!(arn_matches("*", "arn:aws:s3:::x", None));
        assert!(!arn_matches("arn:aws:s3:::x", "not-an-arn", None));
    }
}
