//! The load generator: a lean HTTP/1.1 client (hyper's connection API, one keep-alive
//! connection per client, no pool), the tenant the load runs in, and closed-loop load phases
//! (each client sends its next request as soon as the previous answer is read) with a
//! warm-up, a measured window, latencies, errors, and the writes acknowledged per item.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::procfs::{self, CpuSnapshot, CpuUse};

/// Items the adjustments go round-robin over.
pub(crate) const ITEMS: usize = 50;

/// An answer later than this counts as an error and the connection is replaced.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const ADJUSTMENTS: &str = "/api/v1/stock/adjustments";
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake failed")?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self { sender })
    }

    /// Sends one request and reads the whole answer.
    async fn send(&mut self, req: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)> {
        let exchange = async {
            self.sender.ready().await?;
            let res = self.sender.send_request(req).await?;
            let status = res.status();
            let body = res.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(answer) => answer.context("HTTP exchange failed"),
            Err(_) => bail!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        }
    }
}

/// A JSON client for setting up and checking (not for load).
pub(crate) struct Api {
    conn: Conn,
    host: HeaderValue,
    auth: Option<HeaderValue>,
}

impl Api {
    /// Connects to the server at `addr`, addressed as `host`.
    ///
    /// # Errors
    /// When it cannot connect.
    pub(crate) async fn connect(addr: SocketAddr, host: &str) -> anyhow::Result<Self> {
        Ok(Self {
            conn: Conn::open(addr).await?,
            host: HeaderValue::try_from(host)?,
            auth: None,
        })
    }

    /// `method path` with an optional JSON body; the status and the JSON answer (`null` when
    /// empty or not JSON).
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone());
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let body = match body {
            Some(b) => {
                req = req.header(CONTENT_TYPE, JSON);
                Bytes::from(serde_json::to_vec(b)?)
            }
            None => Bytes::new(),
        };
        let (status, bytes) = self.conn.send(req.body(Full::new(body))?).await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Sends `fixture`'s access token from now on.
    pub(crate) fn use_token(&mut self, fixture: &Fixture) {
        self.auth = Some(fixture.token.clone());
    }

    /// Like `call`, but any status other than `want` is an error naming the request.
    async fn expect(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        want: StatusCode,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method.clone(), path, body).await?;
        if status != want {
            bail!("{method} {path} answered {status} (expected {want}): {value}");
        }
        Ok(value)
    }

    /// Signs a fresh tenant up (the sign-up's link issued by `larder users sign-up-link` with
    /// `store_flags`, the server's own data directory and database flags), logs in, creates a
    /// location and [`ITEMS`] items.
    ///
    /// # Errors
    /// When a step does not answer as the API says it should.
    pub(crate) async fn set_up(
        &mut self,
        tenant_name: &str,
        store_flags: &[std::ffi::OsString],
    ) -> anyhow::Result<Fixture> {
        let email = format!("bench-{}@larder.test", uuid::Uuid::now_v7().simple());
        let password = "bench-password-long-enough".to_owned();
        self.expect(
            Method::POST,
            "/api/v1/auth/register",
            Some(&json!({
                "tenant_name": tenant_name,
                "email": email,
                "password": password,
                "name": "Bench",
            })),
            StatusCode::ACCEPTED,
        )
        .await?;
        let mut args: Vec<std::ffi::OsString> =
            vec!["users".into(), "sign-up-link".into(), "--email".into()];
        args.push(email.clone().into());
        args.extend(store_flags.iter().cloned());
        let out = super::child::larder_command(&args)?.output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let token = stdout
            .lines()
            .find_map(|l| l.strip_prefix("sign-up token (single use): "))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "larder users sign-up-link printed no token: {stdout}{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })?
            .trim()
            .to_owned();
        self.expect(
            Method::POST,
            "/api/v1/auth/register/confirm",
            Some(&json!({"token": token, "password": password})),
            StatusCode::CREATED,
        )
        .await?;
        let mut fixture = Fixture {
            email,
            password,
            token: HeaderValue::from_static(""),
            location_id: String::new(),
            items: Vec::with_capacity(ITEMS),
        };
        self.log_in(&mut fixture).await?;
        let location = self
            .expect(
                Method::POST,
                "/api/v1/locations",
                Some(&json!({"name": "Bench kitchen", "kind": "outlet"})),
                StatusCode::CREATED,
            )
            .await?;
        fixture.location_id = id_of(&location)?;
        for n in 0..ITEMS {
            let item = self
                .expect(
                    Method::POST,
                    "/api/v1/items",
                    Some(&json!({
                        "name": format!("Bench item {n:02}"),
                        "base_unit": "g",
                        "unit_cost": "0.001",
                    })),
                    StatusCode::CREATED,
                )
                .await?;
            fixture.items.push(id_of(&item)?);
        }
        Ok(fixture)
    }

    /// Logs in again (a fresh access token for the next phase) and uses the token.
    ///
    /// # Errors
    /// When the login is refused.
    pub(crate) async fn log_in(&mut self, fixture: &mut Fixture) -> anyhow::Result<()> {
        self.auth = None;
        let pair = self
            .expect(
                Method::POST,
                "/api/v1/auth/login",
                Some(&json!({"email": fixture.email, "password": fixture.password})),
                StatusCode::OK,
            )
            .await?;
        let token = pair
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the login answer has no access_token: {pair}"))?;
        fixture.token = HeaderValue::try_from(format!("Bearer {token}"))?;
        self.auth = Some(fixture.token.clone());
        Ok(())
    }

    /// On hand per item id at the fixture's location, in thousandths of the base unit, read
    /// through `GET /api/v1/stock?location_id=..&limit=500`.
    ///
    /// # Errors
    /// When the list cannot be read or an `on_hand` is not a decimal.
    pub(crate) async fn on_hand(
        &mut self,
        fixture: &Fixture,
    ) -> anyhow::Result<HashMap<String, i64>> {
        let path = format!(
            "/api/v1/stock?location_id={}&limit=500",
            fixture.location_id
        );
        let page = self
            .expect(Method::GET, &path, None, StatusCode::OK)
            .await?;
        if page.get("next_cursor").is_some_and(|c| !c.is_null()) {
            bail!("more than 500 stock levels at the bench location");
        }
        let rows = page
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("the stock list has no data array"))?;
        let mut levels = HashMap::new();
        for row in rows {
            let item = row
                .get("item_id")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("a stock level without item_id: {row}"))?;
            let on_hand = row
                .get("on_hand")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("a stock level without on_hand: {row}"))?;
            levels.insert(item.to_owned(), thousandths(on_hand)?);
        }
        Ok(levels)
    }
}

fn id_of(v: &Value) -> anyhow::Result<String> {
    v.get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no id in {v}"))
}

/// A decimal string (`"12"`, `"-0.5"`, `"3.125"`) as an exact count of thousandths.
///
/// # Errors
/// When it is not such a decimal (more than 3 decimals, or out of range).
pub(crate) fn thousandths(s: &str) -> anyhow::Result<i64> {
    let bad = || anyhow!("not a decimal with at most 3 decimals: {s:?}");
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || frac.len() > 3
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<3}").parse().map_err(|_| bad())?;
    let value = whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)?;
    Ok(if negative { -value } else { value })
}

/// The tenant the load runs in.
pub(crate) struct Fixture {
    email: String,
    password: String,
    /// `Bearer <access token>`.
    token: HeaderValue,
    /// The location's id.
    pub location_id: String,
    /// The items' ids.
    pub items: Vec<String>,
}

/// What a load phase sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    /// `POST /api/v1/stock/adjustments` of 1 g, round-robin over the items, each with a
    /// fresh UUIDv7 `Idempotency-Key`; success is 201.
    Adjust,
    /// `GET /api/v1/stock?location_id=..&limit=50`; success is 200.
    ListStock,
}

/// One load phase.
#[derive(Clone, Debug)]
pub(crate) struct Phase {
    /// What each client sends.
    pub work: Work,
    /// Concurrent clients, each one connection sending back to back.
    pub clients: usize,
    /// Not counted.
    pub warmup: Duration,
    /// The measured window.
    pub measure: Duration,
    /// The server's pid, for its CPU time (and its memory once a second, when `sample_rss`).
    pub server_pid: Option<u32>,
    /// Whether to read the server's `VmRSS` every second of the measured window.
    pub sample_rss: bool,
    /// The PostgreSQL database the server uses, for its backends' CPU time.
    pub database: Option<String>,
}

/// What a load phase measured.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcome {
    /// Concurrent clients.
    pub clients: usize,
    /// The measured window, seconds.
    pub seconds: f64,
    /// Successful answers completed in the window.
    pub ok: u64,
    /// Failed requests (other statuses, broken connections, timeouts) completed in the window.
    pub errors: u64,
    /// Latencies (µs) of the window's successful requests, sorted.
    pub latencies_us: Vec<u32>,
    /// 201s per item over the whole phase (warm-up and the requests still in flight at the
    /// end included): the writes the server acknowledged.
    pub acked: Vec<u64>,
    /// Failed requests over the whole phase.
    pub errors_total: u64,
    /// Of those, requests with no answer (broken connection, timeout): these may or may not
    /// have been written.
    pub unanswered_total: u64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// CPU use over the window.
    pub cpu: CpuUse,
    /// The server's `VmRSS` (MiB), once a second over the window and at its end.
    pub rss_mib: Vec<f64>,
}

impl Outcome {
    /// Successful requests per second in the window.
    pub(crate) fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.ok as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The `p`th percentile latency (nearest rank), ms.
    pub(crate) fn percentile_ms(&self, p: f64) -> Option<f64> {
        let n = self.latencies_us.len();
        if n == 0 {
            return None;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let i = rank.clamp(1, n) - 1;
        self.latencies_us.get(i).map(|us| f64::from(*us) / 1000.0)
    }
}

/// What one client needs, shared.
struct Target {
    addr: SocketAddr,
    host: HeaderValue,
    auth: HeaderValue,
    adjust_bodies: Vec<Bytes>,
    stock_uri: Uri,
}

#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u32>,
    acked: Vec<u64>,
    errors_total: u64,
    unanswered_total: u64,
    first_error: Option<String>,
}

impl Tally {
    fn fail(&mut self, in_window: bool, unanswered: bool, why: impl FnOnce() -> String) {
        self.errors_total += 1;
        if unanswered {
            self.unanswered_total += 1;
        }
        if in_window {
            self.errors += 1;
        }
        if self.first_error.is_none() {
            self.first_error = Some(why());
        }
    }
}

/// Runs `phase` against the server at `addr` (addressed as `host`) in `fixture`'s tenant.
///
/// # Errors
/// When a request cannot be built or a client task fails to join.
pub(crate) async fn run(
    addr: SocketAddr,
    host: &str,
    fixture: &Fixture,
    phase: Phase,
) -> anyhow::Result<Outcome> {
    let mut adjust_bodies = Vec::with_capacity(fixture.items.len());
    for item in &fixture.items {
        adjust_bodies.push(Bytes::from(serde_json::to_vec(&json!({
            "item_id": item,
            "location_id": fixture.location_id,
            "quantity": "1",
            "kind": "adjustment",
        }))?));
    }
    let target = Arc::new(Target {
        addr,
        host: HeaderValue::try_from(host)?,
        auth: fixture.token.clone(),
        adjust_bodies,
        stock_uri: format!("/api/v1/stock?location_id={}&limit=50", fixture.location_id).parse()?,
    });
    let start = Instant::now() + Duration::from_millis(50);
    let window_start = start + phase.warmup;
    let end = window_start + phase.measure;

    let sampler = tokio::spawn(sample(phase.clone(), window_start, end));
    let mut clients = Vec::with_capacity(phase.clients);
    for n in 0..phase.clients {
        let target = target.clone();
        clients.push(tokio::spawn(client(
            target,
            phase.work,
            n,
            start,
            window_start,
            end,
        )));
    }
    let mut out = Outcome {
        clients: phase.clients,
        seconds: phase.measure.as_secs_f64(),
        acked: vec![0; fixture.items.len()],
        ..Outcome::default()
    };
    for c in clients {
        let t = c.await.context("a load client failed")??;
        out.ok += t.ok;
        out.errors += t.errors;
        out.latencies_us.extend(t.latencies_us);
        for (sum, n) in out.acked.iter_mut().zip(t.acked) {
            *sum += n;
        }
        out.errors_total += t.errors_total;
        out.unanswered_total += t.unanswered_total;
        if out.first_error.is_none() {
            out.first_error = t.first_error;
        }
    }
    let (cpu, rss) = sampler.await.context("the sampler failed")?;
    out.cpu = cpu;
    out.rss_mib = rss;
    out.latencies_us.sort_unstable();
    Ok(out)
}

/// CPU use over the window and, when asked, the server's memory once a second.
async fn sample(phase: Phase, window_start: Instant, end: Instant) -> (CpuUse, Vec<f64>) {
    tokio::time::sleep_until(window_start).await;
    let db = phase.database.as_deref();
    let before = CpuSnapshot::take(phase.server_pid, db);
    let mut rss = Vec::new();
    if let (true, Some(pid)) = (phase.sample_rss, phase.server_pid) {
        let mut tick = tokio::time::interval_at(window_start, Duration::from_secs(1));
        loop {
            tick.tick().await;
            if Instant::now() >= end {
                break;
            }
            if let Some(m) = procfs::peak_rss_mib(Some(pid)) {
                rss.push(m);
            }
        }
    }
    tokio::time::sleep_until(end).await;
    let after = CpuSnapshot::take(phase.server_pid, db);
    if let (true, Some(pid)) = (phase.sample_rss, phase.server_pid)
        && let Some(m) = procfs::peak_rss_mib(Some(pid))
    {
        rss.push(m);
    }
    (before.until(&after), rss)
}

/// One client: a connection (replaced when it breaks), requests back to back until `end`.
async fn client(
    t: Arc<Target>,
    work: Work,
    n: usize,
    start: Instant,
    window_start: Instant,
    end: Instant,
) -> anyhow::Result<Tally> {
    let items = t.adjust_bodies.len().max(1);
    let mut tally = Tally {
        acked: vec![0; items],
        ..Tally::default()
    };
    let mut next_item = n % items;
    let mut conn: Option<Conn> = None;
    tokio::time::sleep_until(start).await;
    while Instant::now() < end {
        if conn.is_none() {
            match Conn::open(t.addr).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    let now = Instant::now();
                    tally.fail(now >= window_start && now <= end, false, || {
                        format!("{e:#}")
                    });
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let item = next_item;
        let (req, want) = match work {
            Work::Adjust => {
                next_item = (next_item + 1) % items;
                let key = HeaderValue::try_from(uuid::Uuid::now_v7().to_string())?;
                let body = t.adjust_bodies.get(item).cloned().unwrap_or_default();
                let req = Request::builder()
                    .method(Method::POST)
                    .uri(Uri::from_static(ADJUSTMENTS))
                    .header(HOST, t.host.clone())
                    .header(AUTHORIZATION, t.auth.clone())
                    .header(CONTENT_TYPE, JSON)
                    .header(IDEMPOTENCY_KEY, key)
                    .body(Full::new(body))?;
                (req, StatusCode::CREATED)
            }
            Work::ListStock => {
                let req = Request::builder()
                    .method(Method::GET)
                    .uri(t.stock_uri.clone())
                    .header(HOST, t.host.clone())
                    .header(AUTHORIZATION, t.auth.clone())
                    .body(Full::new(Bytes::new()))?;
                (req, StatusCode::OK)
            }
        };
        let sent = Instant::now();
        let answer = c.send(req).await;
        let done = Instant::now();
        let in_window = done >= window_start && done <= end;
        match answer {
            Ok((status, _)) if status == want => {
                if work == Work::Adjust
                    && let Some(a) = tally.acked.get_mut(item)
                {
                    *a += 1;
                }
                if in_window {
                    tally.ok += 1;
                    let us = done.duration_since(sent).as_micros();
                    tally
                        .latencies_us
                        .push(u32::try_from(us).unwrap_or(u32::MAX));
                }
            }
            Ok((status, body)) => tally.fail(in_window, false, || {
                format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                )
            }),
            Err(e) => {
                conn = None;
                tally.fail(in_window, true, || format!("{e:#}"));
            }
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_exact_thousandths() {
        assert_eq!(thousandths("12").ok(), Some(12_000));
        assert_eq!(thousandths("-0.5").ok(), Some(-500));
        assert_eq!(thousandths("3.125").ok(), Some(3_125));
        assert_eq!(thousandths("0.07").ok(), Some(70));
        assert!(thousandths("1.2345").is_err());
        assert!(thousandths("").is_err());
        assert!(thousandths(".5").is_err());
        assert!(thousandths("1e3").is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let out = Outcome {
            latencies_us: (1..=100).map(|n| n * 1000).collect(),
            ..Outcome::default()
        };
        assert_eq!(out.percentile_ms(50.0), Some(50.0));
        assert_eq!(out.percentile_ms(99.0), Some(99.0));
        assert_eq!(out.percentile_ms(100.0), Some(100.0));
        assert_eq!(Outcome::default().percentile_ms(50.0), None);
    }
}
