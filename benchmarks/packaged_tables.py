"""Real tables read from the files that ``vega_datasets`` and ``plotly`` install (the bench extra).

Each loader returns ``(X, y)`` as a user would prepare them for a
``StandardScaler`` pipeline: categorical columns one-hot encoded (every
level kept), dates reduced to the year or the month, rows with a missing value
dropped. Nothing is downloaded: ``vega_datasets.local_data`` and
``plotly.data`` read CSV and JSON files shipped inside the packages.
"""

import pandas as pd


def _vega(name):
    from vega_datasets import local_data

    return getattr(local_data, name)()


def _plotly(name):
    import plotly.data

    return getattr(plotly.data, name)()


def _split(data, target, categorical=()):
    """``(X, y)``: every other column of ``data`` against ``target``, ``categorical`` one-hot encoded."""
    X = pd.get_dummies(data.drop(columns=target), columns=list(categorical), dtype=float)
    return X.to_numpy(float), data[target].to_numpy()


def _cars():
    """The 1970-82 cars of the UCI auto-mpg table, the 392 with their miles per gallon and horsepower."""
    cars = _vega("cars").drop(columns="Name").dropna()
    return cars.assign(Year=cars["Year"].dt.year)


def _gapminder():
    """Gapminder's country-years, without the country's name and codes."""
    return _plotly("gapminder").drop(columns=["country", "iso_alpha", "iso_num"])


def _seattle_weather():
    """Seattle's daily weather, 2012-2015: the date reduced to its month."""
    weather = _vega("seattle_weather")
    return weather.assign(month=weather["date"].dt.month).drop(columns="date")


def cars_mpg():
    """Miles per gallon against the engine, weight, model year and origin (one-hot)."""
    return _split(_cars(), "Miles_per_Gallon", ["Origin"])


def cars_origin():
    """Origin (USA, Europe, Japan) against miles per gallon, the engine, weight and model year."""
    return _split(_cars(), "Origin")


def gapminder_life_expectancy():
    """Life expectancy of 142 countries every five years, 1952-2007, against year, population, GDP per head and continent."""
    return _split(_gapminder(), "lifeExp", ["continent"])


def gapminder_continent():
    """The continent of a country-year against its year, life expectancy, population and GDP per head."""
    return _split(_gapminder(), "continent")


def tips_tip():
    """A restaurant's 244 tips against the bill, party size, sex, smoker, day and time (one-hot)."""
    return _split(_plotly("tips"), "tip", ["sex", "smoker", "day", "time"])


def tips_sex():
    """The payer's sex against the bill, tip, party size, smoker, day and time (one-hot)."""
    return _split(_plotly("tips"), "sex", ["smoker", "day", "time"])


def barley_yield():
    """Yields of 10 barley varieties at 6 Minnesota sites in 1931 and 1932 (all three one-hot)."""
    return _split(_vega("barley"), "yield", ["variety", "site", "year"])


def seattle_temp_max():
    """The day's highest temperature against its lowest, precipitation, wind and month."""
    return _split(_seattle_weather().drop(columns="weather"), "temp_max")


def seattle_weather():
    """The day's weather (sun, fog, rain, drizzle, snow) against precipitation, temperatures, wind and month."""
    return _split(_seattle_weather(), "weather")


REGRESSION = {
    "cars_mpg": cars_mpg,
    "gapminder_life_expectancy": gapminder_life_expectancy,
    "tips_tip": tips_tip,
    "barley_yield": barley_yield,
    "seattle_temp_max": seattle_temp_max,
}
CLASSIFICATION = {
    "seattle_weather": seattle_weather,
    "cars_origin": cars_origin,
    "gapminder_continent": gapminder_continent,
    "tips_sex": tips_sex,
}
