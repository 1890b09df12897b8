"""Echo: with speakers on, the microphone hears the system audio, and its words come twice.

A microphone's final line is an echo when most of its words were in a line
of system audio that ended within a few seconds of it on the session's time
line, or that system audio is saying right now (its partial text, as of a
moment within as many seconds): the system audio's copy is the clean one (it
did not cross the room), and the microphone's may end first, cut short by a
pause the speakers blurred. A partial is forgotten when its source goes quiet
or ends, so nobody's words are taken for an echo of what was said minutes ago.
"""

from __future__ import annotations

from collections import Counter, deque

from tui_captions.core.segments import Segment

ECHO_WINDOW_S = 3.0
ECHO_SHARE = 0.6  # of the microphone line's words


class EchoGuard:
    def __init__(self, window_s: float = ECHO_WINDOW_S, share: float = ECHO_SHARE) -> None:
        self._window_s = window_s
        self._share = share
        self._system: deque[Segment] = deque()
        self._saying: dict[str, tuple[str, float]] = {}  # each system source's partial
        # text, and when (session seconds) it was last seen

    def saying(self, channel: str, text: str, at: float) -> None:
        """A system source's partial text at session time ``at``."""
        self._saying[channel] = (text, at)

    def quiet(self, channel: str) -> None:
        """A system source went quiet or ended: what it was saying is final or gone."""
        self._saying.pop(channel, None)

    def heard(self, segment: Segment) -> None:
        """A final line of system audio."""
        self._system.append(segment)
        while self._system and self._system[0].end < segment.end - 4 * self._window_s:
            self._system.popleft()

    def is_echo(self, segment: Segment) -> bool:
        """Whether a microphone's final line repeats recent system audio."""
        words = Counter(segment.text.lower().split())
        if not words:
            return False
        for line in self._system:
            if abs(line.end - segment.end) > self._window_s:
                continue
            shared = sum((words & Counter(line.text.lower().split())).values())
            if shared >= self._share * sum(words.values()):
                return True
        # What system audio is still saying is only the start of its line: most of *its*
        # words (three at least) in the microphone's line make that line its echo.
        for text, at in self._saying.values():
            if abs(at - segment.end) > self._window_s:
                continue
            said = Counter(text.lower().split())
            shared = sum((words & said).values())
            if shared >= max(3, self._share * sum(said.values())):
                return True
        return False
