use reqwest::StatusCode;

use crate::harness::spawn_app;

#[tokio::test]
async fn bare_docs_redirects_to_swagger_ui_served_from_the_binary() {
    let app = spawn_app().await;
    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let initializer = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert!(initializer.text().await.unwrap().contains("/openapi.json"));
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), StatusCode::OK);
}

/// Every operation of the API with the statuses it documents. The test
/// below walks the served document both ways: an operation missing here,
/// or here and missing there, fails.
const OPERATIONS: &[(&str, &str, &[&str])] = &[
    ("/items", "get", &["200", "304", "400", "422", "503"]),
    (
        "/items",
        "post",
        &["201", "400", "409", "413", "415", "422", "503"],
    ),
    ("/items/{id}", "get", &["200", "304", "404", "422", "503"]),
    (
        "/items/{id}",
        "put",
        &[
            "200", "201", "400", "412", "413", "415", "422", "428", "503",
        ],
    ),
    (
        "/items/{id}",
        "delete",
        &["204", "404", "412", "422", "428", "503"],
    ),
    (
        "/items/item/{id}",
        "get",
        &["200", "304", "404", "410", "422", "503"],
    ),
    (
        "/items/bulk",
        "post",
        &["200", "400", "409", "413", "415", "422", "503"],
    ),
    (
        "/masterdata/bulk",
        "post",
        &["200", "400", "409", "413", "415", "422", "503"],
    ),
    ("/masterdata", "get", &["200", "304", "400", "422", "503"]),
    ("/items/export", "get", &["200", "400", "422", "503"]),
    ("/masterdata/export", "get", &["200", "400", "422", "503"]),
    (
        "/masterdata/{id}",
        "get",
        &["200", "304", "404", "422", "503"],
    ),
    (
        "/masterdata/{id}",
        "put",
        &[
            "200", "201", "400", "412", "413", "415", "422", "428", "503",
        ],
    ),
    (
        "/masterdata/{id}",
        "delete",
        &["204", "404", "412", "422", "428", "503"],
    ),
    (
        "/masterdata/item/{id}",
        "get",
        &["200", "304", "404", "410", "422", "503"],
    ),
    (
        "/preferreditem",
        "post",
        &["200", "304", "400", "404", "413", "415", "422", "503"],
    ),
    (
        "/preferreditem/score",
        "post",
        &["200", "304", "400", "404", "413", "415", "422", "503"],
    ),
    (
        "/preferreditem/batch",
        "post",
        &["200", "304", "400", "413", "415", "422", "503"],
    ),
    ("/health/live", "get", &["200"]),
    ("/health/ready", "get", &["200", "503"]),
];

#[tokio::test]
async fn the_openapi_document_describes_every_route_with_its_errors() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.body;
    let mut served = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            served.push((path.clone(), method.clone()));
            let described = ["summary", "description"]
                .iter()
                .any(|k| operation[*k].as_str().is_some_and(|t| !t.is_empty()));
            assert!(described, "{method} {path} has no description");
            assert!(
                operation["tags"][0].is_string(),
                "{method} {path} has no tag"
            );
            assert!(
                operation["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            // Said explicitly for every operation, open ones included
            // (`[]`), as Redocly's recommended ruleset requires.
            assert!(
                operation["security"].is_array(),
                "{method} {path} does not say its security"
            );
        }
    }
    assert_eq!(
        doc["paths"]["/health/live"]["get"]["security"],
        serde_json::json!([])
    );
    assert_eq!(doc["servers"][0]["url"], "/");
    let mut listed: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(path, method, _)| (path.to_string(), method.to_string()))
        .collect();
    served.sort();
    listed.sort();
    assert_eq!(
        served, listed,
        "the served operations and OPERATIONS differ"
    );
    for &(path, method, statuses) in OPERATIONS {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is missing");
        let documented: Vec<&str> = operation["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(documented, statuses, "{method} {path}");
    }
    assert_eq!(doc["paths"]["/items/item/{id}"]["get"]["deprecated"], true);
    assert_eq!(
        doc["paths"]["/masterdata/item/{id}"]["get"]["deprecated"],
        true
    );
    assert!(doc["paths"]["/items/{id}"]["get"]
        .get("deprecated")
        .is_none_or(|d| d == false));
    for schema in [
        "Problem",
        "ItemJson",
        "PreferredItemRequest",
        "PreferredItemResponse",
        "BatchRequest",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

#[test]
fn the_openapi_command_prints_the_same_document_without_a_server() {
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_preferred-item-service"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(printed.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(doc["info"]["title"], "Preferred Item Service");
    assert!(doc["paths"]["/preferreditem/batch"]["post"].is_object());
}

/// Routes reach the document only through `.service(handler)` with
/// `#[utoipa::path]` (utoipa-actix-web does not compile a handler without
/// it); `.route(…)` and `web::resource(…)` would serve a path the document
/// never names. None may appear in `src/routes/`.
#[test]
fn every_route_is_registered_where_the_document_sees_it() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for hidden in [".route(", "web::resource(", "web::to("] {
            assert!(
                !source.contains(hidden),
                "{} registers a route with {hidden}, which the OpenAPI document does not see",
                path.display()
            );
        }
    }
}
