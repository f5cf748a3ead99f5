"""Families: the posts made from the same text, across the sites of the network.

The network's posts recombine a shared pool of copied news: cut into pieces, shuffled,
punctuation moved, digits dropped in, characters swapped (``蕞`` for ``最``), words masked with
``*``, a piece of another text mixed in (../shared/site/README.md: "Text oddities are real";
issue 33 quotes ``揭牌园,区占地5平方公里4其核心区是``). ``core/stories.py`` groups exact copies
only; a family is the wider group: posts that share enough of their text to have been made from
one source.

How (pure: no database, no clock):

- ``family_text``: the body NFKC-folded, the date stamps each site adds dropped, the known swaps
  folded back, and nothing but letters kept (no punctuation, no digits, no ``*``, no spaces): what
  the spinning moves around or drops in is gone before anything is compared.
- ``shingles``: the text's overlapping runs of ``SHINGLE`` characters.
- ``signatures``: a MinHash of each text's shingles (rensa's ``RMinHash``, ``NUM_PERM``
  permutations, a fixed seed: the same text gives the same signature in every process).
- ``links``: candidate pairs from an LSH index over the signatures (``Bands``), each scored by its
  estimated Jaccard similarity and by containment (the share of the smaller text's shingles the
  other holds: a short post cut from a longer one). A pair is linked when both share at least
  ``MIN_SHARED`` shingles (a boilerplate paragraph, a disclaimer, a contact line shares fewer)
  and its containment reaches ``MIN_CONTAINMENT`` (docs/benchmarks.md, "Issue 33", says how they
  were chosen).
- ``components``: a family is a connected part of the graph of related pairs, named by its least
  member (site, article id): the same families whatever order the posts came in, so a crawl, a
  reparse and a merge of the same pages agree. The links kept are the ones that join it (a
  spanning set: a pair already in one family is not scored), so that a family of a thousand
  templated copies costs a thousand links, not half a million.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import rensa

from .normalize import content_hash, nfkc
from .stories import DATE_LINE

SHINGLE = 5  # characters a shingle: a swapped or masked character breaks five of them
NUM_PERM = 128  # MinHash permutations (the estimate's error at J = 0.3 is about 0.04)
SEED = 33
ROWS = 2  # values an LSH band (``Bands`` packs a band's two into one integer)
BANDS = NUM_PERM // ROWS  # 64 bands of two rows: a pair at J = 0.1 is a candidate with probability 0.47
MIN_SHARED = 60  # shingles two posts must share (a boilerplate paragraph of some 60 letters holds fewer)
MIN_CONTAINMENT = 0.25  # of the smaller post's shingles the larger holds (the real pairs: 25 % and more)
SIGN_CHUNK = 500  # texts signed in one call
# A site of templated posts puts every post in one run of each band with every other: a post's
# candidates are the first FIRST_OF_RUN posts (in key order) of each of its runs, and of those the
# first MAX_CANDIDATES; the first related one of a group joins it (docs/benchmarks.md, issue 33 and 30)
FIRST_OF_RUN = 16
MAX_CANDIDATES = 200
CANDIDATES_AT_ONCE = 512  # posts whose candidates are made together (a block: 512 x 1,024 integers)
MIN_CHARS = 30  # shorter texts (a caption, a one-liner) are no member of any family

# Characters the network's copies put in place of others, folded back. ``蕞`` for ``最`` is seen
# on the real pages (../shared/site/README.md, "Text oddities are real").
SWAPS = (("蕞", "最"),)
_NOT_LETTER = re.compile(r"[\W\d_]+")  # punctuation, digits, ``*``, spaces (after NFKC)
# Lines that are no part of a post's own text, wherever it was copied from (matched on the letters
# left of a line): the debris of copied news (../shared/site/README.md: 原标题：…, 免责声明：…,
# 您的浏览器不支持html5的audio标签, 新华报业网首页正文, a 来源： line), the site's copyright line
# (版权声明：本文由…发布), and a contact line (联系电话, 微信号: the rental ads' own and the
# site's, README "The post's own text vs the site's advertising"). Unrelated posts that carry the
# same ones share nothing else. A boilerplate line no rule names is kept: MIN_SHARED is more than
# one such line holds.
BOILERPLATE = re.compile(
    r"^(?:原标题|免责声明|来源|版权声明|责任编辑)|您的浏览器不支持|新华报业网首页正文|联系电话|微信号"
)
MIN_LINE = 10  # letters: a caption (签约仪式现场), a byline (裘培兴) is no text of its own
# Bumped by a change to how ``family_text`` reads a body that no constant here shows.
TEXT_VERSION = 1
# What makes the text a signature is made of, beside the MinHash's own parameters.
TEXT_RULES = (TEXT_VERSION, SWAPS, _NOT_LETTER.pattern, BOILERPLATE.pattern, MIN_LINE, MIN_CHARS, DATE_LINE.pattern)


def algorithm_name(text_rules: tuple = TEXT_RULES) -> str:
    """The algorithm's name as the archive records it (a signature made by another is made again):
    rensa's MinHash with its version and parameters, and a digest of the text rules, so that a
    change to the swaps, the boilerplate, the shortest line or the date lines signs every text
    again instead of leaving the old signatures beside the new rules."""
    rules = hashlib.sha1(repr(text_rules).encode("utf-8")).hexdigest()[:8]
    return f"rensa-rminhash-{rensa.RMinHash.ALGORITHM_VERSION}/k{SHINGLE}/p{NUM_PERM}/s{SEED}/t{rules}"


ALGORITHM = algorithm_name()
UNREADABLE = "unreadable"  # the algorithm named on a row whose signature could not be read back

Key = tuple[str, int]  # (site, article id)


@dataclass(frozen=True)
class Link:
    a: Key
    b: Key  # a < b
    jaccard: float
    containment: float
    shared: int  # shingles the two share (estimated)


def family_text(body_text: str | None) -> str:
    """What copies of one source keep in common, with the spinning's moves undone: the body's
    lines but the boilerplate and the short ones, letters only."""
    text = body_text or ""
    text = nfkc(text)
    for swapped, meant in SWAPS:
        text = text.replace(swapped, meant)
    lines = (_NOT_LETTER.sub("", line.lower()) for line in DATE_LINE.sub("", text).splitlines())
    return "".join(line for line in lines if len(line) >= MIN_LINE and not BOILERPLATE.search(line))


def shingles(text: str) -> list[str]:
    """The runs of SHINGLE characters of a family text, in order, a run that repeats as often
    as it does (the MinHash of a list is that of its set); a shorter text is one."""
    if len(text) <= SHINGLE:
        return [text] if text else []
    return [text[at : at + SHINGLE] for at in range(len(text) - SHINGLE + 1)]


def signs(text: str) -> bool:
    """Whether a family text is long enough to join a family."""
    return len(text) >= MIN_CHARS


@dataclass(frozen=True)
class Signed:
    """A text's MinHash and its number of shingles."""

    minhash: object  # rensa.RMinHash
    shingles: int

    def state(self) -> bytes:
        """The MinHash as the archive keeps it: rensa's own versioned serialisation (no pickle)."""
        return self.minhash.__getstate__()


def sign(texts: Mapping[Key, str]) -> dict[Key, Signed]:
    """The family texts long enough to sign, each with its MinHash (one call for all: rensa makes
    the sketches without a Python object per shingle hash)."""
    keys = [key for key, text in texts.items() if signs(text)]
    signed = {}
    for at in range(0, len(keys), SIGN_CHUNK):  # (a chunk's shingles at a time: not all in memory)
        chunk = keys[at : at + SIGN_CHUNK]
        sets = [shingles(texts[key]) for key in chunk]
        hashes = rensa.RMinHash.from_token_sets(sets, NUM_PERM, SEED)
        signed.update((key, Signed(minhash, len(set(s)))) for key, minhash, s in zip(chunk, hashes, sets, strict=True))
    return signed


def restore(state: bytes, shingles_count: int) -> Signed:
    """A signature the archive kept (``Signed.state``); ValueError when it is not one."""
    minhash = rensa.RMinHash(NUM_PERM, SEED)
    minhash.__setstate__(bytes(state))
    return Signed(minhash, shingles_count)


def score(jaccard: float, size_a: int, size_b: int) -> tuple[float, int]:
    """(containment of the smaller in the larger, shingles shared) from an estimated Jaccard
    similarity and the two sizes: |A ∩ B| = J (|A| + |B|) / (1 + J)."""
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, shared / max(1, min(size_a, size_b))), round(shared)


def related(containment: float, shared: int) -> bool:
    return shared >= MIN_SHARED and containment >= MIN_CONTAINMENT


class Groups:
    """Union-find over keys, each group named by its least key."""

    def __init__(self, pairs: Iterable[tuple[Key, Key]] = ()):
        self.parent: dict[Key, Key] = {}
        for a, b in pairs:
            self.join(a, b)

    def root(self, key: Key) -> Key:
        parent = self.parent
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(self, a: Key, b: Key) -> bool:
        """Put a and b in one group; False when they were already."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


class Bands:
    """The LSH index of the signatures (``BANDS`` bands of ``ROWS`` values each: two posts that agree
    on a whole band are candidates), kept as runs: for each band, the posts (their positions in
    key order) that agree on it. A post's candidates are the first ``FIRST_OF_RUN`` posts of each of
    its runs, so a site of templated posts, all of them in one run of each band, costs a post its
    runs' starts, not every other post: rensa's ``RMinHashLSH.query_all`` lists every pair (20 s
    for 20,000 templated posts), and a post whose only relative came late in key order was never
    scored against it. Memory: one integer a band a post, and a row of FIRST_OF_RUN integers a run
    (64 bytes, less than the tuple of two Python integers it replaced); a post's candidates are read
    with numpy from its 64 rows, not gathered in Python (issue 30: half the links' time)."""

    def __init__(self, minhashes: list):
        count = len(minhashes)
        digests = np.empty((count, NUM_PERM), dtype=np.uint32)  # (rensa's values are 32-bit)
        for at, minhash in enumerate(minhashes):  # (a post at a time: no list of every digest)
            digests[at] = minhash.digest()
        # a band's two values as one (made for all the posts at once: a post at a time, it was a
        # fifth of the links' time)
        values = digests[:, 0::ROWS].astype(np.uint64) << np.uint64(32) | digests[:, 1::ROWS]
        del digests
        self.run_of = np.full((count, BANDS), -1, dtype=np.int32)  # (post, band) -> its run; -1: alone
        firsts, runs = [], 0  # each run's first FIRST_OF_RUN posts, a row each (-1 past a run's end)
        for band in range(BANDS):
            column = values[:, band]
            order = np.argsort(column, kind="stable")  # (stable: each run in key order)
            ordered = column[order]
            begins = np.concatenate(([True], ordered[1:] != ordered[:-1]))
            starts = np.flatnonzero(begins)
            sizes = np.diff(np.append(starts, count))
            shared = sizes > 1
            run_ids = np.full(len(starts), -1, dtype=np.int32)
            run_ids[shared] = np.arange(runs, runs + int(shared.sum()), dtype=np.int32)
            self.run_of[order, band] = run_ids[np.cumsum(begins) - 1]
            starts, ends = starts[shared], starts[shared] + sizes[shared]
            block = np.full((len(starts), FIRST_OF_RUN), -1, dtype=np.int32)
            for place in range(FIRST_OF_RUN):
                at, inside = starts + place, starts + place < ends
                block[inside, place] = order[at[inside]]
            firsts.append(block)
            runs += len(starts)
        self.firsts = np.concatenate(firsts) if firsts else np.empty((0, FIRST_OF_RUN), dtype=np.int32)

    def candidates(self, at: int, limit: int) -> np.ndarray:
        """The posts that come first (in key order) in the runs of the post at ``at``, at most
        ``limit`` of them (the first), itself left out, in key order."""
        return self.candidates_of(np.array([at]), limit)[0]

    def candidates_of(self, ats: np.ndarray, limit: int) -> list[np.ndarray]:
        """``candidates`` of each post of ``ats``, made for all of them at once (a post at a time,
        the numpy calls' own cost was a third of the links' time; issue 30)."""
        if not len(self.firsts):
            return [np.empty(0, dtype=np.int32) for _ in ats]
        runs = self.run_of[ats]
        found = self.firsts[runs]  # (post, band, place); a band where the post is alone gives nothing:
        found[runs < 0] = -1
        found = found.reshape(len(ats), -1)
        found.sort(axis=1)
        keep = found >= 0
        keep[:, 1:] &= found[:, 1:] != found[:, :-1]  # (each once)
        keep &= found != ats[:, None]
        keep &= np.cumsum(keep, axis=1) <= limit
        return np.split(found[keep], np.cumsum(keep.sum(axis=1))[:-1])

    def each_candidates(self, ats: np.ndarray, limit: int) -> Iterator[tuple[int, np.ndarray]]:
        """(post, its ``candidates``) for each post of ``ats`` in turn, made CANDIDATES_AT_ONCE at a time."""
        for start in range(0, len(ats), CANDIDATES_AT_ONCE):
            block = ats[start : start + CANDIDATES_AT_ONCE]
            yield from zip(block.tolist(), self.candidates_of(block, limit), strict=True)


def links(signed: Mapping[Key, Signed], new: Iterable[Key], joined: Iterable[tuple[Key, Key]] = ()) -> list[Link]:
    """The links that join the posts ``new`` to the others of ``signed`` (``joined``: the pairs
    already linked among those others): each new post, in key order, is scored against the
    candidates the LSH index gives (``Bands.candidates``), a candidate already in its group
    skipped, and linked to each related one of another group. The links kept are therefore a
    spanning set of each family (a post of a family of a thousand copies is one link, not a
    thousand), and the groups they make are those of every related pair: the same whatever the
    order the posts came in."""
    keys = sorted(signed)
    position = {key: at for at, key in enumerate(keys)}
    bands = Bands([signed[key].minhash for key in keys])
    joined = list(joined)
    # (a post of a pair may have no signature: it still joins the two others, at a place of its own)
    unsigned = sorted({key for pair in joined for key in pair if key not in position})
    places = {**position, **{key: len(keys) + at for at, key in enumerate(unsigned)}}
    groups = Labels(len(places))
    for a, b in joined:
        groups.join(places[a], places[b])
    label = groups.label
    found: list[Link] = []
    order = np.array([position[key] for key in sorted({key for key in new if key in signed})], dtype=np.int64)
    for at, chosen in bands.each_candidates(order, MAX_CANDIDATES):
        key = keys[at]
        mine = signed[key]
        # (a templated site: a post's candidates are nearly all of one group, which the post joins
        # at its first related one: one numpy comparison leaves the candidates of other groups, and
        # again after each join, not a test of each in Python, which was a third of the links' time)
        rest = chosen[label[chosen] != label[at]]
        while len(rest):
            other_at, rest = int(rest[0]), rest[1:]
            other = keys[other_at]
            theirs = signed[other]
            jaccard = mine.minhash.jaccard(theirs.minhash)
            containment, shared = score(jaccard, mine.shingles, theirs.shingles)
            if related(containment, shared):
                groups.join(at, other_at)
                a, b = sorted((key, other))
                found.append(Link(a, b, round(jaccard, 4), round(containment, 4), shared))
                rest = rest[label[rest] != label[at]]
    return sorted(found, key=lambda link: (link.a, link.b))


class Labels:
    """Groups of positions 0…n-1, each position's group in one array (``label``): the smaller
    group relabelled into the larger on a join, so that a group test is an array read, for many
    positions at once (``links`` tests every candidate of a post: 4 million tests for 20,000
    templated posts)."""

    def __init__(self, count: int):
        self.label = np.arange(count, dtype=np.int64)
        self.members: dict[int, list[int]] = {}  # a group of two or more: its positions

    def join(self, a: int, b: int) -> bool:
        """Put a and b in one group; False when they were already."""
        label_a, label_b = int(self.label[a]), int(self.label[b])
        if label_a == label_b:
            return False
        big, small = self.members.pop(label_a, [label_a]), self.members.pop(label_b, [label_b])
        if len(big) < len(small):
            big, small, label_a = small, big, label_b
        self.label[small] = label_a
        big.extend(small)
        self.members[label_a] = big
        return True


def components(pairs: Iterable[tuple[Key, Key]]) -> dict[Key, Key]:
    """Each linked post -> its family's name (the least key of the family)."""
    groups = Groups(pairs)
    return {key: groups.root(key) for key in list(groups.parent)}


def family_id(key: Key) -> str:
    """A family's name as the archive shows it: its least member, ``site/article_id``."""
    return f"{key[0]}/{key[1]}"


@dataclass
class Update:
    """What one update of an archive's families did."""

    signed: int = 0  # texts signed (new or changed)
    links: int = 0  # links of those texts
    members: int = 0  # posts in a family, after
    families: int = 0  # families, after


def sign_bodies(bodies: list[tuple[Key, str | None]]) -> list[tuple[Key, int, bytes]]:
    """(key, shingles, MinHash state) of each body whose family text is long enough to sign: what
    ``update`` asks of ``map_`` for a chunk of bodies (plain data: a worker process may do it)."""
    signed = sign({key: family_text(body) for key, body in bodies})
    return [(key, each.shingles, each.state()) for key, each in signed.items()]


def update(store, map_=map, known: Mapping | None = None) -> Update:
    """Bring the archive's families up to date with its texts: sign the articles whose text is new
    or changed since it was signed (none: nothing is read or computed), link them among all the
    signed, and recompute the families from the links. ``store`` keeps what this decides
    (store/protocol.py, "families"). ``map_``: how the chunks of bodies are signed (``map``; a
    process pool's ``map`` signs them in its workers, reparse's after the parse): the same
    signatures either way. ``known``: signatures another archive holds (``Store.signed_texts``:
    (key, story key) -> (its body's content hash, shingles, state)), taken for a text of the same
    key, story key and body instead of signing it again (a re-extraction derives an archive whose
    texts are mostly its source's); the rule is the one by which an archive keeps its own
    signature while a text's story key stays."""
    todo = store.texts_to_sign(ALGORITHM)
    if not todo:
        return Update()
    signed, bodies = {}, []
    for key, story, body in todo:
        theirs = known.get((key, story)) if known and story is not None else None
        if theirs is not None and theirs[0] == content_hash(body or ""):
            if theirs[2] is None:
                continue  # (a text too short to sign: it stays unsigned)
            try:
                signed[key] = restore(theirs[2], theirs[1])
                continue
            except ValueError:  # not a signature (a row damaged there): signed here
                pass
        bodies.append((key, body))
    chunks = [bodies[at : at + SIGN_CHUNK] for at in range(0, len(bodies), SIGN_CHUNK)]
    signed.update((key, restore(state, count)) for done in map_(sign_bodies, chunks) for key, count, state in done)
    changed = {key for key, _, _ in todo}
    # the links kept are a spanning set: the families a changed text was in are joined again
    held = store.family_members()
    former = {held[key] for key in changed if key in held}
    touched = changed | {key for key, family in held.items() if family in former}
    everyone, unreadable = {}, []
    for key, count, state in store.signatures(ALGORITHM):
        if key not in changed:
            try:
                everyone[key] = restore(state, count)
            except ValueError:  # not a signature (a row damaged): signed again by the next update
                unreadable.append((key, None, UNREADABLE, 0, None))
    everyone.update(signed)
    kept = [(a, b) for a, b in store.family_pairs() if a not in touched and b not in touched]
    found = links(everyone, touched, kept)
    members = {key: family_id(root) for key, root in components([*kept, *((link.a, link.b) for link in found)]).items()}
    rows = [
        (key, story, ALGORITHM, *((signed[key].shingles, signed[key].state()) if key in signed else (0, None)))
        for key, story, _ in todo
    ]
    store.keep_families([*rows, *unreadable], touched, found, members)
    return Update(len(signed), len(found), len(members), len(set(members.values())))
