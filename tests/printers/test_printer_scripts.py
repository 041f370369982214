"""Receipts, reports, refund slips and table cards in every script.

No code page of a receipt printer holds Hebrew, Arabic, Chinese, Japanese, Korean or emoji:
a line with them is drawn, never printed as "?", and an amount beside such a name still ends
where the text rows' amounts end. What is printed is read back from the bytes as the printer
reads them (``printers.decoder``), each drawing compared with its words drawn apart by the test:
Pillow's basic layout, which puts the letters down in the order given (Hebrew given in the
order it is read from the left), or libraqm for Arabic, whose letters join.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from printer_samples import AT, sample_documents, sample_receipt

from printers.decoder import Job, decode
from printers.documents import (
    KitchenLine,
    KitchenTicket,
    Receipt,
    ReceiptLine,
    ReportRow,
    ReportSection,
    TableQrTent,
    TaxLine,
    Tender,
    XReport,
)
from printers.money import format_money
from printers.preview import MARGIN, preview_png
from printers.profiles import DOTS_PER_COLUMN, PROFILES, PrinterProfile
from printers.render import render

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
EMOJI = "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"
SIZE = 22  # dots: a line of the printer's font A is 24
ESC, GS = b"\x1b", b"\x1d"


# script -> currency, store, tax, tender, staff, two dishes (the second with a modifier)
STORES = {
    "hebrew": (
        "ILS",
        "מסעדת הים",
        "מע״מ",
        "מזומן",
        "דנה",
        "סלט ירקות",
        "שקשוקה 2 ביצים",
        "לחם נוסף",
    ),
    "arabic": (
        "AED",
        "مطعم الشام",
        "ضريبة",
        "نقدا",
        "أحمد",
        "شاورما دجاج 2 قطعة",
        "فلافل ٦ حبات",
        "طحينة",
    ),
    "chinese": ("CNY", "老北京饭庄", "增值税", "现金", "王芳", "宫保鸡丁", "小笼包（6个）", "加辣"),
    "japanese": (
        "JPY",
        "らーめん太郎",
        "消費税",
        "現金",
        "佐藤",
        "醤油ラーメン",
        "餃子 6個",
        "大盛り",
    ),
    "korean": (
        "KRW",
        "서울 식당",
        "부가세",
        "현금",
        "김민수",
        "김치찌개",
        "불고기 2인분",
        "공기밥",
    ),
    "emoji": ("EUR", "Café Müller", "VAT", "Cash", "Ana", "Pizza diavola 🌶️🍕", "Espresso ☕", "🥛"),
}
# script -> how its first dish's line reads from the left: (text, font, shaped by libraqm)
READS = {
    "hebrew": [("2x ", DEJAVU, False), ("סלט ירקות"[::-1], DEJAVU, False)],
    "arabic": [("2x ", DEJAVU, False), ("شاورما دجاج 2 قطعة", DEJAVU, True)],
    "chinese": [("2x ", DEJAVU, False), ("宫保鸡丁", CJK, False)],
    "japanese": [("2x ", DEJAVU, False), ("醤油ラーメン", CJK, False)],
    "korean": [("2x ", DEJAVU, False), ("김치찌개", CJK, False)],
    "emoji": [("2x Pizza diavola ", DEJAVU, False), ("🌶🍕", EMOJI, False)],
}


def receipt(script: str) -> Receipt:
    currency, store, tax, tender, staff, first, second, modifier = STORES[script]
    lines = (ReceiptLine(2, first, 4800), ReceiptLine(1, second, 5250, (modifier,)))
    return Receipt(
        currency=currency,
        header=(store, f"{store} 12"),
        lines=lines,
        subtotal=10050,
        taxes=(TaxLine(tax, 1000, 914, included=True),),
        total=10050,
        tenders=(Tender(tender, 10050),),
        order_no="42",
        table=f"{store} 4",
        staff=staff,
        at=AT,
    )


OTHERS = {
    "x_report": XReport(
        header=("らーめん太郎",),
        at=AT,
        rows=(ReportRow("Orders", "37"), ReportRow("Gross sales", "123,450")),
        sections=(
            ReportSection("Items", (ReportRow("醤油ラーメン", "58"), ReportRow("餃子", "21"))),
            ReportSection("Payments", (ReportRow("現金", "100,000"), ReportRow("카드", "23,450"))),
        ),
    ),
    "z_report": replace(
        sample_documents()["z_report"],
        header=("مطعم الشام",),
        rows=(ReportRow("Business day", "2024-05-17"), ReportRow("Cashier", "أحمد")),
        sections=(ReportSection("Tax", (ReportRow("ضريبة القيمة المضافة 5%", "197.11"),)),),
        footer=("שבוע טוב",),
    ),
    "refund_slip": replace(
        sample_documents()["refund_slip"],
        currency="ILS",
        header=("מסעדת הים",),
        tender="מזומן",
        reason="השקשוקה הגיעה קרה",
        refunded_by="דנה",
        approved_by="王芳",
        table="שולחן 4",
    ),
    "table_card": TableQrTent(
        table="테이블 7", url="http://127.0.0.1:19200/t/7", store="서울 식당"
    ),
    "kitchen_ticket": KitchenTicket(
        station="厨房",
        table="桌 5",
        ticket_no="A-17",
        staff="王芳",
        at=AT,
        lines=(KitchenLine(2, "宫保鸡丁", ("不要花生",), note="🌶️ 微辣", course="MAINS"),),
    ),
}

DOCUMENTS = {script: receipt(script) for script in STORES} | OTHERS


def printed(document, profile: PrinterProfile) -> Job:
    return decode(render(document, profile), escpos_profile=profile.escpos_profile)


def drawings(job: Job) -> list[Image.Image]:
    """The job's raster images, ink white on black (a set bit is a black dot on paper)."""
    return [
        Image.frombytes("1", (raster.width, raster.height), raster.bits).convert("L")
        for kind, raster in job.events
        if kind == "image"
    ]


def drawn(pieces: list[tuple[str, str, bool]]) -> Image.Image:
    """``pieces`` drawn one after the other from the left, ink white, cut to its ink."""
    picture = Image.new("1", (2000, SIZE * 2), 0)
    pen = ImageDraw.Draw(picture)
    x = 0.0
    for text, path, shaped in pieces:
        engine = ImageFont.Layout.RAQM if shaped else ImageFont.Layout.BASIC
        font = ImageFont.truetype(path, SIZE, layout_engine=engine)
        options = {"direction": "rtl"} if shaped else {}
        pen.text((x, SIZE), text, font=font, fill=1, anchor="ls", **options)
        x += font.getlength(text, **options)
    picture = picture.convert("L")
    return picture.crop(picture.getbbox())


def alike(picture: Image.Image, expected: Image.Image) -> bool:
    """The two, cut to their ink, have their dots within a dot of each other's but for under
    a twelfth of them. The layout engines put some glyphs a dot apart; another amount, or the
    same words in another order, differ in a tenth to a half."""
    picture = picture.crop(picture.getbbox())
    size = (max(picture.width, expected.width), max(picture.height, expected.height))
    a, b = Image.new("L", size), Image.new("L", size)
    a.paste(picture)
    b.paste(expected)
    near_a, near_b = a.filter(ImageFilter.MaxFilter(3)), b.filter(ImageFilter.MaxFilter(3))
    astray = ImageChops.subtract(a, near_b).histogram()[255]
    astray += ImageChops.subtract(b, near_a).histogram()[255]
    return astray < (a.histogram()[255] + b.histogram()[255]) / 12


def text_edge(profile: PrinterProfile) -> int:
    """The dot where the text rows' last column ends."""
    return min(profile.dots, profile.columns * DOTS_PER_COLUMN)


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_word_in_any_script_prints_as_question_marks(name, profile):
    """A Tel Aviv, Dubai, Beijing, Tokyo or Seoul store's receipts, reports, refund slips and
    table cards printed "2x ????? ?????" for every name, tender and tax; a dish with an emoji
    printed "?" for it. Each such line is drawn now, inside the paper."""
    job = printed(DOCUMENTS[name], profile)
    assert not [line for line in job.lines if "?" in line], job.lines
    pictures = drawings(job)
    assert pictures, job.text()
    for picture in pictures:
        assert picture.width <= profile.dots and picture.getbbox(), "a blank or too wide image"


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
@pytest.mark.parametrize("script", STORES)
def test_a_drawn_name_reads_in_order_with_its_amount_in_the_amounts_column(script, profile):
    """Each item's row is one drawing: its name from the left edge as it is read (Hebrew and
    Arabic right to left, their digits left to right), its amount ending on the dot where the
    amounts of the text rows (Subtotal, TOTAL) end, so the eye runs straight down them."""
    document = receipt(script)
    job = printed(document, profile)
    edge = text_edge(profile)
    subtotal = format_money(document.subtotal, document.currency, profile.codepages)
    assert any(line.endswith(subtotal) and len(line) == profile.columns for line in job.lines)
    pictures = iter(drawings(job))
    for i, item in enumerate(document.lines):
        amount = drawn(
            [(format_money(item.amount, document.currency, profile.codepages), DEJAVU, False)]
        )
        row = next(
            p
            for p in pictures
            if alike(p.crop((edge - amount.width - 4, 0, edge, p.height)), amount)
        )
        assert edge - 3 <= row.getbbox()[2] <= edge, "the amount ends off the amounts column"
        if i == 0:
            name = drawn(READS[script])
            assert row.getbbox()[0] <= 2, "the row starts off the left edge"
            assert alike(row.crop((0, 0, name.width + 4, row.height)), name), f"{script} misread"


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_an_emoji_no_font_has_is_left_out_and_the_line_stays_text(profile):
    """An emoji newer than the fonts (a shaking face) printed as "?"; now it is left out, and
    the rest of the line, which the code page holds, stays text."""
    document = replace(sample_receipt(), lines=(ReceiptLine(1, "Tacos \U0001fae8", 900),))
    job = printed(document, profile)
    (row,) = [line for line in job.lines if line.startswith("1x Tacos")]
    assert row.endswith("€9.00") and "?" not in row, row


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_drawn_line_to_the_left_is_as_wide_as_its_words(profile):
    """A modifier's line drawn as wide as the paper is mostly blank dots (1.9 KB on 80 mm): one
    to the left is only as wide as its words."""
    job = printed(receipt("japanese"), profile)
    (modifier,) = [r for kind, r in job.events if kind == "image" and r.width < profile.text_dots]
    assert modifier.align == "left" and modifier.width <= profile.text_dots // 3


def test_the_preview_shows_an_image_where_the_printer_prints_it():
    """The preview centred every image, so a drawn line to the left showed in the middle of the
    paper; an image goes where its justification (ESC a) puts it, as on the printer."""
    square = GS + b"v0\x00" + bytes([2, 0, 16, 0]) + b"\xff" * 32  # 16 x 16 dots, all black
    for align, at in ((0, "left"), (1, "center"), (2, "right")):
        job = decode(ESC + b"@" + ESC + b"a" + bytes([align]) + square)
        with Image.open(io.BytesIO(preview_png(job, 48))) as picture:
            left, _, right, _ = ImageChops.invert(picture.convert("L")).getbbox()
        middle = (left + right) / 2
        expected = {"left": MARGIN, "center": picture.width / 2, "right": picture.width - MARGIN}
        assert abs({"left": left, "center": middle, "right": right}[at] - expected[at]) <= 1, at


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_an_emoji_between_hebrew_words_keeps_the_words_in_reading_order(profile):
    """A line in two fonts was drawn run after run from the left: "שניצל 🐔 עוף" (schnitzel,
    chicken) read "עוף 🐔 שניצל" to a Hebrew reader. The runs of a right-to-left stretch stand
    right to left, as the Unicode bidirectional algorithm places them."""
    dish = ReceiptLine(2, "שניצל 🐔 עוף", 4800)
    document = replace(receipt("hebrew"), lines=(dish,), table="", staff="")
    row = next(p for p in drawings(printed(document, profile)) if p.getbbox()[0] <= 2)
    expected = drawn(
        [
            ("2x " + "עוף"[::-1], DEJAVU, False),
            (" 🐔 ", EMOJI, False),
            ("שניצל"[::-1], DEJAVU, False),
        ]
    )
    assert alike(row.crop((0, 0, expected.width + 4, row.height)), expected)
