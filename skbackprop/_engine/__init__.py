"""The network and its fast passes: its units as rows of tables, the notes'
formulas written plainly (in NumPy, or against another array library's
namespace), and the same mathematics block by block, on sparse rows and one
item at a time. Imports no scikit-learn."""
