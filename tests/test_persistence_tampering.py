"""Tampered and corrupt model files fail cleanly: each case edits a file written by ``save`` as an attacker
(recomputing the integrity digest, so that the schema is what catches it) or an unlucky user (truncation, a
flipped byte) would, and asserts the one ValueError ``skrnn.load`` raises, which names the first
inconsistency. No case may run code, allocate what the file merely declares, or load and predict garbage."""

import io
import json
import re
import shutil
import struct
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import skrnn
from skrnn import RNNClassifier, RNNForecaster, RNNRegressor, RNNSeq2SeqRegressor, RNNTextGenerator
from skrnn._persistence import container

SMALL = {"hidden_size": 3, "max_iter": 2, "random_state": 0}
CORRUPT = r"is corrupt or was modified after it was saved: "


def _fit(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


def _models():
    X = np.random.default_rng(0).normal(size=(30, 5))
    labels = np.array(["cat", "dog", "emu"])[np.arange(30) % 3]
    y = pd.Series(10 + np.sin(np.arange(40) / 3), index=pd.date_range("2000-01", periods=40, freq="MS"))
    df = pd.DataFrame(X, columns=list("abcde"))
    return {
        "clf": lambda: RNNClassifier(**SMALL).fit(X, labels),
        "att": lambda: RNNClassifier(pooling="attention", patch_size=2, scale_input=True, **SMALL).fit(
            X.reshape(30, 5, 1).repeat(2, axis=2), labels),
        "seq": lambda: RNNClassifier(scale_input="sequence", **SMALL).fit(X * np.logspace(-3, 3, 30)[:, None], labels),
        "msc": lambda: RNNClassifier(n_estimators=3, patch_size="multiscale", **SMALL).fit(np.tile(X, 8), labels),
        "reg": lambda: RNNRegressor(**SMALL).fit(df, X[:, 0]),
        "s2s": lambda: RNNSeq2SeqRegressor(**SMALL).fit(X, X[:, :2]),
        "txt": lambda: RNNTextGenerator(min_frequency=1, **SMALL).fit("hello world"),
        "fcs": lambda: RNNForecaster(window=6, **SMALL).fit(y),
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    paths = {}
    for name, make in _models().items():
        paths[name] = folder / f"{name}.skrnn"
        _fit(make).save(paths[name])
    return paths


def read(path):
    with container.Archive(path) as a:
        text = container.read_meta_text(a)
        arrays = {n: a.read(n).copy() for n in a.names - {container.META, container.DIGEST}}
        digest = container.read_digest(a)
    return json.loads(text), arrays, digest


def rewrite(path, edit, redigest=True):
    """Apply ``edit(meta, arrays)`` (in place) to the file; recompute the digest as a tamperer would."""
    meta, arrays, digest = read(path)
    edit(meta, arrays)
    text = json.dumps(meta, allow_nan=True)
    container.write(path, text, arrays, container.digest(text, arrays) if redigest else digest)


def attr(name, value):
    def edit(meta, arrays):
        meta["attributes"][name] = value
    return edit


def array(name, change):
    def edit(meta, arrays):
        arrays[name] = change(arrays[name])
    return edit


def arch_field(key, value):
    def edit(meta, arrays):
        meta["attributes"]["_arch"]["architecture"]["__dict__"].append([key, value])
    return edit


def arch_set(key, value):
    def edit(meta, arrays):
        for pair in meta["attributes"]["_arch"]["architecture"]["__dict__"]:
            if pair[0] == key:
                pair[1] = value
    return edit


def rng_state(i, value):
    def edit(meta, arrays):
        meta["attributes"]["_random_state"]["random_state"][i] = value
    return edit


def series(change):
    def edit(meta, arrays):
        change(meta["attributes"]["_series"]["series"])
    return edit


def both(*edits):
    def edit(meta, arrays):
        for e in edits:
            e(meta, arrays)
    return edit


def nan_at(i):
    def change(a):
        a = a.copy()
        a[i] = np.nan
        return a
    return change


# id -> (model, edit of the JSON document and arrays, message after "is corrupt or was modified ...: ")
TAMPERED = {
    # the five failures the issue found, then their neighbours
    "an attribute entry without its 'array' key": (
        "clf", attr("_flat", {"object": True}), r"attribute _flat: the entry .* names no kind of value skrnn writes"),
    "an architecture field given twice": (
        "clf", arch_field("cell", "rnn"), r"attribute _arch: the dict key 'cell' appears twice"),
    "an architecture of an unknown cell": (
        "clf", arch_set("cell", "transformer"), r"_arch: the architecture's cell 'transformer' is out of range"),
    "an architecture with an unexpected keyword": (
        "clf", arch_field("evil", 1), r"attribute _arch: unknown architecture field 'evil'"),
    "an integer weight array": (
        "clf", array("_flat", lambda a: a.astype(np.int64)),
        r"attribute _flat is an array of dtype int64 and shape \(\d+,\); expected a 1-D array of float32 or float64"),
    "too few weights for the architecture": (
        "clf", array("_flat", lambda a: a[:5]),
        r"attribute _flat has 5 weights, but the architecture \(gru of 1 layer\(s\) x 3 units, 1 input\(s\), "
        r"3 output\(s\), bidirectional\) has \d+"),
    "1000 extra weights": (
        "clf", array("_flat", lambda a: np.concatenate([a, np.zeros(1000)])), r"_flat has 1\d{3} weights, but"),
    "all-NaN weights": ("clf", array("_flat", lambda a: np.full_like(a, np.nan)), r"_flat contains NaN or infinity"),
    "one infinite weight": ("reg", array("_flat", lambda a: np.where(np.arange(a.size) == 3, np.inf, a)),
                            r"_flat contains NaN or infinity"),
    "float16 weights": (
        "clf", array("_flat", lambda a: a.astype(np.float16)),
        r"_flat is an array of dtype float16 and shape \(\d+,\); expected a 1-D array of float32 or float64"),
    "weights stored as a 2-D array": ("clf", array("_flat", lambda a: a[None]), r"_flat is an array of dtype float64 "
                                                                                r"and shape \(1, \d+\)"),
    "weights as a JSON list": ("clf", attr("_flat", {"json": [0.0, 1.0]}), r"_flat is \[0.0, 1.0\]; expected a 1-D"),
    "classes_ of the wrong length": (
        "clf", array("classes_", lambda a: a[:2]), r"classes_ has 2 labels, but the head has 3 outputs"),
    "classes_ in the wrong order": (
        "clf", array("classes_", lambda a: a[::-1]), r"classes_ \['emu', 'dog', 'cat'\] is not sorted and unique.*"
                                                     r"wrong classes"),
    "a repeated class": ("clf", array("classes_", lambda a: np.array(["cat", "cat", "dog"])),
                         r"classes_ \['cat', 'cat', 'dog'\] is not sorted and unique"),
    "a head for the wrong task": ("clf", attr("_head", {"json": "sigmoid"}),
                                  r"_head is 'sigmoid', which a multiclass classifier does not use"),
    "a random state key of the wrong length": (
        "clf", array("_random_state", lambda a: a[:100]),
        r"_random_state: a MT19937 random state needs a key of 624 uint32; got 'MT19937' with uint32 \(100,\)"),
    "a random state position out of range": ("clf", rng_state(1, 1000), r"_random_state: the random state's position "
                                                                        r"1000.*out of range"),
    "a random state of another generator": (
        "clf", rng_state(0, "PCG64"), r"_random_state: a MT19937 random state needs a key of 624 uint32; got 'PCG64'"),
    "a random state that is not a list": ("clf", attr("_random_state", {"random_state": 5, "array": "_random_state"}),
                                          r"_random_state: the random state 5 is not \[kind, pos, has_gauss, gauss\]"),
    "an all-zero random key": (
        "clf", array("_random_state", np.zeros_like), r"_random_state: the random state's key is all zeros"),
    "optimiser moments of the wrong size": (
        "clf", array("_optimizer.m", lambda a: a[:-1]), r"_optimizer.m is float64 of shape \(\d+,\), but the weights "
                                                        r"are float64 of shape"),
    "optimiser moments of another dtype": (
        "clf", array("_optimizer.v", lambda a: a.astype(np.float32)), r"_optimizer.v is float32"),
    "a negative second moment": (
        "clf", array("_optimizer.v", lambda a: -1 - a), r"_optimizer.v \(Adam's second moment\) has a negative entry"),
    "NaN in the optimiser's moments": ("reg", array("_optimizer.m", nan_at(0)), r"_optimizer.m contains NaN"),
    "an optimiser with an unknown field": (
        "clf", lambda m, a: m["attributes"]["_optimizer"]["state"].update(evil={"json": 1}),
        r"_optimizer: the Adam state has fields \[.*'evil'.*\]; expected"),
    "an optimiser of another class": (
        "clf", lambda m, a: m["attributes"]["_optimizer"].update(optimizer="Popen"),
        r"_optimizer: unknown optimiser 'Popen' \(skrnn's are \['Adam', 'SGD'\]\)"),
    "a negative optimiser step count": (
        "clf", lambda m, a: m["attributes"]["_optimizer"]["state"].update(t={"json": -1}),
        r"_optimizer: the step count t -1 is not a non-negative integer"),
    "an unknown attribute": ("clf", attr("evil_", {"json": 1}), r"unknown attribute 'evil_': a fitted RNNClassifier "
                                                                r"has no such attribute"),
    "a missing attribute": ("reg", lambda m, a: m["attributes"].pop("_y_scale") and a.pop("_y_scale"),
                            r"attribute _y_scale is missing \(a fitted RNNRegressor has it\)"),
    "an unknown parameter": ("clf", lambda m, a: m["params"].update(evil={"json": 1}), r"unknown parameter 'evil'"),
    "an invalid parameter value": ("clf", lambda m, a: m["params"].update(hidden_size={"json": -3}),
                                   r"parameter The 'hidden_size' parameter of RNNClassifier must be an int in the "
                                   r"range \[1, inf\)"),
    "a parameter given as an array": ("clf", lambda m, a: m["params"].update(hidden_size={"array": "_flat"}),
                                      r"parameter hidden_size: .* is not a parameter value skrnn writes"),
    "a malformed tagged dict": ("clf", lambda m, a: m["params"].update(class_weight={"json": {"__dict__": 5}}),
                                r"parameter class_weight: \{'__dict__': 5\} is not a value skrnn writes"),
    "an unhashable dict key": ("clf", lambda m, a: m["params"].update(
        class_weight={"json": {"__dict__": [[{"__dict__": []}, 1.0]]}}),
        r"parameter class_weight: a dict key \{\} is not hashable"),
    "a zero target scale": ("reg", array("_y_scale", np.zeros_like), r"_y_scale has an entry <= 0"),
    "target means for two outputs": ("reg", array("_y_mean", lambda a: np.r_[a, a]),
                                     r"_y_mean has 2 entries for 1 output\(s\)"),
    "a 3-D input layout for 2-D weights": ("reg", attr("_input_layout", {"json": "3d"}),
                                           r"n_features_in_ is 5 with 3d input, so the network reads 5 feature\(s\) "
                                           r"per step; its architecture reads 1"),
    "feature names of the wrong length": ("reg", array("feature_names_in_", lambda a: a[:3]),
                                          r"feature_names_in_ has 3 names for 5 features"),
    "n_features_in_ as a string": ("reg", attr("n_features_in_", {"json": "5"}), r"n_features_in_ is '5'; expected an "
                                                                                 r"integer >= 1"),
    "a loss curve of strings": ("reg", attr("loss_curve_", {"json": ["a"]}), r"loss_curve_ is \['a'\]; expected a list "
                                                                             r"of numbers"),
    "an array attribute pointing at a missing member": (
        "reg", attr("_y_mean", {"array": "nowhere"}),
        r"attribute _y_mean refers to the array 'nowhere', which the file "
                                                      r"does not hold"),
    "an unknown pooling": ("att", arch_set("pooling", "evil"),
                           r"_arch: the architecture's pooling 'evil' is out of range"),
    "attention pooling without its query weights": (
        "att", arch_set("pooling", "mean"), r"_flat has \d+ weights, but the architecture \(.*\) has \d+"),
    "another patch size than the network's": ("att", attr("patch_size_", {"json": 3}),
                                              r"n_features_in_ is 2 with 3d input in patches of 3, so the network "
                                              r"reads 6 feature\(s\) per step; its architecture reads 4"),
    "patch sizes for another number of networks": ("msc", attr("patch_size_", {"json": {"__tuple__": [2, 3]}}),
                                                   r"patch_size_ has 2 patch sizes for 3 network\(s\)"),
    "a patch size of zero among the networks'": (
        "msc", attr("patch_size_", {"json": {"__tuple__": [2, 0, 1]}}),
        r"patch_size_ is \(2, 0, 1\); expected an integer >= 1 or a tuple of them"),
    "other patch sizes than the networks' weights": ("msc", attr("patch_size_", {"json": {"__tuple__": [2, 3, 3]}}),
                                                     r"_flat has \d+ weights, but the architecture"),
    "a zero input scale": ("att", array("_x_scale", np.zeros_like), r"_x_scale has an entry <= 0"),
    "an input scale without its mean": (
        "att", attr("_x_mean", {"json": None}), r"attributes _x_mean and _x_scale: the input scaling has one without"),
    "input scaling for another number of features": (
        "att", both(array("_x_mean", lambda a: a[:1]), array("_x_scale", lambda a: a[:1])),
        r"attributes _x_mean and _x_scale have 1 and 1 entries for 2 input feature\(s\)"),
    "per-sequence scaling read as global": (
        "seq", attr("scale_input_", {"json": "global"}),
        r"attribute scale_input_ is 'global', but the input scaling has its statistics and a per-sequence floor"),
    "a per-sequence floor for another number of features": (
        "seq", array("_x_floor", lambda a: np.r_[a, a]), r"attribute _x_floor has 2 entries for 1 input feature\(s\)"),
    # the other estimators
    "a vocabulary that does not match its codes": (
        "txt", lambda m, a: m["attributes"]["vocabulary_"]["json"]["__dict__"][0].__setitem__(1, 7),
        r"vocabulary_ does not map each character of characters_ to its code"),
    "characters_ without the special codes": ("txt", array("characters_", lambda a: a[::-1]),
                                              r"characters_ must start with '<bos>', '<unk>'"),
    "a text network for another vocabulary": (
        "txt", both(arch_set("n_features", 12), arch_set("n_outputs", 12)),
        r"_arch \(lstm of 1 layer\(s\) x 3 units, 12 input\(s\), 12 output\(s\)\) does not read and predict the 10 "
        r"codes"),
    "a seq2seq config for another output size": (
        "s2s", lambda m, a: m["attributes"]["_config"]["json"]["__dict__"][2].__setitem__(1, 3),
        r"_flat has \d+ weights, but the architecture \(encoder-decoder"),
    "a seq2seq config with an unknown key": (
        "s2s", lambda m, a: m["attributes"]["_config"]["json"]["__dict__"].append(["evil", 1]),
        r"_config is .*; expected an encoder-decoder configuration with keys"),
    "a series index of an unknown frequency": (
        "fcs", series(lambda s: s["index"][0].update(freq="XYZ")), r"_series.index\[0\]: the index cannot be rebuilt "
                                                                   r"\(ValueError: Invalid frequency"),
    "a series index shorter than its values": (
        "fcs", series(lambda s: s["index"][0].update(length=5)), r"_series.index\[0\]: the index has length 5 but its "
                                                                                 r"series 40 values"),
    "a series index of an unknown kind": (
        "fcs", series(lambda s: s["index"][0].update(kind="pickle")),
        r"_series.index\[0\]: the index kind 'pickle' is not "
                                                                         r"datetime, period or integer"),
    "a series index start that is not a date": (
        "fcs", series(lambda s: s["index"][0].update(start="yesterday-ish")),
        r"_series.index\[0\]: the index cannot be rebuilt \(\w+: Unknown datetime string format"),
    "NaN in the training series": ("fcs", array("_series.values.0", nan_at(3)),
                                   r"_series.values\[0\] is not a non-empty finite 1-D float64 array"),
    "a series with an unknown field": ("fcs", series(lambda s: s.update(evil=1)),
        r"_series: the entry has keys \[.*'evil'.*\]; expected"),
    "a scaling for two series": ("fcs", array("_scaling.mu", lambda a: np.r_[a, a]),
                                 r"_scaling: mu and sd do not match"),
    "a scaling for two series, consistently": (
        "fcs", both(array("_scaling.mu", lambda a: np.r_[a, a]), array("_scaling.sd", lambda a: np.r_[a, a])),
        r"_scaling has 2 series' moments for 1 series"),
    "a negative standard deviation": ("fcs", array("_scaling.sd", lambda a: -a), r"_scaling.sd has a non-positive"),
    # the default forecaster is an ensemble: its members, their windows and their weights must agree
    "an ensemble member of an unknown normalisation": (
        "fcs", lambda meta, arrays: meta["attributes"]["_members"]["json"][0].__setitem__(1, "evil"),
        r"attribute _members is .*expected a non-empty list of \[window length, normalisation"),
    "a seasonal-naive member in a non-seasonal forecaster": (
        "fcs", both(attr("seasonal_period_", {"json": 1}),
                    lambda meta, arrays: meta["attributes"]["_members"]["json"][0].__setitem__(1, "season")),
        r"_members: 'season' members need 1 < seasonal_period_ <= their window, but seasonal_period_ is 1"),
    "an ensemble with one member fewer than its weights": (
        "fcs", lambda meta, arrays: meta["attributes"]["_members"]["json"].pop(),
        r"attribute _flat has \d+ weights, but the architecture \(.*\) has \d+ \(19 networks\)"),
    "an ensemble whose window_ is not its longest member's": (
        "fcs", attr("window_", {"json": 7}), r"attribute window_ is 7, but the members' longest window is 6"),
    "a window-face forecaster missing its network": ("fcs", attr("_series", {"json": None}),
                                                     r"attribute _sequence_output is missing"),
    # the document and the archive's members
    "a JSON document with an unknown entry": ("clf", lambda m, a: m.update(evil=1),
                                              r"its JSON document has the entries .*'evil'.*; expected"),
    "an extra member": ("clf", lambda m, a: a.update(extra=np.zeros(3)),
                        r"it has the member 'extra.npy', which nothing in the document refers to"),
    "byte-swapped weights": ("clf", array("_flat", lambda a: a.astype(">f8")),
                             r"member '_flat' has dtype >f8 in non-native byte order"),
    "a pickled object array": ("clf", array("_flat", lambda a: np.array([{"os": "system"}], dtype=object)),
                               r"member '_flat' holds Python objects \(dtype object\), which only pickle could read"),
    "a structured array": ("clf", array("_flat", lambda a: np.zeros(3, dtype=[("x", "f8")])),
                           r"member '_flat' has dtype .*plain boolean, integer, float and string arrays"),
}


def _load_message(path):
    with pytest.raises(ValueError) as info:
        skrnn.load(path)
    return str(info.value)


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_file_is_refused_naming_the_first_inconsistency(case, saved, tmp_path):
    model, edit, message = TAMPERED[case]
    path = tmp_path / "m.skrnn"
    shutil.copy(saved[model], path)
    rewrite(path, edit)
    text = _load_message(path)
    assert text.startswith(f"{path} is corrupt or was modified after it was saved: "), text
    assert re.search(CORRUPT + "(attribute )?" + message, text), text
    assert text.endswith("Load only files you or a source you trust saved, or save the model again."), text


def test_the_untouched_files_load(saved):
    for path in saved.values():
        skrnn.load(path)


# ------------------------------------------------------ accidental corruption
def _bytes_edit(change):
    def apply(path):
        path.write_bytes(change(path.read_bytes()))
    return apply


def _edit_without_digest(path):
    rewrite(path, attr("loss_", {"json": 0.5}), redigest=False)


def _drop_digest(path):
    meta, arrays, _ = read(path)
    container.write(path, json.dumps(meta), arrays, None)


def _flip_a_weight_byte(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("_flat.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the local header, then the data
    data[start + info.file_size - 3] ^= 0x40  # inside the last weight
    path.write_bytes(bytes(data))


def _members(path, transform):
    """Rewrite the archive member by member: ``transform(name, bytes) -> [(name, bytes, compress_type)]``."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in items:
                for n, d, kind in transform(name, data):
                    z.writestr(zipfile.ZipInfo(n), d, compress_type=kind)
    path.write_bytes(buf.getvalue())


def _npy(shape, descr="<f8", fortran=False, data=b"\0" * 8):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buf.getvalue() + data


def _declare_huge_sizes(path):
    """Patch the central directory so that _flat.npy declares 4 GB (compressed and not)."""
    data = bytearray(path.read_bytes())
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        name_len = struct.unpack("<H", data[pos + 28:pos + 30])[0]
        if bytes(data[pos + 46:pos + 46 + name_len]) == b"_flat.npy":
            data[pos + 20:pos + 28] = struct.pack("<II", 0xFFFFFFFE, 0xFFFFFFFE)
            break
        pos += 4
    path.write_bytes(bytes(data))


def _document(text):
    return _npy((), f"<U{len(text)}", data=text.encode("utf-32-le"))


DEEP = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
CORRUPTED = {
    "a truncated file": (_bytes_edit(lambda b: b[: len(b) // 2]), r"it is not a complete zip archive \(truncated"),
    "the last byte missing": (_bytes_edit(lambda b: b[:-1]), r"it is not a complete zip archive \(truncated"),
    "not a zip archive at all": (_bytes_edit(lambda b: b"GIF89a" + b[6:100]), r"it is not a complete zip archive"),
    "an edit without a new digest": (_edit_without_digest, r"its integrity digest does not match its content"),
    "the digest removed": (_drop_digest, r"it has no integrity digest \(__digest__\)"),
    "a flipped bit in a weight": (_flip_a_weight_byte, r"(member '_flat' cannot be read \(BadZipFile: Bad CRC-32|"
                                                       r"integrity digest does not match)"),
    "a member of huge declared size": (_declare_huge_sizes, r"member '_flat.npy' declares 4294967294 bytes "
                                                            r"uncompressed: the members would hold more than the whole "
                                                            r"file \(\d+ bytes\), as in a zip bomb"),
    "a compressed zip bomb": (lambda p: _members(p, lambda n, d: [(n, d, STORED)] + (
        [("bomb.npy", _npy((10**7,), data=b"\0" * 8 * 10**7), DEFLATED)] if n == "_flat.npy" else [])),
        r"member 'bomb.npy' is compressed \(\d+ bytes declaring 80000128 uncompressed\); skrnn stores its members "
        r"uncompressed, so nothing is ever inflated"),
    "compressed members": (lambda p: _members(p, lambda n, d: [(n, d, DEFLATED)]),
                           r"member '__skrnn__.npy' is compressed \(\d+ bytes declaring \d+ uncompressed\)"),
    "a duplicated member": (lambda p: _members(p, lambda n, d: [(n, d, STORED)] * (2 if n == "_flat.npy" else 1)),
                            r"member '_flat.npy' appears more than once"),
    "a member that is not an array": (lambda p: _members(p, lambda n, d: [(n, d, STORED)] + (
        [("run.sh", b"rm -rf ~", STORED)] if n == "_flat.npy" else [])), r"member 'run.sh' is not an array \(.npy\)"),
    "an array header declaring a huge shape": (lambda p: _members(p, lambda n, d: [(n, _npy((10**12,)) if
                                                                                    n == "_flat.npy" else d, STORED)]),
                                               r"member '_flat' declares shape \(1000000000000,\) of float64 "
                                               r"\(8000000000000 bytes\) but holds 8"),
    "an array header in Fortran order": (lambda p: _members(p, lambda n, d: [(n, _npy((1,), fortran=True) if
                                                                              n == "_flat.npy" else d, STORED)]),
                                         r"member '_flat' is in Fortran order"),
    "a document that is not text": (lambda p: _members(p, lambda n, d: [(n, _npy(()) if n == "__skrnn__.npy" else d,
                                                                         STORED)]),
                                    r"the __skrnn__ member is not a 0-d unicode array"),
    "a document that is not JSON": (lambda p: _members(p, lambda n, d: [(n, _document("{evil") if n == "__skrnn__.npy"
                                                                         else d, STORED)]),
                                    r"its JSON document is not valid JSON"),
    "a deeply nested document": (lambda p: _members(p, lambda n, d: [(n, _document(DEEP) if n == "__skrnn__.npy"
                                                                      else d, STORED)]),
                                 r"its JSON document is not valid JSON \(RecursionError"),
}


@pytest.mark.parametrize("case", CORRUPTED)
def test_a_corrupt_file_is_refused(case, saved, tmp_path):
    corrupt, message = CORRUPTED[case]
    path = tmp_path / "m.skrnn"
    shutil.copy(saved["clf"], path)
    corrupt(path)
    text = _load_message(path)
    assert text.startswith(f"{path} is corrupt or was modified after it was saved: "), text
    assert re.search(CORRUPT + message, text), text


def test_a_tampered_file_of_format_version_1_is_refused_by_the_same_schema(tmp_path):
    from pathlib import Path

    path = tmp_path / "old.skrnn"
    shutil.copy(Path(__file__).parent / "data" / "skrnn-0.1.0-reg.skrnn", path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["_flat"] = np.concatenate([arrays["_flat"], np.zeros(1000)])
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match=CORRUPT + r"attribute _flat has 1089 weights, but the architecture"):
        skrnn.load(path)


def test_a_file_without_a_document_is_not_a_skrnn_file(tmp_path):
    np.savez(tmp_path / "plain.npz", _flat=np.zeros(3))
    with pytest.raises(ValueError, match=r"is not a skrnn model file \(no __skrnn__ entry\)"):
        skrnn.load(tmp_path / "plain.npz")


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        skrnn.load(tmp_path / "nowhere.skrnn")
