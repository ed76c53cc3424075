//! The subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use larder_app::catalog_csv::CatalogKind;
use larder_app::sales::ImportMode;
use larder_web::AppState;

use crate::telemetry::LogFormat;
use crate::{Config, build_app, open_store};

/// Larder: restaurant inventory and kitchen operations on one exact stock ledger.
#[derive(Parser)]
#[command(name = "larder", version, about)]
pub struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true, env = "LARDER_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (API, web UI, health, metrics).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Verify on hand == sum of movements for every item x location of every tenant; exits 1
    /// and prints the offending rows otherwise.
    Check,
    /// Import data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Export data.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Operator tasks on people's accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Create the demo tenant from the real London takeaway's sales, print its login, and serve.
    Demo(DemoArgs),
    /// Measure the server as deployed (HTTP load on SQLite and PostgreSQL, memory, the import)
    /// beside this machine's own limits, and print a Markdown report.
    Bench(BenchArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LARDER_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "LARDER_PORT", default_value_t = 8080)]
    port: u16,
    /// Send cookies without the Secure attribute (only for plain HTTP on a non-localhost host).
    #[arg(long, env = "LARDER_INSECURE_COOKIES")]
    insecure_cookies: bool,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a POS sales CSV and deplete stock: columns found by header name, a preset
    /// (`--preset takeaway`), the tenant's saved mapping (`--saved-mapping`) or a mapping file
    /// (`--mapping FILE`, JSON as `PUT /api/v1/sales/import-mapping` takes).
    Sales(ImportSalesArgs),
    /// Import a catalog CSV file (items, recipes or menu items; docs/catalog-csv.md): every row
    /// is created or updated by name, or, with any bad row, nothing is written.
    Catalog(ImportCatalogArgs),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk every tenant's hash chain from its first record (ADR 026); exits 1 naming the
    /// first broken record of each tenant whose chain is broken.
    Verify,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Print a tenant's items, recipes or menu items as CSV (the layout `import catalog` reads).
    Catalog(ExportCatalogArgs),
}

fn catalog_kind(s: &str) -> Result<CatalogKind, String> {
    s.parse()
}

#[derive(clap::Args)]
struct ImportCatalogArgs {
    /// The CSV file.
    file: PathBuf,
    /// Tenant id or slug.
    #[arg(long)]
    tenant: String,
    /// `items`, `recipes` or `menu_items`.
    #[arg(long, value_parser = catalog_kind)]
    kind: CatalogKind,
    /// Print what each row would do and every bad row, writing nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(clap::Args)]
struct ExportCatalogArgs {
    /// Tenant id or slug.
    #[arg(long)]
    tenant: String,
    /// `items`, `recipes` or `menu_items`.
    #[arg(long, value_parser = catalog_kind)]
    kind: CatalogKind,
}

#[derive(clap::Args)]
struct ImportSalesArgs {
    /// The CSV file.
    file: PathBuf,
    /// Tenant id or slug.
    #[arg(long)]
    tenant: String,
    /// Location id or name.
    #[arg(long)]
    location: String,
    /// Source name for de-duplication (default: `csv`); re-importing with the same source
    /// skips tickets already imported.
    #[arg(long, default_value = "csv")]
    source: String,
    /// Write the good tickets and list the bad rows (default: a bad row writes nothing).
    #[arg(long)]
    skip_bad_rows: bool,
    /// A built-in mapping: `generic` (the default) or `takeaway`.
    #[arg(long, conflicts_with_all = ["mapping", "saved_mapping"])]
    preset: Option<String>,
    /// A mapping file (JSON).
    #[arg(long, conflicts_with = "saved_mapping")]
    mapping: Option<PathBuf>,
    /// The tenant's saved mapping.
    #[arg(long)]
    saved_mapping: bool,
    /// A second file with each ticket's date and time (an orders file beside order lines);
    /// the mapping's `tickets_file` names its columns (found by header name when absent).
    #[arg(long)]
    tickets: Option<PathBuf>,
    /// Read and report, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub(crate) struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Load the data and exit without serving.
    #[arg(long)]
    no_serve: bool,
}

#[derive(clap::Args)]
pub(crate) struct BenchArgs {
    /// Where to write the Markdown report (printed too).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Measured seconds of each load phase (after its warm-up) and of each pgbench run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of the server memory soak under 16 clients.
    #[arg(long, default_value_t = 60)]
    soak_seconds: u64,
    /// Warm-up seconds before each load phase (not counted).
    #[arg(long, default_value_t = 5)]
    warmup_seconds: u64,
    /// Measure SQLite only.
    #[arg(long)]
    skip_postgres: bool,
}

/// Operator tasks on people's accounts.
#[derive(Subcommand)]
pub(crate) enum UsersCommand {
    /// Issue a password-reset token (valid one hour, single use) and print it with the request
    /// that spends it, for an operator to hand over while Larder has no mail path.
    ResetLink(ResetLinkArgs),
    /// Issue the link token of the email's latest pending sign-up (single use, valid until the
    /// sign-up expires, 24 hours after it was asked) and print it with the request that spends
    /// it, for an operator to hand over while Larder has no mail path.
    SignUpLink(ResetLinkArgs),
}

#[derive(clap::Args)]
pub(crate) struct ResetLinkArgs {
    /// The account's (or the sign-up's) email.
    #[arg(long)]
    email: String,
    /// The server's address as people reach it (for the printed request).
    #[arg(long, default_value = "http://localhost:8080")]
    base_url: String,
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever the subcommand reports; `main` prints it and exits 1.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config;
    match cli.command {
        Command::Serve(args) => {
            let store = open_store(&config).await?;
            let app = build_app(&config, store)?;
            serve(app, &args, &[], &config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = open_store(&config).await?;
            store.close().await;
            println!(
                "migrations applied ({})",
                config.backend().map(|b| format!("{b:?}")
                    .split('(')
                    .next()
                    .unwrap_or("")
                    .to_lowercase())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(&config).await,
        Command::Audit(AuditCommand::Verify) => verify_audit(&config).await,
        Command::Import(ImportCommand::Sales(args)) => import_sales(&config, args).await,
        Command::Import(ImportCommand::Catalog(args)) => import_catalog(&config, args).await,
        Command::Export(ExportCommand::Catalog(args)) => export_catalog(&config, args).await,
        Command::Users(UsersCommand::ResetLink(args)) => {
            let email = larder_core::Email::parse(&args.email)
                .map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let store = open_store(&config).await?;
            let app = build_app(&config, store)?;
            let token = app
                .issue_reset_token(&email, larder_app::auth::reset::RESET_TOKEN_TTL)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            app.store().close().await;
            match token {
                Some(t) => {
                    // The web UI has no reset page yet (issue 7): the token is spent through
                    // the API.
                    println!("reset token (valid 1 hour, single use): {t}");
                    println!(
                        "set the new password: curl -X POST {}/api/v1/auth/password-reset -H 'content-type: application/json' -d '{{\"token\": \"{t}\", \"password\": \"NEW PASSWORD\"}}'",
                        args.base_url.trim_end_matches('/')
                    );
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("no account has the email {email}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Users(UsersCommand::SignUpLink(args)) => {
            let email = larder_core::Email::parse(&args.email)
                .map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let store = open_store(&config).await?;
            let app = build_app(&config, store)?;
            let token = app
                .issue_sign_up_token(&email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            app.store().close().await;
            match token {
                Some(t) => {
                    println!("sign-up token (single use): {t}");
                    println!(
                        "finish the sign-up in a browser: {}/signup/confirm?token={t}",
                        args.base_url.trim_end_matches('/')
                    );
                    println!(
                        "finish the sign-up (with the password given at sign-up): curl -X POST {}/api/v1/auth/register/confirm -H 'content-type: application/json' -d '{{\"token\": \"{t}\", \"password\": \"PASSWORD\"}}'",
                        args.base_url.trim_end_matches('/')
                    );
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("no pending sign-up has the email {email}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Demo(args) => {
            if args.no_serve {
                let app = crate::demo::load(&config).await?;
                for line in crate::demo::login_lines() {
                    println!("{line}");
                }
                app.store().close().await;
            } else {
                load_in_child().await?;
                let store = open_store(&config).await?;
                let app = build_app(&config, store)?;
                serve(app, &args.serve, &crate::demo::login_lines(), &config).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => {
            let opts = crate::bench::Options {
                out: args.out,
                seconds: args.seconds,
                soak_seconds: args.soak_seconds,
                warmup_seconds: args.warmup_seconds,
                skip_postgres: args.skip_postgres,
            };
            crate::bench::run(&config, opts).await
        }
    }
}

/// Loads the demo in a child process (`larder demo --no-serve` with this process's arguments
/// and environment) and waits for it. The server then starts with none of the load's working
/// memory: allocators keep what a bulk load freed, and a server that loaded the demo itself
/// idled at 69 MB against 19 MB for one that did not (docs/benchmarks.md).
async fn load_in_child() -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find the larder executable")?;
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .arg("--no-serve")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
    })
    .await
    .context("the demo loader was lost")?
    .context("cannot start the demo loader")?;
    if !status.success() {
        bail!("loading the demo failed ({status}); see the messages above");
    }
    Ok(())
}

/// Binds, prints `url: ...` and `extra` lines (one per line, for scripts), and serves until
/// Ctrl-C or SIGTERM.
async fn serve(
    app: larder_app::App,
    args: &ServeArgs,
    extra: &[String],
    config: &Config,
) -> anyhow::Result<()> {
    let mail_sender = crate::mail::sender(config)?;
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .context("bad --host or --port")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("failed to listen on {addr}"))?;
    let local = listener.local_addr()?;
    let store = app.store().clone();
    let relay = config.amqp_url.as_deref().map(|url| {
        tracing::info!("relaying events to the broker");
        let publisher: std::sync::Arc<dyn larder_app::events::Publisher> =
            std::sync::Arc::new(crate::amqp::AmqpPublisher::new(url));
        tokio::spawn(crate::amqp::relay(app.clone(), publisher))
    });
    let webhooks = {
        let sender: std::sync::Arc<dyn larder_app::webhooks::WebhookSender> = std::sync::Arc::new(
            crate::webhooks::HttpSender::new(app.webhook_private_targets())?,
        );
        tokio::spawn(crate::webhooks::dispatch(app.clone(), sender))
    };
    let alerts = tokio::spawn(crate::alerts::run(app.clone()));
    let mail = mail_sender.map(|sender| {
        tracing::info!("sending mail through the SMTP server");
        tokio::spawn(crate::mail::dispatch(app.clone(), sender))
    });
    let router = larder_web::router(AppState::new(app, !args.insecure_cookies));
    tracing::info!(%local, backend = store.backend(), "serving");
    let host = if local.ip().is_loopback() {
        "localhost".to_owned()
    } else {
        local.ip().to_string()
    };
    println!("url: http://{host}:{}/", local.port());
    for line in extra {
        println!("{line}");
    }
    larder_web::serve(listener, router, shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("shutting down: closing the database");
    if let Some(r) = relay {
        r.abort();
    }
    webhooks.abort();
    alerts.abort();
    if let Some(m) = mail {
        m.abort();
    }
    store.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// `larder audit verify`: every tenant's chain, one line each.
async fn verify_audit(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let app = build_app(config, store.clone())?;
    let tenants = store
        .tenant_ids()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut broken = 0;
    for t in tenants {
        let state = app
            .verify_audit_chain(t)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        match &state.broken {
            None => println!("tenant {t}: {} record(s), chain intact", state.verified),
            Some(why) => {
                broken += 1;
                println!(
                    "tenant {t}: BROKEN at record {}: {why} ({} record(s) verified before it)",
                    state.broken_seq.unwrap_or_default(),
                    state.verified
                );
            }
        }
    }
    store.close().await;
    if broken > 0 {
        eprintln!("audit verify failed: {broken} tenant chain(s) broken");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let app = build_app(config, store.clone())?;
    let bad = app
        .check_ledger()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let costs = app
        .check_costs()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store.close().await;
    if bad.is_empty() && costs.is_empty() {
        println!(
            "ledger ok: on hand equals the sum of movements everywhere, stock value the sum of \
             their values, and open lots hold exactly what is on hand"
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !bad.is_empty() {
        println!("tenant_id,item_id,location_id,on_hand,movements_sum");
        for (t, m) in &bad {
            println!(
                "{t},{},{},{},{}",
                m.item_id, m.location_id, m.on_hand, m.movements_sum
            );
        }
        eprintln!(
            "ledger check failed: {} stock level(s) differ from their movements",
            bad.len()
        );
    }
    if !costs.is_empty() {
        println!("tenant_id,item_id,location_id,check,recorded,expected");
        for (t, m) in &costs {
            println!(
                "{t},{},{},{},{},{}",
                m.item_id, m.location_id, m.check, m.recorded, m.expected
            );
        }
        eprintln!(
            "cost check failed: {} stock level(s) disagree with their values or lots",
            costs.len()
        );
    }
    Ok(ExitCode::FAILURE)
}

async fn import_sales(config: &Config, args: ImportSalesArgs) -> anyhow::Result<ExitCode> {
    use larder_app::sales::{ImportRequest, SalesMapping, mapping};
    let store = open_store(config).await?;
    let app = build_app(config, store.clone())?;
    let tenant = app
        .find_tenant(&args.tenant)
        .await
        .map_err(|e| anyhow::anyhow!("--tenant: {e}"))?;
    let location = app
        .find_location(tenant, &args.location)
        .await
        .map_err(|e| anyhow::anyhow!("--location: {e}"))?;
    let mapping: SalesMapping = if let Some(name) = &args.preset {
        mapping::preset(name).map_err(|e| anyhow::anyhow!("--preset: {e}"))?
    } else if let Some(path) = &args.mapping {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a mapping", path.display()))?
    } else if args.saved_mapping {
        app.saved_sales_import_mapping(tenant)
            .await
            .map_err(|e| anyhow::anyhow!("--saved-mapping: {e}"))?
    } else {
        SalesMapping::default()
    };
    let mut mapping = mapping;
    if args.tickets.is_some() && mapping.tickets_file.is_none() {
        mapping.tickets_file = Some(Default::default());
    }
    // The import reads the files twice (validate, then write in chunks): open them now to fail
    // early with their names, and again for each pass.
    let size = |p: &std::path::Path| -> anyhow::Result<u64> {
        Ok(std::fs::metadata(p)
            .with_context(|| format!("cannot open {}", p.display()))?
            .len())
    };
    let mut total = 2 * size(&args.file)?;
    if let Some(t) = &args.tickets {
        total += size(t)?;
    }
    let bar = crate::sales_import::bar(total);
    bar.set_message(if args.dry_run { "reading" } else { "importing" });
    let req = ImportRequest {
        lines: crate::sales_import::opener(&args.file, bar.clone()),
        tickets: args
            .tickets
            .as_deref()
            .map(|t| crate::sales_import::opener(t, bar.clone())),
        mapping,
        mode: if args.skip_bad_rows {
            ImportMode::SkipBadTickets
        } else {
            ImportMode::AllOrNothing
        },
        dry_run: args.dry_run,
    };
    let report = app
        .import_sales_with(tenant, location, &args.source, req)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"));
    bar.finish_and_clear();
    let report = report?;
    store.close().await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::sales_import::summary(&report));
    }
    if let Some(peak) = crate::bench::peak_rss_mib(None) {
        eprintln!("peak resident memory: {peak:.1} MiB");
    }
    if report.aborted {
        eprintln!(
            "{} bad row(s): nothing was imported (use --skip-bad-rows to import the good tickets)",
            report.errors.len()
        );
        return Ok(ExitCode::from(2));
    }
    if !report.errors.is_empty() {
        eprintln!(
            "{} bad row(s) left out with their tickets; the rest was {}",
            report.errors.len(),
            if report.dry_run { "read" } else { "imported" }
        );
        return Ok(ExitCode::from(2));
    }
    if report.tickets_in_file > 0
        && report.lines_imported == 0
        && report.tickets_already_imported == 0
    {
        bail!("nothing imported");
    }
    Ok(ExitCode::SUCCESS)
}

/// An operator acting as the tenant's owner (the CLI holds the server's own credentials).
fn operator(tenant: larder_core::TenantId) -> larder_app::Principal {
    larder_app::Principal::operator(
        tenant,
        larder_core::UserId::new(),
        larder_core::auth::Role::Owner,
    )
}

async fn import_catalog(config: &Config, args: ImportCatalogArgs) -> anyhow::Result<ExitCode> {
    let csv = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let store = open_store(config).await?;
    let app = build_app(config, store.clone())?;
    let tenant = app
        .find_tenant(&args.tenant)
        .await
        .map_err(|e| anyhow::anyhow!("--tenant: {e}"))?;
    let result = app
        .import_catalog(operator(tenant), args.kind, csv, args.dry_run, None)
        .await;
    store.close().await;
    let report = result
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?
        .value;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!(
                "{}:{}: {}: {}",
                args.file.display(),
                e.line,
                e.field,
                e.message
            );
        }
        eprintln!(
            "{} bad row(s): nothing was imported{}",
            report.errors.len(),
            if args.dry_run { " (dry run)" } else { "" }
        );
        return Ok(ExitCode::from(2));
    }
    eprintln!(
        "{} {}: {} to create, {} to update, {} unchanged{}",
        report.rows.len(),
        args.kind,
        report.created,
        report.updated,
        report.unchanged,
        if args.dry_run {
            " (dry run: nothing written)"
        } else {
            ": written"
        }
    );
    Ok(ExitCode::SUCCESS)
}

async fn export_catalog(config: &Config, args: ExportCatalogArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let app = build_app(config, store.clone())?;
    let tenant = app
        .find_tenant(&args.tenant)
        .await
        .map_err(|e| anyhow::anyhow!("--tenant: {e}"))?;
    let result = app.export_catalog(operator(tenant), args.kind).await;
    store.close().await;
    let csv = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{csv}");
    Ok(ExitCode::SUCCESS)
}
