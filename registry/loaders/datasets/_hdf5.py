"""Opening HDF5 files (and MATLAB v7.3 files, which are HDF5) for the converters that read them, checked first.

An HDF5 file can hold data that is not in it: a dataset stored in external raw files (``external=[("/home/me/.ssh/
id_rsa", 0, size)]``), a virtual dataset mapped from other files, or an external link to an object of another file.
h5py follows all three when the data is read, so a hostile file in a download could put any file of this computer into
the converted dataset. :func:`open_hdf5` opens a file read-only and refuses it, with ``ValueError`` (which the
converters already report as an unreadable file), when any object reaches outside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: objects looked at in one file at most: a file with more is refused rather than walked without end
MAX_OBJECTS = 200_000


def open_hdf5(path: str | Path) -> Any:
    """``h5py.File(path, "r")`` (a context manager; the caller closes it), refused with ``ValueError`` when an object
    of the file reads data from elsewhere."""
    import h5py

    f = h5py.File(path, "r")
    try:
        _check_self_contained(h5py, f)
    except BaseException:
        f.close()
        raise
    return f


def _check_self_contained(h5py: Any, f: Any) -> None:
    def refuse(name: str, why: str) -> ValueError:
        return ValueError(f"{name} {why}, outside this file; refused (a hostile file can name any file here)")

    stack, seen, count = [f], set(), 0
    while stack:
        group = stack.pop()
        for key in group:
            count += 1
            if count > MAX_OBJECTS:
                raise ValueError(f"more than {MAX_OBJECTS:,} objects; not read")
            link = group.get(key, getlink=True)
            name = f"{group.name.rstrip('/')}/{key}"
            if isinstance(link, h5py.ExternalLink):
                raise refuse(name, f"is a link to {link.filename}")
            if isinstance(link, h5py.SoftLink):
                continue  # a path within this file, reached (and checked) by its own name
            node = group[key]
            if isinstance(node, h5py.Dataset):
                if node.external:
                    raise refuse(name, f"keeps its data in {node.external[0][0]!r}")
                if node.is_virtual and any(source.file_name != "." for source in node.virtual_sources()):
                    raise refuse(name, "is a virtual dataset mapped from other files")
            elif isinstance(node, h5py.Group) and hash(node.id) not in seen:
                seen.add(hash(node.id))
                stack.append(node)
