"""Cut an export (one file, a folder or a glob of files, local or remote) into fixed shards.

A shard is one input file's block of `shard_rows` consecutive rows, named by the file's position
in the sorted input list and the block's index, so the same inputs and `shard_rows` always give
the same shards: a rerun maps every row to the shard it had before. Nothing here imports Ray; the
distributed engine (`training.labeling.ray.engine`) hands these shards to its workers.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from classifier.errors import ExportFormatError
from training.io.readers import FORMATS

_GLOB_CHARS = "*?["


@dataclass(frozen=True)
class InputFile:
    """One file of an export, with what identifies its content for resuming."""

    uri: str
    size: int
    mtime_ns: int | None


@dataclass(frozen=True)
class Shard:
    """Rows `first_row` … `first_row + rows - 1` (1-based) of input file `file_index`."""

    file_index: int
    block: int
    first_row: int
    rows: int

    @property
    def name(self) -> str:
        return f"part-{self.file_index:05d}-{self.block:06d}.parquet"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **asdict(self)}


def is_uri(location: str) -> bool:
    return "://" in location


def filesystem_for(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem holding `location` and the path inside it."""
    if not is_uri(location):
        return pafs.LocalFileSystem(), str(Path(location).absolute())
    try:
        return pafs.FileSystem.from_uri(location)
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise ExportFormatError(f"cannot open this location: {exc}", file=location) from exc


def _join(location: str, fs_path: str) -> str:
    """`fs_path` spelled like `location`: a URI stays a URI."""
    if not is_uri(location):
        return fs_path
    scheme = location.split("://", 1)[0]
    return f"{scheme}://{fs_path.lstrip('/')}" if scheme != "file" else f"file://{fs_path}"


def resolve_inputs(location: str) -> list[InputFile]:
    """The export files behind `location` (a file, a folder or a glob), sorted by path."""
    fs, path = filesystem_for(location)
    pattern = None
    if any(char in Path(path).name for char in _GLOB_CHARS):
        path, pattern = str(Path(path).parent), Path(path).name
    try:
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.File and pattern is None:
            infos = [info]
        elif info.type == pafs.FileType.Directory:
            infos = fs.get_file_info(pafs.FileSelector(path, recursive=pattern is None))
        else:
            raise ExportFormatError("file or folder not found", file=location)
    except OSError as exc:
        raise ExportFormatError(f"cannot list this location: {exc}", file=location) from exc
    files = [
        InputFile(_join(location, i.path), i.size or 0, i.mtime_ns)
        for i in sorted(infos, key=lambda i: i.path)
        if i.type == pafs.FileType.File
        and Path(i.path).suffix.lower() in FORMATS
        and not Path(i.path).name.startswith((".", "_"))
        and (pattern is None or fnmatch.fnmatch(Path(i.path).name, pattern))
    ]
    if not files:
        kinds = ", ".join(sorted(FORMATS))
        raise ExportFormatError(f"no export files ({kinds}) found here", file=location)
    return files


def local_copy(uri: str, folder: Path) -> Path:
    """A local path for an input file; a remote one is copied into `folder` first (once)."""
    if not is_uri(uri):
        return Path(uri)
    fs, path = filesystem_for(uri)
    digest = hashlib.sha256(uri.encode()).hexdigest()[:16]
    target = folder / f"{digest}-{Path(path).name}"
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        with fs.open_input_stream(path) as source, partial.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        partial.replace(target)
    return target


def plan_shards(rows_per_file: list[int], shard_rows: int) -> list[Shard]:
    """Every file's rows cut into blocks of `shard_rows` (the last block of a file may be short)."""
    return [
        Shard(index, block, start + 1, min(shard_rows, rows - start))
        for index, rows in enumerate(rows_per_file)
        for block, start in enumerate(range(0, rows, shard_rows))
    ]
