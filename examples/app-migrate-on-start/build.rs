// Rebuild when a migration file is added (edits are tracked anyway).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
