"""Training text for the punctuation model, from the Debian packages the issue allows, only.

Each package's files are read as their format needs (reStructuredText sources,
HTML, POD, fortune files, the dictionary's entries, Wesnoth's translatable
strings, Crawl's database), reduced to paragraphs of prose (six words or more,
ending in . ? or !), then made to look like recogniser output: lower case,
letters and apostrophes only, every word labelled with the punctuation after
it (``! ;`` count as ``.``, ``:`` as ``,``) and its case. A paragraph with
digits or symbols in its words is left out, as a recogniser writes neither.

Documents keep their source, so whole documents (Wesnoth campaigns, fortune
files) can be held out for evaluation.
"""

from __future__ import annotations

import gzip
import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# The packages, with the register of their text (the evaluation holds out narrative).
PACKAGES = {
    "linux-doc-6.1": "technical",
    "python3.11-doc": "technical",
    "dict-gcide": "dictionary",
    "fortunes": "dialogue",
    "perl-doc": "technical",
    "wesnoth-1.16-data": "narrative",
    "wordnet-base": "fragments",
    "crawl-common": "narrative",
    "jargon-text": "essays",
    "debian-handbook": "expository",
}
WESNOTH = Path("/usr/share/games/wesnoth/1.16/data")

NONE, COMMA, PERIOD, QUESTION = 0, 1, 2, 3
LOWER, UPPER, CAP, MIXED = 0, 1, 2, 3
PUNCT_MARKS = {COMMA: ",", PERIOD: ".", QUESTION: "?"}


@dataclass(frozen=True)
class Document:
    """One file's (or campaign's) prose: ``source`` names the package and the part."""

    package: str
    source: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Labelled:
    """A paragraph as recogniser output: words, and per word its case and following mark."""

    words: tuple[str, ...]
    cases: tuple[int, ...]
    puncts: tuple[int, ...]


# -- reading the packages ---------------------------------------------------------------


def documents() -> Iterator[Document]:
    """Every package's documents; a package that is not installed raises with the fix."""
    missing = [p for p in PACKAGES if not Path(f"/usr/share/doc/{p}").exists()]
    if missing:
        raise SystemExit(
            "the punctuation model trains on text from Debian packages that are not "
            f"installed: apt-get install {' '.join(missing)} wesnoth-1.16 "
            "(the campaigns are separate packages)"
        )
    yield from _rst_files("linux-doc-6.1", Path("/usr/share/doc/linux-doc-6.1/html/_sources"))
    yield from _rst_files("python3.11-doc", Path("/usr/share/doc/python3.11-doc/html/_sources"))
    yield from _gcide()
    yield from _fortunes()
    yield from _pods()
    yield from _wesnoth()
    yield from _wordnet()
    yield from _crawl()
    yield from _jargon()
    handbook = sorted(Path("/usr/share/doc/debian-handbook/html/en-US").glob("*.html"))
    yield from _html_files("debian-handbook", handbook)


def _read(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _blocks(text: str) -> list[list[str]]:
    """Lines grouped by blank lines."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


_RST_ROLE = re.compile(r":[\w:+-]+:`([^`<]*?)(?:\s*<[^>]*>)?`")
_RST_LINK = re.compile(r"`([^`<]*?)(?:\s*<[^>]*>)?`_{1,2}")
_RST_LITERAL = re.compile(r"``([^`]*)``")


def _rst_files(package: str, root: Path) -> Iterator[Document]:
    for path in sorted(root.rglob("*.txt")):
        paragraphs = []
        for block in _blocks(_read(path)):
            first = block[0]
            if first.startswith((" ", "\t", "..", "|", "+-", "=")) or first.rstrip().endswith("::"):
                continue  # literal blocks, directives, tables, headings
            if len(block) > 1 and set(block[1].strip()) <= set("=-~^*#'\"`"):
                continue  # a heading and its underline
            text = " ".join(line.strip() for line in block)
            text = re.sub(r"^[-*] ", "", text)
            text = _RST_ROLE.sub(r"\1", _RST_LINK.sub(r"\1", _RST_LITERAL.sub(r"\1", text)))
            paragraphs.append(text.replace("*", ""))
        yield Document(package, str(path.relative_to(root)), tuple(paragraphs))


class _Paragraphs(HTMLParser):
    """The text of each paragraph: <p>, <dd>, or DocBook's <div class="para">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._open: list[bool] = []  # per open p/dd/div: whether it is a paragraph
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "dd", "div"):
            self._open.append(tag != "div" or ("class", "para") in attrs)
        elif tag in ("pre", "code", "script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "dd", "div") and self._open:
            if self._open.pop() and not any(self._open):
                self.paragraphs.append(" ".join("".join(self._text).split()))
                self._text = []
        elif tag in ("pre", "code", "script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if any(self._open):
            self._text.append(" # " if self._skip else data)  # code: the paragraph goes


def _html_files(package: str, paths: list[Path]) -> Iterator[Document]:
    for path in paths:
        parser = _Paragraphs()
        parser.feed(_read(path))
        yield Document(package, path.name, tuple(parser.paragraphs))


def _jargon() -> Iterator[Document]:
    """The Jargon File's entries: their prose, without the headword lines."""
    paragraphs = []
    for block in _blocks(_read(Path("/usr/share/doc/jargon-text/jargon.txt.gz"))):
        if block[0].strip().startswith(":") or (len(block) < 2 and len(block[0].split()) < 6):
            continue
        text = " ".join(line.strip() for line in block)
        text = re.sub(r"^\d+\.\s", "", re.sub(r"\[[^\]]*\]", " ", text))
        paragraphs.append(re.sub(r"\{([^}]*)\}", r"\1", text))
    yield Document("jargon-text", "jargon.txt", tuple(paragraphs))


def _gcide() -> Iterator[Document]:
    """Definitions and the quotations in them, one document per letter of the alphabet."""
    text = _read(Path("/usr/share/dictd/gcide.dict.dz"))
    letters: dict[str, list[str]] = {}
    for block in _blocks(text):
        head = block[0]
        if not re.match(r"^[A-Za-z][^\\]*\\", head):
            continue
        body = " ".join(line.strip() for line in block[1:])
        body = re.sub(r"\[[^\]]*\]", " ", body)  # [1913 Webster], [R.], etymologies
        body = re.sub(r"--[A-Z][\w. ]*?(?=\s|$)", " ", body)  # --Bailey. (attributions)
        body = re.sub(r"\{([^}]*)\}", r"\1", body)
        body = re.sub(r"\(\w+\.\)", " ", body)  # (Anat.)
        for part in re.split(r"\s\d+\.\s", " " + body):
            letters.setdefault(head[0].lower(), []).append(part.strip())
    for letter, paragraphs in sorted(letters.items()):
        yield Document("dict-gcide", letter, tuple(paragraphs))


def _fortunes() -> Iterator[Document]:
    root = Path("/usr/share/games/fortunes")
    for path in sorted(root.iterdir()):
        if path.suffix in (".dat", ".u8") or path.is_dir() or path.is_symlink():
            continue
        paragraphs = []
        for fortune in re.split(r"^%$", _read(path), flags=re.MULTILINE):
            lines = [ln for ln in fortune.splitlines() if not re.match(r"^\s*--\s", ln)]
            paragraphs.append(" ".join(" ".join(lines).split()))
        yield Document("fortunes", path.name, tuple(paragraphs))


_POD_CODE = re.compile(r"[BICLFSEXZ]<+([^<>]*)>+")


def _pods() -> Iterator[Document]:
    for path in sorted(Path("/usr/share/perl").rglob("*.pod")):
        paragraphs = []
        for block in _blocks(_read(path)):
            if block[0].startswith(("=", " ", "\t")):
                continue
            text = " ".join(line.strip() for line in block)
            for _ in range(3):
                text = _POD_CODE.sub(r"\1", text)
            paragraphs.append(text)
        yield Document("perl-doc", path.name, tuple(paragraphs))


_WML_STRING = re.compile(r'_\s*"((?:[^"]|"")*)"', re.DOTALL)


def _wesnoth() -> Iterator[Document]:
    """Translatable strings (dialogue, story, descriptions): one document per campaign,
    one for the rest of the game's data."""
    parts = {path: path.name for path in sorted((WESNOTH / "campaigns").iterdir())}
    for root, name in [*parts.items(), (WESNOTH, "core")]:
        paragraphs = []
        files = sorted(root.rglob("*.cfg"))
        if root == WESNOTH:
            files = [f for f in files if "campaigns" not in f.parts]
        for path in files:
            for match in _WML_STRING.finditer(_read(path)):
                text = match.group(1).replace('""', '"')
                text = re.sub(r"<[^>]*>", " ", text)  # markup in help texts
                paragraphs.extend(p for p in re.split(r"\n\s*\n", text) if "$" not in p)
        yield Document("wesnoth-1.16-data", name, tuple(" ".join(p.split()) for p in paragraphs))


def _wordnet() -> Iterator[Document]:
    """Example sentences quoted in the glosses."""
    for path in sorted(Path("/usr/share/wordnet").glob("data.*")):
        paragraphs = []
        for line in _read(path).splitlines():
            _, _, gloss = line.partition(" | ")
            paragraphs.extend(re.findall(r'"([^"]+)"', gloss))
        yield Document("wordnet-base", path.name, tuple(paragraphs))


def _crawl() -> Iterator[Document]:
    root = Path("/usr/share/crawl/dat")
    for path in sorted([*root.glob("descript/*.txt"), *root.glob("database/*.txt")]):
        paragraphs = []
        for entry in re.split(r"^%%%%$", _read(path), flags=re.MULTILINE):
            lines = [ln for ln in entry.splitlines() if not ln.startswith("#")]
            for block in _blocks("\n".join(lines))[1:]:  # the first block is the key
                text = " ".join(" ".join(block).split())
                if "@" not in text and "$" not in text:
                    paragraphs.append(text)
        yield Document("crawl-common", path.name, tuple(paragraphs))


# -- as recogniser output -------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")
_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)*'?$")
_LEAD = "\"'([{\u201c\u2018\u00ab*_"
_TRAIL_MARKS = ".,?!;:\"')]}\u201d\u2019\u00bb*_"


def is_prose(text: str) -> bool:
    """Six words or more, ending a sentence, mostly letters (not code or a table)."""
    words = text.split()
    if len(words) < 6 or not _SENTENCE_END.search(text):
        return False
    letters = sum(c.isalpha() or c.isspace() for c in text)
    return letters > 0.85 * len(text)


def _ascii(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2014", " , ")
    text = text.replace("\u2013", " , ").replace("--", " , ")
    text = text.replace("...", ".").replace("\u2026", ".")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def label(text: str, min_words: int = 6) -> Labelled | None:
    """A paragraph as recogniser output with labels, or None when it has words a
    recogniser would not write (digits, symbols, abbreviations with inner dots)."""
    words: list[str] = []
    cases: list[int] = []
    puncts: list[int] = []
    for token in _ascii(html.unescape(text)).split():
        core = token.strip(_LEAD)
        mark_chars = ""
        while core and core[-1] in _TRAIL_MARKS:
            mark_chars = core[-1] + mark_chars
            core = core[:-1]
        if not core:
            if words and mark_chars and puncts[-1] == NONE:  # " , " from a dash
                puncts[-1] = _mark(mark_chars)
            continue
        for index, part in enumerate(core.split("-")):
            lower = part.lower()
            if not _WORD.match(lower):
                return None
            words.append(lower.rstrip("'") or lower)
            cases.append(_case(part))
            last = index == len(core.split("-")) - 1
            puncts.append(_mark(mark_chars) if last else NONE)
    if len(words) < min_words:
        return None
    # A sentence starts with a capital, also after a ";" made a period.
    if cases[0] == LOWER:
        cases[0] = CAP
    for index in range(1, len(words)):
        if puncts[index - 1] in (PERIOD, QUESTION) and cases[index] == LOWER:
            cases[index] = CAP
    return Labelled(tuple(words), tuple(cases), tuple(puncts))


def _mark(chars: str) -> int:
    if "?" in chars:
        return QUESTION
    if any(c in chars for c in ".!;"):
        return PERIOD
    if any(c in chars for c in ",:"):
        return COMMA
    return NONE


def _case(word: str) -> int:
    letters = [c for c in word if c.isalpha()]
    if not letters or word == word.lower():
        return LOWER
    if len(letters) == 1 or (word[0].isupper() and word[1:] == word[1:].lower()):
        return CAP
    if word == word.upper():
        return UPPER
    return MIXED


def labelled(document: Document, by_sentence: bool = False) -> list[Labelled]:
    """The document's prose paragraphs as recogniser output.

    ``by_sentence``: a paragraph that fails as a whole (a number, a symbol, a short
    line of dialogue) still gives its runs of sentences that pass, two words or more,
    as speech-like text is the scarce kind.
    """
    out = []
    for paragraph in document.paragraphs:
        if is_prose(paragraph) and (done := label(paragraph)) is not None:
            out.append(done)
        elif by_sentence:
            out.extend(_sentence_runs(paragraph))
    return out


def _sentence_runs(paragraph: str) -> list[Labelled]:
    """The paragraph's runs of consecutive sentences a recogniser could have written.

    A run is labelled from its text, not joined from its sentences' labels, so that
    its capitals follow the marks as a paragraph's do."""
    runs: list[list[str]] = [[]]
    for sentence in _sentences(paragraph):
        if label(sentence, min_words=1) is not None:
            runs[-1].append(sentence)
        elif runs[-1]:
            runs.append([])
    labelled_runs = (label(" ".join(run), min_words=2) for run in runs)
    return [run for run in labelled_runs if run is not None]


def _sentences(paragraph: str) -> list[str]:
    """Whitespace tokens grouped into sentences: one ends at a word ending in . ? or !
    (a trailing fragment without one is no sentence)."""
    sentences: list[str] = []
    tokens: list[str] = []
    for token in paragraph.split():
        tokens.append(token)
        if _SENTENCE_END.search(token):
            sentences.append(" ".join(tokens))
            tokens = []
    return sentences


def written(words: list[str], cases: list[int], puncts: list[int]) -> str:
    """Words with their case and marks, as a person would write them."""
    out = []
    for word, case, punct in zip(words, cases, puncts, strict=True):
        if case == UPPER:
            word = word.upper()
        elif case == CAP:
            word = word[:1].upper() + word[1:]
        out.append(word + PUNCT_MARKS.get(punct, ""))
    return " ".join(out)
