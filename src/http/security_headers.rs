//! Headers every answer carries for the browser's sake: `nosniff`
//! everywhere, a content security policy on Swagger UI, and HSTS when TLS
//! terminates in front of the service.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::Error;

/// What Swagger UI needs and nothing more: its own scripts and styles (it
/// sets inline styles), its data: images, and calls to this origin.
const DOCS_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     frame-ancestors 'none'";

/// `Strict-Transport-Security`, when configured.
#[derive(Debug, Clone)]
pub struct Hsts(pub Option<HeaderValue>);

impl Hsts {
    pub fn new(max_age_secs: u64) -> Hsts {
        Hsts((max_age_secs > 0).then(|| {
            HeaderValue::from_str(&format!("max-age={max_age_secs}; includeSubDomains"))
                .expect("a number is a valid header value")
        }))
    }
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = req.path().starts_with("/docs");
    let hsts = req.app_data::<Hsts>().and_then(|h| h.0.clone());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if docs {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_POLICY),
        );
    }
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    Ok(response)
}
