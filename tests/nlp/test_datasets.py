from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cityloop.nlp.datasets import DatasetError, read_labeled


def test_missing_column_named(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("body,label\n路灯坏了,城乡建设\n", "utf-8")
    with pytest.raises(DatasetError, match="'类别'"):
        read_labeled(p, text_col="body", label_col="类别")
    with pytest.raises(DatasetError, match="title column 'title'"):
        read_labeled(p, text_col="body", label_col="label", title_col="title")


def test_empty_rows_skipped_and_title_joined(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text(
        "title,body,label\n路灯,路灯坏了,城乡建设\n,,城乡建设\n,只有正文,教育文体\n标题,正文,\n",
        "utf-8-sig",
    )
    ds = read_labeled(p, text_col="body", label_col="label", title_col="title")
    assert ds.texts == ["路灯。路灯坏了", "只有正文"]
    assert ds.labels == ["城乡建设", "教育文体"]
    assert ds.skipped_empty == 2


def test_gb18030_fallback(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_bytes("body,label\n噪音扰民,环境保护\n".encode("gb18030"))
    ds = read_labeled(p, text_col="body", label_col="label")
    assert ds.encoding == "gb18030"
    assert ds.texts == ["噪音扰民"]


def test_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["留言详情", "一级分类"])
    ws.append(["噪音扰民", "环境保护"])
    ws.append([None, "环境保护"])
    p = tmp_path / "d.xlsx"
    wb.save(p)
    ds = read_labeled(p, text_col="留言详情", label_col="一级分类")
    assert ds.texts == ["噪音扰民"] and ds.skipped_empty == 1
