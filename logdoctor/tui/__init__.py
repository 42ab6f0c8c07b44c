"""The terminal UI (`logdoctor tui`): browse incidents over time, in Textual.

from logdoctor.tui import LogdoctorApp
LogdoctorApp(analysis=analysis).run()
"""

from __future__ import annotations

from logdoctor.tui.app import Loader, LogdoctorApp

__all__ = ["Loader", "LogdoctorApp"]
