"""The command line, ``python -m skbackprop``: reading a CSV file, the grid
search, its report and files, and ``predict``."""
