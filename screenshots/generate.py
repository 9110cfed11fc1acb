"""Draw every screen of livemig from the demo scenario: screenshots/<screen>.svg, and a PNG of each.

    python screenshots/generate.py [--size 120x40] [SCREEN ...]

Each screen is reached the way an operator reaches it, against the simulated cluster running in this
process on a frozen clock (the scenes of tests/ui/scenes.py), so the pictures match the snapshot tests.
PNGs are made with rsvg-convert (Debian: librsvg2-bin) when it is installed; without it only SVGs are
written, and the script says so.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ui.chooser_scenes import CHOOSER_SCENES  # noqa: E402
from tests.ui.evacuation_scenes import EVACUATION_SCENES  # noqa: E402
from tests.ui.harness import connect_as, make_app, simulated  # noqa: E402
from tests.ui.history_scenes import HISTORY_SCENES  # noqa: E402
from tests.ui.scenes import CONNECTION_LOST_OPTIONS, SCENES  # noqa: E402

SCENES = {**SCENES, **EVACUATION_SCENES, **HISTORY_SCENES, **CHOOSER_SCENES}

HERE = Path(__file__).resolve().parent


async def shoot(scene: str, size: tuple[int, int]) -> str:
    lost = scene == "connection-lost"
    with (
        simulated("default") as cluster,
        tempfile.TemporaryDirectory() as directory,
    ):
        session = connect_as(cluster, Path(directory), **(CONNECTION_LOST_OPTIONS if lost else {}))
        try:
            app = make_app(session)
            async with app.run_test(size=size) as pilot:
                await SCENES[scene](pilot, cluster)
                await pilot.pause(0.2)
                return app.export_screenshot(title=f"livemig: {scene}")
        finally:
            session.stop()


def png_from(svg: Path) -> Path | None:
    """A PNG beside the SVG, drawn by rsvg-convert; None when it is not installed."""
    converter = shutil.which("rsvg-convert")
    if converter is None:
        return None
    # SVG renderers drop spaces at the edges of each text run; Textual places every run itself, so
    # keeping the spaces (as no-break spaces) keeps the terminal's columns.
    text = svg.read_text(encoding="utf-8")
    text = re.sub(
        r"(<text[^>]*>)([^<]*)(</text>)", lambda m: m.group(1) + m.group(2).replace(" ", "\u00a0") + m.group(3), text
    )
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as fixed:
        fixed.write(text)
    png = svg.with_suffix(".png")
    try:
        subprocess.run([converter, "--zoom", "1", "-o", str(png), fixed.name], check=True)
    finally:
        Path(fixed.name).unlink(missing_ok=True)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40", help="terminal columns x rows (default 120x40)")
    parser.add_argument("screens", nargs="*", help=f"screens (default: all): {', '.join(SCENES)}")
    args = parser.parse_args(argv)
    columns, _, rows = args.size.partition("x")
    size = (int(columns), int(rows))
    chosen = args.screens or list(SCENES)
    unknown = [name for name in chosen if name not in SCENES]
    if unknown:
        parser.error(f"unknown screens: {', '.join(unknown)}")
    missing_converter = False
    for scene in chosen:
        svg = HERE / f"{scene}.svg"
        svg.write_text(asyncio.run(shoot(scene, size)), encoding="utf-8")
        png = png_from(svg)
        missing_converter = missing_converter or png is None
        print(f"{svg.relative_to(ROOT)}" + (f", {png.relative_to(ROOT)}" if png else ""))
    if missing_converter:
        print("No PNGs: rsvg-convert is not installed (Debian: apt-get install librsvg2-bin).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
