//! `larder` child processes: the server (`serve`, `demo`) started from this very binary, as it
//! is deployed, with its stderr (the logs) in a file and its stdout read for the `url:` line.
//! A child is killed when its handle is dropped, so a failing bench leaves none behind.

use std::ffi::OsString;
use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

/// Environment variables that would override the flags the bench passes.
const CLEARED_ENV: [&str; 5] = [
    "DATABASE_URL",
    "LARDER_APP_DATABASE_URL",
    "LARDER_DATA_DIR",
    "LARDER_HOST",
    "LARDER_PORT",
];

/// A `larder` command line, without the binary.
pub(crate) fn larder_command(args: &[OsString]) -> anyhow::Result<std::process::Command> {
    let exe = std::env::current_exe().context("cannot find the larder binary")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args).stdin(Stdio::null());
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    Ok(cmd)
}

/// A running server child.
pub(crate) struct Server {
    child: Option<std::process::Child>,
    what: String,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `larder <args>` (which must serve on `--host 127.0.0.1 --port 0`), logging to
    /// `log`, and waits up to `wait` for its `url: http://host:PORT/` line.
    ///
    /// # Errors
    /// When it cannot start, exits, or does not listen in time (with the end of its log).
    pub(crate) async fn start(
        what: &str,
        args: &[OsString],
        log: &Path,
        wait: Duration,
    ) -> anyhow::Result<Self> {
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = larder_command(args)?
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let stdout = child.stdout.take().context("no stdout from the child")?;
        let mut server = Self {
            child: Some(child),
            what: what.to_owned(),
            port: 0,
            log: log.to_owned(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        // Read the url line, then keep draining stdout so the child never blocks on it.
        std::thread::Builder::new()
            .name("bench-child-stdout".into())
            .spawn(move || {
                let mut tx = Some(tx);
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(url) = line.strip_prefix("url: ")
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(url.trim().to_owned());
                    }
                }
            })
            .context("cannot start a thread")?;
        let url = match tokio::time::timeout(wait, rx).await {
            Ok(Ok(url)) => url,
            Ok(Err(_)) => bail!(
                "{what} exited before it listened; its log ends with:\n{}",
                server.log_tail()
            ),
            Err(_) => bail!(
                "{what} did not listen within {} s; its log ends with:\n{}",
                wait.as_secs(),
                server.log_tail()
            ),
        };
        server.port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow!("{what} printed an unexpected url: {url}"))?;
        Ok(server)
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The `Host` header value for it.
    pub(crate) fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// An error if it has exited.
    ///
    /// # Errors
    /// When it is no longer running, with the end of its log.
    pub(crate) fn ensure_running(&mut self) -> anyhow::Result<()> {
        let Some(child) = self.child.as_mut() else {
            bail!("{} was stopped", self.what);
        };
        if let Some(status) = child.try_wait()? {
            bail!(
                "{} exited ({status}); its log ends with:\n{}",
                self.what,
                self.log_tail()
            );
        }
        Ok(())
    }

    /// Stops it as an operator would (SIGTERM, so it closes its database), killing it when it
    /// has not exited after 15 s.
    ///
    /// # Errors
    /// When it cannot be signalled or waited for.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let signalled = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if signalled {
            for _ in 0..150 {
                if child.try_wait()?.is_some() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        child.kill().context("cannot kill the server")?;
        child.wait().context("cannot wait for the server")?;
        Ok(())
    }

    /// The last lines of its log.
    pub(crate) fn log_tail(&self) -> String {
        log_tail(&self.log, 20)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `n` lines of the file at `path` (or why it cannot be read).
pub(crate) fn log_tail(path: &Path, n: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
