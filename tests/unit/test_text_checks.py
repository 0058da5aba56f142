"""check_text's control-character regex refuses exactly what the per-character Unicode
category test it replaced refused (Cc but newline and tab)."""

from __future__ import annotations

import unicodedata

from app.actions.chat import CONTROL_CHARACTERS


def test_the_control_character_check_is_category_cc_but_newline_and_tab() -> None:
    for code in range(0x110000):
        ch = chr(code)
        old = unicodedata.category(ch) == "Cc" and ch not in "\n\t"
        assert (CONTROL_CHARACTERS.search(ch) is not None) == old, hex(code)
