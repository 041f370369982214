"""The REPRINT banner sent before a job that goes out again."""

from printers.decoder import decode
from printers.profiles import TM_T20II
from printers.render import reprint_banner


def test_reprint_banner_golden(golden):
    golden("reprint_banner__TM-T20II", reprint_banner(TM_T20II))


def test_reprint_banner_prints_one_big_centred_line():
    job = decode(reprint_banner(TM_T20II))
    assert job.lines == ["*** REPRINT ***"]
    line = job.printed_lines[0]
    assert line.bold and line.align == "center" and line.width == 2
