"""The scikit-learn estimators, and the display of their loss curves."""
