"""The ``w2s`` command line: one module per subcommand, assembled in :mod:`.main`."""
