fn main() -> std::process::ExitCode {
    govtrack::main()
}
