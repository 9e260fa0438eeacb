//! Keyset pagination shared by the list routes.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::db::{Keyset, Page};
use crate::domain::{parse_page_limit, FieldErrors, Identifier};
use crate::http::conditional::{read_answer, ETag};
use crate::http::{ApiError, ApiResult};

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
    /// this request's `filters`) when more rows follow, and a weak `ETag`
    /// over both: 304 when `If-None-Match` holds it. Weak, because a page
    /// is a view whose bytes are not promised (the page size may change its
    /// cut); while its rows and its next link stay the same, so does the
    /// tag.
    pub fn respond<T, J>(
        &self,
        request: &HttpRequest,
        page: Page<T>,
        path: &str,
        filters: &[(&str, String)],
        identifier: impl Fn(&T) -> &Identifier,
    ) -> ApiResult<HttpResponse>
    where
        J: for<'t> From<&'t T> + Serialize,
    {
        let link = match (page.has_more, page.rows.last()) {
            (true, Some(last)) => {
                let mut url = format!("{path}?limit={}&after={}", self.limit, identifier(last));
                for (key, value) in filters {
                    url.push_str(&format!("&{key}={value}"));
                }
                Some(format!("<{url}>; rel=\"next\""))
            }
            _ => None,
        };
        let bytes = serde_json::to_vec(&page.rows.iter().map(J::from).collect::<Vec<J>>())
            .map_err(|e| ApiError::Unexpected(e.into()))?;
        let tag = ETag::weak(&[&bytes, link.as_deref().unwrap_or("").as_bytes()]);
        let mut response = read_answer(request, StatusCode::OK, bytes, &tag);
        if let Some(link) = link {
            if let Ok(value) = header::HeaderValue::from_str(&link) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        Ok(response)
    }
}
