"""Spun text, as the network makes it: a pool of source texts, and posts that recombine them.

What the rules model, and where they come from:

- Bodies are copied news and carry its debris (../shared/site/README.md, "Bodies are often copied
  from other news sites"); the same fragments reappear on other sites and other posts of one
  site (issue 33, read side by side on the real pages: one post of ldug shares 62 % of its
  6-character shingles with one of rent.sh.cn, a group across dongguan, huzhou, jiaxing and
  xuancheng 25-33 %).
- A post takes a run of one source's sentences, cut into pieces, some pieces shuffled (issue 33:
  "cut into pieces, shuffled"), sentences cut mid-way (README: "sentences cut mid-way").
- Punctuation moved and digits dropped in: ``揭牌园,区占地5平方公里4其核心区是`` (issue 33).
- Characters swapped and words masked: ``蕞`` for ``最``, ``*近``, ``**`` (README, "Text
  oddities are real"); ``市委*李明``, ``安徽*大`` ("More of the network").
- Some posts are the site's own text: no source (issue 33: "some posts original").
- Some posts mix a piece of a second source into the first.

``strength`` (0-1) scales every alteration: how much of the source a post may leave out, how
small the pieces, how often they are shuffled, and the rate of moved punctuation, digits, swaps
and masks. The network draws everything from seeded generators: the same seed, the same text.
The truth (which source each post was made from) is ``Spinner.post``'s second value.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from . import corpus as C

# characters the copies put in place of others: 蕞 for 最 is the one seen (README); the others are
# the network's kind of swap (a rarer character of the same sound or shape), folded by no rule
# of ours, so that the families must hold without knowing every swap
SWAPS = {"最": "蕞", "的": "旳", "区": "岖", "新": "噺", "发": "髪", "展": "蹍", "产": "渞"}
PUNCTUATION = "，。、；：,"


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    """Two- and three-character words cut from the mirror's corpus (the one real page and the
    names the mirror uses), for sentences no real source would share by chance."""
    words: dict[str, None] = {}
    for text in (*C.sentences(), *C.TOPICS, *C.ACTIONS, *C.PROPERTY_DETAILS, *C.KEYWORDS):
        letters = re.sub(r"[^\u4e00-\u9fff]", "", text)
        for at in range(0, len(letters) - 1, 2):
            words[letters[at : at + 2]] = None
        for at in range(1, len(letters) - 2, 3):
            words[letters[at : at + 3]] = None
    return tuple(words)


def sentence(rng: random.Random) -> str:
    words = vocabulary()
    parts = ["".join(rng.choice(words) for _ in range(rng.randint(3, 7))) for _ in range(rng.randint(1, 3))]
    return "，".join(parts) + "。"


class Spinner:
    """A network's pool of ``sources`` source texts, and the posts made of them."""

    def __init__(self, seed: int = 0, strength: float = 0.5, sources: int = 300, original: float = 0.15):
        self.seed = seed
        self.strength = max(0.0, min(1.0, float(strength)))
        self.sources = max(1, int(sources))
        self.original = original

    @lru_cache(maxsize=4096)  # noqa: B019  (the spinner lives as long as the network)
    def source(self, k: int) -> tuple[str, ...]:
        """Source ``k``: 15-40 sentences of copied news (a news story of some 400-1,000 characters)."""
        rng = random.Random(f"{self.seed}:source:{k}")
        return tuple(sentence(rng) for _ in range(rng.randint(15, 40)))

    def post(self, key: str) -> tuple[list[str], int | None]:
        """(paragraphs, the source the post was made from, None for a post of its own)."""
        rng = random.Random(f"{self.seed}:post:{key}")
        if rng.random() < self.original:
            return _paragraphs(rng, [sentence(rng) for _ in range(rng.randint(6, 14))]), None
        k = rng.randrange(self.sources)
        text = self._spin(rng, list(self.source(k)))
        if rng.random() < 0.15 * (1 + self.strength):  # a piece of another source mixed in
            other = self.source(rng.randrange(self.sources))
            at = rng.randrange(len(other))
            text.insert(rng.randint(0, len(text)), other[at])
        return _paragraphs(rng, text), k

    def _spin(self, rng: random.Random, sentences: list[str]) -> list[str]:
        s = self.strength
        # a run of the source's sentences: at least 100 % - 50 % x strength of them
        keep = max(2, round(len(sentences) * rng.uniform(1 - 0.5 * s, 1.0)))
        start = rng.randint(0, len(sentences) - keep)
        pieces = []
        for line in sentences[start : start + keep]:
            # cut into pieces of 6-30 characters (smaller the stronger the spin)
            longest = max(6, round(30 - 20 * s))
            at = 0
            while at < len(line):
                size = rng.randint(6, max(6, longest))
                pieces.append(line[at : at + size])
                at += size
        for at in range(len(pieces) - 1):  # shuffled: a piece swaps with the next
            if rng.random() < 0.3 * s:
                pieces[at], pieces[at + 1] = pieces[at + 1], pieces[at]
        return [_alter(rng, piece, s) for piece in pieces]


def _alter(rng: random.Random, piece: str, s: float) -> str:
    chars = list(piece)
    # punctuation moved: one taken out, one put in elsewhere
    if rng.random() < 0.5 * s:
        marks = [at for at, c in enumerate(chars) if c in PUNCTUATION]
        if marks:
            del chars[rng.choice(marks)]
        chars.insert(rng.randint(0, len(chars)), rng.choice(PUNCTUATION))
    if rng.random() < 0.4 * s:  # a digit dropped in
        chars.insert(rng.randint(0, len(chars)), str(rng.randint(0, 9)))
    for at, c in enumerate(chars):  # a character swapped
        if c in SWAPS and rng.random() < 0.1 * s:
            chars[at] = SWAPS[c]
    if rng.random() < 0.15 * s and len(chars) > 4:  # a word masked
        at = rng.randrange(len(chars) - 2)
        chars[at : at + rng.randint(1, 2)] = "*" * rng.randint(1, 2)
    return "".join(chars)


def _paragraphs(rng: random.Random, pieces: list[str]) -> list[str]:
    """Pieces run together into 2-6 paragraphs."""
    count = min(len(pieces), rng.randint(2, 6))
    cuts = sorted(rng.sample(range(1, len(pieces)), count - 1)) if count > 1 else []
    bounds = [0, *cuts, len(pieces)]
    return ["".join(pieces[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
