"""The YAML reader: 1.2 scalars, marks for every path, and refusal of hostile input."""

import pytest

from chaos.scenario.yamlsource import MAX_BYTES, YamlProblem, parse_yaml, read_text


def test_on_off_yes_no_stay_strings_and_keys():
    data, _ = parse_yaml("flap: {on: 5s, off: 5s}\nanswer: yes\nnorway: NO\n")
    assert data == {"flap": {"on": "5s", "off": "5s"}, "answer": "yes", "norway": "NO"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("v: true", True),
        ("v: False", False),
        ("v: ~", None),
        ("v:", None),
        ("v: 12", 12),
        ("v: -3", -3),
        ("v: 0x1F", 31),
        ("v: 0123", "0123"),
        ("v: 1.5", 1.5),
        ("v: 1e3", 1000.0),
        ("v: .inf", float("inf")),
        ("v: '12'", "12"),
        ('v: "true"', "true"),
        ("v: 1:30", "1:30"),
        ("v: 2020-01-01", "2020-01-01"),
    ],
)
def test_scalars_resolve_the_yaml_1_2_way(text, value):
    data, _ = parse_yaml(text)
    assert data["v"] == value


def test_marks_point_at_values_and_keys():
    text = "a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n"
    _, marks = parse_yaml(text)
    assert marks.values[("a", "b")] == (2, 6)
    assert marks.keys[("a", "c")] == (3, 3)
    assert marks.values[("a", "c", 1, "d")] == (5, 11)
    assert marks.value_mark(("a", "c", 1, "missing")) == (5, 7)


def test_duplicate_key_is_refused_where_it_repeats():
    with pytest.raises(YamlProblem, match='duplicate key "a"') as info:
        parse_yaml("a: 1\nb: 2\na: 3\n")
    assert info.value.mark == (3, 1)


def test_merge_keys_merge_and_local_keys_win():
    data, _ = parse_yaml("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n")
    assert data["thing"] == {"x": 1, "y": 3}


def test_alias_bomb_is_refused():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index in range(1, 9):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    with pytest.raises(YamlProblem, match="alias bomb"):
        parse_yaml("\n".join(lines))


def test_deep_nesting_is_refused():
    with pytest.raises(YamlProblem, match="nested too deeply"):
        parse_yaml("a: " + "[" * 500 + "]" * 500)


def test_unknown_tag_is_refused():
    with pytest.raises(YamlProblem, match="unsupported YAML tag"):
        parse_yaml("a: !!python/object:os.system x")


def test_not_yaml_is_located():
    with pytest.raises(YamlProblem, match="not valid YAML") as info:
        parse_yaml("a: [1, 2\nb: 3\n")
    assert info.value.mark is not None


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"a: " + b"x" * (MAX_BYTES + 10))
    with pytest.raises(YamlProblem, match="larger than"):
        read_text(path)


def test_binary_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "junk.yaml"
    path.write_bytes(b"a: 1\nb: \xff\xfe\x00\x81\n")
    with pytest.raises(YamlProblem, match="not UTF-8") as info:
        read_text(path)
    assert info.value.mark == (2, 1)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(YamlProblem, match="no such file"):
        read_text(tmp_path / "nope.yaml")
    with pytest.raises(YamlProblem, match="directory"):
        read_text(tmp_path)


def test_explicit_str_tag_keeps_a_string():
    data, _ = parse_yaml("v: !!str 123\n")
    assert data["v"] == "123"
