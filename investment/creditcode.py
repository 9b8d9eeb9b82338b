"""The unified social credit code (统一社会信用代码, GB 32100-2015) of an enterprise or organisation.

18 characters from the 31 of ``ALPHABET`` (digits and capital letters without I, O, Z, S, V):

=========  ==========================================================================================
position   meaning
=========  ==========================================================================================
1          登记管理部门代码 (registration authority: 1 机构编制, 5 民政, 9 工商/市场监管, Y 其他, …)
2          机构类别代码 (kind within the authority: under 9, 1 企业, 2 个体工商户, 3 农民专业合作社)
3–8        登记管理机关行政区划码, six digits of GB/T 2260 (100000 for national registrations)
9–17       主体标识码: the organisation code (组织机构代码) of GB 11714, whose 9th character (the code's
           17th) is its own check digit (weights 3 7 9 10 5 8 4 2, mod 11, 10 written X)
18         校验码: weights 3^(i-1) mod 31 (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28), mod 31
=========  ==========================================================================================

Both check digits are verified: a mistyped character anywhere in the first 17 changes the last one (31 is
prime and no weight is 0), and one in positions 9–16 usually changes both, so the message can say where.
Positions 1 and 2 are not checked against a table: the authorities add codes, and a wrong table would
refuse real enterprises while the check digits already catch typing errors.

Known exception: some codes issued in Xiamen before the standard took effect in 2016 are in use and fail
the last check digit (e.g. 91350203M0001QKT19, reported in chinabugotech/hutool#4119). ``validate``
refuses them like any other wrong check digit, with ``code="check_digit"``, so a form may let the user
confirm a code copied from the business licence instead.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES: Final = {char: value for value, char in enumerate(ALPHABET)}
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
LENGTH: Final = 18
# GB 11714-1997: the organisation code's eight body characters (digits, A=10 … Z=35) and their weights.
ORGANIZATION_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
# The letters left out of the alphabet, and what was probably meant by them.
_LOOKALIKES: Final = {"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"}


def normalise(text: str) -> str:
    """The code as it should be stored: full-width characters to half-width, upper case, every space
    (including the ideographic space) removed. "９１３５０１００ｍ０００ １００Ｙ４３ " → "91350100M000100Y43"."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 (normalised, from ``ALPHABET``); ValueError otherwise."""
    if len(first17) != LENGTH - 1 or any(char not in VALUES for char in first17):
        raise ValueError(f"17 characters of {ALPHABET} expected, got {first17!r}")
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[-total % 31]


def organization_check_digit(body: str) -> str:
    """The GB 11714 check character for the eight body characters of an organisation code (digits and
    capital letters): "0"–"9" or "X"; ValueError otherwise."""
    if len(body) != len(ORGANIZATION_WEIGHTS) or not re.fullmatch(r"[0-9A-Z]+", body):
        raise ValueError(f"8 digits or capital letters expected, got {body!r}")
    total = sum(int(char, 36) * weight for char, weight in zip(body, ORGANIZATION_WEIGHTS, strict=True))
    remainder = -total % 11
    return "X" if remainder == 10 else str(remainder)


def validate(code: str) -> str:
    """The normalised code, or ValidationError saying in Chinese what is wrong: the length (with a hint
    for the 15-character 注册号 and 9-character 组织机构代码 it replaced), the characters not allowed and
    where, a non-digit in the region code, or which check digit is wrong and what it should be.
    The error's ``code`` is one of required, length, character, region, organization_check_digit,
    check_digit."""
    value = normalise(code)
    if not value:
        raise ValidationError(_("请填写统一社会信用代码。"), code="required")
    if len(value) != LENGTH:
        message = _("统一社会信用代码应为18位，实际为%(count)d位。") % {"count": len(value)}
        if len(value) == 15 and value.isdigit():
            message += _("15位数字的是原工商注册号，请填写营业执照上的18位统一社会信用代码。")
        elif re.fullmatch(r"[0-9A-Z]{8}-?[0-9X]", value):
            message += _("这像是原组织机构代码，请填写营业执照或登记证书上的18位统一社会信用代码。")
        raise ValidationError(message, code="length")
    wrong = [(position, char) for position, char in enumerate(value, start=1) if char not in VALUES]
    if wrong:
        raise ValidationError(
            _("统一社会信用代码只用数字和大写字母（不用I、O、Z、S、V），%(chars)s。")
            % {"chars": "，".join(_wrong_character(position, char) for position, char in wrong)},
            code="character",
        )
    letters = [(position, char) for position, char in enumerate(value[2:8], start=3) if not char.isdigit()]
    if letters:
        position, char = letters[0]
        raise ValidationError(
            _("第%(position)d位“%(char)s”应为数字：第3至8位是登记管理机关的行政区划代码。")
            % {"position": position, "char": char},
            code="region",
        )
    expected = organization_check_digit(value[8:16])
    if value[16] != expected:
        raise ValidationError(
            _("第9至17位组织机构代码的校验码错误：第17位应为“%(expected)s”，实际为“%(actual)s”，"
              "请核对第9至17位。") % {"expected": expected, "actual": value[16]},
            code="organization_check_digit",
        )
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("校验码错误：第18位应为“%(expected)s”，实际为“%(actual)s”，请核对代码是否抄错。")
            % {"expected": expected, "actual": value[17]},
            code="check_digit",
        )
    return value


def _wrong_character(position: int, char: str) -> str:
    meant = _LOOKALIKES.get(char)
    if meant is None:
        return _("第%(position)d位“%(char)s”不能使用") % {"position": position, "char": char}
    return _("第%(position)d位“%(char)s”不能使用，是否应为“%(meant)s”") % {
        "position": position, "char": char, "meant": meant,
    }


def region_code(code: str) -> str:
    """The six-digit region code of the registration authority (positions 3–8) of a valid code;
    ValidationError for an invalid one."""
    return validate(code)[2:8]


def organization_code(code: str) -> str:
    """The organisation code (positions 9–17) of a valid code, written as on the old certificates:
    "M000100Y-4"; ValidationError for an invalid one."""
    value = validate(code)
    return f"{value[8:16]}-{value[16]}"
