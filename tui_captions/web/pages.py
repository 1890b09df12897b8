"""The caption page and the overlay: one HTML file each, no outside resources.

Both read ``/events`` (Server-Sent Events, the token passed on from the page's
own address) and draw final lines and each source's partial text, labels in
the theme's source colours (each source, and each speaker of a source, its own);
a ``speaker`` event names the speaker of a line drawn before it (found by its times
and source), a ``rename`` event gives a speaker the name the user chose. An event
whose id was drawn already (sent again after a reconnect) is skipped. The page
follows the newest line unless the reader scrolled up; the overlay keeps only the
last lines, on a transparent background, for OBS's browser source and the like.
"""

from __future__ import annotations

import html
import sys
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_THEME = "captions-dark"
KEEP_LINES = 1000  # on the page: older lines leave the document, the journal keeps them

_SCRIPT = """
const params = new URLSearchParams(location.search);
const keep = %(keep)d;
const lines = document.getElementById("lines");
const partials = document.getElementById("partials");
const colours = new Map();
function colour(source) {
  if (!colours.has(source)) colours.set(source, colours.size %% 4 + 1);
  return "source-" + colours.get(source);
}
function line(text, source, cls) {
  const p = document.createElement("p");
  p.className = cls;
  if (source) {
    const label = document.createElement("span");
    label.className = "label " + colour(source);
    label.textContent = source + ": ";
    p.appendChild(label);
  }
  p.appendChild(document.createTextNode(text));
  return p;
}
const names = new Map();  // "source|speaker" -> the name the user gave
function voice(event) {  // who said it: the source, its speaker (by its name), or both
  const speaker = names.get((event.source || "") + "|" + event.speaker) || event.speaker;
  return [event.source, speaker].filter(Boolean).join(", ");
}
function redraw(old, speaker) {  // a drawn final line, with its speaker now
  const p = line(old.dataset.text, voice({source: old.dataset.source, speaker: speaker}), "final");
  Object.assign(p.dataset, old.dataset, {speaker: speaker});
  old.replaceWith(p);
}
function key(event) {  // a final line's name for the speaker event that comes later
  return [event.source || "", event.start, event.end].join("|");
}
const waiting = new Map();
function following() {
  return window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
}
let shown = {stream: "", number: 0};  // the newest event drawn here
function fresh(id) {  // false for an event drawn before: a reconnect's replay
  const [stream, number] = id.split("-");
  if (stream === shown.stream && Number(number) <= shown.number) return false;
  shown = {stream: stream, number: Number(number)};
  return true;
}
const events = new EventSource("events?" + params.toString());
events.onmessage = (message) => {
  const event = JSON.parse(message.data);
  if (event.type !== "dropped" && !fresh(message.lastEventId)) return;
  const follow = following();
  const source = event.source || "";
  if (event.type === "final") {
    const p = line(event.text, voice(event), "final");
    Object.assign(p.dataset, {
      line: key(event), text: event.text, source: source, speaker: event.speaker || ""});
    lines.appendChild(p);
    while (lines.children.length > keep) lines.removeChild(lines.firstChild);
    waiting.delete(source);
  } else if (event.type === "partial") {
    if (event.text) waiting.set(source, event.text); else waiting.delete(source);
  } else if (event.type === "speaker") {
    const old = [...lines.children].find((p) => p.dataset.line === key(event));
    if (old) redraw(old, event.speaker);
  } else if (event.type === "rename") {
    names.set(source + "|" + event.speaker, event.name);
    [...lines.children]
      .filter((p) => p.dataset.source === source && p.dataset.speaker === event.speaker)
      .forEach((p) => redraw(p, event.speaker));
  } else if (event.type === "dropped") {
    lines.appendChild(line("(" + event.count + " updates skipped)", "", "note"));
  }
  partials.replaceChildren(...[...waiting].map(([s, t]) => line(t, s, "partial")));
  if (follow) window.scrollTo(0, document.body.scrollHeight);
};
"""


def builtin_themes() -> dict[str, dict[str, str]]:
    """The app's built-in themes as the colours a page needs, the default first."""
    themes: dict[str, dict[str, str]] = {}
    folder = resources.files("tui_captions.themes")
    for entry in sorted(
        folder.iterdir(), key=lambda e: (e.name != f"{DEFAULT_THEME}.toml", e.name)
    ):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            colours = {**data.get("colors", {}), **data.get("variables", {})}
            themes[str(data["name"])] = {k: str(v) for k, v in colours.items()}
    return themes


def _style(colours: dict[str, str], background: str, size: int) -> str:
    sources = "\n".join(
        f".source-{n} {{ color: {colours.get(f'source-{n}', colours['foreground'])}; }}"
        for n in range(1, 5)
    )
    return f"""
body {{ margin: 0; padding: 1.5rem 2rem; background: {background};
  color: {colours["foreground"]}; font: {size}px/1.35 system-ui, sans-serif; }}
p {{ margin: 0 0 0.4em 0; }}
.label {{ font-weight: bold; }}
.partial {{ color: {colours.get("partial-text", colours["foreground"])}; font-style: italic; }}
.note {{ color: {colours.get("warning", colours["foreground"])}; font-size: 60%; }}
{sources}
"""


def caption_page(theme: str, colours: dict[str, str]) -> str:
    return _document(
        "Live captions",
        _style(colours, colours["background"], 40),
        KEEP_LINES,
        theme,
    )


def overlay_page(theme: str, colours: dict[str, str], lines: int, size: int) -> str:
    style = _style(colours, "transparent", size) + (
        "body { padding: 0.5rem 1rem; text-shadow: 0 0 4px #000, 0 0 2px #000; }"
        "html { background: transparent; }"
    )
    return _document("Caption overlay", style, lines, theme)


def _document(title: str, style: str, keep: int, theme: str) -> str:
    return f"""<!doctype html>
<html lang="en" data-theme="{html.escape(theme)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style></head>
<body><main id="lines" aria-live="polite"></main><div id="partials"></div>
<script>{_SCRIPT % {"keep": keep}}</script></body></html>
"""
