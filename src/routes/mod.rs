//! The HTTP API, one module per scope. Each module exposes `configure`,
//! and the OpenAPI document is collected from the handlers themselves.
//! Handlers turn wire types into domain types, call the repository and
//! the domain, and answer; they hold no SQL and no validation rules.

mod bulk;
mod items;
mod legacy;
mod master_data;
mod ops;
mod paging;
mod preferred_item;

use actix_web::App;
use sqlx::PgPool;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};

use crate::domain::StatusWeights;
use crate::http::access::{Policy, Rule};
use crate::metrics::Metrics;
use crate::wire::Problem;

/// What every handler can reach.
pub struct AppState {
    pub pool: PgPool,
    pub weights: StatusWeights,
    pub metrics: Arc<Metrics>,
    /// Set on SIGTERM: readiness turns 503 so that balancers stop routing.
    pub draining: Arc<AtomicBool>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Preferred Item Service",
        description = "A brick-product catalog. Items are made of bricks; master data gives \
                       each item a status and a price; the service answers which item is \
                       preferred for a list of bricks.\n\nErrors are RFC 9457 \
                       `application/problem+json` documents.",
    ),
    tags(
        (name = "items", description = "Catalog items and their bricks"),
        (name = "masterdata", description = "Status and price per item"),
        (name = "preferreditem", description = "Which item is preferred for a list of bricks"),
        (name = "ops", description = "Health; metrics are served on their own port"),
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// Declares the API keys for Swagger UI's "Authorize" button. Whether a
/// key is needed depends on `auth.mode`, so the requirement is optional.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer <key>`. Writes need a write key unless \
                         auth.mode is off; with auth.mode all, reads need a key too.",
                    ))
                    .build(),
            ),
        );
        openapi.security = Some(vec![
            SecurityRequirement::default(),
            SecurityRequirement::new("api_key", Vec::<String>::new()),
        ]);
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
    app.into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(
            scope::scope("/items")
                .configure(legacy::configure_items)
                .configure(bulk::configure_items)
                .configure(items::configure),
        )
        .service(
            scope::scope("/masterdata")
                .configure(legacy::configure_masterdata)
                .configure(bulk::configure_master_data)
                .configure(master_data::configure),
        )
        .service(scope::scope("/preferreditem").configure(preferred_item::configure))
        .service(scope::scope("/health").configure(ops::configure))
        .split_for_parts()
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
