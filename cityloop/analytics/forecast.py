"""Volume forecasts (预测): daily intake for the next 7 days per category, with a backtest
against the naive same-weekday forecast (the value seven days earlier).

The model is Holt-Winters exponential smoothing (statsmodels) with an additive weekly season
and a damped additive trend on log(1 + count); it is fitted per series on the history up to the
forecast origin only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

HORIZON = 7


def forecast(history: Sequence[float] | np.ndarray[Any, Any], horizon: int = HORIZON) -> np.ndarray:
    y = np.log1p(np.asarray(history, dtype=float))
    if len(y) < 21 or float(np.ptp(y)) == 0.0:
        return naive(history, horizon)
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=7
        ).fit(optimized=True)
        out = model.forecast(horizon)
    result: np.ndarray = np.maximum(np.expm1(np.asarray(out)), 0.0)
    return result


def naive(history: Sequence[float] | np.ndarray[Any, Any], horizon: int = HORIZON) -> np.ndarray:
    """The same weekday one week earlier."""
    h = np.asarray(history, dtype=float)
    last_week = h[-7:] if len(h) >= 7 else np.full(7, h.mean() if len(h) else 0.0)
    return np.array([last_week[i % 7] for i in range(horizon)])


def mape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    """Mean absolute percentage error over days with a non-zero actual count."""
    mask = actual > 0
    if not mask.any():
        return None
    return float(np.mean(np.abs(actual[mask] - predicted[mask]) / actual[mask]))


@dataclass
class Backtest:
    series: str
    origins: int
    mape_model: float | None
    mape_naive: float | None
    mean_daily: float


def backtest(
    name: str, y: Sequence[float] | np.ndarray[Any, Any], origins: int = 8, horizon: int = HORIZON
) -> Backtest:
    """Rolling origin: forecast the `horizon` days after each of the last `origins` weeks."""
    arr = np.asarray(y, dtype=float)
    acts, mods, naives = [], [], []
    for k in range(origins, 0, -1):
        cut = len(arr) - k * horizon
        if cut < 28:
            continue
        actual = arr[cut : cut + horizon]
        acts.append(actual)
        mods.append(forecast(arr[:cut], horizon)[: len(actual)])
        naives.append(naive(arr[:cut], horizon)[: len(actual)])
    if not acts:
        return Backtest(name, 0, None, None, float(arr.mean()) if arr.size else 0.0)
    a = np.concatenate(acts)
    return Backtest(
        name,
        len(acts),
        mape(a, np.concatenate(mods)),
        mape(a, np.concatenate(naives)),
        round(float(arr.mean()), 2),
    )
