"""JOST's user terminal: the `jost` command, which runs simulations locally and shows results."""
