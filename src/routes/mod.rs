//! The HTTP API, one module per scope. Each module exposes `configure`,
//! and the OpenAPI document is collected from the handlers themselves.
//! Handlers turn wire types into domain types, call the repository and
//! the domain, and answer; they hold no SQL and no validation rules.

mod bulk;
mod export;
mod idempotency;
mod items;
mod legacy;

pub use state::Deprecation;
mod master_data;
mod ops;
mod paging;
mod preferred_item;
mod preferred_item_docs;
mod state;

pub use state::AppState;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};

use crate::auth::Scope;
use crate::http::access::{Access, Policy, Rule};
use crate::wire::{BatchResponse, BrickJson, PreferredItemResponse, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Preferred Item Service",
        description = "A brick-product catalog. Items are made of bricks; master data gives \
                       each item a status and a price; the service answers which item is \
                       preferred for a list of bricks.\n\nErrors are RFC 9457 \
                       `application/problem+json` documents.",
    ),
    servers(
        (url = "/", description = "The service that serves this document (same origin)"),
    ),
    tags(
        (name = "items", description = "Catalog items and their bricks"),
        (name = "masterdata", description = "Status and price per item"),
        (name = "preferreditem", description = "Which item is preferred for a list of bricks"),
        (name = "ops", description = "Health; metrics are served on their own port"),
    ),
    // The preferred-item answers are described by hand (with their
    // headers, `preferred_item::Answered`), and brick lists through the
    // bounds of `wire::schemas`, so their schemas are named here.
    components(schemas(Problem, PreferredItemResponse, BatchResponse, BrickJson)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// Declares the two credentials for Swagger UI's "Authorize" button: API
/// keys and OpenID Connect tokens, both as `Authorization: Bearer …`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key, `Authorization: Bearer <key>`, for machines. Writes need a \
                         write key unless auth.mode is off; with auth.mode all, reads need a key \
                         too.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oidc_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token of the configured OpenID Connect issuer (e.g. Cognito), \
                         when auth.jwt.issuer is set. Scopes: the read scope for reads, the \
                         write scope (which implies read) for writes.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Puts the credentials on every operation but the open ones (health), so
/// that Swagger UI shows a lock exactly where one may be needed. Whether
/// one is needed depends on `auth.mode`, so each requirement is optional.
fn require_credentials(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    let policy = access_policy();
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ];
        for (method, operation) in [
            actix_web::http::Method::GET,
            actix_web::http::Method::PUT,
            actix_web::http::Method::POST,
            actix_web::http::Method::DELETE,
        ]
        .iter()
        .zip(operations)
        {
            let Some(operation) = operation else {
                continue;
            };
            operation.security = Some(if policy.required(method, path).is_some() {
                vec![
                    SecurityRequirement::default(),
                    SecurityRequirement::new("api_key", Vec::<String>::new()),
                    SecurityRequirement::new("oidc_token", Vec::<String>::new()),
                ]
            } else {
                // Open whatever the settings: said explicitly (`[]`).
                Vec::new()
            });
        }
    }
}

/// Registers the API's scopes on `app` and returns the app with the
/// OpenAPI document its handlers describe.
pub fn mount<T>(app: App<T>) -> (App<T>, utoipa::openapi::OpenApi)
where
    T: actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Error = actix_web::Error,
        InitError = (),
    >,
{
    let mounted = app
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(
            scope::scope("/items")
                .configure(legacy::configure_items)
                .configure(export::configure_items)
                .configure(bulk::configure_items)
                .configure(items::configure),
        )
        .service(
            scope::scope("/masterdata")
                .configure(legacy::configure_master_data)
                .configure(export::configure_master_data)
                .configure(bulk::configure_master_data)
                .configure(master_data::configure),
        )
        .service(scope::scope("/preferreditem").configure(preferred_item::configure))
        .service(scope::scope("/health").configure(ops::configure))
        .split_for_parts();
    let (app, mut openapi) = mounted;
    require_credentials(&mut openapi);
    (app, openapi)
}

/// How long a committed write waits for the source to see it.
const CATCH_UP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// After a successful write (what the access policy counts as one), waits
/// until the preferred-item source sees it, so that the write's response is
/// sent only once a read through this replica sees it. A write whose
/// catch-up fails or takes longer than `CATCH_UP_PATIENCE` (the database
/// went away right after the commit, or the feed cannot be read) is
/// answered as committed, with `X-Catalog-Caught-Up: false`; the source
/// applies it when it can.
pub async fn catch_up_after_writes(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = request
        .app_data::<actix_web::web::Data<Access>>()
        .is_some_and(|access| {
            access.policy.required(request.method(), request.path()) == Some(Scope::Write)
        });
    let state = if writes {
        request
            .app_data::<actix_web::web::Data<AppState>>()
            .cloned()
    } else {
        None
    };
    let mut response = next.call(request).await?;
    if let Some(state) = state.filter(|_| response.status().is_success()) {
        let caught_up = tokio::time::timeout(CATCH_UP_PATIENCE, state.source.catch_up()).await;
        let failure = match caught_up {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("not within {CATCH_UP_PATIENCE:?}")),
        };
        if let Some(failure) = failure {
            tracing::warn!(error = %failure, "the preferred-item source could not catch up with a write");
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-catalog-caught-up"),
                actix_web::http::header::HeaderValue::from_static("false"),
            );
        }
    }
    Ok(response)
}

/// The routes of the metrics listener: `GET /metrics` and nothing else.
pub fn configure_metrics(cfg: &mut actix_web::web::ServiceConfig) {
    ops::configure_metrics(cfg);
}

/// What each part of the API needs from a caller. Everything else reads
/// with GET and HEAD and writes with the other methods.
pub fn access_policy() -> Policy {
    Policy::new(vec![
        ("/docs", Rule::Open),
        ("/openapi.json", Rule::Open),
        ("/health", Rule::Open),
        // A question changes nothing, whatever its method.
        ("/preferreditem", Rule::Reads),
    ])
}

/// The OpenAPI document, without a running server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    mount(App::new()).1
}
