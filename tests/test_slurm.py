"""The pipeline on a real Slurm: a single-node cluster from Debian's slurm-wlm and munge.

The cluster test installs system packages, writes Slurm's configuration into its default
directory and starts daemons, so it runs only when asked: as root, with apt-get, and with
``CI=true`` or ``DLTHEORY_SLURM_TEST=1`` in the environment (otherwise it is skipped and
says why). It runs a small target of the pipeline, several rules deep, through
``--profile profiles/slurm`` on the tiny test config, checks every Slurm job's request
against its rule and the outputs against a local run byte for byte, and stops the daemons
it started by their pids.

The profile checks at the bottom need no cluster and always run.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from conftest import CEILING, ROOT, copy_workflow, load_config, run_snakemake, write_config

#: Slurm's compiled-in configuration directory on Debian. ``srun`` inside a batch job
#: does not honour ``SLURM_CONF``, so the file has to be where every command looks first.
SLURM_CONF = Path("/etc/slurm/slurm.conf")
#: first line of the slurm.conf this test writes (a conf without it is never touched)
MARKER = "# written by dltheory tests/test_slurm.py; removed when the test ends"
PACKAGES = ["slurm-wlm", "munge"]
DAEMONS = ["slurmctld", "slurmd", "munged"]
#: the plugin's status checks: the first after this many seconds, then 10 s more each time
#: no job finished (snakemake-executor-plugin-slurm 2.8.0)
INIT_SECONDS = 1
SLURM_FLAGS = [
    "--profile",
    "profiles/slurm",
    "--slurm-no-account",
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    str(INIT_SECONDS),
]
#: figure `depth_scales` (simulation -> fit -> plot, and theory) and one answers part
ANSWER_PART = "results/answers/meanfield.parquet"
TARGETS = ["depth_scales", ANSWER_PART]
OUTPUT_DIRS = ["results/data", "results/figures", "results/answers"]
#: a safety ceiling (s) for one cluster command or daemon start, only against a hang: every
#: wait below ends on its event (a daemon answering, a job state, a process exit) and a
#: loaded machine may take many times the idle time
SHORT_CEILING = 600


def tiny_config() -> dict:
    cfg = load_config()
    cfg["networks"]["depth_scales"].update(
        sigma_w2=[1.0, 2.0, 4.0], width=60, depth=12, n_seeds=3, n_inputs=4, n_theory=20
    )
    return cfg


# --------------------------------------------------------------------------- opt-in


def _asked() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true" or os.environ.get("DLTHEORY_SLURM_TEST") == "1"
    )


def _running(name: str) -> list[int]:
    """Pids of processes whose command name is ``name`` (read from /proc)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == name:
                pids.append(int(stat.parent.name))
        except OSError:  # the process ended meanwhile
            continue
    return pids


def why_not_run() -> str | None:
    """The reason the cluster test cannot or must not run here, or None."""
    if not _asked():
        return "set DLTHEORY_SLURM_TEST=1 (or CI=true) to install and start a local Slurm"
    if os.geteuid() != 0:
        return "needs root: it installs slurm-wlm and munge and starts their daemons"
    if shutil.which("apt-get") is None:
        return "needs apt-get (Debian/Ubuntu) to install slurm-wlm and munge"
    if SLURM_CONF.exists() and not SLURM_CONF.read_text().startswith(MARKER):
        return f"{SLURM_CONF} exists and was not written by this test: not touching it"
    for name in ("slurmctld", "slurmd"):
        if _running(name):
            return f"a {name} is already running (pids {_running(name)}): not touching it"
    return None


# --------------------------------------------------------------------------- cluster


def _sh(
    *cmd: str, timeout: float = SHORT_CEILING, check: bool = True
) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def install_packages() -> None:
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if not missing:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CEILING, env=env)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}{proc.stderr}")
    still = [d for d in DAEMONS if shutil.which(d) is None]
    assert not still, f"installed {PACKAGES} but {still} are not on PATH"


def slurm_conf(state: Path) -> str:
    """A single node without accounting; state, spool, pid and log files under ``state``."""
    host = socket.gethostname().split(".")[0]
    # slurmd -C prints this machine's NodeName line (CPUs, sockets, cores, RealMemory)
    node = _sh("slurmd", "-C").stdout.splitlines()[0]
    assert node.startswith(f"NodeName={host} "), node
    lines = [
        MARKER,
        "ClusterName=dltheory-test",
        # the loopback address: no name service needed (containers, CI runners)
        f"SlurmctldHost={host}(127.0.0.1)",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        "SlurmUser=root",
        "SlurmdUser=root",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "MpiDefault=none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        "SchedulerType=sched/backfill",
        "ReturnToService=2",
        # finished jobs stay visible to squeue (the status command) and scontrol
        "MinJobAge=600",
        f"StateSaveLocation={state}/ctld",
        f"SlurmdSpoolDir={state}/spool",
        f"SlurmctldPidFile={state}/slurmctld.pid",
        f"SlurmdPidFile={state}/slurmd.pid",
        f"SlurmctldLogFile={state}/slurmctld.log",
        f"SlurmdLogFile={state}/slurmd.log",
        f"{node.split(' UpTime=')[0]} NodeAddr=127.0.0.1 State=UNKNOWN",
        "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    ]
    return "\n".join(lines) + "\n"


def _munge_works() -> bool:
    try:
        cred = _sh("munge", "-n", check=False)
        if cred.returncode != 0:
            return False
        back = subprocess.run(
            ["unmunge"], input=cred.stdout, capture_output=True, text=True, timeout=SHORT_CEILING
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return back.returncode == 0


def _wait_for(what: str, ok, logs: list[Path], daemon: subprocess.Popen | None = None) -> None:
    """Return once ``ok()``; fail at once if ``daemon`` exits first (the ceiling: a hang)."""
    deadline = time.monotonic() + SHORT_CEILING
    while not ok():
        if daemon is not None and daemon.poll() is not None:
            raise AssertionError(f"{what}: exited ({daemon.returncode})\n{_tails(logs)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready after {SHORT_CEILING} s\n{_tails(logs)}")
        time.sleep(0.5)


def _tails(logs: list[Path], n: int = 30) -> str:
    out = []
    for log in logs:
        if log.exists():
            out.append(f"--- {log} (last {n} lines)")
            out.extend(log.read_text(errors="replace").splitlines()[-n:])
    return "\n".join(out)


class SingleNodeSlurm:
    """munged (unless one already answers), slurmctld and slurmd, started and stopped by pid."""

    def __init__(self, state: Path):
        self.state = state
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs = [state / f"{d}.out" for d in DAEMONS]
        self.logs += [state / "slurmctld.log", state / "slurmd.log"]

    def _spawn(self, name: str, cmd: list[str], **kw) -> None:
        out = open(self.state / f"{name}.out", "w")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kw
        )
        out.close()  # the child has its own descriptor

    def start(self) -> None:
        for sub in ("ctld", "spool"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(slurm_conf(self.state))
        if not _munge_works():
            self._start_munged()
        self._spawn("slurmctld", ["slurmctld", "-D", "-i"])
        _wait_for(
            "slurmctld",
            lambda: _sh("scontrol", "ping", check=False).stdout.count("UP") > 0,
            self.logs,
            self.procs["slurmctld"],
        )
        self._spawn("slurmd", ["slurmd", "-D"])
        _wait_for(
            "the node",
            lambda: _sh("sinfo", "-h", "-o", "%T", check=False).stdout.strip() == "idle",
            self.logs,
            self.procs["slurmd"],
        )

    def _start_munged(self) -> None:
        munge = pwd.getpwnam("munge")
        key = Path("/etc/munge/munge.key")
        if not key.exists():
            _sh("mungekey", "--create", "--keyfile", str(key))
        # munged refuses a key (and directories) that the munge user does not own
        os.chown(key, munge.pw_uid, munge.pw_gid)
        key.chmod(0o600)
        run = Path("/run/munge")
        run.mkdir(parents=True, exist_ok=True)
        os.chown(run, munge.pw_uid, munge.pw_gid)
        self._spawn(
            "munged",
            ["munged", "--foreground"],
            user=munge.pw_uid,
            group=munge.pw_gid,
            extra_groups=[],
        )
        _wait_for("munged", _munge_works, self.logs, self.procs["munged"])

    def job_ids(self) -> list[str]:
        out = _sh("squeue", "-h", "--states=all", "-o", "%i", check=False).stdout
        return out.split()

    def stop(self) -> None:
        """Cancel every job of this private cluster, then stop our daemons by pid."""
        errors = []
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            _sh("scancel", "--full", *self.job_ids(), check=False)
            deadline = time.monotonic() + SHORT_CEILING
            while time.monotonic() < deadline:
                states = _sh("squeue", "-h", "-o", "%T", check=False).stdout.split()
                if not set(states) - {"COMPLETED", "CANCELLED", "FAILED"}:
                    break
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=SHORT_CEILING)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    errors.append(f"{name} (pid {proc.pid}) ignored SIGTERM; killed")
        if SLURM_CONF.exists() and SLURM_CONF.read_text().startswith(MARKER):
            SLURM_CONF.unlink()
        assert not errors, errors

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller knows, as scontrol's key=value fields."""
        out = _sh("scontrol", "show", "job", "-o", check=False).stdout
        jobs = []
        for line in out.splitlines():
            if line.startswith("JobId="):
                jobs.append(dict(re.findall(r"(\S+?)=(\S*)", line)))
        return jobs


#: one cluster at a time on a machine: pytest-xdist may give the two cluster tests to two
#: workers, each with its own module fixture, and two clusters would share /etc/slurm
CLUSTER_LOCK = Path(tempfile.gettempdir()) / "dltheory-slurm-test.lock"


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    with open(CLUSTER_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        reason = why_not_run()
        if reason is not None:
            print(f"\ntests/test_slurm.py skipped: {reason}")
            pytest.skip(reason)
        install_packages()
        cluster = SingleNodeSlurm(tmp_path_factory.mktemp("slurm-state"))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()


# --------------------------------------------------------------------------- helpers


def requested_resources(log: str) -> dict[str, dict[str, int]]:
    """Rule -> threads, mem_mb and runtime as Snakemake printed them for its job."""
    rules = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", log):
        head = re.match(r"(?:local)?rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        if not head or not res:
            continue
        fields = dict(kv.split("=", 1) for kv in res.group(1).split(", "))
        threads = re.search(r"^\s+threads: (\d+)$", block, re.M)
        rules[head.group(1)] = {
            "threads": int(threads.group(1)) if threads else 1,
            "mem_mb": int(fields["mem_mb"]),
            "runtime": int(fields["runtime"]),
        }
    return rules


def _minutes(limit: str) -> int:
    """scontrol's TimeLimit ([days-]hh:mm:ss) in minutes."""
    days, _, hms = limit.rpartition("-")
    h, m, s = map(int, hms.split(":"))
    return int(days or 0) * 1440 + h * 60 + m + (s > 0)


def output_bytes(workdir: Path) -> dict[str, bytes]:
    files = {}
    for sub in OUTPUT_DIRS:
        for path in sorted((workdir / sub).rglob("*")):
            if path.is_file():
                files[str(path.relative_to(workdir))] = path.read_bytes()
    return files


def default_resources() -> list[str]:
    """The shared default-resources of the workflow profile (profiles/default)."""
    profile = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    return list(profile["default-resources"])


# --------------------------------------------------------------------------- cluster tests


@pytest.mark.slow
@pytest.mark.xdist_group("slurm")
def test_pipeline_through_slurm_matches_a_local_run(slurm, tmp_path):
    local = copy_workflow(tmp_path / "local")
    cfg = write_config(local / "tiny.yaml", tiny_config())
    cluster = copy_workflow(tmp_path / "cluster")
    write_config(cluster / "tiny.yaml", tiny_config())
    before = set(slurm.job_ids())
    # the local reference runs while the cluster run mostly waits for its status checks
    with ThreadPoolExecutor(1) as pool:
        reference = pool.submit(
            run_snakemake, local, *TARGETS, "--cores", "2", "--configfile", str(cfg)
        )
        try:
            proc = run_snakemake(cluster, *TARGETS, *SLURM_FLAGS, "--configfile", "tiny.yaml")
        except (AssertionError, subprocess.TimeoutExpired) as err:
            raise AssertionError(f"{err}\n{_tails(slurm.logs)}") from None
        reference.result()
    log = proc.stdout + proc.stderr

    # every job went through sbatch, ran to completion, and asked for what its rule says
    wanted = requested_resources(log)
    assert len(wanted) >= 3, log
    jobs = [j for j in slurm.jobs() if j["JobId"] not in before]
    # the plugin comments each job "rule_<name>", plus "_wildcards_<values>" if it has any
    rules = [re.sub(r"_wildcards_.*$", "", j["Comment"]).removeprefix("rule_") for j in jobs]
    assert sorted(rules) == sorted(wanted), log
    for job, rule in zip(jobs, rules, strict=True):
        assert job["JobState"] == "COMPLETED", (job, log)
        assert int(job["CPUs/Task"]) == wanted[rule]["threads"], (rule, job)
        assert job["MinMemoryNode"] == f"{wanted[rule]['mem_mb']}M", (rule, job)
        assert _minutes(job["TimeLimit"]) == wanted[rule]["runtime"], (rule, job)
        assert job["Account"] == "(null)", job

    # the same bytes as on the laptop
    here, there = output_bytes(local), output_bytes(cluster)
    assert sorted(there) == sorted(here)
    assert [f for f in here if here[f] != there[f]] == []
    assert any(f.endswith("depth_scales.png") for f in here)


@pytest.mark.slow
@pytest.mark.xdist_group("slurm")
def test_slurm_account_reaches_sbatch(slurm, tmp_path):
    # the README's command for a user with an account (this cluster has no accounting,
    # so the plugin cannot validate the name and passes it on as given)
    work = copy_workflow(tmp_path / "wf")
    cfg = write_config(work / "tiny.yaml", tiny_config())
    before = set(slurm.job_ids())
    flags = [f for f in SLURM_FLAGS if f != "--slurm-no-account"]
    resources = ["slurm_account=dltheory_test", *default_resources()]
    run_snakemake(
        work,
        ANSWER_PART,
        *flags,
        "--default-resources",
        *resources,
        "--configfile",
        str(cfg),
    )
    jobs = [j for j in slurm.jobs() if j["JobId"] not in before]
    assert [j["Account"] for j in jobs] == ["dltheory_test"], jobs
    assert jobs[0]["JobState"] == "COMPLETED", jobs


# --------------------------------------------------------------------------- the profile


def effective_settings(*args: str):
    """Snakemake's parsed command line, profiles merged, as it would run in the checkout."""
    from snakemake.cli import parse_args

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return parse_args(list(args))[1]
    finally:
        os.chdir(cwd)


def test_slurm_profile_has_no_empty_settings():
    text = (ROOT / "profiles" / "slurm" / "config.yaml").read_text()
    profile = yaml.safe_load(text)
    assert profile["executor"] == "slurm"
    flat = [str(v) for v in profile.values()] + [
        str(item) for v in profile.values() if isinstance(v, list) for item in v
    ]
    assert not [v for v in flat if re.search(r"=(\"\"|''|)$", v)], flat


@pytest.mark.slow
def test_slurm_profile_keeps_the_shared_defaults_and_no_local_caps():
    args = effective_settings("--profile", "profiles/slurm", "-n")
    assert args.executor == "slurm"
    shared = dict(r.split("=", 1) for r in default_resources())
    for name, value in shared.items():
        assert args.default_resources[name].value == int(value), name
    assert "slurm_account" not in args.default_resources
    # a laptop's memory cap would shrink every cluster job's request to it
    assert "mem_mb" not in (args.resources or {}), args.resources
    assert args.latency_wait >= 30, "a shared file system needs time to show outputs"
