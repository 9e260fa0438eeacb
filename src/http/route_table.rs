//! The documented routes, as segment patterns: the metric label of a
//! request (its route pattern, without a regular expression per request),
//! and the methods a path allows, for the 405 fallback.

use std::collections::HashMap;
use std::sync::Arc;

/// One segment of a pattern: a literal, or a `{parameter}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

#[derive(Debug, Clone)]
struct Route {
    pattern: Arc<str>,
    segments: Vec<Segment>,
    /// The methods it answers, as `Allow` lists them.
    allow: String,
}

/// Routes by pattern, matched segment by segment; literals win over
/// parameters (`/items/bulk` before `/items/{id}`).
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    /// The routes without parameters, by pattern.
    literal: HashMap<Arc<str>, usize>,
}

impl RouteTable {
    /// From `(pattern, methods)` pairs such as `("/items/{id}", ["GET", "PUT"])`.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> RouteTable {
        let mut routes: Vec<Route> = routes
            .into_iter()
            .map(|(pattern, methods)| Route {
                pattern: Arc::from(pattern),
                segments: pattern
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Parameter
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect(),
                allow: methods.join(", "),
            })
            .collect();
        // Fewer parameters first, so that a literal segment wins.
        routes.sort_by_key(|r| {
            r.segments
                .iter()
                .filter(|s| **s == Segment::Parameter)
                .count()
        });
        let literal = routes
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.segments.contains(&Segment::Parameter))
            .map(|(at, r)| (r.pattern.clone(), at))
            .collect();
        RouteTable { routes, literal }
    }

    fn find(&self, path: &str) -> Option<&Route> {
        // A path written as a route without parameters is that route
        // (literals win): the common case, found without splitting.
        if let Some(&at) = self.literal.get(path) {
            return Some(&self.routes[at]);
        }
        self.routes.iter().find(|route| {
            let mut parts = path.split('/').filter(|s| !s.is_empty());
            route
                .segments
                .iter()
                .all(|segment| match (segment, parts.next()) {
                    (Segment::Literal(literal), Some(part)) => literal == part,
                    (Segment::Parameter, Some(_)) => true,
                    (_, None) => false,
                })
                && parts.next().is_none()
        })
    }

    /// The pattern `path` matches, for metric labels.
    pub fn pattern(&self, path: &str) -> Option<Arc<str>> {
        self.find(path).map(|r| r.pattern.clone())
    }

    /// The methods `path` allows, when it is a known route.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        self.find(path).map(|r| r.allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_win_and_parameters_take_one_segment() {
        let table = RouteTable::new([
            ("/items/{id}", vec!["GET", "PUT"]),
            ("/items/bulk", vec!["POST"]),
            ("/items", vec!["GET", "POST"]),
        ]);
        assert_eq!(table.pattern("/items/bulk").as_deref(), Some("/items/bulk"));
        assert_eq!(
            table.pattern("/items/item1").as_deref(),
            Some("/items/{id}")
        );
        assert_eq!(table.allowed("/items/item1"), Some("GET, PUT"));
        assert_eq!(table.pattern("/items").as_deref(), Some("/items"));
        assert_eq!(table.pattern("//items").as_deref(), Some("/items"));
        assert_eq!(table.pattern("/items/{id}").as_deref(), Some("/items/{id}"));
        assert_eq!(table.pattern("/items/a/b"), None);
        assert_eq!(table.pattern("/nothing"), None);
    }
}
