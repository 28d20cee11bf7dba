"""Temporary storage for upload bytes: memory for small files, disk beyond that."""

from tempfile import SpooledTemporaryFile

# Small uploads (most photos of a worksheet are bigger, most text files are
# smaller) stay in memory; anything larger goes to a temporary file.
SPOOL_MEMORY_BYTES = 1024 * 1024


def new_spool() -> SpooledTemporaryFile:
    return SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)
