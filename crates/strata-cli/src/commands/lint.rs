//! `strata lint [FILES…]` (SPEC §8): the pending migrations of every
//! selected database (reads the history), or with `--offline` every file of
//! their folders, or the FILES given (never a database), or with `--base
//! REF` the files the branch adds or edits since git REF, plus the
//! findings about the branch against REF (never a database). Findings go
//! to stdout; exit 3 when one is an error.
//!
//! The library lints; this file picks the files. A folder the load refuses
//! (a transactional file mixing `CREATE INDEX CONCURRENTLY` with other
//! statements, say) is still linted file by file, so its refusal shows as a
//! finding beside the others.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::lint::{BaseFiles, Finding, Linter, Source};
use strata::migration::{FileName, Migration};
use strata::plan::{Plan, PlanOptions};

use super::driver::{Done, PerDatabase, for_each_database};
use super::release_at_exit;
use crate::cli::LintArgs;
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::{DbReport, lint as render};

/// Runs `strata lint`.
pub async fn run(ctx: &Ctx, args: &LintArgs) -> Result<()> {
    for_each_database(ctx, &Lint { args }).await
}

struct Lint<'a> {
    args: &'a LintArgs,
}

/// What lint found in one database's files.
#[derive(Default)]
struct Linted {
    /// The findings, in run order.
    findings: Vec<Finding>,
    /// How many files were linted.
    files: usize,
    /// The folder the files are in, to name them in the human output.
    folder: PathBuf,
}

impl PerDatabase for Lint<'_> {
    type Extra = Linted;

    fn connects(&self) -> bool {
        !self.args.offline && self.args.files.is_empty() && self.args.base.is_none()
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        out: &mut Linted,
    ) -> Result<()> {
        let rules = ctx.project.lint();
        let mut linter = Linter::new(rules);
        out.folder = shown_folder(&db.migrations);
        if !self.args.files.is_empty() {
            // The files given, once: under the first database only.
            if ctx.databases()?.first().map(|d| &d.name) != Some(&db.name) {
                return Ok(());
            }
            out.folder = PathBuf::new();
            let mut linter = Linter::per_file(rules);
            for path in &self.args.files {
                lint_path(&mut linter, path, &path.display().to_string(), r, out);
            }
            return Ok(());
        }
        if let Some(base) = &self.args.base {
            return lint_base(&mut linter, ctx, db, base, r, out);
        }
        if self.args.offline {
            // Nothing says which files a database has applied: each file
            // is linted as if it were deployed on its own.
            let mut linter = Linter::per_file(rules);
            match ctx.migrations(db) {
                Ok(m) => {
                    r.warnings = m.warnings.clone();
                    let all: Vec<&Migration> = m.list.iter().collect();
                    lint_migrations(&mut linter, &all, r, out);
                }
                // Lint what can be linted; what is not lintable is a file error.
                Err(e) if e.is_check_failure() => {
                    lint_folder(&mut linter, &db.migrations, &|_| true, r, out)?;
                }
                Err(e) => return Err(e.into()),
            }
            return Ok(());
        }
        let loaded = ctx.load_with_history(db, self.args.connect.wait).await?;
        r.url = Some(loaded.endpoint.redacted().to_owned());
        let plan = Plan::new(
            &loaded.migrations.list,
            &loaded.history,
            &PlanOptions::default(),
        );
        let pending: Vec<&Migration> = plan
            .to_apply
            .iter()
            .filter_map(|i| loaded.migrations.list.get(*i))
            .collect();
        lint_migrations(&mut linter, &pending, r, out);
        r.warnings
            .extend(loaded.migrations.warnings.iter().cloned());
        r.plan = Some(plan);
        release_at_exit(loaded);
        Ok(())
    }

    fn after(&self, ctx: &Ctx, r: &DbReport, out: &Linted) -> Option<anyhow::Error> {
        for w in &r.warnings {
            ctx.out.warn(&crate::render::lines::warning(&r.name, w));
        }
        for e in &r.file_errors {
            ctx.out
                .result(&crate::render::lines::file_error(&r.name, e));
        }
        let color = ctx.out.stdout_color;
        for f in &out.findings {
            ctx.out
                .styled_result(&render::finding(&out.folder, f, color));
        }
        if r.error.is_none() {
            ctx.out
                .result(&render::summary(&r.name, out.files, &out.findings));
        }
        let errors = out.findings.iter().filter(|f| f.is_error()).count();
        let n = errors + r.file_errors.len();
        (n > 0).then(|| exit(PROBLEMS, format!("database {}: {n} lint error(s)", r.name)))
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<Linted>]) -> impl Serialize + 'a {
        render::document(
            &ctx.env.name,
            dbs.iter().map(|d| (&d.report, d.extra.findings.as_slice())),
        )
    }
}

/// `folder` as the user knows it: relative to the working directory when
/// it is below it.
fn shown_folder(folder: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| folder.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| folder.to_path_buf())
}

fn lint_migrations(
    linter: &mut Linter<'_>,
    list: &[&Migration],
    r: &mut DbReport,
    out: &mut Linted,
) {
    for m in list {
        out.files += 1;
        match linter.lint_migration(m) {
            Ok(found) => out.findings.extend(found),
            Err(e) => r.file_errors.push(e.to_string()),
        }
    }
}

/// `--base REF`: the findings about the branch against REF, then the
/// files it adds or edits, in execution order, as one run (the files
/// already on REF exist in every database: the rules about existing
/// objects apply to their tables). The working tree's text is linted,
/// uncommitted edits included.
fn lint_base(
    linter: &mut Linter<'_>,
    ctx: &Ctx,
    db: &DatabaseConfig,
    base: &str,
    r: &mut DbReport,
    out: &mut Linted,
) -> Result<()> {
    let loaded = match ctx.migrations(db) {
        Ok(m) => Ok(m),
        Err(e) if e.is_check_failure() => Err(sql_names(&db.migrations)?),
        Err(e) => return Err(e.into()),
    };
    let present = match &loaded {
        Ok(m) => m.list.iter().map(|m| m.script.clone()).collect(),
        Err(names) => names.clone(),
    };
    let compared = crate::git::compare(&db.migrations, base, &present)?;
    let on_base: Vec<&str> = compared.on_base.iter().map(String::as_str).collect();
    let added: Vec<&str> = present
        .iter()
        .map(String::as_str)
        .filter(|s| compared.added.contains(*s))
        .collect();
    let edited: Vec<&str> = compared.edited.iter().map(String::as_str).collect();
    let files = BaseFiles {
        base,
        on_base: &on_base,
        added: &added,
        edited: &edited,
    };
    out.findings.extend(files.check(ctx.project.lint()));
    let wanted = |s: &str| compared.added.contains(s) || compared.edited.contains(s);
    match loaded {
        Ok(m) => {
            r.warnings = m.warnings.clone();
            let list: Vec<&Migration> = m.list.iter().filter(|m| wanted(&m.script)).collect();
            lint_migrations(linter, &list, r, out);
        }
        Err(_) => lint_folder(linter, &db.migrations, &wanted, r, out)?,
    }
    Ok(())
}

/// The `.sql` file names of a folder the load refused.
fn sql_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        if let Some(name) = entry?.file_name().to_str()
            && name.ends_with(".sql")
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// One file by path; `script` names it in the findings.
fn lint_path(
    linter: &mut Linter<'_>,
    path: &Path,
    script: &str,
    r: &mut DbReport,
    out: &mut Linted,
) {
    out.files += 1;
    let text = match strata::source::read_regular_file(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                r.file_errors.push(format!(
                    "{}: not UTF-8 (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ));
                return;
            }
        },
        Err(e) => {
            r.file_errors
                .push(format!("cannot read {}: {e}", path.display()));
            return;
        }
    };
    match linter.lint(&Source::new(script, &text)) {
        Ok(found) => out.findings.extend(found),
        Err(e) => r.file_errors.push(e.to_string()),
    }
}

/// Every migration file of a folder the load refused, in execution order
/// (versioned by version, then repeatables by description; undo and down
/// files are not what `migrate` runs).
fn lint_folder(
    linter: &mut Linter<'_>,
    dir: &Path,
    wanted: &dyn Fn(&str) -> bool,
    r: &mut DbReport,
    out: &mut Linted,
) -> Result<()> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !name.ends_with(".sql") || !wanted(&name) || !entry.file_type()?.is_file() {
            continue;
        }
        match FileName::parse(&name) {
            Ok(Some(FileName::Versioned { version, .. })) => files.push((0, Some(version), name)),
            Ok(Some(FileName::Repeatable { description })) => {
                files.push((1, None, format!("{description}\0{name}")));
            }
            Ok(_) => {}
            Err(reason) => r.file_errors.push(format!("{name}: {reason}")),
        }
    }
    files.sort();
    for (_, _, key) in files {
        let name = key.rsplit('\0').next().unwrap_or(&key).to_owned();
        lint_path(linter, &dir.join(&name), &name, r, out);
    }
    Ok(())
}
