"""The Box-Jenkins airline passengers series."""

from importlib import resources


def load_airline():
    """Monthly international airline passengers (thousands), 1949-01 to 1960-12.

    The classic "Series G" of Box and Jenkins (144 monthly totals), shipped
    with skrnn as a small CSV file; nothing is downloaded.

    Returns
    -------
    y : pandas.Series of shape (144,)
        Passenger totals (float64) named ``"passengers"``, indexed by a
        monthly :class:`pandas.DatetimeIndex` of month starts
        (``freq='MS'``, 1949-01-01 .. 1960-12-01), named ``"month"``.
        Convert with ``y.to_period("M")`` for a :class:`pandas.PeriodIndex`.

    References
    ----------
    Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (1976). Time Series
    Analysis, Forecasting and Control. Third edition, Holden-Day. Series G.

    Examples
    --------
    >>> from skrnn.datasets import load_airline
    >>> y = load_airline()
    >>> y.shape, int(y.sum())
    ((144,), 40363)
    >>> y.index[[0, -1]].strftime("%Y-%m").tolist()
    ['1949-01', '1960-12']
    """
    import pandas as pd

    with resources.files(__package__).joinpath("data/airline.csv").open("r") as f:
        df = pd.read_csv(f)
    index = pd.DatetimeIndex(pd.to_datetime(df["month"], format="%Y-%m"), freq="MS", name="month")
    return pd.Series(df["passengers"].to_numpy(dtype=float), index=index, name="passengers")
