"""Compact copies of Noto Sans CJK JP for documents, cut out of Debian's ``fonts-noto-cjk`` once with HarfBuzz's
subsetter and cached on disk:

- ``CapmarketJP`` (regular): ASCII, Latin-1, the non-kanji rows of JIS X 0208 (kana, symbols, full-width forms),
  its level-1 kanji, the NEC special characters and half-width katakana — about 3,800 of the collection's 65,000
  glyphs;
- ``CapmarketJPTitle`` (bold): only the characters of the titles and the amount box.

Why: WeasyPrint subsets the fonts of every PDF it writes, and the time it takes grows with the font. With the
compact fonts each document is written faster and is about half the size. A character outside them (a rarer kanji
of a company name) falls back to the full Noto Sans CJK JP (the style sheet lists it), so nothing prints as tofu.
Without HarfBuzz or the fonts, documents use the system font as it is.
"""

from __future__ import annotations

import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

NOTO_DIRS: Final = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
FAMILY: Final = "CapmarketJP"
TITLE_FAMILY: Final = "CapmarketJPTitle"
VERSION: Final = "4"  # bump when TITLE_CHARACTERS change: the cached subsets are made again
#: characters printed in the bold title face (titles, amount labels and the amount itself)
TITLE_CHARACTERS: Final = (
    "支払通知書請求容量拠出金経済的ペナルティ算定額取消赤伝（）()お合計ご0123456789,-−円税込 "
    "市場退時の"  # 請求書（市場退出時の経済的ペナルティ）
    "年次精還元"  # 年次精算（還元）通知書, 年次精算請求書, 還元金額
)

_CDEF: Final = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t * hb_blob_create_from_file_or_fail (const char *file_name);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
void hb_blob_destroy (hb_blob_t *blob);
void hb_face_destroy (hb_face_t *face);
void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted_codepoints, unsigned int num_codepoints);
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_unicode_set (hb_subset_input_t *input);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


#: the last level-1 kanji of JIS X 0208 in Shift_JIS (腕, 0x9872)
LEVEL_1_END: Final = (0x98, 0x72)


def _code_points() -> list[int]:
    chars: set[str] = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    for lead in range(0x81, 0x99):
        for trail in (*range(0x40, 0x7F), *range(0x80, 0xFD)):
            if (lead, trail) > LEVEL_1_END:
                break
            try:
                chars.add(bytes([lead, trail]).decode("cp932"))
            except UnicodeDecodeError:
                continue
    chars |= {chr(c) for c in range(0xFF61, 0xFFA0)}  # half-width katakana
    chars |= set(TITLE_CHARACTERS)
    return sorted({ord(c) for c in chars if len(c) == 1})


def _source(weight: str) -> Path | None:
    for directory in NOTO_DIRS:
        path = directory / f"NotoSansCJK-{weight}.ttc"
        if path.is_file():
            return path
    return None


def _subset(source: Path, target: Path, points: list[int]) -> None:
    import cffi  # type: ignore[import-untyped]  # noqa: PLC0415 (a dependency of WeasyPrint)

    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    hb: Any = ffi.dlopen("libharfbuzz.so.0")
    hbs: Any = ffi.dlopen("libharfbuzz-subset.so.0")
    blob = hb.hb_blob_create_from_file_or_fail(str(source).encode())
    if blob == ffi.NULL:
        raise OSError(f"cannot read {source}")
    face = hb.hb_face_create(blob, 0)  # face 0 of the collection: Noto Sans CJK JP
    subset_input = hbs.hb_subset_input_create_or_fail()
    wanted = ffi.new(f"hb_codepoint_t[{len(points)}]", points)
    hb.hb_set_add_sorted_array(hbs.hb_subset_input_unicode_set(subset_input), wanted, len(points))
    out = hbs.hb_subset_or_fail(face, subset_input)
    try:
        if out == ffi.NULL:
            raise OSError(f"HarfBuzz could not subset {source}")
        out_blob = hb.hb_face_reference_blob(out)
        length = ffi.new("unsigned int *")
        data = bytes(ffi.buffer(hb.hb_blob_get_data(out_blob, length), length[0]))
        hb.hb_blob_destroy(out_blob)
    finally:
        if out != ffi.NULL:
            hb.hb_face_destroy(out)
        hbs.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    if len(data) < 1_000:
        raise OSError(f"the subset of {source} is implausibly small")
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)


@lru_cache(maxsize=4)
def font_face_css(*, font_dir: str) -> str:
    """``@font-face`` rules for the compact fonts under ``font_dir`` (made on first use), or '' without them."""
    if not font_dir:
        return ""
    directory = Path(font_dir).resolve()
    wanted = (
        (FAMILY, "Regular", "normal", _code_points()),
        (TITLE_FAMILY, "Bold", "bold", sorted({ord(c) for c in TITLE_CHARACTERS})),
    )
    rules: list[str] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for family, weight, css_weight, points in wanted:
            source = _source(weight)
            if source is None:
                return ""
            target = directory / f"{family}-v{VERSION}.otf"
            if not target.is_file():
                _subset(source, target, points)
            rules.append(
                f"@font-face {{ font-family: '{family}'; src: url('{target.as_uri()}'); font-weight: {css_weight}; }}"
            )
    except Exception:
        logger.warning("compact document fonts unavailable; using the system fonts", exc_info=True)
        return ""
    return "\n".join(rules)
