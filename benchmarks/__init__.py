"""Load benchmarks, kept apart from the assistant so that nothing in production imports them."""
