"""The unified social credit code (``investment.creditcode``): both check digits, the messages, normalising."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from investment.creditcode import (
    ALPHABET,
    check_digit,
    normalise,
    organization_check_digit,
    organization_code,
    region_code,
    validate,
)

# Codes published by the enterprises and registries that issued them, recalled from public records; the tests
# rely only on their check digits, which the algorithm confirms (a wrongly remembered code passes both checks
# with a chance of 1 in 341). 91350100M000100Y43 is the example every description of GB 32100 uses.
PUBLISHED = [
    "91350100M000100Y43",
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司: an organisation code whose check character is X
    "91440300192317458F",  # 比亚迪股份有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91440300MA5H0HLK5U",  # an "MA" code, issued after 2015 by the market regulator
]
# A real code issued in Xiamen before the standard took effect, that fails the last check digit
# (chinabugotech/hutool#4119): refused like a typo, with a code a form can recognise.
XIAMEN_LEGACY = "91350203M0001QKT19"


@pytest.fixture(autouse=True, scope="module")
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def error(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        validate(code)
    return raised.value


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert validate(code) == code
    assert check_digit(code[:17]) == code[17]
    assert organization_check_digit(code[8:16]) == code[16]


def test_the_check_digits_by_hand() -> None:
    # 91350100M000100Y4: Σ value × weight = 1640 = 52·31 + 28; 31 − 28 = 3.
    assert check_digit("91350100M000100Y4") == "3"
    # M000100Y: M=22, Y=34; 22·3 + 1·5 + 34·2 = 139 = 12·11 + 7; 11 − 7 = 4.
    assert organization_check_digit("M000100Y") == "4"
    assert organization_check_digit("71526726") == "X"  # remainder 10 is written X
    assert organization_check_digit("00000000") == "0"  # remainder 0 (11) is written 0


def test_codes_made_with_the_algorithm_are_valid() -> None:
    for first8, body in [("91320506", "MA1MXY8B"), ("12370700", "00433887"), ("52110000", "50000123")]:
        first16 = first8 + body
        first17 = first16 + organization_check_digit(body)
        code = first17 + check_digit(first17)
        assert validate(code.lower()) == code
        assert region_code(code) == first8[2:]


def test_normalise() -> None:
    assert normalise("９１３５０１００ｍ０００　１００Ｙ４３ ") == "91350100M000100Y43"
    assert normalise(" 91350100m000100y43\n") == "91350100M000100Y43"
    assert normalise("") == ""
    assert validate("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_region_and_organisation_code() -> None:
    assert region_code("91350100M000100Y43") == "350100"
    assert organization_code("91350100M000100Y43") == "M000100Y-4"
    with pytest.raises(ValidationError):
        region_code("91350100M000100Y44")


def test_blank() -> None:
    assert error("  ").code == "required"
    assert error("").messages == ["请填写统一社会信用代码。"]


def test_length() -> None:
    raised = error("91350100M000100Y4")
    assert raised.code == "length"
    assert raised.messages == ["统一社会信用代码应为18位，实际为17位。"]
    assert "实际为19位" in error("91350100M000100Y433").messages[0]


def test_length_hints_for_the_numbers_it_replaced() -> None:
    assert "原工商注册号" in error("350100100012345").messages[0]
    assert "原组织机构代码" in error("M000100Y-4").messages[0]
    assert "原组织机构代码" in error("M000100Y4").messages[0]


def test_characters_not_allowed_say_where_and_what_was_meant() -> None:
    raised = error("91350100MOOO1OOY43")
    assert raised.code == "character"
    message = raised.messages[0]
    assert "不用I、O、Z、S、V" in message
    assert "第10位“O”不能使用，是否应为“0”" in message
    assert "第15位“O”" in message
    assert "第8位" not in message
    assert "第1位“-”不能使用" in error("-1350100M000100Y43").messages[0]
    assert "第18位“I”不能使用，是否应为“1”" in error("91350100M000100Y4I").messages[0]


def test_the_region_code_is_six_digits() -> None:
    raised = error("9135A100M000100Y43")
    assert raised.code == "region"
    assert raised.messages == ["第5位“A”应为数字：第3至8位是登记管理机关的行政区划代码。"]


def test_a_wrong_organisation_check_digit() -> None:
    raised = error("91350100M000100Y53")
    assert raised.code == "organization_check_digit"
    assert raised.messages == ["第9至17位组织机构代码的校验码错误：第17位应为“4”，实际为“5”，请核对第9至17位。"]


def test_a_typo_in_the_organisation_code_is_reported_there() -> None:
    # 9 typed for 0 at position 12: the organisation code's own check digit no longer fits.
    assert error("91350100M009100Y43").code == "organization_check_digit"


def test_a_wrong_check_digit_says_what_it_should_be() -> None:
    raised = error("91350100M000100Y44")
    assert raised.code == "check_digit"
    assert raised.messages == ["校验码错误：第18位应为“3”，实际为“4”，请核对代码是否抄错。"]
    # A typo in the region code changes only the last check digit.
    assert error("91350200M000100Y43").code == "check_digit"


def test_the_xiamen_legacy_code_is_refused_with_a_recognisable_code() -> None:
    assert error(XIAMEN_LEGACY).code == "check_digit"


def test_check_digit_wants_17_characters_of_the_alphabet() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        check_digit("91350100M000100Y")
    with pytest.raises(ValueError, match="17 characters"):
        check_digit("91350100M000100O4")
    with pytest.raises(ValueError, match="8 digits"):
        organization_check_digit("m000100y")


valid_codes = st.builds(
    lambda head, region, body: _complete(head + region + body),
    st.text(ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=8, max_size=8),
)


def _complete(first16: str) -> str:
    first17 = first16 + organization_check_digit(first16[8:])
    return first17 + check_digit(first17)


@given(code=valid_codes)
def test_generated_codes_are_valid_in_any_case_and_width(code: str) -> None:
    assert validate(code) == code
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in code.lower())
    assert validate(full_width) == code


@given(code=valid_codes, position=st.integers(0, 17), replacement=st.sampled_from(ALPHABET))
def test_any_single_wrong_character_is_caught(code: str, position: int, replacement: str) -> None:
    typed = code[:position] + replacement + code[position + 1:]
    if typed != code:
        with pytest.raises(ValidationError):
            validate(typed)


@given(code=valid_codes, position=st.integers(0, 15))
def test_any_swap_of_neighbours_is_caught(code: str, position: int) -> None:
    # Within the first 17 characters: the weights of neighbours differ (3^i·(3 − 1) is never 0 mod 31).
    typed = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    if typed != code:
        with pytest.raises(ValidationError):
            validate(typed)
