"""The command line: `python -m skbackprop` (the main job), `... predict` and
`... bench`."""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from ._bench.main import main as bench

        return bench(argv[1:])
    if argv[:1] == ["predict"]:
        from ._cli.predict import main as predict

        return predict(argv[1:])
    from ._cli.main import main as search

    return search(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
