//! The HTTP API, one module per scope. Each module exposes `configure`,
//! and the OpenAPI document is collected from the handlers themselves.

mod bulk;
mod items;
mod legacy;
mod masterdata;
mod ops;
mod paging;
mod preferreditem;
mod wire;

pub use preferreditem::MAX_BATCH;
pub use wire::{BrickJson, ItemJson, MasterDataJson, MasterDataRecordJson};

use actix_web::App;
use sqlx::PgPool;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};

use crate::domain::StatusWeights;

/// What every handler can reach.
pub struct AppState {
    pub pool: PgPool,
    pub weights: StatusWeights,
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
        (name = "ops", description = "Health"),
    )
)]
struct ApiDoc;

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
                .configure(bulk::configure_masterdata)
                .configure(masterdata::configure),
        )
        .service(scope::scope("/preferreditem").configure(preferreditem::configure))
        .service(scope::scope("/health").configure(ops::configure))
        .split_for_parts()
}

/// The OpenAPI document, without a running server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    mount(App::new()).1
}
