"""Tests that run the command line: `publisher.cli.main` in-process (the `cli` fixture) or a real
`publisher` process (`run_publisher`). Library tests live in tests/test_*.py."""
