//! Which scope a request needs, from rules that the routes declare for
//! their own path prefixes (see `routes::access_policy`).

use actix_web::http::Method;

use crate::auth::Scope;

/// What a group of routes needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Always open: documentation and health.
    Open,
    /// Every method asks a question and changes nothing: a read.
    Reads,
    /// GET and HEAD read; every other method writes. The default.
    ReadsAndWrites,
}

/// Rules by path prefix. A prefix matches itself and what lies below it
/// (`/health` matches `/health/live`, not `/healthz`).
#[derive(Debug, Clone, Default)]
pub struct Policy(Vec<(&'static str, Rule)>);

impl Policy {
    pub fn new(rules: Vec<(&'static str, Rule)>) -> Policy {
        Policy(rules)
    }

    /// The scope a request needs; `None` when it is open. CORS preflights
    /// are always open: browsers send them without credentials.
    pub fn required(&self, method: &Method, path: &str) -> Option<Scope> {
        if method == Method::OPTIONS {
            return None;
        }
        let rule = self
            .0
            .iter()
            .filter(|(prefix, _)| {
                path.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(Rule::ReadsAndWrites, |(_, rule)| *rule);
        match rule {
            Rule::Open => None,
            Rule::Reads => Some(Scope::Read),
            Rule::ReadsAndWrites if method == Method::GET || method == Method::HEAD => {
                Some(Scope::Read)
            }
            Rule::ReadsAndWrites => Some(Scope::Write),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_to_their_prefix_and_below_only() {
        let policy = Policy::new(vec![
            ("/health", Rule::Open),
            ("/preferreditem", Rule::Reads),
        ]);
        assert_eq!(policy.required(&Method::GET, "/health/ready"), None);
        assert_eq!(policy.required(&Method::GET, "/healthz"), Some(Scope::Read));
        assert_eq!(
            policy.required(&Method::POST, "/preferreditem/batch"),
            Some(Scope::Read)
        );
        assert_eq!(
            policy.required(&Method::POST, "/preferreditems"),
            Some(Scope::Write)
        );
        assert_eq!(policy.required(&Method::GET, "/items"), Some(Scope::Read));
        assert_eq!(
            policy.required(&Method::DELETE, "/masterdata/x"),
            Some(Scope::Write)
        );
        assert_eq!(policy.required(&Method::OPTIONS, "/items"), None);
    }
}
