"""The view layer: what the screens show, computed without Textual (models, rows, cells).

Nothing here imports Textual; a screen reads these models and only draws them.
"""
