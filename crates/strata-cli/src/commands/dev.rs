//! `strata dev up|down|status`: the embedded local cluster (SPEC §6).

use anyhow::Result;
use strata::cluster::{ClusterStatus, StartOptions};

use crate::cli::DevAction;
use crate::context::{Ctx, blocking, local_cluster};
use crate::render::env::{self as show, DevDatabase, DevRunning, DevStopped};

/// Runs `strata dev`.
pub async fn run(ctx: &Ctx, action: &DevAction) -> Result<()> {
    let cluster = local_cluster(ctx.project.root())?;
    let dir = cluster.dir().to_owned();
    match action {
        DevAction::Up => {
            let info = blocking(move || cluster.start(&StartOptions::default())).await?;
            ctx.out.result(&show::cluster_started(&info));
            print_urls(ctx, |db| info.url(db));
        }
        DevAction::Down => {
            let stopped = blocking(move || cluster.stop()).await?;
            ctx.out.result(if stopped {
                "local cluster stopped"
            } else {
                "local cluster was not running"
            });
        }
        DevAction::Status => {
            let status = blocking(move || cluster.status()).await?;
            match &status {
                ClusterStatus::Running(info) => {
                    if ctx.out.json {
                        let databases = ctx
                            .databases()?
                            .iter()
                            .map(|d| DevDatabase {
                                name: &d.name,
                                url: info.url(&format!("{}_{}", d.name, ctx.env.name)),
                            })
                            .collect();
                        ctx.out.json(&DevRunning {
                            running: true,
                            port: info.port,
                            pid: info.pid,
                            data_dir: &info.data_dir,
                            databases,
                        });
                    } else {
                        ctx.out.result(&show::cluster_running(info));
                        print_urls(ctx, |db| info.url(db));
                    }
                }
                _ => {
                    if ctx.out.json {
                        ctx.out.json(&DevStopped {
                            running: false,
                            dir: &dir,
                        });
                    } else {
                        ctx.out.result(&show::cluster_stopped(&dir));
                    }
                }
            }
        }
    }
    Ok(())
}

fn print_urls(ctx: &Ctx, url: impl Fn(&str) -> String) {
    if ctx.out.json {
        return;
    }
    if let Ok(dbs) = ctx.databases() {
        for d in dbs {
            let url = url(&format!("{}_{}", d.name, ctx.env.name));
            ctx.out.result(&show::cluster_url(&d.name, &url));
        }
    }
}
