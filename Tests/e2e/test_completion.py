#!/usr/bin/env python3
"""`berth completion SHELL`: the scripts the built `berth` prints parse in bash, zsh and fish, and
completing in a real shell offers the commands and the options each command declares."""

import os
import shutil
import subprocess

import harness
from harness import check, check_equal

SHELLS = ("bash", "zsh", "fish")


def script(cu, shell):
    """The script as `berth completion SHELL` prints it, saved in a private directory."""
    r = subprocess.run([os.path.join(harness.bin_dir(), "berth"), "completion", shell],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    check_equal(r.returncode, 0, f"berth completion {shell}", stderr=r.stderr)
    path = os.path.join(cu.tempdir("berth-completion-"), "berth." + shell)
    with open(path, "w") as f:
        f.write(r.stdout)
    return path


def shell_binary(name):
    path = shutil.which(name)
    check(path is not None, f"{name} is installed (Scripts/bootstrap installs it)")
    return path


def test_every_script_parses(cu):
    for shell in SHELLS:
        path = script(cu, shell)
        r = subprocess.run([shell_binary(shell), "-n", path], capture_output=True, text=True, timeout=30)
        check_equal(r.returncode, 0, f"{shell} -n accepts the script", stderr=r.stderr)


def bash_complete(path, cwd, *words):
    """What the script's _berth offers for the command line WORDS (the last one being completed)."""
    program = (f'source {path}\n'
               'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _berth\n'
               'complete -p berth\n'
               'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run([shell_binary("bash"), "--norc", "-c", program, "bash", *words],
                       capture_output=True, text=True, timeout=30, cwd=cwd)
    check_equal(r.returncode, 0, f"completing {words}", stderr=r.stderr)
    lines = r.stdout.splitlines()
    check_equal(lines[0], "complete -F _berth berth", "the script registers _berth for berth")
    return [line for line in lines[1:] if line]


def test_bash_offers_commands_and_declared_options(cu):
    path = script(cu, "bash")
    empty = cu.tempdir("berth-completion-cwd-")  # no files to offer where files would be
    commands = bash_complete(path, empty, "berth", "")
    for word in ("install", "ps", "node", "agent", "completion", "deploy", "link", "events"):
        check(word in commands, f"`berth ` offers {word}", offered=commands)
    check("info" not in commands, "second words are not offered first", offered=commands)
    check_equal(bash_complete(path, empty, "berth", "ins"), ["install"], "`berth ins` completes to install")
    check_equal(sorted(bash_complete(path, empty, "berth", "--node", "h1", "p")), ["ping", "ports", "ps"],
                "a leading node option and its value are skipped")
    check_equal(bash_complete(path, empty, "berth", "node", ""), ["info"], "`berth node ` offers info")

    options = bash_complete(path, empty, "berth", "install", "--")
    for option in ("--port", "--env", "--env-file", "--volume", "--isolate", "--start", "--request-id",
                   "--network", "--node", "--secret-file", "--timeout", "--json", "--help"):
        check(option in options, f"`berth install --` offers {option}", offered=options)
    check("--all" not in options, "install does not offer ps's --all", offered=options)
    check_equal(sorted(bash_complete(path, empty, "berth", "ps", "--a")), ["--agent", "--all"], "ps's own and node options")
    check_equal(bash_complete(path, empty, "berth", "agent", "status", "--"), ["--socket", "--json", "--help"],
                "agent status takes no node options")
    check_equal(bash_complete(path, empty, "berth", "completion", ""), ["bash", "zsh", "fish"], "the shells")
    check_equal(bash_complete(path, empty, "berth", "completion", "bash", ""), [], "one shell only")

    with open(os.path.join(empty, "app.json"), "w") as f:
        f.write("{}")
    check_equal(bash_complete(path, empty, "berth", "install", "--env-file", "a"), ["app.json"],
                "--env-file completes file names")
    check_equal(bash_complete(path, empty, "berth", "deploy", "a"), ["app.json"], "deploy's FILE is a file name")
    check_equal(bash_complete(path, empty, "berth", "install", "--slice", ""), [], "a value without choices offers nothing")


def test_fish_offers_commands_and_declared_options(cu):
    path = script(cu, "fish")
    empty = cu.tempdir("berth-completion-cwd-")

    def complete(line):
        r = subprocess.run([shell_binary("fish"), "--no-config", "-c", f"source {path}; complete -C '{line}'"],
                           capture_output=True, text=True, timeout=30, cwd=empty)
        check_equal(r.returncode, 0, f"fish completing {line!r}", stderr=r.stderr)
        return [entry.split("\t")[0] for entry in r.stdout.splitlines()]

    commands = complete("berth ")
    check("install" in commands and "completion" in commands, "`berth ` offers the commands", offered=commands)
    options = complete("berth install --")
    check("--isolate" in options and "--node" in options, "`berth install --` offers its options", offered=options)
    check(complete("berth agent ") == ["status"], "`berth agent ` offers status", offered=complete("berth agent "))


if __name__ == "__main__":
    harness.main()
