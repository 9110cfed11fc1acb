"""The config file: its settings, each way it can be bad (named with its line, the defaults used), and
the command line and environment winning over it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tui.cli import main
from tui.cli.arguments import build_parser
from tui.cli.config_file import apply_config_file
from tui.config import ConfigProblem, Settings, config_path, merged_keymap, parse_config, read_config

GOOD = """\
# livemig's defaults
context = "prod"
namespace = "vms"
theme = "livemig-16"
readonly = true

[keymap]
"vms.migrate" = "x"
"app.quit" = "ctrl+q,f10"
"""


def write(directory: Path, text: str) -> Path:
    path = directory / "livemig" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- where -------------------------------------------------------------------------------------


def test_the_file_is_under_xdg_config_home():
    assert config_path({"XDG_CONFIG_HOME": "/etc/xdg-user", "HOME": "/home/op"}) == Path(
        "/etc/xdg-user/livemig/config.toml"
    )


def test_without_xdg_config_home_or_with_a_relative_one_it_is_under_home_dot_config():
    assert config_path({"HOME": "/home/op"}) == Path("/home/op/.config/livemig/config.toml")
    assert config_path({"XDG_CONFIG_HOME": "relative", "HOME": "/home/op"}) == Path(
        "/home/op/.config/livemig/config.toml"
    )


# -- what it says ------------------------------------------------------------------------------


def test_every_setting_is_read():
    assert parse_config(GOOD) == Settings(
        context="prod",
        namespace="vms",
        theme="livemig-16",
        readonly=True,
        keymap={"vms.migrate": "x", "app.quit": "ctrl+q,f10"},
    )


def test_no_file_is_the_defaults_and_no_problem(tmp_path):
    assert read_config(tmp_path / "absent.toml") == (Settings(), "")


def test_an_empty_file_is_the_defaults():
    assert parse_config("") == Settings()


# -- bad files: one sentence with the line, and the defaults -----------------------------------


def problem(text: str, **known) -> ConfigProblem:
    with pytest.raises(ConfigProblem) as raised:
        parse_config(text, **known)
    return raised.value


def test_toml_syntax_is_named_with_its_line():
    found = problem('context = "prod"\nnamespace = vms\n')
    assert found.line == 2 and found.message.startswith("it is not valid TOML (")


def test_an_unknown_key_is_named_with_its_line():
    found = problem('context = "prod"\n\nnamespaces = "vms"\n')
    assert found.line == 3 and '"namespaces" is no setting' in found.message


def test_a_value_of_the_wrong_type_is_named_with_its_line():
    found = problem('context = "prod"\nreadonly = "yes"\n')
    assert (found.line, found.message) == (2, "readonly must be true or false")


def test_an_unknown_binding_id_is_named_with_its_line_in_the_keymap_table():
    found = problem(GOOD.replace('"vms.migrate"', '"vms.migrat"'), known_bindings={"vms.migrate", "app.quit"})
    assert found.line == 8 and 'no binding has the id "vms.migrat"' in found.message


def test_an_unknown_theme_is_named_with_its_line():
    found = problem(GOOD, known_themes={"textual-dark"})
    assert found.line == 4 and 'there is no theme "livemig-16"' in found.message


def test_a_key_no_terminal_sends_is_named_with_its_line():
    found = problem(GOOD, key_problem=lambda key: "no such key" if key == "f10" else None)
    assert found.line == 9 and found.message == "keymap app.quit: no such key"


def test_a_bad_file_gives_the_defaults_and_one_sentence_naming_file_and_line(tmp_path):
    path = write(tmp_path, 'readonly = "yes"\n')
    settings, sentence = read_config(path)
    assert settings == Settings()
    assert sentence == (
        f"The config file {path}, line 1 is not used: readonly must be true or false; livemig starts with the defaults."
    )


# -- the command line and the environment win --------------------------------------------------


def args_for(argv: list[str], tmp_path: Path, text: str):
    write(tmp_path, text)
    args = build_parser().parse_args(argv)
    problem = apply_config_file(args, {"XDG_CONFIG_HOME": str(tmp_path)})
    return args, problem


def test_the_file_fills_what_the_command_line_leaves_open(tmp_path):
    args, said = args_for([], tmp_path, GOOD)
    assert said == ""
    assert (args.context, args.namespace, args.theme, args.readonly) == ("prod", "vms", "livemig-16", True)
    assert args.config_keymap == {"vms.migrate": "x", "app.quit": "ctrl+q,f10"}


def test_the_command_line_wins_over_the_file(tmp_path):
    args, _ = args_for(["--context", "lab", "-n", "web", "--theme", "nord"], tmp_path, GOOD)
    assert (args.context, args.namespace, args.theme) == ("lab", "web", "nord")
    args, _ = args_for(["-A"], tmp_path, GOOD)
    assert args.namespace is None and args.all_namespaces


def test_the_demo_takes_no_context_or_namespace_from_the_file(tmp_path):
    args, _ = args_for(["--demo"], tmp_path, GOOD)
    assert args.context is None and args.namespace is None


def test_livemig_keymap_wins_binding_by_binding():
    merged = merged_keymap({"vms.migrate": "x", "app.quit": "f10"}, "vms.migrate=y")
    assert merged == "app.quit=f10;vms.migrate=y"


# -- headless commands -------------------------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(argv, out=out, err=err), out.getvalue(), err.getvalue()


def test_a_headless_command_uses_the_files_namespace_and_the_command_line_wins(kubeconfig, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    write(tmp_path, 'namespace = "elsewhere"\n')
    code, _, err = run(["plan", "web-1", "--kubeconfig", kubeconfig])
    assert code == 2 and "there is no namespace elsewhere" in err
    code, out, _ = run(["plan", "web-1", "--kubeconfig", kubeconfig, "-n", "default"])
    assert code in (0, 1) and "web-1" in out


def test_a_headless_command_says_on_stderr_why_the_file_is_not_used_and_goes_on(kubeconfig, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = write(tmp_path, 'namespace = "elsewhere"\ncolour = "red"\n')
    code, out, err = run(["plan", "default/web-1", "--kubeconfig", kubeconfig])
    assert code in (0, 1) and "web-1" in out
    assert f"livemig: The config file {path}, line 2 is not used:" in err
    assert "Traceback" not in err


def test_an_unknown_context_from_the_file_is_said_to_come_from_it(kubeconfig, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    write(tmp_path, 'context = "nope"\n')
    code, _, err = run(["plan", "default/web-1", "--kubeconfig", kubeconfig])
    assert code == 2 and 'The context "nope" set in the config file is not in the kubeconfig' in err
