"""The scikit-learn estimators, the display of their loss curves, and moving
them between array libraries and devices."""
