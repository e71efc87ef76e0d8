# SPDX-License-Identifier: GPL-2.0
"""Integration tests: the service and fleet files.

make install's systemd unit passes `systemd-analyze verify` (parsed instead
when the tool is missing) and, run as the unit runs it (ExecStart with the
environment file's variables), traces what the file names and serves on
loopback. The bash completion offers exactly --help's long options and the
values of the options that take names. The Kubernetes manifests parse
(python3-yaml) and the DaemonSet carries what memvigil needs.
"""

import configparser
import os
import re
import shutil
import subprocess
import time

import browser
import harness as h
import test_docs
import test_serve

DAEMONSET = os.path.join(h.ROOT, "deploy", "kubernetes", "memvigil-daemonset.yaml")
COMPLETION = os.path.join(h.ROOT, "deploy", "bash-completion", "memvigil")
DEFAULTS = os.path.join(h.ROOT, "deploy", "systemd", "memvigil.default")


def install(ctx):
    """make install with PREFIX in ctx's directory; the prefix."""
    prefix = ctx.path("prefix")
    test_docs.make("install", f"PREFIX={prefix}")
    return prefix


def unit_of(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    with open(path) as f:
        parser.read_string(f.read())
    return parser


def environment_of(path):
    """The variables an EnvironmentFile sets: {name: value}."""
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line.strip())
            if m:
                env[m[1]] = m[2]
    return env


def test_deploy_service_unit_verifies_and_runs_what_its_environment_names(ctx):
    prefix = install(ctx)
    unit_path = os.path.join(prefix, "lib", "systemd", "system", "memvigil.service")
    h.check(os.path.isfile(unit_path), "make install put no memvigil.service")
    analyze = shutil.which("systemd-analyze")
    if analyze:
        r = subprocess.run([analyze, "verify", "--man=no", unit_path], capture_output=True,
                           text=True, timeout=60)
        h.check(r.returncode == 0, f"systemd-analyze verify: {(r.stdout + r.stderr).strip()}")
    unit = unit_of(unit_path)
    svc = unit["Service"]
    h.check(svc["ExecStart"] == os.path.join(prefix, "sbin", "memvigil"),
            f"ExecStart={svc['ExecStart']}, expected the installed binary")
    h.check(svc["EnvironmentFile"] == "/etc/default/memvigil", "EnvironmentFile")
    h.check(unit["Install"]["WantedBy"] == "multi-user.target", "WantedBy")
    env = environment_of(os.path.join(prefix, "share", "memvigil", "memvigil.default"))
    h.check(env.get("MEMVIGIL_LISTEN", "").startswith("127.0.0.1:"),
            f"the template listens on {env.get('MEMVIGIL_LISTEN')!r}, not loopback")
    h.check("MEMVIGIL_CGROUP" in env, "the template names no target")
    # as systemd would run it, with the template's variables and a PID of ours
    wl = h.spawn_workload(ctx, "leak_shapes", "steady", "30")
    port = browser.free_port()
    env.pop("MEMVIGIL_CGROUP")
    env.update(MEMVIGIL_PID=str(wl.pid), MEMVIGIL_LISTEN=f"127.0.0.1:{port}")
    mv = ctx.spawn([svc["ExecStart"]], env=dict(env, PATH=os.environ["PATH"]))
    h.wait_banner(mv)
    procs = test_serve.get_json(port, "/api/v1/processes")["processes"]
    h.check([p["pid"] for p in procs] == [wl.pid], f"the service traces {procs}")
    h.check(h.stop(mv) == 0, f"the service did not end cleanly; {mv.describe()}")


def completions(words):
    """What the completion offers for the command line words (the last is completed)."""
    script = (f"source {COMPLETION}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
              f"COMP_CWORD={len(words) - 1}; _memvigil; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    h.check(r.returncode == 0, f"bash completion failed: {r.stderr.strip()}")
    return [l for l in r.stdout.splitlines() if l]


def test_deploy_bash_completion_offers_the_options_of_help(ctx):
    p, rc = h.run_to_end(ctx, ["--help"])
    h.check(rc == 0, f"--help exited {rc}")
    want = test_docs.long_options_of_option_list(p.out().splitlines())
    got = {w.lstrip("-").rstrip("=") for w in completions([h.BIN, "--"])}
    h.check(got == want, f"only offered: {sorted(got - want)}; not offered: {sorted(want - got)}")
    h.check(completions([h.BIN, "--li"]) == ["--listen-token-file=", "--listen="],
            f"--li: {completions([h.BIN, '--li'])}")
    h.check(completions([h.BIN, "--mode", "=", ""]) == ["production", "standard", "debug"],
            "--mode= values")
    h.check(completions([h.BIN, "--unwind", "d"]) == ["dwarf"], "--unwind values")
    h.check("bash" in completions([h.BIN, "-p", "1", "--", "bas"]), "the command after --")


def test_deploy_kubernetes_manifests_parse_and_carry_what_memvigil_needs(ctx):
    try:
        import yaml
    except ImportError:
        raise h.Failure("python3-yaml is missing: scripts/deps.sh installs it")
    with open(DAEMONSET) as f:
        docs = list(yaml.safe_load_all(f))
    ds = [d for d in docs if d["kind"] == "DaemonSet"]
    h.check(len(ds) == 1, f"kinds {[d['kind'] for d in docs]}")
    pod = ds[0]["spec"]["template"]
    spec, ann = pod["spec"], pod["metadata"]["annotations"]
    h.check(spec.get("hostPID") is True, "hostPID")
    (c,) = spec["containers"]
    caps = set(c["securityContext"]["capabilities"]["add"])
    h.check({"BPF", "PERFMON", "SYS_PTRACE"} <= caps, f"capabilities {caps}")
    h.check(c["securityContext"].get("privileged") is False, "the container is privileged")
    paths = {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    h.check({"/sys/kernel/btf", "/sys/fs/cgroup"} <= paths, f"host paths {paths}")
    listen = [a for a in c["args"] if a.startswith("--listen=")]
    h.check(len(listen) == 1, f"args {c['args']}")
    port = listen[0].rsplit(":", 1)[1]
    h.check(ann["prometheus.io/scrape"] == "true" and ann["prometheus.io/port"] == port and
            ann["prometheus.io/path"] == "/metrics", f"scrape annotations {ann}")
    h.check(str(c["ports"][0]["containerPort"]) == port, "containerPort")
    h.check(any(a.startswith("--cgroup=") for a in c["args"]), "no --cgroup target")
    token = [a.split("=", 1)[1] for a in c["args"] if a.startswith("--listen-token-file=")]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    h.check(token and token[0] in mounts and mounts[token[0]].get("subPath"),
            "the token file must be mounted as a file (subPath), not a Secret's link")
    secret = [v for v in spec["volumes"] if v["name"] == mounts[token[0]]["name"]][0]
    h.check(secret["secret"]["defaultMode"] & 0o007 == 0, "the token is readable by others")
    # every option in the args is one memvigil knows
    p, rc = h.run_to_end(ctx, ["--help"])
    known = test_docs.long_options_of_option_list(p.out().splitlines())
    for a in c["args"]:
        h.check(a.split("=", 1)[0].lstrip("-") in known, f"{a} is not an option of memvigil")
