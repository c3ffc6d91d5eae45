"""Screenshot the virtual background at work: the real main window at 1366×768 with a host over a
bookshelf room (bench.testbed.person_clip), Sources ▸ Filters… open on "Virtual background".

    Xvfb :65 -screen 0 1366x768x24 & DISPLAY=:65 openbox &
    HOME=$(mktemp -d) DISPLAY=:65 .venv/bin/python tools/screenshot_person_tools.py \
        --language zh_CN --mode blur --out docs/screenshots/filters-virtual-background-zh_CN.png

``--mode blur`` blurs the room; ``--mode image`` puts a made-up shop backdrop behind the host.
The shot is taken of the whole X screen (``import -window root``, ImageMagick) once the program
shows the filter's effect (the room's detail measured on the program, not assumed), so the
dialog's frame drawn by the window manager is in it.  Nothing is saved: settings and the show
stay in memory.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CANVAS = {"canvas_width": 1280, "canvas_height": 720, "fps": 30}
HOST_NAMES = {"zh_CN": "主播", "en": "Host"}


def backdrop(width: int, height: int) -> np.ndarray:
    """A warm shop backdrop: a gradient wall, soft lights and a counter (BGR)."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    wall = (1 - rows) * np.array([200, 225, 250], np.float32) + rows * np.array([120, 160, 215], np.float32)
    image = np.broadcast_to(wall, (height, width, 3)).astype(np.uint8).copy()
    rng = np.random.default_rng(7)
    for _ in range(18):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height // 2)))
        colour = tuple(int(c) for c in rng.integers(150, 255, 3))
        cv2.circle(image, centre, int(rng.integers(height // 30, height // 12)), colour, -1, cv2.LINE_AA)
    cv2.rectangle(image, (0, int(height * 0.78)), (width, height), (70, 110, 160), -1)
    return cv2.GaussianBlur(image, (0, 0), height / 90)


def room_detail(image: np.ndarray, room: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[room].mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="en")
    parser.add_argument("--mode", choices=("blur", "image"), default="blur")
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default="/tmp/bridgecast-person-shot")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from bench.testbed.person_clip import person_frame
    from studio.settings import Settings
    from ui import i18n as ui_i18n
    from ui.app import create_studio, shutdown
    from ui.main_window import MainWindow

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    settings = Settings(language=args.language)
    settings.video = settings.video.model_copy(update=CANVAS)
    settings.audio.microphone = ""
    ui_i18n.switch_language(args.language)
    studio = create_studio(settings)
    window = MainWindow(studio, settings)
    window.setGeometry(0, 0, 1366, 768)
    window.showMaximized()

    def pump(seconds: float, until=None) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.02)
        return until is None or bool(until())

    try:
        canvas = studio.collection.canvas
        frame, truth = person_frame("shelf", 4, canvas.width, canvas.height)
        cv2.imwrite(str(work / "host.png"), frame)
        room = ~cv2.dilate(truth.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
        studio.add_source("image", HOST_NAMES.get(args.language, "Host"), {"path": str(work / "host.png")})
        dock = window.sources_dock

        def program() -> np.ndarray | None:
            latest = studio.compositor.latest_program()
            return None if latest is None else latest.image

        if not pump(10, lambda: dock.list.count() == 2 and program() is not None):
            raise SystemExit("the host never reached the program")
        pump(1.0)
        sharp = room_detail(program(), room)
        dock.list.setCurrentRow(0)
        dock.filters_action.trigger()
        dialog = dock.pending_dialog
        pump(1.0)
        dialog.add_filter("virtual_background")
        if args.mode == "image":
            cv2.imwrite(str(work / "shop.png"), backdrop(canvas.width, canvas.height))
            dialog.mode_box.setCurrentIndex(dialog.mode_box.findData("image"))
            pump(5, lambda: dialog.picture_button is not None)
            dialog.set_background_picture(0, str(work / "shop.png"))
            shop = cv2.imread(str(work / "shop.png"))
            shown = lambda: np.abs(program()[room].astype(int) - shop[room]).mean() < 6  # noqa: E731
        else:
            shown = lambda: room_detail(program(), room) < 0.4 * sharp  # noqa: E731
        if not pump(20, shown):
            raise SystemExit("the filter's effect never showed on the program")
        geometry = dialog.frameGeometry()
        dialog.move(1366 - geometry.width() - 96, 768 - geometry.height() - 150)
        dialog.raise_()
        pump(2.0)
        detail = room_detail(program(), room)
        print(f"room detail on the program: {sharp:.2f} sharp, {detail:.2f} now ({args.mode})")
        subprocess.run(["import", "-window", "root", args.out], check=True)
        print(f"saved {args.out}")
    finally:
        window.close()
        shutdown(studio, settings, save=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
