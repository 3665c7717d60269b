"""Write the small intersphinx inventories in ``docs/_inventories/``.

The documentation build runs offline, so intersphinx must not download the
inventories of scikit-learn, NumPy, pandas, joblib and Python. Instead each
is written here for the handful of outside objects the pages and docstrings
reference, pointing at the real online pages; ``docs/conf.py`` reads them
as local files. After referencing a new outside object (a build with
``-n`` lists unresolved references), add it to ``OBJECTS`` and run::

    python docs/tools/make_inventories.py            # needs sphobjinv (the docs extra)

``tests/test_docs.py`` checks that the files in the repository are what this
script writes.
"""

from pathlib import Path

INVENTORIES = Path(__file__).resolve().parents[1] / "_inventories"

# project: (version, {(domain:role, name): uri relative to the project's base URL in docs/conf.py})
_SKL = "modules/generated/{}.html#$"
_NP = "reference/generated/{}.html#$"
_PD = "reference/api/{}.html#$"
OBJECTS = {
    "scikit-learn": ("1.9", {
        **{("py:class", n): _SKL.format(n) for n in [
            "sklearn.base.BaseEstimator",
            "sklearn.callback.ProgressBar",
            "sklearn.callback.ScoringMonitor",
            "sklearn.impute.SimpleImputer",
            "sklearn.metrics.ConfusionMatrixDisplay",
            "sklearn.model_selection.GridSearchCV",
            "sklearn.model_selection.TimeSeriesSplit",
            "sklearn.neural_network.MLPClassifier",
            "sklearn.neural_network.MLPRegressor",
            "sklearn.pipeline.Pipeline",
            "sklearn.preprocessing.FunctionTransformer",
            "sklearn.preprocessing.StandardScaler",
        ]},
        ("py:class", "sklearn.exceptions.ConvergenceWarning"): _SKL.format("sklearn.exceptions.ConvergenceWarning"),
        **{("py:function", n): _SKL.format(n) for n in [
            "sklearn.base.clone",
            "sklearn.model_selection.cross_val_score",
            "sklearn.model_selection.train_test_split",
        ]},
        ("py:module", "sklearn.callback"): "api/sklearn.callback.html#module-sklearn.callback",
    }),
    "NumPy": ("2.2", {
        ("py:class", "numpy.ndarray"): _NP.format("numpy.ndarray"),
        ("py:class", "numpy.random.RandomState"): "reference/random/legacy.html#$",
        ("py:function", "numpy.load"): _NP.format("numpy.load"),
        ("py:function", "numpy.savez"): _NP.format("numpy.savez"),
        ("py:class", "numpy.memmap"): _NP.format("numpy.memmap"),
        ("py:attribute", "numpy.float32"): "reference/arrays.scalars.html#$",
        ("py:attribute", "numpy.float64"): "reference/arrays.scalars.html#$",
        ("std:term", "array_like"): "glossary.html#term-array_like",  # numpydoc links "array-like" here
    }),
    "pandas": ("2.2", {
        **{("py:class", n): _PD.format(n) for n in [
            "pandas.DataFrame",
            "pandas.Series",
            "pandas.DatetimeIndex",
            "pandas.PeriodIndex",
            "pandas.MultiIndex",
        ]},
    }),
    "joblib": ("1.4", {
        ("py:function", "joblib.parallel_config"): "generated/joblib.parallel_config.html#$",
    }),
    "Python": ("3.11", {
        ("py:module", "ast"): "library/ast.html#module-ast",
        ("py:module", "pickle"): "library/pickle.html#module-pickle",
        ("py:function", "inspect.cleandoc"): "library/inspect.html#$",
        ("py:class", "os.PathLike"): "library/os.html#$",
        **{("py:exception", n): "library/exceptions.html#$" for n in [
            "FloatingPointError", "KeyboardInterrupt", "TypeError", "ValueError", "UserWarning",
        ]},
        **{("py:class", n): "library/stdtypes.html#$" for n in ["str", "int", "float", "list", "dict", "tuple"]},
        ("py:class", "bool"): "library/functions.html#$",
        ("py:data", "None"): "library/constants.html#$",
        # numpydoc links the types "bool" and "sequence" in parameter lists to these
        ("std:label", "bltin-boolean-values"): "library/stdtypes.html#boolean-type-bool",
        ("std:term", "sequence"): "glossary.html#term-sequence",
    }),
}
FILES = {"scikit-learn": "sklearn.inv", "NumPy": "numpy.inv", "pandas": "pandas.inv", "joblib": "joblib.inv",
         "Python": "python.inv"}


def inventory_bytes(project):
    """The compressed ``objects.inv`` of ``project`` (deterministic)."""
    import sphobjinv as soi

    version, objects = OBJECTS[project]
    inv = soi.Inventory()
    inv.project, inv.version = project, version
    for (domain_role, name), uri in sorted(objects.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        domain, role = domain_role.split(":")
        dispname = {"label": "Boolean type", "term": name.replace("_", "-")}.get(role, "-")
        priority = "-1" if role == "label" else "1"
        inv.objects.append(soi.DataObjStr(name=name, domain=domain, role=role, priority=priority, uri=uri,
                                          dispname=dispname))
    return soi.compress(inv.data_file(contract=True))


def main():
    INVENTORIES.mkdir(exist_ok=True)
    for project, filename in FILES.items():
        path = INVENTORIES / filename
        path.write_bytes(inventory_bytes(project))
        print(f"{path}: {len(OBJECTS[project][1])} objects of {project}")


if __name__ == "__main__":
    main()
