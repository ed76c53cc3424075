//! Parity of the two backends, checked from their source without a database: their dialects
//! name the same statements with the same parameters; outside `dialect.rs` they run no port SQL
//! of their own (only a short list of operator statements); and every method of every port
//! trait, and of `Store`, is called by some contract test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use larder_store::sql::{Dialect, placeholders};

/// Statements that may be `None` on one backend: `set_user` (only PostgreSQL's row-level
/// security needs it), and what only PostgreSQL does with events: its `NOTIFY` and the
/// numbering after commit (ADR 025).
const OPTIONAL: [&str; 4] = ["set_user", "notify_events", "number_events", "number_audit"];

/// The SQL a backend may run outside its dialect: readiness, operator commands, migration
/// bookkeeping and test databases, none of them a port method. (Transaction control such as
/// `BEGIN`, `SAVEPOINT` and `COMMIT`, and `PRAGMA`s, are not port SQL and not listed.)
const ALLOWED: [(&str, &str); 19] = [
    ("larder-store-sqlite/src/lib.rs", "SELECT 1"),
    (
        "larder-store-sqlite/src/lib.rs",
        "SELECT id FROM tenants ORDER BY id",
    ),
    (
        "larder-store-sqlite/src/migrate.rs",
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    ),
    (
        "larder-store-sqlite/src/migrate.rs",
        "SELECT count(*) FROM _sqlx_migrations WHERE success",
    ),
    (
        "larder-store-sqlite/src/migrate.rs",
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stock_levels_on_hand_range%'",
    ),
    // The schema edit that widens stock_movements.kind (migration 20261208000001).
    (
        "larder-store-sqlite/src/migrate.rs",
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'stock_movements'",
    ),
    (
        "larder-store-sqlite/src/migrate.rs",
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'stock_movements'",
    ),
    ("larder-store-postgres/src/lib.rs", "SELECT 1"),
    (
        "larder-store-postgres/src/lib.rs",
        "SELECT larder_tenant_ids()",
    ),
    // The alert loop's work list (ADR 028).
    (
        "larder-store-postgres/src/lib.rs",
        "SELECT larder_alert_tenants()",
    ),
    (
        "larder-store-sqlite/src/lib.rs",
        "SELECT tenant_id FROM alert_rules WHERE enabled = 1
             UNION
             SELECT tenant_id FROM alerts WHERE resolved_at IS NULL
             UNION
             SELECT tenant_id FROM notifications
              WHERE emailed_at IS NULL AND email_due_at IS NOT NULL
             ORDER BY 1",
    ),
    // The webhook dispatcher's work list (ADR 027).
    (
        "larder-store-postgres/src/lib.rs",
        "SELECT larder_webhook_tenants()",
    ),
    (
        "larder-store-sqlite/src/lib.rs",
        "SELECT DISTINCT tenant_id FROM webhooks WHERE active = 1 ORDER BY tenant_id",
    ),
    // The mail sender's work list (ADR 029).
    (
        "larder-store-postgres/src/lib.rs",
        "SELECT larder_mail_tenants()",
    ),
    (
        "larder-store-sqlite/src/lib.rs",
        "SELECT DISTINCT tenant_id FROM mail WHERE status = 'pending' ORDER BY tenant_id",
    ),
    // The relay's work list across tenants (ADR 025), beside the operator's tenant list.
    (
        "larder-store-postgres/src/lib.rs",
        "SELECT larder_unrelayed_tenants()",
    ),
    (
        "larder-store-sqlite/src/lib.rs",
        "SELECT h.tenant_id FROM event_heads h LEFT JOIN outbox_relay r ON r.tenant_id = h.tenant_id WHERE h.event_seq > COALESCE(r.relayed_seq, 0) ORDER BY h.tenant_id",
    ),
    // The numberer's work list (ADR 025): tenants with rows committed but not numbered.
    (
        "larder-store-postgres/src/numbering.rs",
        "SELECT larder_unnumbered_tenants()",
    ),
    (
        "larder-store-postgres/src/testing.rs",
        "SELECT datname FROM pg_database WHERE datname LIKE 'larder_t_%'",
    ),
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| panic!("no parent of {}", env!("CARGO_MANIFEST_DIR")))
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_dialects_name_the_same_statements_with_the_same_parameters() {
    let sqlite: &Dialect = &larder_store_sqlite::DIALECT;
    let postgres: &Dialect = &larder_store_postgres::DIALECT;
    assert_eq!(sqlite.backend, "sqlite");
    assert_eq!(postgres.backend, "postgres");
    let (s, p) = (sqlite.statements(), postgres.statements());
    let names = |d: &[(&'static str, Option<&str>)]| d.iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(
        names(&s),
        names(&p),
        "the dialects name different statements"
    );
    assert!(
        s.len() >= 8,
        "fewer statements than the port uses: {:?}",
        names(&s)
    );
    let mut both = 0;
    for ((name, a), (_, b)) in s.iter().zip(&p) {
        match (a, b) {
            (Some(a), Some(b)) => {
                both += 1;
                assert!(!placeholders(a).is_empty(), "{name} binds nothing");
                assert_eq!(
                    placeholders(a),
                    placeholders(b),
                    "{name}: SQLite and PostgreSQL bind different parameters"
                );
            }
            (None, None) => assert!(OPTIONAL.contains(name), "{name} is on neither backend"),
            _ => assert!(
                OPTIONAL.contains(name),
                "{name} is on one backend only: {a:?} / {b:?}"
            ),
        }
    }
    assert!(both >= 6, "only {both} statements are on both backends");

    // The one-sided statement binds what its caller passes: the user id.
    let get = |d: &[(&'static str, Option<&'static str>)], n: &str| {
        d.iter().find(|x| x.0 == n).and_then(|x| x.1)
    };
    for d in [&s, &p] {
        if let Some(sql) = get(d, "set_user") {
            assert_eq!(placeholders(sql), vec![1], "set_user");
        }
    }
}

/// The string literals of Rust source text, with the escapes that matter here undone:
/// comments, char literals and lifetimes skipped, raw and byte strings included.
fn string_literals(src: &str) -> Vec<String> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            '\'' => {
                if c.get(i + 1) == Some(&'\\') {
                    // An escaped char literal: past the escaped char, up to the closing quote.
                    i += 3;
                    while i < c.len() && c[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if c.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1; // a lifetime or label
                }
            }
            '"' => {
                let (s, next) = plain_string(&c, i + 1);
                out.push(s);
                i = next;
            }
            ch if ch.is_alphanumeric() || ch == '_' => {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                let ident: String = c[start..i].iter().collect();
                if ident == "r" || ident == "br" || ident == "cr" {
                    let mut hashes = 0;
                    while c.get(i + hashes) == Some(&'#') {
                        hashes += 1;
                    }
                    if c.get(i + hashes) == Some(&'"') {
                        let body = i + hashes + 1;
                        let mut j = body;
                        loop {
                            assert!(j < c.len(), "unterminated raw string");
                            if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                                break;
                            }
                            j += 1;
                        }
                        out.push(c[body..j].iter().collect());
                        i = j + 1 + hashes;
                    }
                }
                // `b"..."` and `c"..."` continue at the quote as plain strings.
            }
            _ => i += 1,
        }
    }
    out
}

/// A `"..."` literal's text from just after its opening quote; returns it and the index after
/// its closing quote.
fn plain_string(c: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < c.len() {
        match c[i] {
            '"' => return (s, i + 1),
            '\\' => {
                match c.get(i + 1) {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('\n') => {
                        // A line continuation swallows the next line's indentation.
                        i += 2;
                        while i < c.len() && c[i].is_whitespace() {
                            i += 1;
                        }
                        continue;
                    }
                    Some(other) => s.push(*other),
                    None => {}
                }
                i += 2;
            }
            ch => {
                s.push(ch);
                i += 1;
            }
        }
    }
    panic!("unterminated string literal");
}

/// Whether a literal is a statement that reads or writes rows: its first word (after
/// whitespace) is SELECT, INSERT, UPDATE, DELETE or WITH, in any case.
fn is_row_sql(s: &str) -> bool {
    let word: String = s
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(&word.to_ascii_uppercase().as_str())
}

#[test]
fn the_literal_scanner_finds_strings_and_skips_comments_and_chars() {
    let src = r####"
        // "not a string"
        /* "nor /* nested */ this" */
        let a = 'x'; let b = '"'; let c = '\''; fn f<'a>(x: &'a str) {}
        let s = "SELECT \"q\" \
                 FROM t";
        let r = r#"WITH x AS (SELECT 1) "quoted" SELECT * FROM x"#;
        let w = "without a statement";
        let by = b"DELETE";
    "####;
    assert_eq!(
        string_literals(src),
        vec![
            "SELECT \"q\" FROM t".to_string(),
            r#"WITH x AS (SELECT 1) "quoted" SELECT * FROM x"#.into(),
            "without a statement".into(),
            "DELETE".into(),
        ]
    );
    let found: Vec<bool> = string_literals(src).iter().map(|s| is_row_sql(s)).collect();
    assert_eq!(found, vec![true, true, false, true]);
}

#[test]
fn the_backends_run_no_port_sql_outside_their_dialects() {
    let crates = crates_dir();
    let mut unexpected = Vec::new();
    let mut allowed_seen = BTreeSet::new();
    let mut in_dialect: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for backend in ["larder-store-sqlite", "larder-store-postgres"] {
        let src = crates.join(backend).join("src");
        let files = rust_files(&src);
        assert!(
            files.iter().any(|f| f.ends_with("dialect.rs")),
            "{backend} has no dialect.rs"
        );
        for file in files {
            let rel = file
                .strip_prefix(&crates)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for lit in string_literals(&read(&file))
                .into_iter()
                .filter(|s| is_row_sql(s))
            {
                if rel.ends_with("/dialect.rs") {
                    in_dialect.entry(backend).or_default().insert(lit);
                } else if let Some(a) = ALLOWED
                    .iter()
                    .find(|(f, sql)| *f == rel && *sql == lit.trim())
                {
                    allowed_seen.insert(*a);
                } else {
                    unexpected.push(format!("{rel}: {lit}"));
                }
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "port SQL outside dialect.rs (write it once in larder-store's sql/, or in the \
         Dialect):\n{}",
        unexpected.join("\n---\n")
    );
    let stale: Vec<_> = ALLOWED
        .iter()
        .filter(|a| !allowed_seen.contains(*a))
        .collect();
    assert!(
        stale.is_empty(),
        "allowed statements no longer present: {stale:?}"
    );

    // What the scanner found in each dialect.rs is exactly that dialect's statements, so the
    // scanner sees every literal the backends write.
    for (backend, dialect) in [
        ("larder-store-sqlite", &larder_store_sqlite::DIALECT),
        ("larder-store-postgres", &larder_store_postgres::DIALECT),
    ] {
        let statements: BTreeSet<String> = dialect
            .statements()
            .into_iter()
            .filter_map(|(_, sql)| sql.map(str::to_owned))
            .collect();
        assert_eq!(
            in_dialect.get(backend).cloned().unwrap_or_default(),
            statements,
            "{backend}: the statements in dialect.rs are not those of its Dialect"
        );
    }
}

/// `(trait, method)` for every `fn` declared in the `trait` blocks of `src`.
fn trait_methods(src: &str) -> Vec<(String, String)> {
    // Doc comments may hold braces; trait bodies hold nothing else that could.
    let code: String = src
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(pos) = rest.find("trait ") {
        let at_word = pos == 0 || !rest[..pos].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &rest[pos + "trait ".len()..];
        if !at_word {
            rest = after;
            continue;
        }
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = after.find('{') else { break };
        let mut depth = 0;
        let mut end = open;
        for (i, ch) in after[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &after[open + 1..end];
        let mut b = body;
        while let Some(f) = b.find("fn ") {
            let before_ok = f == 0 || b[..f].ends_with(char::is_whitespace);
            let tail = &b[f + 3..];
            if before_ok {
                let method: String = tail
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !method.is_empty() {
                    out.push((name.clone(), method));
                }
            }
            b = tail;
        }
        rest = &after[end..];
    }
    out
}

#[test]
fn every_port_method_has_a_contract_test() {
    let store_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut methods = Vec::new();
    for context in [
        "tenancy",
        "auth",
        "idempotency",
        "catalog",
        "inventory",
        "menu",
        "sales",
        "analytics",
        "procurement",
        "events",
        "audit",
        "webhooks",
        "alerts",
        "mail",
        "kitchen",
    ] {
        // A context is a file, or a directory of them (procurement: suppliers, purchase orders).
        // A file may also have a directory of parts (tenancy: storage areas).
        let file = store_src.join(format!("{context}.rs"));
        // Or both: a file with submodules in a directory of its name (inventory/production).
        let dir = store_src.join(context);
        let mut files = if file.exists() {
            vec![file]
        } else {
            Vec::new()
        };
        if dir.is_dir() {
            files.extend(rust_files(&dir));
        }
        for f in files {
            methods.extend(trait_methods(&read(&f)));
        }
    }
    methods.extend(
        trait_methods(&read(&store_src.join("lib.rs")))
            .into_iter()
            .filter(|(t, _)| t == "Store"),
    );
    let traits: BTreeSet<&str> = methods.iter().map(|(t, _)| t.as_str()).collect();
    for expected in [
        "TenancyTx",
        "GlobalTx",
        "AuthTx",
        "IdempotencyTx",
        "CatalogTx",
        "InventoryTx",
        "MenuTx",
        "SalesTx",
        "AnalyticsTx",
        "ProcurementTx",
        "PurchaseOrderTx",
        "GoodsReceiptTx",
        "ProductionTx",
        "StorageAreaTx",
        "CountTx",
        "Store",
    ] {
        assert!(
            traits.contains(expected),
            "no methods found for {expected}: {traits:?}"
        );
    }
    for (t, m) in [
        ("InventoryTx", "append_movements"),
        ("InventoryTx", "movement_target"),
        ("Store", "run_tenant"),
        ("TenancyTx", "tenant_id"),
    ] {
        assert!(
            methods.iter().any(|x| x.0 == t && x.1 == m),
            "the trait parser missed {t}::{m}"
        );
    }

    let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract");
    let tests: String = rust_files(&tests_dir)
        .into_iter()
        .filter(|f| !f.ends_with("parity.rs"))
        .map(|f| read(&f))
        .collect();
    let missing: Vec<String> = methods
        .iter()
        .filter(|(_, m)| !tests.contains(&format!(".{m}(")))
        .map(|(t, m)| format!("{t}::{m}"))
        .collect();
    assert!(
        missing.is_empty(),
        "port methods no contract test calls: {missing:?}"
    );
}
