"""camfleet: YOLOv8 detection on many live cameras at the lowest cost per camera."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("camfleet")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
