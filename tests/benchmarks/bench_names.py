"""Synthetic Vietnamese people for the OBM benchmark (bench_obm.py): names, agencies, departments.

Deterministic for a given seed. Names are drawn from common family, middle and given names so that
the plain address forms collide as they do in a real city (``dungnv``, ``dungnv1``, ...) and the
project's allocation library has to number them (R-13).
"""

from __future__ import annotations

import random
from typing import Any

FAMILY = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
    "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đào", "Đoàn", "Trương", "Lương",
)  # fmt: skip
MIDDLE = (
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu",
    "Hoài", "Kim", "Công", "Đình", "Bảo", "Anh", "Gia", "Phương", "Thành", "Mỹ",
)  # fmt: skip
GIVEN = (
    "An", "Anh", "Bình", "Châu", "Chi", "Cường", "Dũng", "Dung", "Duy", "Giang",
    "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh",
    "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Nhung", "Phong", "Phúc", "Phương",
    "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tuấn",
    "Uyên", "Việt", "Vy", "Yến", "Hiền", "Lộc", "Tài", "Vinh", "Đạt", "Khoa",
)  # fmt: skip
DEPARTMENTS = (
    ("vanphong", "Văn phòng"),
    ("tonghop", "Phòng Tổng hợp"),
    ("kehoach", "Phòng Kế hoạch - Tài chính"),
    ("thanhtra", "Thanh tra"),
)
PEOPLE_PER_AGENCY = 2000


def agency_abbreviation(index: int) -> str:
    return f"bm{index:03d}"


def synthetic_city(people: int, seed: int = 3) -> list[dict[str, Any]]:
    """Agency documents (as the desired-state files hold them) for ``people`` synthetic persons."""
    rng = random.Random(seed)
    agencies: list[dict[str, Any]] = []
    count = max(1, -(-people // PEOPLE_PER_AGENCY))
    serial = 0
    for index in range(1, count + 1):
        size = min(PEOPLE_PER_AGENCY, people - serial)
        doc: dict[str, Any] = {
            "abbreviation": agency_abbreviation(index),
            "name": f"Cơ quan thử tải số {index}",
            "mailbox": True,
            "departments": [{"abbreviation": a, "name": n, "mailbox": True} for a, n in DEPARTMENTS],
            "people": [],
        }
        for _ in range(size):
            serial += 1
            person: dict[str, Any] = {
                "id": f"BM-{serial:07d}",
                "family_name": rng.choice(FAMILY),
                "given_name": rng.choice(GIVEN),
                "department": rng.choice(DEPARTMENTS)[0],
                "requested_on": f"20{rng.randint(10, 25):02d}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
            }
            # Most people have one middle name, some two, a few none.
            middles = rng.choices((0, 1, 2), weights=(1, 12, 4))[0]
            if middles:
                person["middle_name"] = " ".join(rng.sample(MIDDLE, middles))
            if rng.random() < 0.05:
                person["rank"] = rng.randint(1, 6)
            doc["people"].append(person)
        agencies.append(doc)
    return agencies
