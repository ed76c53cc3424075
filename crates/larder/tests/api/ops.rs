use reqwest::StatusCode;
use serde_json::Value;

use crate::both;
use crate::helpers::TestApp;

both!(health_metrics_and_the_openapi_document_are_served);

async fn health_metrics_and_the_openapi_document_are_served(app: TestApp) {
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let ready: Value = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ok");

    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/items/{id}",
        "/api/v1/stock",
        "/api/v1/stock/adjustments",
        "/api/v1/sales",
        "/api/v1/recipes/{id}",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas["Quantity"]["type"], "string");
    assert!(schemas.contains_key("AdjustmentCommand"));

    let _ = app.register("Metrics").await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("path=\"/api/v1/auth/register\""));
}
