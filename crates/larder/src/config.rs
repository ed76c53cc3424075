//! Configuration from flags and `LARDER_*` / `DATABASE_URL` environment variables. Secrets
//! never reach logs: the JWT secret is not `Debug`-printed and database URLs are redacted.

use std::path::PathBuf;

use anyhow::{Context, bail};

/// Settings shared by every subcommand that touches the database.
#[derive(Clone, clap::Args)]
pub struct Config {
    /// Where the SQLite database and the generated signing key live.
    #[arg(long, env = "LARDER_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://...` selects PostgreSQL (as the owner, for migrations); `sqlite://...` a
    /// SQLite file; unset, `<data-dir>/larder.db`.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// The URL the server connects with on PostgreSQL (default: DATABASE_URL as role
    /// `larder_app`, without password).
    #[arg(
        long,
        env = "LARDER_APP_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub app_database_url: Option<String>,
    /// HS256 signing secret for access tokens, at least 32 bytes (default: generated once into
    /// `<data-dir>/jwt-secret`).
    #[arg(long, env = "LARDER_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// `amqp://user:password@host:port/vhost`: relay every event to this RabbitMQ broker's
    /// topic exchange `larder.events` (ADR 025). Unset, events still reach live pages.
    #[arg(long, env = "LARDER_AMQP_URL", global = true, hide_env_values = true)]
    pub amqp_url: Option<String>,
    /// Let webhooks target loopback, private and link-local addresses (a receiver on this host
    /// or network). Off by default: a subscription could otherwise probe the inside of the
    /// network (server-side request forgery).
    #[arg(long, env = "LARDER_WEBHOOK_ALLOW_PRIVATE", global = true)]
    pub webhook_allow_private: bool,
    /// The mail server Larder sends through (ADR 029): `smtp://host:25` in the clear,
    /// `smtp://host:587?tls=required` with STARTTLS, `smtps://host:465` with TLS from the
    /// start, `user:password@` to log in. Unset, mail is queued and waits (its delivery log
    /// shows it pending).
    #[arg(long, env = "LARDER_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Whom Larder's mail comes from, `Larder <larder@your.domain>`; needed with the SMTP URL.
    #[arg(long, env = "LARDER_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact))
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("amqp_url", &self.amqp_url.as_deref().map(redact))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact))
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// Which database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite URL.
    Sqlite(String),
    /// A PostgreSQL owner URL.
    Postgres(String),
}

impl Config {
    /// The backend the URL selects.
    ///
    /// # Errors
    /// An unknown scheme is an error, never a silent fallback.
    pub fn backend(&self) -> anyhow::Result<Backend> {
        match self
            .database_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            None => Ok(Backend::Sqlite(format!(
                "sqlite://{}",
                self.data_dir.join("larder.db").display()
            ))),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Backend::Postgres(u.to_owned()))
            }
            Some(u) if u.starts_with("sqlite:") => Ok(Backend::Sqlite(u.to_owned())),
            Some(u) => {
                let scheme = u.split(':').next().unwrap_or(u);
                bail!("DATABASE_URL has an unknown scheme '{scheme}': use postgres:// or sqlite://")
            }
        }
    }

    /// The signing secret: configured, or read from (and on first use generated into)
    /// `<data-dir>/jwt-secret` so tokens survive restarts.
    ///
    /// # Errors
    /// When the file cannot be read or written.
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(s) = &self.jwt_secret {
            return Ok(s.as_bytes().to_vec());
        }
        let path = self.data_dir.join("jwt-secret");
        if let Ok(bytes) = std::fs::read(&path) {
            return Ok(bytes);
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("failed to create {}", self.data_dir.display()))?;
        let secret =
            larder_app::TokenKeys::generate_secret().map_err(|e| anyhow::anyhow!("{e}"))?;
        write_private(&path, &secret)
            .with_context(|| format!("failed to write {}", path.display()))?;
        Ok(secret)
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    larder_store_postgres::testing::redact(url)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn cfg(url: Option<&str>) -> Config {
        Config {
            data_dir: "d".into(),
            database_url: url.map(Into::into),
            app_database_url: None,
            jwt_secret: None,
            amqp_url: None,
            webhook_allow_private: false,
            smtp_url: None,
            mail_from: None,
        }
    }

    #[test]
    fn the_scheme_picks_the_backend_and_an_unknown_one_is_refused() {
        assert_eq!(
            cfg(None).backend().ok(),
            Some(Backend::Sqlite("sqlite://d/larder.db".into()))
        );
        assert!(matches!(
            cfg(Some("postgres://u@h/db")).backend(),
            Ok(Backend::Postgres(_))
        ));
        assert!(matches!(
            cfg(Some("sqlite:///tmp/x.db")).backend(),
            Ok(Backend::Sqlite(_))
        ));
        let err = cfg(Some("mysql://u@h/db"))
            .backend()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown scheme 'mysql'"), "{err}");
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        let mut c = cfg(None);
        c.smtp_url = Some("smtps://larder:mail-secret@smtp.example.com:465".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("mail-secret") && shown.contains("larder:***@"),
            "{shown}"
        );
    }
}
