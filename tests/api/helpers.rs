//! `spawn_app`: a real server on 127.0.0.1:0 over a fresh SQLite file.

use std::path::PathBuf;

use reqwest::Client;
use serde_json::Value;
use sybil::config::Config;
use sybil::startup::Application;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub db_path: PathBuf,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON body"))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let resp = self
            .client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON body"))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, body).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db_path.display()));
        }
    }
}

pub fn temp_db_path() -> PathBuf {
    std::env::temp_dir()
        .join("sybil-tests")
        .join(format!("{}.db", uuid::Uuid::now_v7().simple()))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server with the given extra environment variables.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let db_path = temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", db_path.display());
    let mut all: Vec<(String, String)> =
        vec![("PORT".into(), "0".into()), ("DATABASE_URL".into(), url)];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_lookup(|name| {
        all.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test configuration");
    let app = Application::build(&config).await.expect("build app");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: Client::new(),
        db_path,
    }
}
