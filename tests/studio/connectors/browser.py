"""A stand-in for the user's browser in sign-in tests: opens a URL on its own thread, stops at
the authorization server's redirect (so a test can act between the two), then follows it."""
from __future__ import annotations

import threading
import urllib.error
import urllib.request


class Browser:
    """The user's browser: opens the URL it is given on its own thread (never on the flow's loop)."""

    def __init__(self, follow: bool = True, before_redirect=None) -> None:
        self.follow = follow
        self.before_redirect = before_redirect
        self.prompts = []
        self.urls: list[str] = []
        self.pages: list[tuple[int, str]] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, prompt) -> None:
        self.prompts.append(prompt)
        self.open_url(prompt.url)

    def open_url(self, url: str) -> bool:
        self.urls.append(url)
        if self.follow:
            thread = threading.Thread(target=self._open, args=(url,), name="test-browser")
            self._threads.append(thread)
            thread.start()
        return True

    def _open(self, url: str) -> None:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            opener = urllib.request.build_opener(NoRedirect)
            try:
                opener.open(url, timeout=10)
                return
            except urllib.error.HTTPError as answer:
                if answer.code != 302:
                    self.pages.append((answer.code, answer.read().decode()))
                    return
                location = answer.headers["Location"]
            if self.before_redirect is not None:
                self.before_redirect()
            with urllib.request.urlopen(location, timeout=10) as page:
                self.pages.append((page.status, page.read().decode()))
        except urllib.error.HTTPError as page:
            self.pages.append((page.code, page.read().decode()))
        except OSError as err:
            self.pages.append((0, str(err)))

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)
