// `sqlx::migrate!` embeds the migration files at compile time; without this, a new file in the
// directory would not rebuild the crate and the binary would silently miss it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
