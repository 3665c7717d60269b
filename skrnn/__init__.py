"""skrnn."""
