"""Training: what ``y`` and the weights become, the update rules, the loops of
epochs, the monitor of a run and what a fit reports; in memory, or on the
device of another array library."""
