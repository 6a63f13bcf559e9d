"""The network and its fast passes: its units as rows of tables, the notes'
formulas in plain NumPy, and the same mathematics block by block, on sparse rows
and one item at a time. Imports no scikit-learn."""
