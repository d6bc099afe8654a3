#!/usr/bin/env python3
"""Writes the workbooks test_xlsx.sh imports, with openpyxl (an independent
producer), from rows of the demo ledger's CSV: a ledger as an office keeps
it (title rows, a two-row merged header, Excel serial dates, a text date, a
hidden row, a vertically merged county column, a second sheet), and the
CSV of exactly the rows a reader of the workbook sees.

usage: xlsx_make.py DEMO_PROJECTS_CSV OUTDIR
"""
import csv
import datetime
import re
import sys

from openpyxl import Workbook
from openpyxl.styles import Alignment

src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8-sig") as f:
    rows = list(csv.reader(f))
head, body = rows[0], rows[1:]
col = {name: i for i, name in enumerate(head)}


def day(s):
    y, m, d = (int(x) for x in re.findall(r"[0-9]+", s))
    return datetime.date(y, m, d)


# The first sheet: 10 projects of three counties, grouped by county (so the
# county cell is merged down each group), and one hidden project.
COUNTIES = ("偃师区", "涧西区", "洛龙区")
chosen = sorted([r for r in body if r[col["县区"]] in COUNTIES][:10],
                key=lambda r: r[col["县区"]])
hidden = body[-1]
layout = [  # (parent, child or None, CSV column)
    ("项目编号", None, "项目编号"), ("项目名称", None, "项目名称"), ("年度", None, "年度"),
    ("级别", None, "级别"), ("县区", None, "县区"), ("领域", None, "领域"), ("类别", None, "类别"),
    ("建设单位", None, "建设单位"), ("责任单位", None, "责任单位"),
    ("分包领导", "姓名", "分包领导"), ("分包领导", "职务", "领导职务"), ("分包领导", "联系电话", "联系电话"),
    ("总投资（万元）", None, "总投资"),
    ("计划投资（万元）", "年度", "年度计划投资"), ("计划投资（万元）", "1-2月", None),
    ("计划开竣工时间", "开工", "计划开工"), ("计划开竣工时间", "竣工", "计划竣工"),
    ("实际开工", None, "实际开工"), ("当年竣工", None, "当年竣工"),
]
ncols = len(layout)

wb = Workbook()
ws = wb.active
ws.title = "台账"
ws.cell(1, 1, "2026年洛阳市重点项目台账")
ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
ws.cell(2, 1, "截至2026年3月15日")
ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
c = 0
while c < ncols:
    parent, child, _ = layout[c]
    span = 1
    while c + span < ncols and layout[c + span][0] == parent and child is not None:
        span += 1
    ws.cell(3, c + 1, parent).alignment = Alignment(horizontal="center")
    if child is None:
        ws.merge_cells(start_row=3, start_column=c + 1, end_row=4, end_column=c + 1)
    else:
        ws.merge_cells(start_row=3, start_column=c + 1, end_row=3, end_column=c + span)
        for k in range(span):
            ws.cell(4, c + k + 1, layout[c + k][1])
    c += span


def put(r, i, src_row, special):
    parent, child, name = layout[i]
    cell = ws.cell(r, i + 1)
    if name is None:
        cell.value = 99.5
        return
    v = src_row[col[name]]
    if v == "":
        return
    if name in ("年度",):
        cell.value = int(v)
    elif name == "联系电话":
        cell.value = int(v)                        # a phone typed as a number
    elif name == "总投资":
        cell.value = float(v)
        cell.number_format = "#,##0.00"
    elif name == "年度计划投资":
        cell.value = float(v) + 4.5e-13            # binary noise, as sums leave it
    elif name == "计划开工":
        cell.value = day(v)
        cell.number_format = "yyyy/m/d"            # a custom date format
    elif name == "计划竣工":
        if special == "text-date":
            d = day(v)
            cell.value = "%d年%d月%d日" % (d.year, d.month, d.day)   # a date typed as text
        else:
            cell.value = (day(v) - datetime.date(1899, 12, 30)).days  # a bare serial
            cell.number_format = "mm-dd-yy"        # built-in format 14
    elif name == "实际开工":
        cell.value = day(v)
        cell.number_format = 'yyyy"年"m"月"d"日"'
    elif name == "当年竣工":
        cell.value = v == "是" if special == "bool" else v
    else:
        cell.value = v


r = 5
group_start, group_county = r, None
for n, row in enumerate(chosen):
    if n == 4:  # a hidden row in the middle of the table
        for i in range(ncols):
            put(r, i, hidden, "")
        ws.row_dimensions[r].hidden = True
        r += 1
    county = row[col["县区"]]
    if county != group_county:
        if group_county is not None and r - 1 > group_start:
            ws.merge_cells(start_row=group_start, start_column=5, end_row=r - 1, end_column=5)
        group_start, group_county = r, county
    for i in range(ncols):
        put(r, i, row, "text-date" if n == 1 else "bool" if n == 2 else "")
    if r > group_start:
        ws.cell(r, 5).value = None            # merged: only the first row holds it
    r += 1
if r - 1 > group_start:
    ws.merge_cells(start_row=group_start, start_column=5, end_row=r - 1, end_column=5)
# A section heading after the last project, merged across the sheet, as
# ledgers divide 新开工 from 续建 and 储备.
ws.cell(r, 1).value = "二、储备项目（0个）"
ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
r += 1

# The second sheet: a plain table of five other projects, picked with --sheet;
# of the same counties, as an import after the first names only counties
# the ledger knows.
second = [b for b in body if b not in chosen and b is not hidden and b[col["县区"]] in COUNTIES][:5]
ws2 = wb.create_sheet("续建项目")
ws2.append(head)
for row in second:
    ws2.append([int(v) if k in ("年度",) else v for k, v in zip(head, row)])
# A hidden sheet is never the default.
ws3 = wb.create_sheet("隐藏", 0)
ws3.append(["这张表是隐藏的"])
ws3.sheet_state = "hidden"
wb.save(out + "/ledger.xlsx")

# The same ten rows from a second producer, XlsxWriter, whose strings are
# shared (as Excel's are), one of them rich text in two runs, dates 1904-based.
import xlsxwriter  # noqa: E402

xw = xlsxwriter.Workbook(out + "/xlsxwriter.xlsx", {"date_1904": True})
xs = xw.add_worksheet("项目")
bold = xw.add_format({"bold": True})
datefmt = xw.add_format({"num_format": "yyyy-mm-dd"})
xs.write_row(0, 0, head)
for n, row in enumerate(chosen):
    for k, v in enumerate(row):
        name = head[k]
        if v == "":
            continue
        if name in ("计划开工", "计划竣工", "实际开工"):
            d = day(v)
            xs.write_datetime(n + 1, k, datetime.datetime(d.year, d.month, d.day), datefmt)
        elif name in ("总投资", "年度计划投资", "年度"):
            xs.write_number(n + 1, k, float(v))
        elif name == "项目名称" and n == 0:
            xs.write_rich_string(n + 1, k, bold, v[:4], v[4:])
        else:
            xs.write_string(n + 1, k, v)
xw.close()

for name, rs in (("ledger.csv", chosen), ("second.csv", second)):
    with open(out + "/" + name, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerows(rs)


# ---- hostile workbooks: the ledger with one part replaced ----------------
import zipfile  # noqa: E402


def replace_part(name, part, writer, base="ledger.xlsx"):
    """out/NAME: BASE with PART written by writer(file)."""
    with zipfile.ZipFile(out + "/" + base) as zin, \
            zipfile.ZipFile(out + "/" + name, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != part:
                zout.writestr(item, zin.read(item.filename))
        info = zipfile.ZipInfo(part, date_time=(2026, 3, 15, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(info, "w", force_zip64=True) as f:
            writer(f)


def zeros(total):
    def w(f):
        chunk = bytes(1 << 20)
        for _ in range(total >> 20):
            f.write(chunk)
    return w


SHEET = "xl/worksheets/sheet2.xml"   # 台账 (the hidden sheet is sheet1)
# 2 GiB of zeros declared as the sheet, and 60 MiB (under the size limit,
# far over the compression ratio any sheet has).
replace_part("bomb.xlsx", SHEET, zeros(2 << 30))
replace_part("ratio.xlsx", SHEET, zeros(60 << 20))
laughs = ['<?xml version="1.0"?>', '<!DOCTYPE lolz [', '<!ENTITY lol "lol">']
laughs += ['<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % (i - 1 if i > 1 else "")) * 10) for i in range(1, 10)]
laughs += [']>', '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>']
replace_part("laughs.xlsx", SHEET, lambda f: f.write("\n".join(laughs).encode()))


def many_strings(f):
    """2,000,001 empty shared strings (one past the limit) in 11 MB, under
    the part's 32 MiB; a space or none between them at random (seeded), so
    that it compresses 23:1, under the ratio limit: only the count stops it."""
    import random
    rnd = random.Random(48)
    f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    for _ in range(2000001 // 1000):
        f.write(b"".join(b"<si/>" + rnd.choice((b"", b" ")) for _ in range(1000)))
    f.write(b"<si/>" * (2000001 % 1000) + b"</sst>")


# XlsxWriter's workbook, whose strings are shared (openpyxl writes them inline).
replace_part("strings.xlsx", "xl/sharedStrings.xml", many_strings, "xlsxwriter.xlsx")
replace_part("doctype.xlsx", "xl/styles.xml", lambda f: f.write(
    b'<?xml version="1.0"?><!DOCTYPE styleSheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&x;</styleSheet>'))

# One impossible date typed as text in 台账 (row 6, column P: 计划开竣工时间/开工).
from openpyxl import load_workbook  # noqa: E402
bad = load_workbook(out + "/ledger.xlsx")
bad["台账"]["P6"] = "2026-02-30"
bad.save(out + "/bad.xlsx")
