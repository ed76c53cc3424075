//! The web UI in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`)
//! logs in on a phone-sized window and sees the dashboard. Fails when ChromeDriver is missing,
//! unless `LARDER_SKIP_BROWSER=1`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, spawn_app_with};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_logs_in_on_a_phone_and_sees_the_dashboard() {
    if std::env::var("LARDER_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("skipping the browser test: LARDER_SKIP_BROWSER=1");
        return;
    }
    let driver_bin =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&driver_bin).exists(),
        "ChromeDriver not found at {driver_bin}: install Debian's chromium and chromium-driver (scripts/test.sh does), or set LARDER_SKIP_BROWSER=1"
    );
    let app = spawn_app_with(Backend::Sqlite, true).await.unwrap();
    let t = app.register("Brixton Curry House").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.0016").await;
    assert_eq!(
        app.adjust(&t, &rice, "5000", "opening").await.status(),
        StatusCode::CREATED
    );
    let okra = app.create_item(&t, "Okra", "g", "0.006").await;
    assert_eq!(
        app.adjust(&t, &okra, "-120", "adjustment").await.status(),
        StatusCode::CREATED
    );

    let port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = std::env::temp_dir().join(format!("larder-chromium-{}", uuid::Uuid::now_v7()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                     "--window-size=390,844", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps);
    let mut browser = None;
    for _ in 0..50 {
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => {
                browser = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = browser.expect("could not start a ChromeDriver session");

    // Logged out, the dashboard sends us to the login page.
    c.goto(&format!("http://localhost:{}/", app.port))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("login")).await.unwrap();
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(&t.email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("wrong password")
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let alert = c.wait().for_element(Locator::Css("p.error")).await.unwrap();
    assert!(
        alert
            .text()
            .await
            .unwrap()
            .contains("wrong email or password")
    );
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let stock = c.wait().for_element(Locator::Id("stock")).await.unwrap();
    let text = stock.text().await.unwrap();
    assert!(
        text.contains("Basmati rice") && text.contains("5.000 kg"),
        "{text}"
    );
    assert!(
        text.contains("Okra") && text.contains("-120.000 g") && text.contains("negative"),
        "{text}"
    );
    let tenant = c
        .find(Locator::Id("tenant-name"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tenant, "Brixton Curry House");
    // The page fits a phone: nothing but the scrolling tables is wider than the window.
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "page is {overflow} px wider than a phone"
    );
    let png = c.screenshot().await.unwrap();
    let _ = std::fs::write(std::env::temp_dir().join("larder-dashboard-phone.png"), png);

    // The item page is one tap away.
    c.find(Locator::LinkText("Okra"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = c.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert_eq!(h1.text().await.unwrap(), "Okra");
    c.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}
