fn main() -> std::process::ExitCode {
    nqtrack::cli::main()
}
