"""The command line's error: a problem with the user's data or options.

Every module of the command line raises `InputError` for what the user can
change, and the commands print it as one line and exit with status 1. It lives
in a module of its own so that any module can raise it, whatever it imports.
"""


class InputError(Exception):
    """A problem with the user's data or options, reported in one line."""
