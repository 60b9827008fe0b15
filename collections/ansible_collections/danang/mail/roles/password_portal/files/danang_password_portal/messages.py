# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every text the page shows, in Vietnamese (the default; NFC) and English.

A rule's English text is ``passwords.PROBLEM_MESSAGES`` (one source for the meaning and its R-id);
the Vietnamese one says the same. ``mismatch`` and ``same`` are the page's own checks: the two
fields differ, the new password is the current one.
"""

from __future__ import annotations

import unicodedata

from ansible_collections.danang.mail.plugins.module_utils.passwords import (
    MIN_LENGTH,
    MIN_NAME_WORD,
    PROBLEM_MESSAGES,
)

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

_PROBLEMS_VI = {
    "too_short": f"Mật khẩu ngắn hơn {MIN_LENGTH} ký tự (R-42).",
    "no_upper": "Mật khẩu chưa có chữ in hoa (R-42).",
    "no_lower": "Mật khẩu chưa có chữ thường (R-42).",
    "no_digit": "Mật khẩu chưa có chữ số (R-42).",
    "no_special": "Mật khẩu chưa có ký tự đặc biệt, ví dụ + - = / _ (R-42).",
    "name": f"Mật khẩu chứa một từ trong họ tên của bạn (từ {MIN_NAME_WORD} chữ cái trở lên) (R-43).",
    "birth_date": "Mật khẩu chứa ngày sinh của bạn (R-43).",
    "phone": "Mật khẩu chứa số điện thoại của bạn (R-43).",
    "mismatch": "Hai ô mật khẩu mới không giống nhau.",
    "same": "Mật khẩu mới trùng với mật khẩu hiện tại.",
}
_PROBLEMS_EN = {
    **{code: f"The password {text}." for code, text in PROBLEM_MESSAGES.items()},
    "mismatch": "The two new password fields differ.",
    "same": "The new password is the current one.",
}

_TEXTS_VI = {
    "title": "Đổi mật khẩu thư điện tử",
    "city": "Thành phố Đà Nẵng",
    "intro": (
        "Trang này đổi mật khẩu hộp thư công vụ của bạn trên mọi hệ thống thư của thành phố cùng một lúc."
        " Mật khẩu ban đầu phải được đổi ngay lần đầu sử dụng (R-40)."
    ),
    "address": "Địa chỉ thư",
    "password": "Mật khẩu hiện tại (hoặc mật khẩu ban đầu)",
    "sign_in": "Đăng nhập",
    "sign_in_error": "Địa chỉ thư hoặc mật khẩu không đúng, hoặc tài khoản đang bị khóa. Xin thử lại sau.",
    "signed_in_as": "Đang đổi mật khẩu cho",
    "new_password": "Mật khẩu mới",
    "confirm_password": "Nhập lại mật khẩu mới",
    "rules": (
        f"Mật khẩu mới có ít nhất {MIN_LENGTH} ký tự, gồm chữ in hoa, chữ thường, chữ số và ký tự đặc biệt"
        " (R-42), và không chứa họ tên, ngày sinh hay số điện thoại của bạn (R-43)."
    ),
    "problems": "Mật khẩu mới chưa đạt:",
    "change": "Đổi mật khẩu",
    "sign_out": "Thoát",
    "expired": "Phiên làm việc đã hết hạn. Xin đăng nhập lại.",
    "too_many": "Quá nhiều yêu cầu. Xin thử lại sau.",
    "outcome_changed": "Mật khẩu đã được đổi trên mọi hệ thống thư. Từ bây giờ hãy dùng mật khẩu mới.",
    "outcome_refused": (
        "Mật khẩu mới không được chấp nhận. Không có gì thay đổi: mật khẩu cũ vẫn dùng được."
        " Xin đăng nhập lại và chọn mật khẩu khác."
    ),
    "outcome_rolled_back": (
        "Không đổi được mật khẩu trên một hệ thống thư, nên các thay đổi đã được hoàn lại:"
        " mật khẩu cũ vẫn dùng được. Xin thử lại sau."
    ),
    "outcome_inconsistent": (
        "Không rõ mật khẩu của bạn hiện đang là mật khẩu cũ hay mới trên từng hệ thống thư."
        " Đừng thử lại; xin gọi {help_contact}."
    ),
    "again": "Về trang đăng nhập",
    "help": "Cần giúp đỡ: {help_contact}",
    "not_found": "Không có trang này.",
    "error": "Đã có lỗi. Xin thử lại sau.",
    "csrf": "Biểu mẫu đã cũ. Xin tải lại trang và thử lại.",
    "script_hint": "Các quy tắc được kiểm tra khi bạn gõ; nếu trình duyệt tắt JavaScript, khi bạn bấm Đổi.",
}
_TEXTS_EN = {
    "title": "Change your mail password",
    "city": "Da Nang City",
    "intro": (
        "This page changes the password of your official mailbox on every mail system of the city at once."
        " An initial password must be changed at first use (R-40)."
    ),
    "address": "Mail address",
    "password": "Current password (or initial password)",
    "sign_in": "Sign in",
    "sign_in_error": "Wrong mail address or password, or the account is locked. Please try again later.",
    "signed_in_as": "Changing the password of",
    "new_password": "New password",
    "confirm_password": "New password again",
    "rules": (
        f"The new password has at least {MIN_LENGTH} characters with upper-case and lower-case letters,"
        " digits and special characters (R-42), and holds none of your name, date of birth or phone"
        " number (R-43)."
    ),
    "problems": "The new password does not yet follow the rules:",
    "change": "Change password",
    "sign_out": "Sign out",
    "expired": "Your session has ended. Please sign in again.",
    "too_many": "Too many requests. Please try again later.",
    "outcome_changed": (
        "Your password has been changed on every mail system. Use the new password from now on."
    ),
    "outcome_refused": (
        "The new password was not accepted. Nothing changed: the old password still works."
        " Please sign in again and choose another one."
    ),
    "outcome_rolled_back": (
        "The password could not be changed on one of the mail systems, so the changes were undone:"
        " the old password still works. Please try again later."
    ),
    "outcome_inconsistent": (
        "It is not certain whether each mail system now has your old or your new password."
        " Do not try again; please call {help_contact}."
    ),
    "again": "Back to sign-in",
    "help": "Help: {help_contact}",
    "not_found": "There is no such page.",
    "error": "Something went wrong. Please try again later.",
    "csrf": "The form has expired. Please reload the page and try again.",
    "script_hint": "The rules are checked as you type; without JavaScript, when you press Change.",
}

TEXTS = {"vi": _TEXTS_VI, "en": _TEXTS_EN}
PROBLEMS = {"vi": _PROBLEMS_VI, "en": _PROBLEMS_EN}


def text(language: str, key: str, **values: str) -> str:
    return unicodedata.normalize("NFC", TEXTS[language][key].format(**values))


def problem(language: str, code: str) -> str:
    return unicodedata.normalize("NFC", PROBLEMS[language][code])
