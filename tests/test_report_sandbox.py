"""Hostile report templates (report --template): none runs code, exhausts memory or hangs.

Each template is a .docx built here with python-docx. Every attack that could run a command tries to
create a marker file (``os.system``/``popen``/``subprocess``); the test asserts the marker never appears,
and that the render ends in a Chinese ReportError or in an output that only shows text.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from docx import Document
from test_report import FULL_TEXT, seed_evaluation

from perfeval_xl.report import ReportError, render_report
from perfeval_xl.report_sandbox import MAX_OUTPUT, MAX_STEPS, ReportSandbox, TemplateLimit
from perfeval_xl.rules.scoring import score


def _template(tmp_path: Path, *paragraphs: str, name: str = "恶意模板.docx") -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    path = tmp_path / name
    doc.save(str(path))
    return path


def _render(tmp_path: Path, template: Path) -> Path:
    ev = seed_evaluation(FULL_TEXT)
    return render_report(ev, score(ev), tmp_path / "报告.docx", template=template)


def _marker_attacks(marker: Path) -> list[str]:
    cmd = f"touch {marker}"
    return [
        "{{ cycler.__init__.__globals__.os.system('" + cmd + "') }}",
        "{{ joiner.__init__.__globals__.os.popen('" + cmd + "').read() }}",
        "{{ lipsum.__globals__['os'].popen('" + cmd + "').read() }}",
        "{{ namespace.__init__.__globals__.os.system('" + cmd + "') }}",
        "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('" + cmd + "') }}",
        "{{ unit.__class__.__mro__[1].__subclasses__() }}",
        "{% for c in ''.__class__.__base__.__subclasses__() %}{% if c.__name__ == 'Popen' %}"
        "{{ c(['touch', '" + str(marker) + "']) }}{% endif %}{% endfor %}",
        "{{ (unit|attr('__class__')|attr('__mro__'))[1] }}",
        "{{ t.__class__.__init__.__globals__['__builtins__']['__import__']('os').system('" + cmd + "') }}",
        "{{ b.items.__self__.__class__ }}",
        "{{ loop.__class__ }}",
        "{{ range.__globals__ }}",
        "{{ range.__self__.__class__ }}",
        "{{ '{0.__class__.__mro__}'.format(unit) }}",
        "{{ '{0.__init__.__globals__}'.format(cycler) }}",
        "{{ unit.format_map }}",
        "{% set f = unit.format %}{{ f('{0.__class__}', unit) }}",
        "{{ config }}{{ request }}{{ get_flashed_messages }}",
        "{% import 'os' as os %}{{ os.system('" + cmd + "') }}",
        "{% include '/etc/passwd' %}",
        "{% extends '/etc/passwd' %}",
        "{{ dict(a=1) }}",
        "{{ unit.encode('utf-8') }}",
        "{{ t.duties.append('x') }}",
        "{{ b.update({'total': 0}) }}",
        "{{ '%s%s' % (unit, unit) }}",
        "{% debug %}",
    ]


def test_no_attack_runs_code_each_is_refused_in_chinese(tmp_path):
    marker = tmp_path / "MARKER"
    for i, attack in enumerate(_marker_attacks(marker)):
        path = _template(tmp_path, "正文{{ unit }}", attack, name=f"a{i}.docx")
        try:
            out = _render(tmp_path, path)
        except ReportError as exc:
            assert "报告模板" in str(exc), attack
        else:  # inert: only text came out, never an object from inside Python
            text = "\n".join(p.text for p in Document(str(out)).paragraphs)
            assert "class" not in text and "function" not in text, (attack, text)
        assert not marker.exists(), attack


def test_a_field_that_exists_still_renders_in_the_sandbox(tmp_path):
    path = _template(
        tmp_path,
        "{{ unit|upper }}{{ ' %s' }}{{ s.rows|map(attribute='name')|join('、') }}",
        "{% for r in indicators %}{{ loop.index }}.{{ r.name|trim }}{% if not loop.last %}；{% endif %}"
        "{% endfor %}",
        "{{ '{}：{:>6}'.format(unit, s.total) }}|{{ b.items()|list|length }}|{{ range(3)|list }}",
        "{% macro row(x) %}[{{ x }}]{% endmacro %}{{ row(s.grade) }}{{ unit.startswith('雷州') }}",
    )
    doc = Document(str(_render(tmp_path, path)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "雷州市科工贸和信息化局 %s预算执行率、产出指标、效益指标、满意度指标"
    assert texts[1].startswith("1.完成技改企业数；2.新增规上工业企业；") and texts[1].endswith("6.企业满意度")
    assert texts[2] == "雷州市科工贸和信息化局： 94.50|9|[0, 1, 2]"
    assert texts[3] == "[优]True"


@pytest.mark.parametrize(
    "attack",
    [
        "{{ range(10**10) }}",
        "{% for i in range(10**10) %}x{% endfor %}",
        "{{ 'x' * 10**10 }}",
        "{{ [1] * 10**10 }}",
        "{{ 9 ** (9 ** 9) }}",
        "{{ (10**2000) * (10**2000) }}",
        "{{ '{:999999999}'.format(1) }}",
        "{{ '{:{}}'.format(1, 999999999) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ unit.center(10**9) }}",
        "{{ unit.ljust(10**9) }}",
        "{{ unit|center(10**9) }}",
        "{{ unit|indent(10**9) }}",
        "{{ unit|replace('', 'x' * 900000) }}",
        "{{ range(10000)|join('x' * 200) }}",
        "{{ unit|batch(10**9, 'x')|list }}",
        "{{ unit|wordwrap(1, wrapstring='x' * 10**5) }}",
        "{{ lipsum(10**6) }}",
        "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
        "{% macro m(s) %}{{ m(s ~ s) }}{% endmacro %}{{ m(unit) }}",
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        "{% for a in range(10000) %}{% for b in range(300) %}{% for c in indicators %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% for i in range(10000) %}{{ unit * 10000 }}{% endfor %}",
        "{% for x in t recursive %}{{ loop(t) }}{% endfor %}",
    ],
)
def test_resource_attacks_stop_at_a_limit_with_a_chinese_error(tmp_path, attack):
    path = _template(tmp_path, attack)
    started = time.monotonic()
    with pytest.raises(ReportError, match="报告模板") as info:
        _render(tmp_path, path)
    assert time.monotonic() - started < 30, attack
    assert not (tmp_path / "报告.docx").exists()
    message = str(info.value)
    assert "不允许" in message or "有误" in message or "嵌套过深" in message or "无法生成" in message


def test_limits_are_what_the_sandbox_says():
    env = ReportSandbox()
    with pytest.raises(TemplateLimit, match="循环和调用超过"):
        env.from_string(
            "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"
        ).render()
    assert env.steps == MAX_STEPS + 1
    env = ReportSandbox()
    with pytest.raises(TemplateLimit, match="生成的内容超过"):
        env.from_string("{% for i in range(10000) %}{{ 'x' * 5000 }}{% endfor %}").render()
    assert MAX_OUTPUT < 10000 * 5000


def test_cli_report_with_a_hostile_template_exits_2_in_chinese(tmp_path):
    from builders import seed_evaluation as book_evaluation
    from typer.testing import CliRunner

    from perfeval_xl.cli import app
    from perfeval_xl.xlsx.build import build_template
    from perfeval_xl.xlsx.fill import fill_workbook

    blank = build_template(tmp_path / "t.xlsx")
    filled_book_path = fill_workbook(book_evaluation(), tmp_path / "单位.xlsx", template=blank)

    marker = tmp_path / "MARKER"
    path = _template(
        tmp_path, "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"
    )
    result = CliRunner().invoke(
        app, ["report", str(filled_book_path), "--template", str(path), "-o", str(tmp_path / "r.docx")]
    )
    assert result.exit_code == 2, result.output
    assert "报告模板" in result.output and "Traceback" not in result.output
    assert not marker.exists() and not (tmp_path / "r.docx").exists()
