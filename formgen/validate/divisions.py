"""GB/T 2260 administrative division codes: the provinces, and Liaoning with its 14 cities.

The table is what formgen's forms name directly (the 14 cities of the
Liaoning statistics forms).  Other codes in use (counties, other provinces'
cities) are looked up in the GB/T 2260 history that python-stdnum ships for
checking 居民身份证号码; a code counts as in use when that history has no end
year for it.
"""

from __future__ import annotations

import re

from stdnum import numdb

PROVINCES: dict[str, str] = {
    "110000": "北京市", "120000": "天津市", "130000": "河北省", "140000": "山西省", "150000": "内蒙古自治区",
    "210000": "辽宁省", "220000": "吉林省", "230000": "黑龙江省",
    "310000": "上海市", "320000": "江苏省", "330000": "浙江省", "340000": "安徽省", "350000": "福建省",
    "360000": "江西省", "370000": "山东省",
    "410000": "河南省", "420000": "湖北省", "430000": "湖南省", "440000": "广东省", "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市", "510000": "四川省", "520000": "贵州省", "530000": "云南省", "540000": "西藏自治区",
    "610000": "陕西省", "620000": "甘肃省", "630000": "青海省", "640000": "宁夏回族自治区", "650000": "新疆维吾尔自治区",
    "710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区",
}

LIAONING = "210000"
LIAONING_CITIES: dict[str, str] = {
    "210100": "沈阳市", "210200": "大连市", "210300": "鞍山市", "210400": "抚顺市", "210500": "本溪市",
    "210600": "丹东市", "210700": "锦州市", "210800": "营口市", "210900": "阜新市", "211000": "辽阳市",
    "211100": "盘锦市", "211200": "铁岭市", "211300": "朝阳市", "211400": "葫芦岛市",
}

_KNOWN = {**PROVINCES, **LIAONING_CITIES}
_PERIOD = re.compile(r"\[(?P<start>\d*)-(?P<end>\d*)\](?P<name>.+)")


def division_name(code: str) -> str | None:
    """The name of a division code in use (``210200`` -> ``大连市``), else None."""
    if code in _KNOWN:
        return _KNOWN[code]
    if not re.fullmatch(r"\d{6}", code):
        return None
    info = {key: value for _part, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    for entry in info.get("county", "").split(","):
        m = _PERIOD.fullmatch(entry)
        if entry and (m is None or not m["end"]):
            return m["name"] if m else entry
    return None
