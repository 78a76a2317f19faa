"""The path policy (argen_rl/paths.py) and the image-header reader (argen_rl/image_header.py)."""
from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest

from argen_rl.image_header import image_info, sniff_format
from argen_rl.paths import Root, UnsafePathError, check_name, check_relpath, output_path, safe_name, shorten


@pytest.mark.parametrize("name", ["00001", "S005", "Daily_life_Happy_0001", "Grace Hopper", "é-ü"])
def test_safe_names_pass(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name,why", [("", "empty"), ("  ", "empty"), ("..", "'..'"), (".", "'.'"),
                                      ("a/b", "separator"), ("a\\b", "separator"), ("../../x", "separator"),
                                      ("/etc/passwd", "separator"), ("a\x00b", "control"), ("a\nb", "control"),
                                      ("x" * 256, "255 bytes")])
def test_unsafe_names_fail_with_one_line(name, why):
    with pytest.raises(UnsafePathError, match=why) as err:
        check_name(name, "video_name")
    assert "\n" not in str(err.value) and len(str(err.value)) < 160 and "video_name" in str(err.value)


def test_relative_paths():
    assert check_relpath("Daily/Happy/0001") == ("Daily", "Happy", "0001")
    assert check_relpath("./a//b/") == ("a", "b")
    for bad, why in [("/abs/x", "absolute"), ("C:/x", "absolute"), ("a/../b", "'..'"), ("..", "'..'"),
                     ("a\\b", "backslash"), ("a/\x01", "control"), ("./", "names no file")]:
        with pytest.raises(UnsafePathError, match=why):
            check_relpath(bad)


def test_root_containment_and_symlinks(tmp_path):
    root, out = tmp_path / "root", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    out.mkdir()
    (root / "inner").symlink_to(root / "sub")
    (root / "outer").symlink_to(out)
    (root / "loop").symlink_to(root / "loop")
    r = Root.of(root)
    assert r.child("sub") == root / "sub" and r.child("inner") == root / "inner"
    with pytest.raises(UnsafePathError, match="symlink leaves the dataset root"):
        r.child("outer")
    with pytest.raises(UnsafePathError, match="'..'"):
        r.child("sub/../../elsewhere")
    assert r.escape(root / "loop") is not None                      # a loop is refused, not followed forever
    assert Root.of(root, follow_symlinks=True).escape(root / "outer") is None
    assert Root.of(root, linked=(out,)).escape(root / "outer") is None


def test_output_names_are_sanitised_and_distinct(tmp_path):
    assert safe_name("S005") == "S005" and safe_name("00001.png") == "00001.png"
    a, b = safe_name("a/b"), safe_name("a_b")
    assert a != b and "/" not in a and b == "a_b"
    assert not safe_name(".hidden").startswith(".") and len(safe_name("x" * 1000)) <= 100
    p = output_path(tmp_path / "ids", "../../../etc/pwned", suffix=".png")
    assert p.parent == tmp_path / "ids" and p.suffix == ".png"
    (tmp_path / "ids").mkdir()
    (tmp_path / "ids" / "link").symlink_to(tmp_path.parent)
    with pytest.raises(UnsafePathError, match="resolves outside"):
        output_path(tmp_path / "ids", "link", "x")   # each part is sanitised, the result is still checked
    assert len(shorten("y" * 10_000)) < 60


def _enc(img, ext):
    return cv2.imencode(ext, img)[1].tobytes()


@pytest.mark.parametrize("ext,fmt", [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WebP"), (".bmp", "BMP")])
def test_header_size_of_each_format(ext, fmt):
    img = np.zeros((37, 53, 3), np.uint8)
    info = image_info(_enc(img, ext))
    assert info is not None and (info.format, info.width, info.height) == (fmt, 53, 37)


def test_lossless_webp_and_damaged_headers():
    img = np.zeros((21, 30, 3), np.uint8)
    lossless = cv2.imencode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 101])[1].tobytes()
    assert image_info(lossless)[1:] == (30, 21)
    png = bytearray(_enc(img, ".png"))
    png[12:16] = b"XXXX"
    assert sniff_format(bytes(png)) == "PNG" and image_info(bytes(png)) is None
    jpg = _enc(img, ".jpg")
    assert image_info(jpg[:20]) is None                               # cut before its frame header
    assert image_info(b"#?RADIANCE\n") is None and image_info(b"") is None
    big = bytearray(jpg)
    i = big.index(b"\xff\xc0")
    big[i + 5:i + 9] = struct.pack(">HH", 0, 10)
    assert image_info(bytes(big)) is None                             # zero height: no size
