"""The README's Chinese part lists every figure of the registry with its current label and
definition, so the documentation cannot drift from the SQL. Regenerate the list with
`python3 -m tests.test_readme` and paste it between the markers."""

from pathlib import Path

from data_access.figures import FIGURES

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- 指标口径：由 python3 -m tests.test_readme 生成 -->", "<!-- 指标口径结束 -->"


def figure_list() -> str:
    return "\n".join(f"- **{f.label}**：{f.definition}" for f in FIGURES.values())


def test_the_readme_lists_every_figure_with_its_current_definition():
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert block == figure_list()


def test_the_chinese_part_tells_how_to_run_deploy_and_import_in_a_virtual_environment():
    text = README.read_text(encoding="utf-8")
    part = text[text.index("## 中文说明"):]
    for words in ("虚拟环境", "python3 -m venv", "streamlit run app.py", "部署", "导入", "指标口径"):
        assert words in part, words


if __name__ == "__main__":
    print(BEGIN, figure_list(), END, sep="\n")
