"""The `supersmart` command line: one subcommand per job."""
