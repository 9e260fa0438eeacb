//! Keyset pagination shared by the list routes.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::db::{Keyset, Page};
use crate::domain::{parse_page_limit, FieldErrors, Identifier};

/// A validated page request.
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Identifier>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, after: Option<&str>) -> Result<PageRequest, FieldErrors> {
        let mut errors = FieldErrors::default();
        let limit = errors.take(parse_page_limit(limit));
        let after = errors.take(after.map(|a| Identifier::parse(a, "after")).transpose());
        errors.finish(|| {
            Some(PageRequest {
                limit: limit?,
                after: after?,
            })
        })
    }

    /// Where the page starts, for the repository.
    pub fn keyset(&self) -> Keyset<'_> {
        Keyset::new(self.after.as_ref(), self.limit)
    }

    /// The page as a JSON array, with a `Link` to the next page (keeping
    /// this request's `filters`) when more rows follow.
    pub fn respond<T, J>(
        &self,
        page: Page<T>,
        path: &str,
        filters: &[(&str, String)],
        identifier: impl Fn(&T) -> &Identifier,
    ) -> HttpResponse
    where
        J: for<'t> From<&'t T> + Serialize,
    {
        let mut response = HttpResponse::Ok();
        if let (true, Some(last)) = (page.has_more, page.rows.last()) {
            let mut url = format!("{path}?limit={}&after={}", self.limit, identifier(last));
            for (key, value) in filters {
                url.push_str(&format!("&{key}={value}"));
            }
            response.insert_header((header::LINK, format!("<{url}>; rel=\"next\"")));
        }
        response.json(page.rows.iter().map(J::from).collect::<Vec<J>>())
    }
}
