#!/usr/bin/env bash
# Install the Debian packages formgen needs, only those that are missing.
#   bootstrap-system.sh fonts   -> CJK fonts (enough to generate documents; a TrueType one for PDF fields)
#   bootstrap-system.sh test    -> fonts + LibreOffice with its Python UNO bridge, poppler (with poppler-data), pdftk, mupdf, qpdf, gnumeric (ssconvert),
#                                  Node.js with the JavaScript clients of tests/js (pdf.js, SheetJS, ExcelJS)
set -euo pipefail
need=()
have_cjk_font() { fc-list :lang=zh family 2>/dev/null | grep -q .; }
# PDF form fields need a TrueType-outline CJK font (WenQuanYi Micro Hei); Noto CJK (OTF) draws the page.
have_truetype_cjk_font() { fc-list :lang=zh:fontformat=TrueType family 2>/dev/null | grep -q .; }
command -v fc-list >/dev/null || need+=(fontconfig)
have_cjk_font || need+=(fonts-noto-cjk)
have_truetype_cjk_font || need+=(fonts-wqy-microhei)
# Letters (GB/T 9704) name 仿宋_GB2312 / 方正小标宋简体 / 黑体 / 楷体_GB2312; fontconfig maps them to these free fonts.
have_family() { fc-list "$1" family 2>/dev/null | grep -q .; }
have_family "AR PL UMing CN" || need+=(fonts-arphic-uming)
have_family "AR PL UKai CN" || need+=(fonts-arphic-ukai)
have_family "Noto Serif CJK SC" || need+=(fonts-noto-cjk)
if [ "${1:-fonts}" = test ]; then
  command -v soffice >/dev/null || need+=(libreoffice-calc-nogui libreoffice-writer-nogui)
  /usr/bin/python3 -c 'import uno' 2>/dev/null || need+=(python3-uno)
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
  # poppler draws non-embedded Chinese fonts (the one MuPDF writes filled fields in) only with these CMaps
  [ -d /usr/share/poppler/cMap/Adobe-GB1 ] || need+=(poppler-data)
  command -v pdftk >/dev/null || need+=(pdftk-java)
  command -v mutool >/dev/null || need+=(mupdf-tools)
  command -v qpdf >/dev/null || need+=(qpdf)
  command -v ssconvert >/dev/null || need+=(gnumeric)
  command -v npm >/dev/null || need+=(nodejs npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "formgen needs these Debian packages: ${need[*]}; install them as root (apt-get install ${need[*]})." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# FandolFang, the free 仿宋 (GB 2312 coverage), ships only in TeX Live's texlive-lang-chinese: take its font files
# from the .deb without installing TeX (apt-get download + dpkg-deb -x) into /usr/local/share/fonts/fandol.
if ! have_family FandolFang; then
  if [ "$(id -u)" = 0 ]; then
    echo "Extracting the Fandol fonts (FandolFang 仿宋) from texlive-lang-chinese"
    work="$(mktemp -d)"
    (cd "$work" && apt-get download texlive-lang-chinese >/dev/null 2>&1 || { apt-get update -qq && apt-get download texlive-lang-chinese >/dev/null; })
    dpkg-deb -x "$work"/texlive-lang-chinese_*.deb "$work/x"
    install -d /usr/local/share/fonts/fandol
    find "$work/x" -path '*/fonts/opentype/public/fandol/FandolFang-*.otf' -exec install -m 644 {} /usr/local/share/fonts/fandol/ \;
    rm -rf "$work"
    fc-cache -f /usr/local/share/fonts/fandol >/dev/null
  else
    echo "formgen: no FandolFang; as root, this script extracts it from texlive-lang-chinese (letters then print in 仿宋)." >&2
  fi
fi
# After fontconfig is installed: its folder of settings exists only then.
conf="$(dirname "$0")/fontconfig/65-formgen-gbt9704.conf"
if ! cmp -s "$conf" /etc/fonts/conf.d/65-formgen-gbt9704.conf; then
  if [ "$(id -u)" = 0 ]; then
    install -D -m 644 "$conf" /etc/fonts/conf.d/65-formgen-gbt9704.conf
  else
    echo "formgen: copy $conf to /etc/fonts/conf.d/ (as root) so letters print in the substitute fonts." >&2
  fi
fi
# The JavaScript programs the tests fill and re-save documents with (pdf.js, SheetJS, ExcelJS), at the versions
# pinned in tests/js/package-lock.json, installed into a cache folder outside the work tree (tests/js_clients.py
# finds them there); again only when the pinned versions changed.
if [ "${1:-fonts}" = test ]; then
  here="$(cd "$(dirname "$0")/.." && pwd)"
  js_cache="${FORMGEN_JS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/formgen/js}"
  if ! cmp -s "$here/tests/js/package-lock.json" "$js_cache/installed-lock.json"; then
    echo "Installing the tests' JavaScript clients into $js_cache"
    mkdir -p "$js_cache"
    cp "$here/tests/js/package.json" "$here/tests/js/package-lock.json" "$js_cache/"
    (cd "$js_cache" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$js_cache/package-lock.json" "$js_cache/installed-lock.json"
  fi
fi
