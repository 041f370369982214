"""Rendering: exact bytes for the commands that matter, and a golden file per document."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from printer_samples import AT, sample_documents, sample_receipt, sample_ticket

from printers.decoder import decode
from printers.documents import (
    KitchenLine,
    Receipt,
    ReceiptLine,
    TableQrTent,
    TaxLine,
    TestPage,
    table_label,
)
from printers.errors import PrinterUnsupported
from printers.profiles import GENERIC_58MM, PROFILES, TM_T20II, TM_T88V, get_profile
from printers.render import drawer_pulse, render

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"


def qr_store(payload: str) -> bytes:
    data = payload.encode()
    size = len(data) + 3
    return GS + b"(k" + bytes([size % 256, size // 256]) + b"1P0" + data


QR_PRINT = GS + b"(k\x03\x001Q0"


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
@pytest.mark.parametrize("name", sample_documents().keys())
def test_golden(name, profile, golden):
    document = sample_documents()[name]
    golden(f"{name}__{profile.name}", render(document, profile))


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
@pytest.mark.parametrize("name", sample_documents().keys())
def test_every_job_starts_with_init_and_code_page(name, profile):
    data = render(sample_documents()[name], profile)
    slot = profile.codepage_slots[profile.codepages[0]]
    assert data.startswith(INIT + ESC + b"t" + bytes([slot]))


def test_tm_t20ii_selects_pc858_and_ends_with_partial_cut():
    data = render(sample_receipt(), TM_T20II)
    assert data[:5] == b"\x1b@\x1bt\x13"
    assert data.endswith(ESC + b"d\x06" + GS + b"V\x01")


def test_generic_58mm_has_no_cutter_and_feeds_to_the_tear_bar():
    data = render(sample_receipt(), GENERIC_58MM)
    assert GS + b"V" not in data
    assert data.endswith(ESC + b"d\x04")


def test_full_cut_when_the_printer_has_no_partial_cut():
    data = render(sample_receipt(), replace(TM_T88V, partial_cut=False))
    assert data.endswith(GS + b"V\x00")


def test_native_qr_uses_gs_paren_k_model_size_ec_store_print():
    receipt = sample_receipt()
    data = render(receipt, TM_T20II)
    expected = (
        GS + b"(k\x04\x001A2\x00"  # model 2
        + GS + b"(k\x03\x001C\x06"  # module size 6
        + GS + b"(k\x03\x001E1"  # error correction M
        + qr_store(receipt.qr_payload)
        + QR_PRINT
    )  # fmt: skip
    assert expected in data


def test_without_native_qr_the_code_is_a_raster_image():
    data = render(sample_receipt(), GENERIC_58MM)
    assert GS + b"(k" not in data
    assert GS + b"v0\x00" in data


def test_store_name_is_big_bold_and_centred():
    data = render(sample_receipt(), TM_T20II)
    assert ESC + b"!0" + ESC + b"E\x01" + ESC + b"a\x01" + b"Caf\x82 M\x81ller\n" in data


def test_kitchen_table_name_is_double_size():
    job = decode(render(sample_ticket(), TM_T20II))
    table = next(line for line in job.printed_lines if line.text == "Terrace 12")
    assert (table.width, table.height, table.bold, table.align) == (2, 2, True, "center")


def test_kitchen_ticket_marks():
    job = decode(render(sample_ticket(), TM_T20II))
    assert "ADD 1x Crème brûlée" in job.lines
    reprint = replace(sample_ticket(), mark="REPRINT")
    assert "*** REPRINT ***" in decode(render(reprint, TM_T20II)).lines


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("Café crème €5", b"Caf\x82 cr\x8ame \xd55"),  # PC858 has the euro at 0xD5
        ("Señor Ñandú", b"Se\xa4or \xa5and\xa3"),
        ("Müller", b"M\x81ller"),
        ("Français ç", b"Fran\x87ais \x87"),
        ("Nasi goreng spesial, ayam bakar", b"Nasi goreng spesial, ayam bakar"),
    ],
)
def test_accented_text_in_pc858(text, encoded):
    data = render(TestPage(lines=(text,)), TM_T20II)
    assert encoded + b"\n" in data


def test_generic_printer_switches_code_page_only_for_the_euro():
    data = render(TableQrTent(table="x", url="u", caption="Café €5 ok"), GENERIC_58MM)
    # PC437 (slot 52 on this family) holds é; the euro needs PC858 (slot 53),
    # which then stays selected: no switch back for plain ASCII.
    assert data.startswith(INIT + ESC + b"t\x34")
    assert b"Caf\x82 " + ESC + b"t\x35" + b"\xd5" + b"5 ok\n" in data


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("Pizza \U0001fae8", "Pizza"),  # an emoji no font has (see test_printer_scripts)
        ("Phở bò", "Pho bò"),  # ở folded (no code page has it), ò kept
        ("Ｔａｂｌｅ", "Table"),  # full-width letters fold to ASCII
        ("zero\u200bwidth", "zerowidth"),
        ("bell\x07 esc\x1b[p", "bell esc[p"),  # control codes never reach the printer
    ],
)
@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_unprintable_characters_are_replaced_not_raised(text, printed, profile):
    job = decode(render(TestPage(lines=(text,)), profile), escpos_profile=profile.escpos_profile)
    assert printed in job.lines


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_curly_quotes_and_dashes_print_never_as_question_marks(profile):
    """A phone's keyboard types curly quotes and dashes: a refund's reason, a discount's, an
    item's name read "Chef?s ?special? ? 2-3 pcs" on paper. Where no code page holds one it is
    printed plain; the 80 mm printers' Greek code page holds the single quotes."""
    text = "Chef\u2019s \u201cspecial\u201d \u2014 2\u20133 pcs\u2026"
    job = decode(render(TestPage(lines=(text,)), profile), escpos_profile=profile.escpos_profile)
    (line,) = [line for line in job.lines if line.startswith("Chef")]
    assert line.replace("\u2019", "'") == 'Chef\'s "special" - 2-3 pcs...'


def test_why_we_drive_magic_encode_ourselves():
    """Upstream's automatic mode sends Han text as GB18030 with no code page select."""
    from escpos.printer import Dummy

    printer = Dummy(profile="TM-T20II")
    printer.text("拉面")
    assert printer.output == "拉面".encode("gb18030")


def test_no_gb18030_bytes_for_chinese_text():
    """python-escpos's MagicEncode would send GB18030 here; we must not: it is drawn."""
    data = render(TestPage(lines=("拉面",)), TM_T20II)
    assert "拉面".encode("gb18030") not in data
    assert len(decode(data).images) == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_renders_and_decodes_to_one_printable_line(text):
    for profile in PROFILES.values():
        receipt = Receipt(
            currency="EUR",
            header=(text,),
            lines=(ReceiptLine(1, text, 100, (text,)),),
            subtotal=100,
            total=100,
        )
        job = decode(render(receipt, profile), escpos_profile=profile.escpos_profile)
        assert all(len(line) <= profile.columns for line in job.lines)
        assert job.cuts == (["partial"] if profile.cut else [])


def test_long_names_wrap_and_keep_amounts_flush_right():
    long = "Nasi goreng spesial, ayam bakar, telur mata sapi, kerupuk udang"
    receipt = replace(sample_receipt(), lines=(ReceiptLine(1, long, 123456),))
    job = decode(render(receipt, TM_T88V))
    rows = [line for line in job.lines if "1,234.56" in line]
    assert rows == [rows[0]] and rows[0].endswith("1,234.56") and len(rows[0]) == 42
    assert all(len(line) <= 42 for line in job.lines)


def test_kitchen_modifiers_notes_and_seats():
    job = decode(render(sample_ticket(), GENERIC_58MM), escpos_profile="POS-5890")
    assert "2x Burger" in job.lines
    assert "   seat 1" in job.lines
    assert "   + no onion" in job.lines
    assert "   ! allergy: peanuts" in job.lines
    longer = replace(sample_ticket(), staff="Marco Ferreira")
    job = decode(render(longer, GENERIC_58MM), escpos_profile="POS-5890")
    assert job.lines[3:5] == ["Order 42  Marco Ferreira", "4 guests"]  # not "4" then "guests"


def test_kitchen_lines_under_a_heading_per_course():
    job = decode(render(sample_ticket(), TM_T20II))
    headings = [
        line for line in job.printed_lines if line.text.startswith("---") and " " in line.text
    ]
    assert [h.text.strip("- ") for h in headings] == ["STARTERS", "MAINS", "DESSERTS"]
    assert all(h.bold and h.height == 2 and len(h.text) == 48 for h in headings)
    mains = job.lines.index(headings[1].text)
    assert job.lines[mains + 1] == "2x Burger" and "1x Steak frites" in job.lines[mains:]
    assert job.lines.index("1x Ayam bakar") < mains < job.lines.index("ADD 1x Crème brûlée")


def test_kitchen_lines_without_a_course_under_a_plain_rule():
    lines = tuple(replace(line, course="") for line in sample_ticket().lines)
    job = decode(render(replace(sample_ticket(), lines=lines), TM_T20II))
    start = job.lines.index("-" * 48)
    assert job.lines[start + 1] == "1x Ayam bakar"
    assert not any(line.startswith("--") and line.strip("- ") for line in job.lines)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("3", "Table 3"),
        ("T1", "Table T1"),
        ("12A", "Table 12A"),
        (" 7 ", "Table 7"),
        ("Table 3", "Table 3"),
        ("Terrace 2", "Terrace 2"),
        ("Bar", "Bar"),
        ("Meja 4", "Meja 4"),
    ],
)
def test_a_table_reads_naturally(name, label):
    assert table_label(name) == label


@pytest.mark.parametrize(
    ("name", "rate_bp", "printed"),
    [
        ("IVA 13%", 1300, "incl. IVA 13%"),
        ("VAT", 1300, "incl. VAT 13%"),
        ("VAT 13 %", 1300, "incl. VAT 13 %"),
        ("TVA 5,5%", 550, "incl. TVA 5,5%"),
        ("GST 9.0%", 900, "incl. GST 9.0%"),
        ("MwSt. 7%", 1700, "incl. MwSt. 7% 17%"),  # another rate in the name: both are shown
        ("Tax 113%", 1300, "incl. Tax 113% 13%"),
        ("IVA 13%", 1350, "incl. IVA 13% 13.5%"),
    ],
)
def test_a_tax_rate_is_printed_once(name, rate_bp, printed):
    receipt = replace(sample_receipt(), taxes=(TaxLine(name, rate_bp, 445, included=True),))
    job = decode(render(receipt, TM_T20II))
    assert any(line.startswith(printed + "  ") for line in job.lines), job.text()


@pytest.mark.parametrize(
    ("currency", "total", "mark"),
    [
        ("EUR", "€27.90", "€"),
        ("IDR", "Rp 2,790", "Rp "),  # no decimals
        ("INR", "INR 27.90", "INR "),  # no code page has ₹
        ("CHF", "CHF 27.90", "CHF "),
        ("SEK", "27.90 kr", " kr"),
        ("KWD", "KWD 2.790", "KWD "),
    ],
)
@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_amounts_end_in_the_last_column_in_every_currency(currency, total, mark, profile):
    receipt = replace(sample_receipt(), currency=currency)
    job = decode(render(receipt, profile), escpos_profile=profile.escpos_profile)
    (total_line,) = [line for line in job.lines if line.startswith("TOTAL")]
    assert total_line.endswith(" " + total)
    amounts = [line for line in job.lines if mark in line]
    assert len(amounts) == 10  # 3 items, subtotal, discount, 2 taxes, total, cash, change
    assert all(len(line) == profile.columns for line in amounts), job.text()


@freeze_time("2024-05-17 19:42:00")
def test_document_time_is_printed_as_given():
    from datetime import datetime

    page = TestPage(printer_name="Bar", at=datetime.now())
    assert "2024-05-17 19:42" in decode(render(page, TM_T20II)).lines
    assert render(page, TM_T20II) == render(TestPage(printer_name="Bar", at=AT), TM_T20II)


def test_void_chit_lines():
    from printers.documents import VoidChit

    chit = VoidChit("Grill", "T1", "9", (KitchenLine(2, "Burger"),), reason="late")
    job = decode(render(chit, TM_T20II))
    assert job.lines[:3] == ["GRILL", "*** VOID ***", "T1"]
    assert "VOID 2x Burger" in job.lines and "Reason: late" in job.lines


def test_unknown_document_is_a_type_error():
    with pytest.raises(TypeError):
        render("not a document", TM_T20II)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pin", "expected"), [(2, b"\x1bp\x00\x32\x32"), (5, b"\x1bp\x01\x32\x32")]
)
def test_drawer_pulse(pin, expected):
    assert drawer_pulse(TM_T20II, pin) == expected


def test_drawer_pulse_on_printer_without_drawer_port():
    with pytest.raises(PrinterUnsupported):
        drawer_pulse(GENERIC_58MM)


def test_profiles_from_settings():
    assert TM_T20II.columns == 48 and TM_T88V.columns == 42 and GENERIC_58MM.columns == 32
    narrow = get_profile("TM-T20II", columns=42, codepages=["CP1252"])
    assert narrow.columns == 42 and narrow.codepage_slots == {"CP1252": 16}
    with pytest.raises(ValueError):
        get_profile("TM-UNKNOWN")
    with pytest.raises(ValueError):
        get_profile("TM-T20II", codepages=["CP9999"])


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_right_column_longer_than_the_paper_wraps_within_it(profile):
    """The table and staff row of a receipt, a report's values: a staff name of 60 letters
    ran past the paper's edge, for the printer to break wherever it ran out."""
    name = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft"
    receipt = replace(sample_receipt(), staff=name)
    job = decode(render(receipt, profile), escpos_profile=profile.escpos_profile)
    assert all(len(line) <= profile.columns for line in job.lines)
    assert name in "".join(line.strip() for line in job.lines)
    counter = replace(receipt, table="")  # a walk-in's: no blank line where a table would be
    job = decode(render(counter, profile), escpos_profile=profile.escpos_profile)
    start = next(i for i, line in enumerate(job.lines) if line.strip().startswith(name[:8]))
    assert job.lines[start - 1].startswith("Order 42")


def printed_codes(data: bytes, profile) -> list[tuple[int, str]]:
    """Each QR code of a job as a printer puts it on paper, with its width in dots, read back
    by a real QR reader (zxing-cpp): a native one drawn from its ``GS ( k`` commands (module
    size, error correction, data) as the printer draws it, a raster one from its image."""
    import segno
    import zxingcpp
    from PIL import Image, ImageOps

    pictures = []
    if profile.native_qr:
        commands = {}  # GS ( k pL pH cn fn ...: fn -> what follows it
        for match in re.finditer(rb"\x1d\(k", data):
            size = data[match.end()] + 256 * data[match.end() + 1]
            body = data[match.end() + 2 : match.end() + 2 + size]
            commands[body[1:2]] = body[2:]
        module = commands[b"C"][0]
        level = {48: "l", 49: "m", 50: "q", 51: "h"}[commands[b"E"][0]]
        payload = commands[b"P"][1:].decode()  # after m
        code = segno.make(payload, error=level, boost_error=False, micro=False)
        width = code.symbol_size(scale=module, border=0)[0]
        buffer = io.BytesIO()
        code.save(buffer, kind="png", scale=module, border=4)  # the paper's white around it
        pictures.append((width, Image.open(buffer)))
    else:
        for kind, raster in decode(data, escpos_profile=profile.escpos_profile).events:
            if kind == "image":
                dots = Image.frombytes("1", (raster.width, raster.height), raster.bits)
                paper = ImageOps.expand(ImageOps.invert(dots.convert("L")), 16, fill=255)
                pictures.append((raster.width, paper))
    found = []
    for width, picture in pictures:
        codes = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
        found += [(width, code.text) for code in codes]
    return found


@pytest.mark.parametrize("length", [40, 400, 1000])
@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_long_link_still_prints_as_a_code_within_the_paper(profile, length):
    """A payment provider's link runs to hundreds of characters. At the profile's module size
    the code of 400 was wider than a 58 mm printer's paper (python-escpos refused the image,
    failing the write that printed the bill) and the code of 1000 wider than 80 mm paper (a
    printer drawing it itself prints nothing then): modules are made smaller to fit."""
    url = "https://checkout.pay.example/c/pay/cs_live_"
    url += "x" * (length - len(url))
    data = render(TableQrTent(table="3", url=url), profile)
    [(width, text)] = printed_codes(data, profile)
    assert text == url and width <= profile.dots


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_long_note_or_modifier_wraps_under_itself_not_like_an_item(profile):
    """A wrapped note went on at the paper's edge, where items start: "2x sauce on the side"
    from a guest's note read as another item to cook."""
    note = "allergy: peanuts and sesame; well done, no salt at all, 2x sauce on the side please"
    modifier = "no onion, extra pickles, gluten free bun and a side of mayonnaise"
    line = KitchenLine(1, "Burger", (modifier,), note)
    ticket = replace(sample_ticket(), lines=(line,), note=note)
    job = decode(render(ticket, profile), escpos_profile=profile.escpos_profile)
    start = job.lines.index("1x Burger")
    under = job.lines[start + 1 : job.lines.index("-" * profile.columns, start)]
    assert under[0].startswith("   + ") and len(under) >= 4
    assert all(x.startswith(("   + ", "   ! ", "     ")) for x in under)
    assert [x for x in under if x.startswith("   ! ")]
    (first,) = [i for i, x in enumerate(job.lines) if x.startswith("! allergy")]
    assert job.lines[first + 1].startswith("  ") and job.lines[first + 1].strip()
    assert not any(x.lstrip() == x and x[:1].isdigit() for x in job.lines[start + 1 :])


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_label_beside_a_long_name_is_kept_whole_not_cut_into_slivers(profile):
    """Beside a long staff name, the table's name was wrapped into what room the name left:
    "Terrace" / "Upstairs" / "12, Seat" / "3  Maria-José..." on 80 mm paper, and
    "Refunded" / "by  Maria-José..." on a refund slip. A label beside a right side that takes
    most of the line goes whole on its own line, the right side flush right under it."""
    staff = "Maria-José Fernández de la Cruz"
    table = "Terrace Upstairs 12, Seat 3"
    receipt = replace(sample_receipt(), table=table, staff=staff)
    slip = replace(sample_documents()["refund_slip"], table=table, refunded_by=staff)
    for document, label in ((receipt, table), (slip, "Refunded by")):
        lines = decode(render(document, profile), escpos_profile=profile.escpos_profile).lines
        assert all(len(line) <= profile.columns for line in lines)
        assert any(line.startswith(label) for line in lines), lines
        assert any(line.endswith(staff) for line in lines), lines


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_long_word_beside_an_amount_is_not_cut_where_it_fits_on_a_line(profile):
    """A word longer than the room an amount of six digits leaves (a German dish on 58 mm paper)
    was cut in two: "1x Käsespätzlepfanneng" / "  ericht  €1,234.56", though the whole line
    held it. The name wraps across the paper, the amount beside its end (or under it)."""
    word = ("Käsespätzlepfannengericht" * 3)[: profile.columns - 6]
    receipt = replace(sample_receipt(), lines=(ReceiptLine(1, f"{word} mit Röstzwiebeln", 123456),))
    lines = decode(render(receipt, profile), escpos_profile=profile.escpos_profile).lines
    assert all(len(line) <= profile.columns for line in lines)
    assert f"1x {word}" in lines, lines
    assert any(line.endswith("€1,234.56") for line in lines), lines


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_a_right_to_left_name_is_drawn_not_printed_as_question_marks(profile):
    """No code page of these printers holds Arabic or Hebrew letters: a dish named "شوربة
    العدس" printed "2x ????? ?????" on the kitchen's ticket, which no cook can cook from. Such a
    line is drawn instead, shaped and right to left, within the paper's width."""
    ticket = replace(
        sample_ticket(),
        lines=(
            KitchenLine(2, "شوربة العدس", note="بدون كمون", course="STARTERS"),
            KitchenLine(1, "סלט ירקות", course="STARTERS"),
        ),
    )
    job = decode(render(ticket, profile), escpos_profile=profile.escpos_profile)
    assert not [line for line in job.lines if "?" in line], job.lines
    drawn = [value for kind, value in job.events if kind == "image"]
    assert len(drawn) == 3  # the two dishes and the note
    for raster in drawn:
        assert raster.width <= profile.dots
        assert any(raster.bits), "a blank image"
    assert job.text().index("STARTERS") < job.text().index("[image")  # in their place
