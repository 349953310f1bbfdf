"""What tests use to read what the service logged, in either format.

``parse_line`` turns one JSON or text line back into the event dict the formatter built, so
a test can assert on fields without caring which format the service was generated with;
``parse_lines`` does it for captured output. The parser itself is ``parsing.py``, which
``flask logs`` uses too; this module is the stable name tests import it by.
"""

from __future__ import annotations

from .parsing import parse_line, parse_lines, parse_text_line

__all__ = ["parse_line", "parse_lines", "parse_text_line"]
