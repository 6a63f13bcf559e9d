"""The exact data-parallel fit on dask: each chunk of rows on its worker."""
