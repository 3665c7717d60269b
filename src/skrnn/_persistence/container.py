"""The file as bytes: a zip archive of ``.npy`` members (what ``np.savez`` writes), read defensively, and the
integrity digest over its content.

Reading never trusts a size or a header: before anything is read or allocated, every member must be stored
uncompressed (as skrnn writes them: nothing is ever inflated, so a compressed zip bomb is refused unread)
with declared sizes that add up to no more than the file itself (a forged header declaring more is refused
too), and every ``.npy`` header must describe a plain array (booleans, integers,
floats or strings, native byte order, C order; never objects, which would need pickle) whose byte count is
exactly what remains of its member. Arrays are then read with bounded reads and never unpickled.
"""

import hashlib
import json
import os
import zipfile

import numpy as np
import numpy.lib.format as npy


class Corrupt(Exception):
    """The file is not what ``save`` writes: its message names the first inconsistency found."""


META, DIGEST = "__skrnn__", "__digest__"
DIGEST_ALGORITHM = "sha256"
_KINDS = "biufUS"  # what save writes: bool, int, uint, float, unicode and byte strings
_MAX_MEMBERS = 100_000


def write(path, meta_text, arrays, digest=None):
    """Write the JSON document ``meta_text``, the arrays and (when given) the digest; arrays are written
    C-contiguous, so the digest of what is read back equals the digest of what was written."""
    members = {META: np.array(meta_text)}
    if digest is not None:
        members[DIGEST] = np.array(digest)
    members.update({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    with open(path, "wb") as f:  # a file object, so numpy does not append ".npz" to the name
        np.savez(f, **members)


def digest(meta_text, arrays):
    """``'sha256:<hex>'`` over a canonical serialisation of the content, independent of the zip container:
    the JSON text, then each array in name order as its name, dtype, shape and C-order bytes (each field
    length-prefixed, so no two contents serialise alike)."""
    h = hashlib.new(DIGEST_ALGORITHM)

    def field(b):
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)

    field(b"skrnn-digest-1")
    field(meta_text.encode("utf-8", "surrogatepass"))
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        field(name.encode("utf-8", "surrogatepass"))
        field(a.dtype.str.encode())
        field(json.dumps(list(a.shape)).encode())
        field(a.tobytes())
    return f"{DIGEST_ALGORITHM}:{h.hexdigest()}"


class Archive:
    """An open archive whose members passed the size checks; ``read(name)`` returns one array."""

    def __init__(self, path):
        self.size = os.path.getsize(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as e:
            raise Corrupt(f"it is not a complete zip archive (truncated, or not a skrnn file at all: {e})") from None
        try:
            self._check_members()
        except BaseException:
            self.zip.close()
            raise

    def _check_members(self):
        infos = self.zip.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise Corrupt(f"it has {len(infos)} members")
        names = [i.filename for i in infos]
        dup = sorted({n for n in names if names.count(n) > 1}) if len(set(names)) < len(names) else []
        if dup:
            raise Corrupt(f"member {dup[0]!r} appears more than once")
        total = 0
        for info in infos:
            if not info.filename.endswith(".npy") or info.is_dir():
                raise Corrupt(f"member {info.filename!r} is not an array (.npy)")
            if info.compress_type != zipfile.ZIP_STORED:
                raise Corrupt(f"member {info.filename!r} is compressed ({info.compress_size} bytes declaring "
                              f"{info.file_size} uncompressed); skrnn stores its members uncompressed, so nothing is "
                              "ever inflated")
            total += info.file_size
            if total > self.size:
                raise Corrupt(f"member {info.filename!r} declares {info.file_size} bytes uncompressed: the "
                              f"members would hold more than the whole file ({self.size} bytes), as in a zip bomb")
            if info.file_size != info.compress_size:
                raise Corrupt(f"member {info.filename!r} declares {info.file_size} bytes but stores "
                              f"{info.compress_size}")
        self.names = {n[:-4] for n in names}
        self.infos = {i.filename[:-4]: i for i in infos}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.zip.close()

    def read(self, name):
        """The array stored as member ``name``, after checking its header against the member's size."""
        info = self.infos[name]
        try:
            with self.zip.open(info) as f:
                version = npy.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = npy.read_array_header_1_0(f, max_header_size=10_000)
                elif version == (2, 0):
                    shape, fortran, dtype = npy.read_array_header_2_0(f, max_header_size=10_000)
                else:
                    raise Corrupt(f"member {name!r} is a .npy file of version {version}")
                header = f.tell()
                _check_header(name, shape, fortran, dtype)
                count = 1
                for n in shape:
                    count *= n
                nbytes = count * dtype.itemsize
                if header + nbytes != info.file_size:
                    raise Corrupt(f"member {name!r} declares shape {shape} of {dtype} ({nbytes} bytes) but holds "
                                  f"{info.file_size - header}")
                data = f.read(nbytes)
                if len(data) != nbytes or f.read(1):
                    raise Corrupt(f"member {name!r} is shorter or longer than its header says")
        except Corrupt:
            raise
        except (ValueError, zipfile.BadZipFile, EOFError, OSError, SyntaxError) as e:
            raise Corrupt(f"member {name!r} cannot be read ({type(e).__name__}: {e})") from None
        return np.frombuffer(bytearray(data), dtype=dtype).reshape(shape)


def _check_header(name, shape, fortran, dtype):
    if dtype.kind == "O" or dtype.hasobject:
        raise Corrupt(f"member {name!r} holds Python objects (dtype {dtype}), which only pickle could read")
    if dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in _KINDS:
        raise Corrupt(f"member {name!r} has dtype {dtype}; skrnn writes only plain boolean, integer, float and "
                      "string arrays")
    if not dtype.isnative:
        raise Corrupt(f"member {name!r} has dtype {dtype.str} in non-native byte order")
    if fortran:
        raise Corrupt(f"member {name!r} is in Fortran order; skrnn writes C order")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise Corrupt(f"member {name!r} has an invalid shape {shape}")


def read_meta_text(archive):
    """The JSON document's text (a 0-d unicode array)."""
    a = archive.read(META)
    if a.shape != () or a.dtype.kind != "U":
        raise Corrupt(f"the {META} member is not a 0-d unicode array (dtype {a.dtype}, shape {a.shape})")
    return str(a[()])


def read_digest(archive):
    if DIGEST not in archive.names:
        return None
    a = archive.read(DIGEST)
    if a.shape != () or a.dtype.kind != "U":
        raise Corrupt(f"the {DIGEST} member is not a 0-d unicode array")
    return str(a[()])

