"""Writing a file whole or not at all.

`atomic_path` gives a writer a new temporary file in the folder of the file it
is to write, and renames it into place (`os.replace`) once the writer is done,
as git, rsync and pip do: until then the earlier file, if any, stays as it was,
and a writer that fails, or is interrupted, leaves neither a partial file nor
its temporary one behind. `temporary_name` and `create_new` are the pieces the
check of an output path made before any work tries as well.
"""

import contextlib
import os
import secrets
import stat
from pathlib import Path

# The most bytes of the file's own name that its temporary name repeats, so
# that the temporary name stays within the 255 bytes file systems allow.
_NAME_BYTES = 100


def temporary_name(path):
    """A new, unused-looking name in ``path``'s folder: hidden, saying it is
    temporary, and ending in ``path``'s suffix, so that a writer that chooses
    a format by the suffix (matplotlib, pandas, joblib) chooses the same."""
    path = Path(path)
    stem = path.stem
    while len(os.fsencode(stem)) > _NAME_BYTES:
        stem = stem[:-1]
    return path.with_name(f".{stem}.tmp-{secrets.token_hex(4)}{path.suffix}")


def create_new(path):
    """Create the empty file ``path``, which must not exist yet (not even as a
    dangling link), with the mode ``open()`` gives a new file; return its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    os.close(os.open(path, flags, 0o666))
    return Path(path)


def _create_temporary(path):
    for _ in range(100):
        try:
            return create_new(temporary_name(path))
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path in ``path``'s folder; on success, rename it to
    ``path``.

    The temporary file exists, empty, when the body starts: the body writes
    it (over, as ``open(..., "w")`` does). When the body ends normally, the
    file is flushed to disk and renamed to ``path``, in one step; when the body
    raises (including a ``KeyboardInterrupt``), the temporary file is removed
    and ``path`` is left as it was. A new file has the mode ``open()`` gives
    it (the umask's); a file replaced keeps its mode. A ``path`` that is a link
    to a file is written through: the file it points to is replaced and the
    link stays.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.

    Yields
    ------
    temporary : pathlib.Path
        Where to write.
    """
    target = Path(os.path.realpath(path))
    temporary = _create_temporary(target)
    try:
        yield temporary
        _sync(temporary)
        _keep_mode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _keep_mode(target, temporary):
    """A file replaced keeps its permissions."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(temporary, mode)


def _sync(path):
    """Flush ``path``'s data to disk, so that a crash after the rename cannot
    leave an empty file under the old file's name. (Opened for writing:
    Windows flushes only such a file.)"""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder):
    """Flush the rename itself, where the system allows it."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
