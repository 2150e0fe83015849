"""No traceback reaches a user: an output that cannot be written is one message naming the file and what
to do (exit 2), nothing half-written is left behind; anything unexpected is one message without its text."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FORMS, ROOT, run_cli


def _chattr(flag: str, path) -> bool:
    return shutil.which("chattr") is not None and subprocess.run(
        ["chattr", flag, str(path)], capture_output=True).returncode == 0


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Errno" not in result.output


def test_an_output_open_in_another_program_is_one_message(tmp_path):
    out = tmp_path / "报告表.xlsx"
    out.write_bytes(b"the clerk's earlier file")
    if not _chattr("+i", out):
        pytest.skip("chattr +i is not available here (needs root and a file system that supports it)")
    try:
        result = run_cli("generate", "incident-report", "-o", str(out))
    finally:
        _chattr("-i", out)
    assert result.exit_code == 2
    assert f"错误：无法写入 {out}：它可能正在被其他程序（Excel、WPS、PDF 阅读器）打开" in result.stderr
    assert "请关闭该文件后重新运行命令" in result.stderr
    _no_traceback(result)
    assert out.read_bytes() == b"the clerk's earlier file"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_read_only_folder_is_one_message(tmp_path):
    folder = tmp_path / "只读"
    folder.mkdir()
    if os.geteuid() == 0:
        if not _chattr("+i", folder):
            pytest.skip("root ignores permissions and chattr +i is not available")
    else:
        folder.chmod(0o555)
    try:
        result = run_cli("generate", "incident-report", "-o", str(folder / "x.pdf"), lang="en")
        assert list(folder.iterdir()) == []
    finally:
        _chattr("-i", folder) if os.geteuid() == 0 else folder.chmod(0o755)
    assert result.exit_code == 2
    assert f"Error: {folder / 'x.pdf'} cannot be written: it is open in another program" in result.stderr
    _no_traceback(result)


def test_no_such_folder_is_one_message(tmp_path):
    out = tmp_path / "没有" / "x.docx"
    result = run_cli("generate", "incident-report", "-o", str(out))
    assert result.exit_code == 2
    assert f"错误：文件夹 {out.parent} 不存在，无法写入 {out}。请先建好这个文件夹" in result.stderr
    assert not out.parent.exists()
    folder = run_cli("generate", "incident-report", "-o", str(tmp_path))
    assert folder.exit_code == 2 and f"{tmp_path} 是一个文件夹" in folder.stderr


@pytest.fixture
def tiny_disk(tmp_path):
    """A 16 KiB file system (tmpfs): too small for a PDF form (a blank one is about 50 KiB)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_message_and_leaves_nothing_behind(tiny_disk):
    out = tiny_disk / "报告表.pdf"
    result = run_cli("generate", "incident-report", "-o", str(out))
    assert result.exit_code == 2
    assert f"错误：磁盘已满：没有写入 {out}。请腾出空间，或者用 -o 写到另一个磁盘。" in result.stderr
    _no_traceback(result)
    assert list(tiny_disk.iterdir()) == []


def test_an_unexpected_error_is_one_message_without_its_text(tmp_path):
    """Fault injection: a compiler that fails in a way formgen does not know; the program says so in one
    message, without the exception's text (which may quote personal data) and exits 2."""
    script = (
        "import sys\n"
        "from formgen.compile import COMPILERS\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('张某某 110101200501010012')\n"
        "COMPILERS['xlsx'].compile = broken\n"
        "from formgen.cli import main\n"
        f"sys.argv = ['formgen', '--forms', {str(FORMS)!r}, 'generate', 'incident-report', '-o', {str(tmp_path / 'x.xlsx')!r}]\n"
        "main()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "FORMGEN_LANG")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == ("错误：formgen 内部出现意外问题（RuntimeError），已停止。您的文件没有被改动。"
                                   "请把您运行的命令告诉负责维护 formgen 的人员。")
    assert done.stdout == ""
    debug = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**env, "FORMGEN_DEBUG": "1"},
                           capture_output=True, text=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "RuntimeError" in debug.stderr
