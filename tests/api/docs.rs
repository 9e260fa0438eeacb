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

#[tokio::test]
async fn the_openapi_document_describes_every_route_with_its_errors() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.body;
    let expected = [
        ("/items", "get", &["200", "400", "422", "503"][..]),
        (
            "/items",
            "post",
            &["201", "400", "409", "413", "415", "422", "503"],
        ),
        ("/items/{id}", "get", &["200", "404", "422", "503"]),
        (
            "/items/{id}",
            "put",
            &["200", "201", "400", "413", "415", "422", "503"],
        ),
        ("/items/{id}", "delete", &["204", "404", "422", "503"]),
        ("/items/item/{id}", "get", &["200", "404", "422", "503"]),
        ("/masterdata", "get", &["200", "400", "422", "503"]),
        ("/masterdata/{id}", "get", &["200", "404", "422", "503"]),
        (
            "/masterdata/{id}",
            "put",
            &["200", "201", "400", "413", "415", "422", "503"],
        ),
        ("/masterdata/{id}", "delete", &["204", "404", "422", "503"]),
        (
            "/masterdata/item/{id}",
            "get",
            &["200", "404", "422", "503"],
        ),
        (
            "/preferreditem",
            "post",
            &["200", "400", "404", "413", "415", "422", "503"],
        ),
        (
            "/preferreditem/score",
            "post",
            &["200", "400", "404", "413", "415", "422", "503"],
        ),
        (
            "/preferreditem/batch",
            "post",
            &["200", "400", "413", "415", "422", "503"],
        ),
        ("/health/live", "get", &["200"]),
        ("/health/ready", "get", &["200", "503"]),
    ];
    for (path, method, statuses) in expected {
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
