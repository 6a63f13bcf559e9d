"""Where the command line's transformer of date columns lived before the package's
layer folders, kept because pickles and ``.skops`` files written then name this
module: it re-exports `DateFeatures` from `skbackprop._cli.dates`."""

from ._cli.dates import DateFeatures

__all__ = ["DateFeatures"]
