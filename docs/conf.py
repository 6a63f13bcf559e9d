"""Sphinx configuration of the skbackprop documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` from the repository
root after ``pip install -e ".[docs]"``. The gallery in ``docs/examples`` is
executed on every build; its output (``auto_examples``, ``generated``) is not kept
in git.
"""

import warnings

import skbackprop

project = "skbackprop"
author = "the skbackprop developers"
copyright = "the skbackprop developers, BSD-3-Clause"
release = skbackprop.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax from the package, not from a CDN: the formulas render offline.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "sg_execution_times.rst", "examples/README.rst"]
root_doc = "index"
default_role = "literal"  # `x` in prose and docstrings is code, as in scikit-learn

# -- API reference -----------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
toc_object_entries_show_parents = "hide"  # "fit()" in the page TOC, not the full path
# numpydoc would list every member a second time under the class (numpydoc#69).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery -----------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # execute every plot_*.py
    "within_subsection_order": "FileNameSortKey",  # plot_1_... to plot_6_...
    "doc_module": ("skbackprop",),
    "backreferences_dir": "generated",  # "Examples using TwoLayerClassifier"
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "plot_gallery": "True",
}

# Matplotlib's Agg backend cannot show figures; sphinx-gallery collects them itself.
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="FigureCanvasAgg is non-interactive, and thus cannot be shown",
)

# -- HTML --------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skbackprop {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    # The search field beside six links wraps the header onto two rows at
    # laptop widths; the search button and the theme switcher fit on one.
    "navbar_persistent": [],
    "navbar_end": ["search-button", "theme-switcher"],
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# No left sidebar: the sections are few and all in the header, and the width goes
# to the math and to the gallery's code, which otherwise scrolls at laptop widths.
html_sidebars = {"**": []}
html_show_sourcelink = False


# -- Every public name has a page --------------------------------------------------
def _check_api_covers_all(app):
    """Fail the build if a name of ``skbackprop.__all__`` is missing from api.rst."""
    with open(f"{app.srcdir}/api.rst", encoding="utf-8") as f:
        listed = set(f.read().split())
    missing = [n for n in skbackprop.__all__ if n != "__version__" and n not in listed]
    if missing:
        raise RuntimeError(f"docs/api.rst does not list the public names {missing}")


def setup(app):
    app.connect("builder-inited", _check_api_covers_all)
