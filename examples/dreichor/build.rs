// Cargo sees edits to embedded migration files on its own, but not a new
// file in the folder: tell it to rebuild when the folder changes.
fn main() {
    println!("cargo:rerun-if-changed=infra/db/migrations");
}
