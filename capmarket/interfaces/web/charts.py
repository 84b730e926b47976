"""Charts of the web UI, drawn with Plotly (the ``plotly`` package's own plotly.min.js, served by this
application — ``views.vendor``, no CDN): the figure is built in Python and rendered by ``Plotly.newPlot``."""

from __future__ import annotations


def heatmap_json(
    *, x: list[str], y: list[int], z: list[list[float | None]], title: str, colorbar: str, x_title: str, y_title: str
) -> str:
    """A day × slot heatmap as Plotly figure JSON (slots top to bottom, days left to right)."""
    import plotly.graph_objects as go  # noqa: PLC0415

    figure = go.Figure(
        data=go.Heatmap(
            x=x,
            y=y,
            z=z,
            colorscale="YlOrRd",
            zmin=0,
            hoverongaps=False,
            colorbar={"title": {"text": colorbar}},
            hovertemplate="%{x} コマ%{y}<br>" + colorbar + ": %{z}<extra></extra>",
        ),
        layout=go.Layout(
            title={"text": title},
            xaxis={"title": {"text": x_title}, "type": "category", "tickangle": -60},
            yaxis={"title": {"text": y_title}, "autorange": "reversed", "dtick": 4},
            height=560,
            margin={"l": 60, "r": 20, "t": 50, "b": 90},
            font={"family": "Noto Sans CJK JP, sans-serif"},
            plot_bgcolor="#f4f6f9",
        ),
    )
    text: str = figure.to_json()
    return text
